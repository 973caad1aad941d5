package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
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
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	// The page takes seconds by design (1.2 s a call): the suite's 3 s default would cut
	// it off, which is not what this test is about.
	env.SetTestTimeout(2 * time.Minute)
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
