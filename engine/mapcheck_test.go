package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

func TestCheckObject(t *testing.T) {
	sellsy := Describe("sellsy", "contact", []connectors.Field{
		{Name: "email", Type: "email"}, {Name: "last_name", Type: "string", Required: true},
		{Name: "cf.budget", Type: "amount"}, {Name: "cf.size", Type: "numeric-with-unit"}, {Name: "id", Type: "string", Required: true, ReadOnly: true},
	})
	mautic := Describe("mautic", "contact", []connectors.Field{
		{Name: "email", Type: "email", Required: true}, {Name: "lastname", Type: "text"}, {Name: "points", Type: "number"},
		{Name: "bounced", Type: "boolean", ReadOnly: true}, {Name: "owner", Type: "text", Required: true},
	})
	base := []config.Field{{A: "email", B: "email"}, {A: "last_name", B: "lastname"}}
	tests := []struct {
		name      string
		direction config.Direction
		fields    []config.Field
		noOwner   bool // leave Automation's required owner unmapped
		want      []string
	}{
		{name: "amount and unit to Automation only", direction: config.AToB,
			fields: []config.Field{{A: "cf.budget", B: "points"}, {A: "cf.size", B: "points"}}},
		{name: "amount both ways", fields: []config.Field{{A: "cf.budget", B: "points"}}, want: []string{
			"objects[0].fields[2]: sellsy field cf.budget (amount) cannot map to mautic field points (number) in direction both: amount fields sync only from Sellsy to Automation: set direction: a_to_b",
		}},
		{name: "unit overridden back to Sellsy", direction: config.AToB, fields: []config.Field{{A: "cf.size", B: "points", Direction: config.BToA}}, want: []string{
			"objects[0].fields[2]: sellsy field cf.size (numeric-with-unit) cannot map to mautic field points (number) in direction b_to_a: unit fields sync only from Sellsy to Automation: set direction: a_to_b",
		}},
		{name: "undescribed on each side", direction: config.AToB, fields: []config.Field{{A: "cf.nope", B: "points"}, {A: "cf.budget", B: "nope"}}, want: []string{
			`objects[0].fields[2].a: sellsy contact has no field "cf.nope" (fields: cf.budget, cf.size, email, id, last_name)`,
			`objects[0].fields[3].b: mautic contact has no field "nope" (fields: bounced, email, lastname, owner, points)`,
		}},
		{name: "read-only field written", direction: config.BToA, noOwner: true, fields: []config.Field{{A: "email", B: "bounced", Direction: config.Both}}, want: []string{
			"objects[0].fields[2]: mautic field bounced (boolean) is read-only: it cannot receive sellsy field email (email) (use direction b_to_a)",
			"objects[0] (contact): mautic contact requires fields that are not mapped: owner",
		}},
		{name: "required fields of both written sides", noOwner: true, want: []string{
			"objects[0] (contact): mautic contact requires fields that are not mapped: owner",
		}},
		{name: "a side never written needs nothing", direction: config.BToA, noOwner: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A filter's value is written on every record created on its side: it maps owner.
			filterB := map[string]any{"owner": "x"}
			if tt.noOwner {
				filterB = nil
			}
			c := &config.Connection{File: "c.yaml", Direction: tt.direction, Objects: []config.Object{{
				Name: "contact", AObject: "contact", BObject: "contact", Match: config.FieldPair{A: "email", B: "email"},
				Fields: append(append([]config.Field{}, base...), tt.fields...), Filter: config.SideValues{B: filterB},
			}}}
			var got []string
			for _, err := range CheckObject(c, 0, sellsy, mautic) {
				got = append(got, err.Error())
			}
			if tt.want == nil {
				require.Empty(t, got)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
