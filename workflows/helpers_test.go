package workflows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/activities"
)

// stallTolerance is how long a workflow goroutine may go without yielding, in wall time,
// before a test's environment calls it a deadlock, and how long the environment waits, idle,
// for an activity. The SDK's 1 s and 3 s fail sound tests when a loaded machine stalls the
// test process; a workflow that really blocks is still caught, later.
const stallTolerance = 30 * time.Second

// newTestEnv is s.NewTestWorkflowEnvironment made to tolerate a stalled machine (see
// stallTolerance). Every workflow test starts its environment here.
func newTestEnv(s *testsuite.WorkflowTestSuite) *testsuite.TestWorkflowEnvironment {
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: stallTolerance})
	env.SetTestTimeout(2 * stallTolerance)
	return env
}

func converterFromEnv() converter.DataConverter { return converter.GetDefaultDataConverter() }

// queryProgress reads a running workflow's progress query into into.
func queryProgress(t *testing.T, env *testsuite.TestWorkflowEnvironment, into any) {
	t.Helper()
	v, err := env.QueryWorkflow(QueryProgress)
	require.NoError(t, err)
	require.NoError(t, v.Get(into))
}

// propagateAll stands in for PropagateDeletes: every id reported is deleted on the other side.
func propagateAll(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
	return activities.DeleteResult{Propagated: len(in.IDs)}, nil
}

// overflowDeletions announces three deletions of two contacts each at the given time: six ids,
// past a queue bounded at four (Tuning.MaxQueuedIDs).
func overflowDeletions(env *testsuite.TestWorkflowEnvironment, at time.Duration) {
	env.RegisterDelayedCallback(func() {
		for i := range 3 {
			env.SignalWorkflow(SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: []string{fmt.Sprint(i, "a"), fmt.Sprint(i, "b")}})
		}
	}, at)
}

// recordResets answers ResetCursors and returns where its inputs are kept.
func recordResets(env *testsuite.TestWorkflowEnvironment) *[]activities.ResetInput {
	var a *activities.Activities
	var resets []activities.ResetInput
	env.OnActivity(a.ResetCursors, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ResetInput) error {
		resets = append(resets, in)
		return nil
	})
	return &resets
}
