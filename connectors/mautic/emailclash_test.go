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
