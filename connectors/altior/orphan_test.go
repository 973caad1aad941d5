package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// A contact or an affaire without a company cannot be created in Altior, where each belongs
// to a tiers: the refusal, which the quarantine shows an administrator, says so in those
// words rather than naming the connector's Links map.
func TestCreateWithoutATiersSaysWhy(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	tests := []struct {
		object string
		fields map[string]any
		want   string
	}{
		{connectors.ObjectContact, map[string]any{"last_name": "O'Brien"}, `an Altior contact belongs to a tiers, and this one has no company (link "company") to be created under`},
		{ObjectAffaire, map[string]any{"title": "Projet"}, `an Altior affaire belongs to a tiers, and this one has no company (link "company") to be created under`},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			res, err := e.client.Create(ctx, tt.object, []connectors.Record{{Fields: tt.fields}})
			require.NoError(t, err)
			require.Error(t, res[0].Err)
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
			assert.Contains(t, res[0].Err.Error(), tt.want)
			assert.NotContains(t, res[0].Err.Error(), "Links[")
		})
	}
}
