package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// An Automation contact known by its name only (no e-mail, the match key) is never created
// in Sellsy — it could not be found by its key again, and every cycle would create it once
// more — but quarantined with the reason, and the rest of the sync goes on; once it has an
// e-mail it is created once.
func TestAutomationContactWithoutEmail(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"firstname": "Zoé", "lastname": "Sans-Courriel"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	id := res[0].ID
	before := h.sb.Sellsy.Count("contacts")
	for range 2 {
		h.cycle(ModeIncremental)
	}
	assert.Equal(t, before, h.sb.Sellsy.Count("contacts"), "no Sellsy contact without an e-mail")
	q, err := h.st.ListQuarantine(context.Background(), "t", 0)
	require.NoError(t, err)
	var reason string
	for _, e := range q {
		if e.RecordID == id {
			reason = e.Reason
		}
	}
	assert.Contains(t, reason, "email", "quarantined, saying what it lacks")

	upd, err := h.mautic.Update(h.ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: map[string]any{"email": "zoe.sans-courriel@example.org"}}})
	require.NoError(t, err)
	require.NoError(t, upd[0].Err)
	for range 2 {
		h.cycle(ModeIncremental)
	}
	assert.Equal(t, before+1, h.sb.Sellsy.Count("contacts"), "created once it has an e-mail")
}
