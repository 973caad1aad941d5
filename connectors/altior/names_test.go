package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
	"github.com/crmsync/crmsync/engine"
)

// The guide names the establishment by its name: records are created in, and affaires moved
// to, the establishment a setting or a pipeline names by its name as well as by its id.
func TestEstablishmentByItsName(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	c := e.refClient(t, "Siège Lyon")
	res, err := c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"kind": "moral", "name": "Atelier"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	tiers := res[0].ID
	got, err := c.Get(ctx, connectors.ObjectCompany, []string{tiers})
	require.NoError(t, err)
	assert.Equal(t, "E1", got[0].Fields["establishment_id"])

	res, err = c.Create(ctx, ObjectAffaire, []connectors.Record{{Fields: map[string]any{"title": "Projet", "establishment_id": "agence nantes"},
		Links: map[string]string{connectors.ObjectCompany: tiers}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	affaire := res[0].ID
	got, err = c.Get(ctx, ObjectAffaire, []string{affaire})
	require.NoError(t, err)
	assert.Equal(t, "E2", got[0].Fields["establishment_id"])

	up, err := c.Update(ctx, ObjectAffaire, []connectors.Record{{ID: affaire, Fields: map[string]any{"establishment_id": "Siège Lyon"}}})
	require.NoError(t, err)
	require.NoError(t, up[0].Err)
	got, err = c.Get(ctx, ObjectAffaire, []string{affaire})
	require.NoError(t, err)
	assert.Equal(t, "E1", got[0].Fields["establishment_id"])

	require.NoError(t, c.CheckEstablishment(ctx, "establishment", "Agence Nantes"))
	require.NoError(t, c.CheckEstablishment(ctx, "establishment", "E2"), "ids still work")
	err = c.CheckEstablishment(ctx, "establishment", "Agence Paris")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"Agence Paris" is not an Altior establishment (establishments: E1 (Siège Lyon), E2 (Agence Nantes))`)
}

// A civility or a legal form may be named by its abbreviation ("M.", "Mme") as well as by its
// code or its label: Describe gives it as an option, so a value map that names it writes the
// code, and validate finds it in the value list.
func TestCivilityByItsAbbreviation(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	fields, err := e.client.Describe(ctx, connectors.ObjectContact)
	require.NoError(t, err)
	var civility connectors.Field
	for _, f := range fields {
		if f.Name == "civility" {
			civility = f
		}
	}
	assert.Equal(t, []connectors.Option{{Value: "MME", Label: "Madame"}, {Value: "M", Label: "Monsieur"}, {Value: "MME", Label: "Mme"}, {Value: "M", Label: "M."}}, civility.Options)

	sellsy := engine.FieldSpec{System: "sellsy", Name: "civility", Type: "select", Options: []connectors.Option{{Value: "mr"}, {Value: "mrs"}, {Value: "ms"}}}
	codec := engine.NewCodec(sellsy, engine.SpecOf("altior", civility), map[string]string{"mr": "M.", "mrs": "Mme", "ms": "MME"})
	for in, want := range map[string]string{"mr": "M", "mrs": "MME", "ms": "MME"} {
		got, err := codec.AToB(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}

	// Legal forms whose abbreviation is their code get no second option.
	fields, err = e.client.Describe(ctx, connectors.ObjectCompany)
	require.NoError(t, err)
	for _, f := range fields {
		if f.Name == "legal_form" {
			assert.Len(t, f.Options, 7)
		}
	}
}
