package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/workflows"
)

// A worker stopped in the middle of an import (SIGTERM: a deploy, a scale-down) ends its
// stretch at the page in hand and returns its place: it exits in a moment, leaves no stretch
// running for a heartbeat timeout to find, and the next worker goes on from there with every
// person once.
func TestStoppedWorkerHandsItsStretchOn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r := newSellsyMauticRun(t, ctx, testenv.DevServer(t), "CRMSYNC_STOP_TIMEOUT=20s")

	w := testenv.StartWorker(t, r.env)
	// Stretches of a minute: the one running when the worker stops has most of it ahead.
	run, err := r.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ImportWorkflowID(connection), TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: connection, Tuning: workflows.Tuning{Stretch: time.Minute, HeartbeatTimeout: 30 * time.Second}})
	require.NoError(t, err)
	r.importReadContacts(500)
	took := w.Stop(t)
	t.Logf("worker stopped in %s; its last lines:\n%s", took, tail(w.Output(), 3))
	assert.Less(t, took, 10*time.Second, "the stretch ended at the page in hand, not at its minute")
	// No stretch is left running on the stopped worker, for the server to notice only when
	// its heartbeat times out: the stretch returned its place, and the next one waits for a
	// worker.
	// (The stretch's answer may still be on its way to a busy server: a few seconds, far
	// below the heartbeat timeout of 30.)
	running := func() []string {
		d, err := r.tc.DescribeWorkflowExecution(ctx, workflows.ImportWorkflowID(connection), "")
		require.NoError(t, err)
		var names []string
		for _, a := range d.PendingActivities {
			if a.State == enums.PENDING_ACTIVITY_STATE_STARTED {
				names = append(names, a.ActivityType.GetName())
			}
		}
		return names
	}
	left := running()
	for deadline := time.Now().Add(5 * time.Second); len(left) > 0 && time.Now().Before(deadline); left = running() {
		time.Sleep(200 * time.Millisecond)
	}
	assert.Empty(t, left, "left running on the stopped worker")

	testenv.StartWorker(t, r.env)
	var p workflows.Progress
	require.NoError(t, run.Get(ctx, &p))
	assert.Equal(t, workflows.PhaseDone, p.Phase)
	r.everyoneOnceWithCompany(r.mautic, "mautic")
}
