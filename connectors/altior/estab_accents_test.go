package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// The guide asks for the establishment by its name, which users copy from Altior's screens
// or from the guide's PDF: an accent copied as a letter and a combining mark ("Sie\u0300ge")
// names the same establishment as the one typed on a keyboard ("Siège"), as pipeline and step
// names do. Before, the check answered `"Siège Lyon" is not an Altior establishment
// (establishments: E1 (Siège Lyon), …)`, the two names printing alike.
func TestEstablishmentNameWithDecomposedAccents(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	decomposed := "Sie\u0300ge Lyon"
	tests := []struct {
		name, value string
	}{
		{"decomposed accent", decomposed},
		{"decomposed accent, other case and spaces", "  sie\u0300ge   LYON "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, e.client.CheckEstablishment(ctx, "establishment", tt.value))
			c := e.refClient(t, tt.value)
			res, err := c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"kind": "moral", "name": "Atelier"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			got, err := c.Get(ctx, connectors.ObjectCompany, []string{res[0].ID})
			require.NoError(t, err)
			assert.Equal(t, "E1", got[0].Fields["establishment_id"])
		})
	}
}
