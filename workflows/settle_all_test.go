package workflows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/activities"
)

// A pause that comes with the answer of an activity other than a pass (the describe before a
// cycle, a cursor reset, a statistics read) holds the next write too: the SDK runs the
// workflow's own coroutine before the listener's, so without settling after them one more
// stretch, or one more batch of stage changes, went out after the pause.
func TestAPauseWithAnyActivityHoldsTheNextWrite(t *testing.T) {
	tests := []struct {
		name     string
		activity string // the activity whose answer the pause comes with
		workflow string // "import" or the sync
	}{
		{name: "describe", activity: "describe"},
		{name: "cursor reset", activity: "reset"},
		{name: "statistics", activity: "stats", workflow: "import"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePasses{stretches: 1}
			var s testsuite.WorkflowTestSuite
			env := newTestEnv(&s)
			var a *activities.Activities
			env.RegisterActivity(a)
			pauseAt := func(what string, n, at int) {
				if what == tt.activity && n == at {
					env.SignalWorkflowSkippingWorkflowTask(SignalPause, "stop writing")
				}
			}
			describes, stats := 0, 0
			env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(func(context.Context, string) (activities.ConnectionInfo, error) {
				describes++
				pauseAt("describe", describes, 2) // the read after the first wait
				return info, nil
			})
			env.OnActivity(a.Stats, mock.Anything, "demo").Return(func(context.Context, string) (activities.StoreStats, error) {
				stats++
				pauseAt("stats", stats, 1) // the end of the first cycle
				return activities.StoreStats{}, nil
			})
			env.OnActivity(a.ResetCursors, mock.Anything, mock.Anything).Return(func(context.Context, activities.ResetInput) error {
				pauseAt("reset", 1, 1)
				return nil
			})
			env.OnActivity(a.SyncPass, mock.Anything, mock.Anything).Return(f.pass)
			if tt.activity == "reset" {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResync, ResyncRequest{}) }, 5*time.Minute)
			}
			var end Progress
			env.RegisterDelayedCallback(func() { queryProgress(t, env, &end) }, 90*time.Minute)
			env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Hour)
			if tt.workflow == "import" {
				// The import reads the statistics as each object is done: the pause comes
				// with the first object's.
				env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
				assert.Len(t, f.calls, 2, "the first object's two stretches, none after the pause: %v", f.calls)
			} else {
				env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
				assert.Len(t, f.calls, 4, "the first cycle's four stretches, none after the pause: %v", f.calls)
			}
			assert.Equal(t, PhasePaused, end.Phase)
		})
	}
}

// PipelineSync: a pause that comes with the describe after a wake-up holds the announced
// stage changes until the resume.
func TestAPauseWithTheDescribeHoldsAnnouncedStages(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	describes := 0
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(func(context.Context, string) (activities.ConnectionInfo, error) {
		describes++
		if describes == 2 {
			env.SignalWorkflowSkippingWorkflowTask(SignalPause, "stop writing")
		}
		return info, nil
	})
	start := env.Now()
	announcedAt := map[string]time.Duration{}
	env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StageInput) (activities.StageResult, error) {
		for _, id := range in.IDs {
			if _, seen := announcedAt[id]; !seen {
				announcedAt[id] = env.Now().Sub(start)
			}
		}
		return activities.StageResult{Done: true}, nil
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStageChanged, []string{"42"}) }, 5*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, 30*time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo"})
	require.Contains(t, announcedAt, "42")
	assert.GreaterOrEqual(t, announcedAt["42"], 30*time.Minute, "first propagated after the resume, not after the pause")
}

// PipelineSync shows a pause as it comes, while a scan runs (the scan asks between two pages
// and stops), and an announced batch that ran to its end is not run again after the resume.
func TestPipelineSyncShowsAPauseAtOnce(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(info, nil)
	var calls []activities.StageInput
	env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StageInput) (activities.StageResult, error) {
		calls = append(calls, in)
		if len(in.IDs) > 0 && len(calls) == 2 { // the announced batch: paused while it runs
			env.SignalWorkflowSkippingWorkflowTask(SignalPause, "lunch")
		}
		return activities.StageResult{Done: true, Checked: len(in.IDs)}, nil
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStageChanged, []string{"42"}) }, 5*time.Minute)
	var paused, resumed PipelineProgress
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &paused) }, 10*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, 20*time.Minute)
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &resumed) }, 25*time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo"})
	assert.Equal(t, PhasePaused, paused.Phase)
	assert.Equal(t, "lunch", paused.PauseReason)
	assert.Equal(t, 1, paused.Announced, "the batch ran to its end")
	assert.Equal(t, PhaseWaiting, resumed.Phase)
	batches := 0
	for _, c := range calls {
		if len(c.IDs) > 0 {
			batches++
		}
	}
	assert.Equal(t, 1, batches, "the batch once, not again after the resume: %+v", calls)
}

// allow-deletes lasts until the held deletions are done: a cycle that a pause cut short does
// not spend it, and the rest go after a plain resume.
func TestAllowDeletesOutlastsAPause(t *testing.T) {
	ci := info
	ci.MaxDeletes = 3
	f := &fakePasses{stretches: 1}
	env := newEnvWith(ci, f)
	var a *activities.Activities
	var sizes []int
	held := 0
	env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
		if in.Guard.Limited && len(in.IDs) > in.Guard.Allowance {
			held++
			return activities.DeleteResult{}, temporal.NewNonRetryableApplicationError("past schedule.max_deletes", activities.ErrTypeConfiguration, nil)
		}
		sizes = append(sizes, len(in.IDs))
		if len(sizes) == 1 { // the first chunk allowed: the operator pauses meanwhile
			env.SignalWorkflowSkippingWorkflowTask(SignalPause, "lunch")
		}
		return activities.DeleteResult{Propagated: len(in.IDs)}, nil
	})
	ids := make([]string, 300)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: ids})
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalAllowDeletes, nil)
		env.SignalWorkflow(SignalResume, nil)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, 2*time.Hour)
	var end Progress
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &end) }, 3*time.Hour)
	env.RegisterDelayedCallback(env.CancelWorkflow, 4*time.Hour)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
	assert.Equal(t, 1, held, "held once, before the allow-deletes")
	assert.Equal(t, []int{200, 100}, sizes, "every id deleted, the rest after the plain resume")
	assert.NotEqual(t, PhasePaused, end.Phase, "%+v", end)
	assert.Equal(t, 300, end.Deletes.Propagated)
}
