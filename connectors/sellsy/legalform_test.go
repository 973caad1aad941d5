package sellsy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A company's legal form is legal_france.company_type, read and written as the field
// legal_form, next to the SIRET in the same object.
func TestLegalForm(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	fields, err := f.c.Describe(ctx, connectors.ObjectCompany)
	require.NoError(t, err)
	assert.Contains(t, fields, connectors.Field{Name: "legal_form", Label: "Legal form", Type: "string"})

	res, err := f.c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "ACME", "siret": "12345678900011", "legal_form": "SAS"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	id := res[0].ID
	tests := []struct {
		name      string
		update    map[string]any // nil: read what was created
		wantForm  any
		wantSIRET any
	}{
		{"created with the SIRET", nil, "SAS", "12345678900011"},
		{"changed alone, the SIRET kept", map[string]any{"legal_form": "SARL"}, "SARL", "12345678900011"},
		{"cleared", map[string]any{"legal_form": nil}, nil, "12345678900011"},
		{"set with the SIRET", map[string]any{"legal_form": "EURL", "siret": "98765432100019"}, "EURL", "98765432100019"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.update != nil {
				up, err := f.c.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: id, Fields: tt.update}})
				require.NoError(t, err)
				require.NoError(t, up[0].Err)
			}
			got, err := f.c.Get(ctx, connectors.ObjectCompany, []string{id})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.wantForm, got[0].Fields["legal_form"])
			assert.Equal(t, tt.wantSIRET, got[0].Fields["siret"])
		})
	}
	// Individuals have no legal form.
	res, err = f.c.Create(ctx, ObjectIndividual, []connectors.Record{{Fields: map[string]any{"last_name": "Durand", "legal_form": "SAS"}}})
	require.NoError(t, err)
	var e *connectors.Error
	require.ErrorAs(t, res[0].Err, &e)
	assert.Equal(t, "unknown field", e.Fields["legal_form"])
}
