package mautic

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// A contact's link reads its primary company: by name when one company has it, by the
// contact's companies when several share it (two establishments kept apart); and a name many
// companies share does not crowd the other names of the page out of the lookup.
func TestContactLinkReadsItsOwnCompany(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	var comps []connectors.Record
	for range 30 {
		comps = append(comps, connectors.Record{Fields: map[string]any{"companyname": "Alpha"}})
	}
	comps = append(comps, connectors.Record{Fields: map[string]any{"companyname": "Zeta"}})
	made, err := e.client.Create(ctx, connectors.ObjectCompany, comps)
	require.NoError(t, err)
	alpha7, zeta := made[7].ID, made[30].ID

	people, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": "a@example.com"}, Links: map[string]string{connectors.ObjectCompany: alpha7}},
		{Fields: map[string]any{"email": "z@example.com"}, Links: map[string]string{connectors.ObjectCompany: zeta}},
	})
	require.NoError(t, err)

	page, err := e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{})
	require.NoError(t, err)
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{people[0].ID, people[1].ID})
	require.NoError(t, err)
	for how, recs := range map[string][]connectors.Record{"list": page.Records, "get": got} {
		byID := map[string]connectors.Record{}
		for _, r := range recs {
			byID[r.ID] = r
		}
		assert.Equal(t, alpha7, byID[people[0].ID].Links[connectors.ObjectCompany], "%s: the Alpha it is in, not the oldest", how)
		assert.Equal(t, zeta, byID[people[1].ID].Links[connectors.ObjectCompany], "%s: found beside 30 Alphas", how)
	}
}
