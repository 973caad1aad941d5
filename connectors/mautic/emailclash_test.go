package mautic

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// An update giving a contact the e-mail another contact holds is not sent (Automation would
// merge the two and delete one): it fails alone, naming the other; the rest is written.
func TestUpdateToAnotherContactsEmailFailsAlone(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	made, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": "a@example.com"}}, {Fields: map[string]any{"email": "b@example.com"}},
		{Fields: map[string]any{"email": "c@example.com", "position": "A"}},
	})
	require.NoError(t, err)
	a, b, c := made[0].ID, made[1].ID, made[2].ID
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{
		{ID: a, Fields: map[string]any{"email": "B@example.com "}},
		{ID: c, Fields: map[string]any{"position": "CEO", "email": "c@example.com"}},
	})
	require.NoError(t, err)
	ce := kindOf(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Contains(t, ce.Message, "its new e-mail is contact "+b+"'s")
	require.NoError(t, res[1].Err, "its own e-mail: no clash")
	assert.Equal(t, c, res[1].ID)

	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{a, c})
	require.NoError(t, err)
	assert.Equal(t, "a@example.com", got[0].Fields["email"], "not sent")
	assert.Equal(t, "CEO", got[1].Fields["position"])
}

// Two updates of one call giving two contacts the same new e-mail, which no contact holds yet:
// Automation writes the first, then merges the second into it (deleting one); the second is
// not sent and fails naming the first; an update keeping the e-mail its contact already holds
// is no clash, nor are two records of one contact.
func TestUpdatesGivingOneNewEmailToTwoContacts(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	made, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": "a@example.com"}}, {Fields: map[string]any{"email": "b@example.com"}},
		{Fields: map[string]any{"email": "c@example.com"}}, {Fields: map[string]any{"email": "d@example.com"}},
	})
	require.NoError(t, err)
	a, b, c, d := made[0].ID, made[1].ID, made[2].ID, made[3].ID
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{
		{ID: a, Fields: map[string]any{"email": "shared@example.com"}},
		{ID: b, Fields: map[string]any{"email": " Shared@example.com"}},
		{ID: c, Fields: map[string]any{"email": "c@example.com", "position": "CEO"}},
		{ID: d, Fields: map[string]any{"email": "c@example.com"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err, "the first one is written")
	be := kindOf(t, res[1].Err)
	assert.Equal(t, connectors.KindInvalid, be.Kind)
	assert.Contains(t, be.Message, "contact "+b+": its new e-mail is also contact "+a+"'s")
	assert.Equal(t, map[string]string{"email": "also given to contact " + a}, be.Fields)
	require.NoError(t, res[2].Err, "its own e-mail: no clash")
	assert.Contains(t, kindOf(t, res[3].Err).Message, "its new e-mail is contact "+c+"'s", "the holder's own clash comes first")

	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{a, b})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "shared@example.com", got[0].Fields["email"])
	assert.Equal(t, "b@example.com", got[1].Fields["email"], "not sent")
}
