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

// A SIRET is looked up as it is written, as its 14 digits: a tiers created from "123 456 789
// 00017" is found by that value again, and the forms of one SIRET (the sync looks a key up
// whole and in its register groups) cost one search, not one each.
func TestSIRETIsSearchedAsItsDigits(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	res, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"kind": "moral", "name": "Atelier", "siret": "123 456 789 00017"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	tests := []struct {
		name     string
		values   []string
		found    bool
		searches int
	}{
		{name: "as written", values: []string{"123 456 789 00017"}, found: true, searches: 1},
		{name: "with dots", values: []string{"123.456.789.00017"}, found: true, searches: 1},
		{name: "digits and groups", values: []string{"12345678900017", "123 456 789 00017"}, found: true, searches: 1},
		{name: "another", values: []string{"987 654 321 00012"}, searches: 1},
		{name: "blank", values: []string{" "}, searches: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.sim.Kit().Counts()["GET /api/v1/tiers"]
			found, err := e.client.FindByKey(ctx, connectors.ObjectCompany, "siret", tt.values)
			require.NoError(t, err)
			if tt.found {
				require.Len(t, found, 1)
				assert.Equal(t, res[0].ID, found[0].ID)
			} else {
				assert.Empty(t, found)
			}
			assert.Equal(t, tt.searches, e.sim.Kit().Counts()["GET /api/v1/tiers"]-before, "searches")
		})
	}
}
