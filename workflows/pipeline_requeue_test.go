package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/activities"
)

// A record announced again while its batch runs moved again after the batch read it: it is
// read once more. The id was still in the queue while the batch ran, so the new announcement
// was taken for a repeat and dropped with the batch: a move back announced while the move
// before it was being written waited for the next scan, an hour later (seen end to end:
// TestPipelineSyncEndToEnd, "waiting for the move back").
func TestPipelineSyncReadsAgainWhatIsAnnouncedDuringItsBatch(t *testing.T) {
	tests := []struct {
		name  string
		again []string // announced while the first batch runs
		want  [][]string
	}{
		{"the same record", []string{"42"}, [][]string{{"42", "43"}, {"42"}}},
		{"another one", []string{"44"}, [][]string{{"42", "43"}, {"44"}}},
		{"both", []string{"43", "44"}, [][]string{{"42", "43"}, {"43", "44"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env *testsuite.TestWorkflowEnvironment
			env, batches := announcedBatchesEnv(func(n int, ids []string) (activities.StageResult, error) {
				if n == 1 {
					// Comes with the batch's result, in the same workflow task.
					env.SignalWorkflowSkippingWorkflowTask(SignalStageChanged, tt.again)
				}
				return activities.StageResult{Done: true, Checked: len(ids), Moved: 1}, nil
			})
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStageChanged, []string{"42", "43"}) }, 5*time.Minute)
			var p PipelineProgress
			env.RegisterDelayedCallback(func() { queryProgress(t, env, &p) }, 10*time.Minute)
			env.RegisterDelayedCallback(env.CancelWorkflow, 11*time.Minute) // before the next scan
			env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo"})
			assert.Equal(t, tt.want, *batches)
			assert.Equal(t, 2+len(tt.again), p.Announced)
		})
	}
}

// A batch refused for the connection's configuration (the connection pauses) goes back to
// the head of the queue, once each, ahead of what was announced meanwhile, and runs after the
// resume.
func TestPipelineSyncRunsARefusedBatchAfterTheResume(t *testing.T) {
	var env *testsuite.TestWorkflowEnvironment
	env, batches := announcedBatchesEnv(func(n int, ids []string) (activities.StageResult, error) {
		if n == 1 {
			env.SignalWorkflowSkippingWorkflowTask(SignalStageChanged, []string{"43", "44"})
			return activities.StageResult{}, temporal.NewNonRetryableApplicationError("altior: event type GAGNEE deleted", activities.ErrTypeConfiguration, nil)
		}
		return activities.StageResult{Done: true, Checked: len(ids)}, nil
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStageChanged, []string{"42", "43"}) }, 5*time.Minute)
	var paused, resumed PipelineProgress
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &paused) }, 10*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, 20*time.Minute)
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &resumed) }, 25*time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, 26*time.Minute)
	env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo"})
	assert.Equal(t, [][]string{{"42", "43"}, {"42", "43", "44"}}, *batches)
	assert.Equal(t, PhasePaused, paused.Phase)
	assert.Contains(t, paused.PauseReason, "GAGNEE deleted")
	assert.Equal(t, 0, paused.Announced, "nothing handled while paused")
	assert.Equal(t, 3, resumed.Announced)
}

// announcedBatchesEnv is a PipelineSync test environment whose scans find nothing and whose
// announced batches go to batch, in the order they run (batches lists them).
func announcedBatchesEnv(batch func(n int, ids []string) (activities.StageResult, error)) (env *testsuite.TestWorkflowEnvironment, batches *[][]string) {
	var s testsuite.WorkflowTestSuite
	env = newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(info, nil)
	batches = &[][]string{}
	env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StageInput) (activities.StageResult, error) {
		if len(in.IDs) == 0 {
			return activities.StageResult{Done: true}, nil
		}
		*batches = append(*batches, in.IDs)
		return batch(len(*batches), in.IDs)
	})
	return env, batches
}

// The progress query counts the announced records not handled yet: those a pause holds, and
// those of the batch under way.
func TestPipelineSyncCountsTheAnnouncedRecordsWaiting(t *testing.T) {
	var during PipelineProgress
	var env *testsuite.TestWorkflowEnvironment
	env, _ = announcedBatchesEnv(func(n int, ids []string) (activities.StageResult, error) {
		if n == 2 {
			queryProgress(t, env, &during)
		}
		return activities.StageResult{Done: true, Checked: len(ids)}, nil
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStageChanged, []string{"41"}) }, 2*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, "lunch") }, 5*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStageChanged, []string{"42", "43", "44"}) }, 6*time.Minute)
	var paused, resumed PipelineProgress
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &paused) }, 10*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, 20*time.Minute)
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &resumed) }, 25*time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, 26*time.Minute)
	env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo"})
	assert.Equal(t, PhasePaused, paused.Phase)
	assert.Equal(t, 1, paused.Announced)
	assert.Equal(t, 3, paused.Waiting, "held by the pause")
	assert.Equal(t, 3, during.Waiting, "the batch under way")
	assert.Equal(t, 4, resumed.Announced)
	assert.Zero(t, resumed.Waiting)
}
