package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
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
	// Stop while a stretch is running on the worker: one that has committed a page. (Stopped
	// just as the workflow schedules the next stretch, the SDK's poll is cancelled as the
	// server hands it the task, and that stretch waits out its heartbeat timeout: a limit of
	// servers before ShutdownWorker, not something the stretch can act on.)
	running := func() []*workflowpb.PendingActivityInfo {
		d, err := r.tc.DescribeWorkflowExecution(ctx, workflows.ImportWorkflowID(connection), "")
		require.NoError(t, err)
		var started []*workflowpb.PendingActivityInfo
		for _, a := range d.PendingActivities {
			if a.State == enums.PENDING_ACTIVITY_STATE_STARTED {
				started = append(started, a)
			}
		}
		return started
	}
	var stretch string
	testenv.Eventually(t, 3*time.Minute, 20*time.Millisecond, "a stretch to commit a page", func() bool {
		for _, a := range running() {
			if a.ActivityType.GetName() == "SyncPass" && a.LastHeartbeatTime != nil && !a.LastHeartbeatTime.AsTime().Before(a.LastStartedTime.AsTime()) {
				stretch = a.ActivityId
				return true
			}
		}
		return false
	})
	took := w.Stop(t)
	t.Logf("worker stopped in %s; its last lines:\n%s", took, tail(w.Output(), 3))
	assert.Less(t, took, 10*time.Second, "the stretch ended at the page in hand, not at its minute")
	// No stretch is left running on the stopped worker, for the server to notice only when
	// its heartbeat times out: the stretch returned its place, and the next one waits for a
	// worker.
	// (The stretch's answer may still be on its way to a busy server: a few seconds, far
	// below the heartbeat timeout of 30.)
	left := running()
	for deadline := time.Now().Add(5 * time.Second); len(left) > 0 && time.Now().Before(deadline); left = running() {
		time.Sleep(200 * time.Millisecond)
	}
	var names []string
	for _, a := range left {
		names = append(names, fmt.Sprintf("%s (activity %s, attempt %d; the stopped stretch was %s)", a.ActivityType.GetName(), a.ActivityId, a.Attempt, stretch))
	}
	assert.Empty(t, names, "left running on the stopped worker")

	testenv.StartWorker(t, r.env)
	var p workflows.Progress
	require.NoError(t, run.Get(ctx, &p))
	assert.Equal(t, workflows.PhaseDone, p.Phase)
	r.everyoneOnceWithCompany(r.mautic, "mautic")
}
