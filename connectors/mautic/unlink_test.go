package mautic

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// A contact whose company field is empty reads Links["company"] = "", known none; one whose
// company name matches no company reads no key at all (unknown): it is never taken as none.
func TestContactCompanyKnownNoneOrUnknown(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 5) // contacts 1..5, company 1
	res, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": "alone@example.com"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	alone := res[0].ID
	res, err = e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{
		{ID: "2", Links: map[string]string{connectors.ObjectCompany: ""}},
		{ID: "3", Fields: map[string]any{"company": "Société Inconnue"}},
	})
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}

	tests := []struct {
		name    string
		id      string
		want    string
		present bool
	}{
		{"linked", "1", "1", true},
		{"unlinked", "2", "", true},
		{"created without a company", alone, "", true},
		{"a company name that matches none", "3", "", false},
	}
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1", "2", "3", alone})
	require.NoError(t, err)
	byID := map[string]connectors.Record{}
	for _, r := range got {
		byID[r.ID] = r
	}
	page, err := e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 100})
	require.NoError(t, err)
	listed := map[string]connectors.Record{}
	for _, r := range page.Records {
		listed[r.ID] = r
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for how, r := range map[string]connectors.Record{"get": byID[tt.id], "list": listed[tt.id]} {
				require.Equal(t, tt.id, r.ID, how)
				co, has := r.Links[connectors.ObjectCompany]
				assert.Equal(t, tt.present, has, how)
				assert.Equal(t, tt.want, co, how)
			}
		})
	}
}

// A create sends no empty company list: Automation may merge it into a contact with its
// e-mail, whose company [] would unlink. An update with "" does unlink.
func TestCreateSendsNoEmptyCompanies(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 1)
	res, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": "person000000@example.com"}, Links: map[string]string{connectors.ObjectCompany: ""}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{res[0].ID})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "1", got[0].Links[connectors.ObjectCompany], "merged into the seeded contact, its company kept")
}

// Automation can take a contact out of its company; nothing else is unlinked.
func TestCanUnlinkContactCompany(t *testing.T) {
	var u connectors.Unlinker = &Client{}
	assert.True(t, u.CanUnlink(connectors.ObjectContact, connectors.ObjectCompany))
	assert.False(t, u.CanUnlink(connectors.ObjectCompany, connectors.ObjectContact))
}
