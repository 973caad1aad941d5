package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// The record's own id, which no system describes, may be the source of a one-way field (the
// Sellsy opportunity id into an Altior affaire's custom field) but never receive one.
func TestCheckObjectRecordID(t *testing.T) {
	sellsy := Describe("sellsy", "opportunity", []connectors.Field{{Name: "name", Type: "string", Required: true}})
	altior := Describe("altior", "affaire", []connectors.Field{{Name: "title", Type: "text", Required: true}, {Name: "cf.SLSY", Type: "text"}})
	tests := []struct {
		name  string
		field config.Field
		want  []string
	}{
		{name: "id into a custom field", field: config.Field{A: "id", B: "cf.SLSY", Direction: config.AToB}},
		{name: "id written", field: config.Field{A: "cf.SLSY", B: "id", Direction: config.AToB}, want: []string{
			"objects[0].fields[1]: altior field id (text) is read-only",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := sellsy, altior
			if tt.field.A != "id" { // the written id is side B's: swap the descriptions' roles
				a = Describe("sellsy", "opportunity", []connectors.Field{{Name: "name", Type: "string", Required: true}, {Name: "cf.SLSY", Type: "string"}})
			}
			c := &config.Connection{File: "c.yaml", Objects: []config.Object{{
				Name: "opportunity", AObject: "opportunity", BObject: "affaire", Match: config.FieldPair{A: "id", B: "cf.SLSY"},
				Fields: []config.Field{{A: "name", B: "title", Direction: config.AToB}, tt.field},
			}}}
			errs := CheckObject(c, 0, a, b)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(tt.want) == 0 {
				assert.Empty(t, got)
				return
			}
			for i, w := range tt.want {
				if assert.Greater(t, len(got), i) {
					assert.Contains(t, got[i], w)
				}
			}
		})
	}
}
