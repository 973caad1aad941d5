package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// An affaire created from Sellsy is created as the reference user, as a tiers is (seed 003:
// the reference user creates the data that goes down to Altior): it is its chargé
// d'affaire unless the record names its own. An unknown one is refused naming the field.
func TestAffaireOwnerIsTheReferenceUser(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	c := e.refClient(t, "E1")
	tiers, err := c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"kind": "moral", "relation": "client", "name": "Atelier Durand"}}})
	require.NoError(t, err)
	require.NoError(t, tiers[0].Err)

	tests := []struct {
		name      string
		fields    map[string]any
		wantOwner string
		wantErr   string
	}{
		{name: "the reference user", fields: map[string]any{"title": "Rénovation"}, wantOwner: "U1"},
		{name: "its own", fields: map[string]any{"title": "Extension", "owner_user_id": "U2"}, wantOwner: "U2"},
		{name: "an unknown one", fields: map[string]any{"title": "Toiture", "owner_user_id": "U9"}, wantErr: "owner_user_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Create(ctx, ObjectAffaire, []connectors.Record{{Fields: tt.fields, Links: map[string]string{connectors.ObjectCompany: tiers[0].ID}}})
			require.NoError(t, err)
			if tt.wantErr != "" {
				require.Error(t, res[0].Err)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
				assert.Contains(t, res[0].Err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, res[0].Err)
			got, err := c.Get(ctx, ObjectAffaire, []string{res[0].ID})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.wantOwner, got[0].Fields["owner_user_id"])
		})
	}
}
