package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/connectors"
)

// pushOnce runs PushOne once, with runOnce's short heartbeat timeout.
func pushOnce(ctx workflow.Context, in PushInput) (Counts, error) {
	var a *Activities
	return runOnce[PushInput, Counts](ctx, a.PushOne, in)
}

// A push waits for the object's lock while a pass writes a page with it (minutes on a slow
// API): it heartbeats meanwhile, so that it is not cut off as a lost worker and goes once the
// page is written.
func TestPushHeartbeatsWhileItWaitsForTheLock(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "attend.le.verrou@example.com", "lastname": "Verrou"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	sellsy := h.sb.Sellsy.Count("contacts")

	unlock, err := h.st.Lock(h.ctx, "t/contact") // a pass writing a page of contacts
	require.NoError(t, err)
	held := 2 * testHeartbeatTimeout
	go func() {
		time.Sleep(held)
		unlock()
	}()
	env := newWorkflowEnv()
	env.RegisterActivity(h.acts)
	env.RegisterWorkflow(pushOnce)
	start := time.Now()
	env.ExecuteWorkflow(pushOnce, PushInput{Connection: "t", Object: "contact", Side: "b", ID: res[0].ID})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError(), "not cut off while it waited")
	var c Counts
	require.NoError(t, env.GetWorkflowResult(&c))
	assert.Equal(t, 1, c.CreatedA, "%+v", c)
	assert.Equal(t, sellsy+1, h.sb.Sellsy.Count("contacts"))
	assert.Greater(t, time.Since(start), held, "it did wait for the lock")
}
