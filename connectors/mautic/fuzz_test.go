package mautic

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// streamEntities reads whatever a list answer holds without panicking; finds, readable, at
// least every entity with an id encoding/json finds in the same answer; and names every
// entity it cannot read rather than fail the page for it.
func FuzzStreamEntities(f *testing.F) {
	f.Add([]byte(`{"total":"2","contacts":{"7":{"id":7,"dateModified":"2026-11-25 10:00:00","fields":{"all":{"email":"a@b.c"}}},"9":{"id":"9"}}}`))
	f.Add([]byte(`{"total":"0","contacts":[]}`))
	f.Add([]byte(`{"contacts":null,"total":0}`))
	f.Add([]byte(`{"contacts":[{"id":1,"doNotContact":[{"channel":"email","reason":1}]}]}`))
	f.Add([]byte(`<html>login</html>`))
	// The shapes PHP gives arrays, and entities that cannot be read (more in testdata/fuzz).
	f.Add([]byte(`{"total":"2","contacts":{"7":{"id":7,"fields":{"all":[]}},"8":{"id":8,"fields":[],"doNotContact":{"1":{"channel":"email","reason":2}}}}}`))
	f.Add([]byte(`{"total":"3","contacts":{"7":{"id":7},"8":{"id":8,"fields":{"all":"x"}},"9":"x"}}`))
	f.Add([]byte(`{"contacts":[{"id":{"v":1}},{"dateAdded":5},{"id":3,"doNotContact":{"0":null,"x":{"channel":1}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ents, err := streamEntities(b, "contacts")
		var whole map[string]json.RawMessage
		if err != nil {
			var list []json.RawMessage
			var byKey map[string]json.RawMessage
			if json.Unmarshal(b, &whole) == nil && string(whole["contacts"]) != "null" && whole["contacts"] != nil &&
				(json.Unmarshal(whole["contacts"], &list) == nil || json.Unmarshal(whole["contacts"], &byKey) == nil) {
				t.Errorf("an answer encoding/json reads, each entity whole, failed: %v", err)
			}
			return
		}
		got := map[flexID]int{}
		for _, e := range ents {
			if e.unreadable == "" {
				assert.Positive(t, idNum(string(e.ID)), "a readable entity has an id")
				got[e.ID]++
			} else {
				assert.True(t, e.ID != "" || e.at > 0, "an unreadable entity is named by its id or its position")
			}
		}
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
		for _, e := range want {
			if e != nil && idNum(string(e.ID)) > 0 && strconv.FormatInt(idNum(string(e.ID)), 10) == string(e.ID) {
				assert.Positive(t, got[e.ID], "entity %q found by encoding/json in %q", e.ID, b)
			}
		}
	})
}
