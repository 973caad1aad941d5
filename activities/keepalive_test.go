package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// testHeartbeatTimeout is the heartbeat timeout of runOnce: short, so that an activity that
// does not heartbeat through a slow call is cut off within the test, but not so short that a
// busy machine misses it. The SDK sends a heartbeat at most every 80% of the timeout and the
// test environment checks it every 500 ms of wall clock: at 1 s the margin was 200 ms.
const testHeartbeatTimeout = 3 * time.Second

// runOnce runs an activity once, with a short heartbeat timeout and no retry: an activity
// that does not heartbeat through a slow call is cut off.
func runOnce[I, R any](ctx workflow.Context, activity any, in I) (R, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute, HeartbeatTimeout: testHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var res R
	err := workflow.ExecuteActivity(ctx, activity, in).Get(ctx, &res)
	return res, err
}

// newWorkflowEnv is a test environment for runOnce's workflows that a loaded machine does not
// fail. The SDK fails a workflow whose goroutine has not yielded after 1 s of wall time
// ("Potential deadlock detected"), which is what a stalled test process looks like: at load
// 20 on two cores TestSlowPagesHeartbeat failed so about once in ten runs. And the activities
// run here take seconds by design, past the suite's 3 s idle default.
func newWorkflowEnv() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	env.SetTestTimeout(2 * time.Minute)
	return env
}

// A workflow goroutine held for 1.5 s, as a stalled machine holds it, does not fail the test.
func TestWorkflowEnvSurvivesAStalledMachine(t *testing.T) {
	env := newWorkflowEnv()
	env.ExecuteWorkflow(func(ctx workflow.Context) error {
		time.Sleep(1500 * time.Millisecond) // what a stall looks like from the workflow goroutine
		return nil
	})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
}

// passOnce runs one stretch of a pass once.
func passOnce(ctx workflow.Context, in PassInput) (PassResult, error) {
	var a *Activities
	return runOnce[PassInput, PassResult](ctx, a.SyncPass, in)
}

// A page that takes longer than the heartbeat timeout on a slow API (here every request takes
// 1.2 s) keeps its activity alive: it is not mistaken for a lost worker and cut off.
func TestSlowPagesHeartbeat(t *testing.T) {
	h := newHarness(t, "both")
	h.sb.Sellsy.Kit().SetFaults(simkit.Faults{LatencyMS: 1200})
	h.sb.Mautic.Kit().SetFaults(simkit.Faults{LatencyMS: 1200})
	env := newWorkflowEnv() // the page takes seconds by design (1.2 s a call)
	env.RegisterActivity(h.acts)
	env.RegisterWorkflow(passOnce)
	start := time.Now()
	env.ExecuteWorkflow(passOnce, PassInput{Connection: "t", Object: "company", Side: "a", Mode: ModeImport, PageSize: 7, Stretch: 3 * time.Second})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res PassResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Positive(t, res.Counts.Read)
	assert.Greater(t, time.Since(start), testHeartbeatTimeout*3/2, "the page did outlast the heartbeat timeout")
}
