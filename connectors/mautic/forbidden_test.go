package mautic

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// A contact the API user may not edit (its role edits only the contacts it owns) fails alone,
// as a record's error the sync quarantines; the other records of the call are written.
func TestContactTheAPIUserMayNotEditFailsAlone(t *testing.T) {
	tests := []struct {
		name   string
		record connectors.Record
	}{
		{"fields", connectors.Record{ID: "2", Fields: map[string]any{"position": "CEO"}}},
		{"consent", connectors.Record{ID: "2", Fields: map[string]any{DNCPrefix + "email": true}}},
		{"company link", connectors.Record{ID: "2", Fields: map[string]any{}, Links: map[string]string{connectors.ObjectCompany: "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			e.sim.SeedPeople(0, 10)
			e.sim.LockContacts(2)
			res, err := e.client.Update(context.Background(), connectors.ObjectContact, []connectors.Record{
				{ID: "1", Fields: map[string]any{"position": "CTO"}}, tt.record, {ID: "3", Fields: map[string]any{"position": "CFO"}},
			})
			require.NoError(t, err, "not the whole call's failure")
			require.NoError(t, res[0].Err)
			require.NoError(t, res[2].Err)
			ce := kindOf(t, res[1].Err)
			assert.Equal(t, connectors.KindInvalid, ce.Kind)
			assert.Contains(t, ce.Message, "may not edit this record")
			got, err := e.client.Get(context.Background(), connectors.ObjectContact, []string{"1", "3"})
			require.NoError(t, err)
			assert.Equal(t, "CTO", got[0].Fields["position"])
			assert.Equal(t, "CFO", got[1].Fields["position"])
		})
	}
}

// The do-not-contact and company-link calls, about one contact each, name a refusal as that
// contact's too.
func TestPerContactCallRefusedIsTheContacts(t *testing.T) {
	forbidden := &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "POST", Status: 403, Message: "You do not have access to the requested area/action."}
	for name, err := range map[string]error{
		"consent":      dncError(forbidden, "2", "email", "add"),
		"company link": linkError(forbidden, "2", "5"),
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
			assert.Contains(t, err.Error(), "may not edit this record")
			assert.Contains(t, err.Error(), "contact 2")
		})
	}
}

// A create Automation merges into a contact with its e-mail that the API user may not edit
// fails alone, as that record's; a 403 on every item of a create is the role's (it may not
// create), which pauses the connection.
func TestCreateMergedIntoAContactTheAPIUserMayNotEdit(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 3)
	e.sim.LockContacts(1, 2)
	got, err := e.client.Get(context.Background(), connectors.ObjectContact, []string{"1", "2"})
	require.NoError(t, err)
	require.Len(t, got, 2)

	res, err := e.client.Create(context.Background(), connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": got[0].Fields["email"], "position": "CEO"}},
		{Fields: map[string]any{"email": "new.person@example.com"}},
	})
	require.NoError(t, err)
	ce := kindOf(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Contains(t, ce.Message, "may not edit this record")
	require.NoError(t, res[1].Err)
	assert.True(t, res[1].Created)

	res, err = e.client.Create(context.Background(), connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": got[0].Fields["email"]}}, {Fields: map[string]any{"email": got[1].Fields["email"]}},
	})
	require.NoError(t, err)
	for _, r := range res {
		assert.Equal(t, connectors.KindConfig, connectors.KindOf(r.Err), "every item refused: the role's")
	}
}
