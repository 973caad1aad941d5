package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// The guide's phone types include Portable: the example sends a Sellsy company's,
// individual's or contact's mobile number to Altior as its PORTABLE phone, beside its main
// number, and brings it back the other way; neither replaces the other.
func TestExampleMobileNumbersGoToPortable(t *testing.T) {
	x := startExampleAltior(t)
	company := x.create(x.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Menuiserie Roche", "type": "client", "siret": "55512345600018", "cf.SA": true,
		"phone_number": "04 78 00 00 01", "mobile_number": "06 00 00 00 01"}})
	individual := x.create(x.sellsy, sellsy.ObjectIndividual, connectors.Record{Fields: map[string]any{"last_name": "Roche", "type": "client", "email": "paul@roche.example", "cf.SA": true,
		"phone_number": "04 78 00 00 02", "mobile_number": "06 00 00 00 02"}})
	contact := x.create(x.sellsy, connectors.ObjectContact, connectors.Record{Fields: map[string]any{"last_name": "Roche", "email": "anne@roche.example", "cf.SA": true,
		"phone_number": "04 78 00 00 03", "mobile_number": "06 00 00 00 03"}, Links: map[string]string{connectors.ObjectCompany: company}})
	x.round(ModeImport, nil)

	tests := []struct {
		object, bObject, id, main, mainType, mobile string
	}{
		{"company", connectors.ObjectCompany, company, "04 78 00 00 01", "phone.PRINCIPALE", "06 00 00 00 01"},
		{"individual", connectors.ObjectCompany, individual, "04 78 00 00 02", "phone.PRINCIPALE", "06 00 00 00 02"},
		{"contact", connectors.ObjectContact, contact, "04 78 00 00 03", "phone.FIXE", "06 00 00 00 03"},
	}
	// No t.Run: x's helpers fail the test they were started with.
	for _, tt := range tests {
		p, ok := x.pair(tt.object, tt.id)
		require.True(t, ok, "the %s is paired", tt.object)
		got := x.get(x.altior, tt.bObject, p.BID)
		assert.Equal(t, tt.main, got.Fields[tt.mainType], "%s's main number", tt.object)
		assert.Equal(t, tt.mobile, got.Fields["phone.PORTABLE"], "%s's mobile number", tt.object)
	}
	x.settled(ModeIncremental, "after the import")
}
