package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// A required field counts as mapped on a side only when a field carries a value onto that
// side: Sellsy's required last_name mapped Sellsy → Automation only is never written on the
// Sellsy contacts created from Automation, which Sellsy refuses one by one ("le champ
// 'last_name' est manquant") in production.
func TestCheckObjectRequiredFieldMappedAwayIsNotMapped(t *testing.T) {
	sellsy := Describe("sellsy", "contact", []connectors.Field{
		{Name: "email", Type: "email"}, {Name: "last_name", Type: "string", Required: true}, {Name: "first_name", Type: "string"},
	})
	mautic := Describe("mautic", "contact", []connectors.Field{
		{Name: "email", Type: "email", Required: true}, {Name: "lastname", Type: "text"}, {Name: "firstname", Type: "text"},
	})
	tests := []struct {
		name      string
		direction config.Direction
		lastName  config.Direction
		want      []string
	}{
		{name: "both ways: mapped", direction: config.Both, lastName: config.Both},
		{name: "towards Sellsy: mapped", direction: config.Both, lastName: config.BToA},
		{name: "only away from Sellsy while contacts are created there", direction: config.Both, lastName: config.AToB, want: []string{
			"objects[0] (contact): sellsy contact requires fields that are not mapped: last_name (mapped a_to_b only: the sellsy records created from mautic would lack it)",
		}},
		{name: "to Automation only: Sellsy gets only first_name", direction: config.AToB, lastName: config.AToB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &config.Connection{File: "c.yaml", Direction: tt.direction, A: config.System{System: "sellsy"}, B: config.System{System: "mautic"}, Objects: []config.Object{{
				Name: "contact", AObject: "contact", BObject: "contact", Match: config.FieldPair{A: "email", B: "email"},
				Fields: []config.Field{{A: "email", B: "email", Direction: tt.direction}, {A: "last_name", B: "lastname", Direction: tt.lastName},
					{A: "first_name", B: "firstname", Direction: config.Both}},
			}}}
			var got []string
			for _, err := range CheckObject(c, 0, sellsy, mautic) {
				got = append(got, err.Error())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
