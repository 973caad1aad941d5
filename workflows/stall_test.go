package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// A test process that the machine stalls for more than a second (a loaded CI host) must not
// fail a workflow test that has nothing wrong with it. The SDK's deadlock detection counts
// wall time: a workflow goroutine that has not yielded after 1 s fails the workflow
// ("Potential deadlock detected"), so TestAllowDeletesLastsUntilTheHeldReconciliationIsDone
// failed now and then on a shared two-core machine, and every time the test process was held
// with SIGSTOP for 1.5 s.
func TestWorkflowTestsSurviveAStalledMachine(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	env.ExecuteWorkflow(func(ctx workflow.Context) error {
		// What a stall looks like from the workflow goroutine: no yield for 1.5 s.
		time.Sleep(1500 * time.Millisecond) //workflowcheck:ignore
		return workflow.Sleep(ctx, time.Hour)
	})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
}
