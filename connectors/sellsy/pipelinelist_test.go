package sellsy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// ListPipelines gives each pipeline's id and name in rank order: a connection may then name a
// pipeline as Sellsy shows it.
func TestListPipelines(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	var staged connectors.Staged = f.c
	lister, ok := staged.(connectors.PipelineLister)
	require.True(t, ok, "the Sellsy client lists its pipelines")
	got, err := lister.ListPipelines(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []connectors.PipelineInfo{{ID: "1", Name: "Ventes"}, {ID: "3", Name: "Grands comptes"}, {ID: "2", Name: "Partenariats"}}, got)
}
