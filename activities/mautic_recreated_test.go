package activities

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/store"
)

// An Automation contact deleted and created again with the same e-mail (a marketer who
// deleted a contact by mistake and re-imported it, a form that re-created it) is the same
// person: the Sellsy contact is neither deleted nor doubled, and ends paired with the new
// contact, whether deletions propagate or not, and whether the deletion was announced (a
// webhook) or found by the reconciliation.
func TestAutomationContactDeletedAndCreatedAgain(t *testing.T) {
	tests := []struct {
		name, deletes string
		announced     bool
	}{
		{name: "deletes off, announced", deletes: "", announced: true},
		{name: "deletes off, found by the next pass", deletes: ""},
		{name: "deletes b_to_a, announced", deletes: "b_to_a", announced: true},
		{name: "deletes b_to_a, reconciled", deletes: "b_to_a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, "both", tt.deletes)
			h.cycle(ModeImport)
			sellsyID := h.person(h.sellsy, 15).ID
			old := h.deleteOn(h.mautic, 15)
			p := simkit.PersonAt(15)
			// Typed again by hand: other case, a stray space.
			res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{
				"email": " " + strings.ToUpper(p.Email), "firstname": p.FirstName, "lastname": p.LastName,
			}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			fresh := res[0].ID
			require.NotEqual(t, old, fresh)

			if tt.announced {
				h.propagate("b", old)
			} else if tt.deletes != "" {
				h.reconcile("b")
			}
			h.cycle(ModeIncremental)
			h.cycle(ModeIncremental)

			assert.Equal(t, 30, h.sb.Sellsy.Count("contacts"), "the Sellsy contact is neither deleted nor doubled")
			assert.Equal(t, 30, h.sb.Mautic.Count("contacts"), "no Automation contact doubled either")
			pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{sellsyID})
			require.NoError(t, err)
			require.Contains(t, pairs, sellsyID)
			assert.Equal(t, fresh, pairs[sellsyID].BID, "the Sellsy contact is paired with the contact created again")
		})
	}
}

func (h *harness) reconcile(side string) ReconcileResult {
	h.t.Helper()
	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.Reconcile, ReconcileInput{Connection: "t", Object: "contact", Side: side})
	require.NoError(h.t, err)
	var res ReconcileResult
	require.NoError(h.t, v.Get(&res))
	return res
}
