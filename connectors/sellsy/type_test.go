package sellsy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A third party's type (prospect, client, supplier) is set when it is created: Sellsy's
// update body has no type. Describe says so, so that the engine never counts on changing it.
func TestTypeIsCreateOnly(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	for object, name := range map[string]string{connectors.ObjectCompany: "name", ObjectIndividual: "last_name"} {
		t.Run(object, func(t *testing.T) {
			fields, err := f.c.Describe(ctx, object)
			require.NoError(t, err)
			byName := map[string]connectors.Field{}
			for _, fd := range fields {
				byName[fd.Name] = fd
			}
			assert.True(t, byName["type"].CreateOnly, "type")
			assert.False(t, byName[name].CreateOnly, name)

			res, err := f.c.Create(ctx, object, []connectors.Record{{Fields: map[string]any{name: "Durand", "type": "client"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			up, err := f.c.Update(ctx, object, []connectors.Record{{ID: res[0].ID, Fields: map[string]any{"type": "supplier"}}})
			require.NoError(t, err)
			require.NoError(t, up[0].Err)
			got, err := f.c.Get(ctx, object, []string{res[0].ID})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, "client", got[0].Fields["type"])
		})
	}
}
