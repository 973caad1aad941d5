package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// A name two establishments share (case and spaces aside) names neither: the check says so,
// naming both ids, and a create is not sent into the first of them, as pipeline and step names
// two share are refused. Before, records went to whichever Altior listed first.
func TestEstablishmentNameTwoShareIsRefused(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SetEstablishments([]sim.Establishment{{ID: "E1", Name: "Agence"}, {ID: "E2", Name: "Agence Nantes"}, {ID: "E3", Name: "agence "}})
	ctx := context.Background()

	err := e.client.CheckEstablishment(ctx, "settings.establishment", "Agence")
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), `"Agence" names several Altior establishments: E1 (Agence), E3 (agence ): write the id of the one meant`)
	require.NoError(t, e.client.CheckEstablishment(ctx, "settings.establishment", "E3"), "the id names one")
	require.NoError(t, e.client.CheckEstablishment(ctx, "settings.establishment", "Agence Nantes"))

	c := e.refClient(t, "Agence")
	before := e.sim.Count(sim.ObjectTiers)
	_, err = c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"kind": "moral", "name": "Atelier"}}})
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "names several Altior establishments")
	assert.Equal(t, before, e.sim.Count(sim.ObjectTiers), "nothing created in either")
}
