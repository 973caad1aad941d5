package mautic

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// streamEntities reads whatever a list answer holds without panicking, and finds at least
// every entity encoding/json finds in the same answer.
func FuzzStreamEntities(f *testing.F) {
	f.Add([]byte(`{"total":"2","contacts":{"7":{"id":7,"dateModified":"2026-11-25 10:00:00","fields":{"all":{"email":"a@b.c"}}},"9":{"id":"9"}}}`))
	f.Add([]byte(`{"total":"0","contacts":[]}`))
	f.Add([]byte(`{"contacts":null,"total":0}`))
	f.Add([]byte(`{"contacts":[{"id":1,"doNotContact":[{"channel":"email","reason":1}]}]}`))
	f.Add([]byte(`<html>login</html>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ents, err := streamEntities(b, "contacts")
		if err != nil {
			return
		}
		var whole map[string]json.RawMessage
		if json.Unmarshal(b, &whole) != nil {
			return
		}
		var want []*entity
		var byID map[string]*entity
		if json.Unmarshal(whole["contacts"], &byID) == nil {
			for _, e := range byID {
				want = append(want, e)
			}
		} else if json.Unmarshal(whole["contacts"], &want) != nil {
			return
		}
		got := map[flexID]int{}
		for _, e := range ents {
			got[e.ID]++
		}
		for _, e := range want {
			if e != nil {
				assert.Positive(t, got[e.ID], "entity %q found by encoding/json in %q", e.ID, b)
			}
		}
	})
}
