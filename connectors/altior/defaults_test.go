package altior

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// Records are created as the reference user the connection names, in its establishment,
// unless they name their own; an unknown reference user is a configuration error.
func TestCreateDefaults(t *testing.T) {
	e := setup(t, sim.Options{})
	tests := []struct {
		name          string
		email, estab  string
		fields        map[string]any
		owner, wantEs string
		kind          connectors.Kind
	}{
		{name: "reference user and establishment", email: "REF@example.com", estab: "E2", owner: "U1", wantEs: "E2"},
		{name: "the record's own establishment wins", email: sim.RefUserEmail, estab: "E2", fields: map[string]any{"establishment_id": "E1"}, owner: "U1", wantEs: "E1"},
		{name: "unknown reference user", email: "nobody@example.com", estab: "E1", kind: connectors.KindConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{BaseURL: e.srv.URL, APIKey: apiKey, RequestsPerSecond: 1000, ReferenceUserEmail: tt.email, Establishment: tt.estab})
			require.NoError(t, err)
			c.now = e.clock.Now
			fields := map[string]any{"kind": "moral", "relation": "prospect", "name": "Atelier " + tt.name}
			for k, v := range tt.fields {
				fields[k] = v
			}
			res, err := c.Create(context.Background(), connectors.ObjectCompany, []connectors.Record{{Fields: fields}})
			if tt.kind != "" {
				require.Error(t, err)
				assert.Equal(t, tt.kind, connectors.KindOf(err))
				assert.NotContains(t, err.Error(), "nobody@example.com")
				return
			}
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			got, err := c.Get(context.Background(), connectors.ObjectCompany, []string{res[0].ID})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.owner, got[0].Fields["owner_user_id"])
			assert.Equal(t, tt.wantEs, got[0].Fields["establishment_id"])
		})
	}
}

// A contact's identity is its main e-mail: read as "email", found by it, and written to the
// PRINCIPAL address.
func TestContactEmailIdentity(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedTiers(0, 2)
	ctx := context.Background()
	recs, err := e.client.FindByKey(ctx, connectors.ObjectContact, "email", []string{"person000001@example.com"})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "person000001@example.com", recs[0].Fields["email"])

	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: recs[0].ID, Fields: map[string]any{"email": "new@example.com"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{recs[0].ID})
	require.NoError(t, err)
	assert.Equal(t, "new@example.com", got[0].Fields["email.PRINCIPAL"])
	assert.Equal(t, "new@example.com", got[0].Fields["email"])
}

func TestCheckSettings(t *testing.T) {
	e := setup(t, sim.Options{})
	tests := []struct {
		name, email, estab string
		want               []string
	}{
		{name: "valid", email: sim.RefUserEmail, estab: "E2"},
		{name: "unknown user and establishment", email: "nobody@example.com", estab: "E9",
			want: []string{"settings.reference_user_email: configuration: no Altior user has this e-mail", `"E9" is not an Altior establishment (establishments: E1, E2)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{BaseURL: e.srv.URL, APIKey: apiKey, RequestsPerSecond: 1000, ReferenceUserEmail: tt.email, Establishment: tt.estab})
			require.NoError(t, err)
			err = c.CheckSettings(context.Background())
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "nobody@example.com")
		})
	}
}

func TestFindAffaireByTitle(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedTiers(0, 1)
	ctx := context.Background()
	tiers, err := e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	res, err := e.client.Create(ctx, ObjectAffaire, []connectors.Record{
		{Fields: map[string]any{"title": "Projet Alpha"}, Links: map[string]string{"company": tiers.Records[0].ID}},
		{Fields: map[string]any{"title": "Projet Beta"}, Links: map[string]string{"company": tiers.Records[0].ID}},
	})
	require.NoError(t, err)
	found, err := e.client.FindByKey(ctx, ObjectAffaire, "title", []string{"projet alpha"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, res[0].ID, found[0].ID)
}
