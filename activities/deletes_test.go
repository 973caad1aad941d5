package activities

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/store"
)

func (h *harness) deleteOn(c connectors.Connector, i int) string {
	h.t.Helper()
	id := h.person(c, i).ID
	res, err := c.Delete(h.ctx, connectors.ObjectContact, []string{id})
	require.NoError(h.t, err)
	require.NoError(h.t, res[0].Err)
	return id
}

func (h *harness) propagate(side string, ids ...string) DeleteResult {
	h.t.Helper()
	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.PropagateDeletes, DeleteInput{Connection: "t", Object: "contact", Side: side, IDs: ids})
	require.NoError(h.t, err)
	var res DeleteResult
	require.NoError(h.t, v.Get(&res))
	return res
}

func TestPropagateDeletes(t *testing.T) {
	tests := []struct {
		name    string
		deletes string
		want    DeleteResult
		sellsy  int // Sellsy contacts left of the 30 synced
	}{
		{name: "off by default: the Sellsy contact stays", deletes: "", want: DeleteResult{Kept: 1}, sellsy: 30},
		{name: "Automation → Sellsy deletes it", deletes: "b_to_a", want: DeleteResult{Propagated: 1}, sellsy: 29},
		{name: "Sellsy → Automation only: kept", deletes: "a_to_b", want: DeleteResult{Kept: 1}, sellsy: 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, "both", tt.deletes)
			h.cycle(ModeImport)
			sellsyID := h.person(h.sellsy, 15).ID
			id := h.deleteOn(h.mautic, 15)
			assert.Equal(t, tt.want, h.propagate("b", id))
			assert.Equal(t, tt.sellsy, h.sb.Sellsy.Count("contacts"))
			pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{sellsyID})
			require.NoError(t, err)
			assert.Equal(t, tt.want.Kept, len(pairs), "a kept counterpart keeps its pair, so it is not created again on Automation")
		})
	}
}

func TestPropagateDeletesTrustsNoReport(t *testing.T) {
	h := newHarnessWith(t, "both", "b_to_a")
	h.cycle(ModeImport)
	alive := h.person(h.mautic, 16).ID
	res := h.propagate("b", alive, "999999")
	assert.Equal(t, DeleteResult{NotDeleted: 1, Unknown: 1}, res, "a forged or stale report deletes nothing")
	assert.Equal(t, 30, h.sb.Sellsy.Count("contacts"))
}

func TestReconcileFindsDeletionsNoWebhookAnnounced(t *testing.T) {
	h := newHarnessWith(t, "both", "b_to_a")
	h.cycle(ModeImport)
	h.deleteOn(h.mautic, 3)
	h.deleteOn(h.mautic, 25)

	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.Reconcile, ReconcileInput{Connection: "t", Object: "contact", Side: "b"})
	require.NoError(t, err)
	var res ReconcileResult
	require.NoError(t, v.Get(&res))
	assert.True(t, res.Done)
	assert.Equal(t, 30, res.Checked)
	assert.Equal(t, DeleteResult{Propagated: 2}, res.Deletes)
	assert.Equal(t, 28, h.sb.Sellsy.Count("contacts"))
	n, err := h.st.CountPairs(h.ctx, "t", "contact")
	require.NoError(t, err)
	assert.Equal(t, 28, n)
}

func TestPushOneSendsAContactAndItsCompany(t *testing.T) {
	h := newHarness(t, "both")
	// Nothing synced yet: person 25 exists only on Automation, with company 5.
	id := h.person(h.mautic, 25).ID
	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	v, err := ae.ExecuteActivity(h.acts.PushOne, PushInput{Connection: "t", Object: "contact", Side: "b", ID: id})
	require.NoError(t, err)
	var c Counts
	require.NoError(t, v.Get(&c))
	assert.Equal(t, 2, c.CreatedA, "the company, then the contact")
	p := h.person(h.sellsy, 25)
	companies, err := h.sellsy.Get(h.ctx, connectors.ObjectCompany, []string{p.Links["company"]})
	require.NoError(t, err)
	require.Len(t, companies, 1)
	assert.Equal(t, 21, h.sb.Sellsy.Count("contacts"), "only this contact was sent")

	_, err = ae.ExecuteActivity(h.acts.PushOne, PushInput{Connection: "t", Object: "contact", Side: "b", ID: "424242"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mautic has no contact with id 424242")
}

// Two writers meeting on one new record — a push and a pass, two pushes — create it once:
// the second waits for the first to save the pair, then finds it paired.
func TestConcurrentPushesCreateOnce(t *testing.T) {
	h := newHarness(t, "both")
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "twice@example.com", "lastname": "Deux-Fois"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	before := h.sb.Sellsy.Count("contacts")
	h.sb.Sellsy.Kit().SetFaults(simkit.Faults{LatencyMS: 40}) // every lookup and write takes a while: the two overlap
	var env testsuite.WorkflowTestSuite
	var wg sync.WaitGroup
	counts := make([]Counts, 4)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			v, err := ae.ExecuteActivity(h.acts.PushOne, PushInput{Connection: "t", Object: "contact", Side: "b", ID: res[0].ID})
			if assert.NoError(t, err) {
				assert.NoError(t, v.Get(&counts[i]))
			}
		}()
	}
	wg.Wait()
	var total Counts
	for _, c := range counts {
		total.Add(c)
	}
	assert.Equal(t, before+1, h.sb.Sellsy.Count("contacts"), "created once")
	assert.Equal(t, 1, total.CreatedA, "%+v", total)
}
