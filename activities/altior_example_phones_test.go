package activities

import (
	"context"
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
	r := startExample(t, "sellsy-altior")
	ctx := context.Background()
	ca, cb, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	sl := ca.(*sellsy.Client)
	create := func(object string, rec connectors.Record) string {
		t.Helper()
		res, err := sl.Create(ctx, object, []connectors.Record{rec})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		return res[0].ID
	}
	company := create(connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Menuiserie Roche", "type": "client", "siret": "55512345600018", "cf.SA": true,
		"phone_number": "04 78 00 00 01", "mobile_number": "06 00 00 00 01"}})
	individual := create(sellsy.ObjectIndividual, connectors.Record{Fields: map[string]any{"last_name": "Roche", "type": "client", "email": "paul@roche.example", "cf.SA": true,
		"phone_number": "04 78 00 00 02", "mobile_number": "06 00 00 00 02"}})
	contact := create(connectors.ObjectContact, connectors.Record{Fields: map[string]any{"last_name": "Roche", "email": "anne@roche.example", "cf.SA": true,
		"phone_number": "04 78 00 00 03", "mobile_number": "06 00 00 00 03"}, Links: map[string]string{connectors.ObjectCompany: company}})
	r.round(ModeImport, nil)

	tests := []struct {
		object, bObject, id, main, mainType, mobile string
	}{
		{"company", connectors.ObjectCompany, company, "04 78 00 00 01", "phone.PRINCIPALE", "06 00 00 00 01"},
		{"individual", connectors.ObjectCompany, individual, "04 78 00 00 02", "phone.PRINCIPALE", "06 00 00 00 02"},
		{"contact", connectors.ObjectContact, contact, "04 78 00 00 03", "phone.FIXE", "06 00 00 00 03"},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			pairs, err := r.st.Pairs(ctx, r.name, tt.object, "a", []string{tt.id})
			require.NoError(t, err)
			require.Contains(t, pairs, tt.id)
			got, err := cb.Get(ctx, tt.bObject, []string{pairs[tt.id].BID})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.main, got[0].Fields[tt.mainType])
			assert.Equal(t, tt.mobile, got[0].Fields["phone.PORTABLE"])
		})
	}
	r.settled(ModeIncremental, "after the import")
}
