package mautic

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// Setting a channel's do-not-contact on a contact already not to be contacted there keeps the
// entry Automation has: a bounce stays a bounce, the contact's own unsubscribe its own.
func TestDNCSetKeepsTheEntryThere(t *testing.T) {
	tests := []struct {
		name    string
		reason  string
		bounced bool
	}{
		{"a bounce", "2", true},
		{"the contact's unsubscribe", "1", false},
		{"a manual entry", "3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			ctx := context.Background()
			e.sim.SeedPeople(0, 1)
			addEmailDNC(t, e, tt.reason)
			res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{DNCPrefix + "email": true}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			assert.Zero(t, e.sim.Kit().Counts()["POST /api/contacts/{id}/dnc/{channel}/{action}"]-1, "no add: one call, the test's own")
			got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
			require.NoError(t, err)
			assert.Equal(t, tt.bounced, got[0].Fields[FieldBounced])
			assert.Equal(t, true, got[0].Fields[DNCPrefix+"email"])
		})
	}
}

// Automation never turns a contact's own unsubscribe (reason 1) into another reason: an add
// with reason 3 leaves it, and a later re-subscription from the other side cannot take it off.
func TestSimAddKeepsTheContactsUnsubscribe(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 1)
	addEmailDNC(t, e, "1")
	addEmailDNC(t, e, "3")
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{DNCPrefix + "email": false}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, true, got[0].Fields[DNCPrefix+"email"], "still unsubscribed by the contact")
}

// A create Automation merges into the contact with its e-mail (batch/new answers 200) is that
// contact's update: setting a channel's do-not-contact it already has keeps the entry there,
// a bounce a bounce; a contact created anew gets its entry.
func TestDNCSetOnMergedCreateKeepsTheEntryThere(t *testing.T) {
	tests := []struct {
		name    string
		reason  string
		bounced bool
	}{
		{"a bounce", "2", true},
		{"the contact's unsubscribe", "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			ctx := context.Background()
			e.sim.SeedPeople(0, 1)
			addEmailDNC(t, e, tt.reason)
			had, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
			require.NoError(t, err)
			require.Len(t, had, 1)
			res, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{
				{Fields: map[string]any{"email": had[0].Fields["email"], DNCPrefix + "email": true}},
				{Fields: map[string]any{"email": "new.one@example.org", "lastname": "New", DNCPrefix + "email": true}},
			})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			require.NoError(t, res[1].Err)
			require.Equal(t, "1", res[0].ID)
			require.False(t, res[0].Created)
			got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1", res[1].ID})
			require.NoError(t, err)
			require.Len(t, got, 2)
			assert.Equal(t, tt.bounced, got[0].Fields[FieldBounced], "the merged contact's entry is kept")
			assert.Equal(t, true, got[0].Fields[DNCPrefix+"email"])
			assert.Equal(t, true, got[1].Fields[DNCPrefix+"email"], "the new contact's entry is set")
		})
	}
}
