package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// A SIRET is often written in its groups ("123 456 789 00017", as registers print it) or with
// dots; Altior takes 14 digits. The connector writes the digits, as the Sellsy connector does,
// instead of having the tiers refused; a value that is no SIRET once its separators are gone
// (a SIREN, 9 digits) is still refused, naming the field.
func TestSIRETIsWrittenAsItsDigits(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	tests := []struct {
		name, siret, want string
		refused           bool
	}{
		{name: "in groups", siret: "123 456 789 00017", want: "12345678900017"},
		{name: "with dots and a non-breaking space", siret: "123.456.789\u00a000017", want: "12345678900017"},
		{name: "digits", siret: "12345678900025", want: "12345678900025"},
		{name: "a SIREN is no SIRET", siret: "123 456 789", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"kind": "moral", "name": "Atelier", "siret": tt.siret}}})
			require.NoError(t, err)
			if tt.refused {
				require.Error(t, res[0].Err)
				assert.Contains(t, res[0].Err.Error(), "siret")
				return
			}
			require.NoError(t, res[0].Err)
			up, err := e.client.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: res[0].ID, Fields: map[string]any{"siret": tt.siret}}})
			require.NoError(t, err)
			require.NoError(t, up[0].Err)
			got, err := e.client.Get(ctx, connectors.ObjectCompany, []string{res[0].ID})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got[0].Fields["siret"])
		})
	}
}
