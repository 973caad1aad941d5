package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// A signal that comes in the same workflow task as an activity's completion is applied before
// the workflow acts: the SDK hands it to the listener's selector but runs the workflow's own
// coroutine first, so a pause let one more stretch start, and continue-as-new carried the
// state over without the signal (a pause, announced deletions lost).
func TestSignalsWithACompletionAreApplied(t *testing.T) {
	tests := []struct {
		name   string
		at     int // the SyncPass call during which the signal comes
		signal string
		arg    any
		run    func(env *testsuite.TestWorkflowEnvironment)
		check  func(t *testing.T, env *testsuite.TestWorkflowEnvironment, f *fakePasses)
	}{
		{
			name: "a pause stops the next stretch", at: 1, signal: SignalPause, arg: "stop writing",
			run: func(env *testsuite.TestWorkflowEnvironment) {
				env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
				env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
			},
			check: func(t *testing.T, _ *testsuite.TestWorkflowEnvironment, f *fakePasses) {
				assert.Len(t, f.calls, 1, "no stretch after the pause: %v", f.calls)
			},
		},
		{
			name: "a pause with the run's last activity holds", at: 4, signal: SignalPause, arg: "stop writing",
			run: func(env *testsuite.TestWorkflowEnvironment) {
				// Describe and four stretches spend the run: it continued as new, unpaused.
				var p Progress
				env.RegisterDelayedCallback(func() {
					v, err := env.QueryWorkflow(QueryProgress)
					if err == nil && v.Get(&p) == nil && p.Phase == PhasePaused {
						env.CancelWorkflow()
					}
				}, time.Hour)
				env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo", Tuning: Tuning{MaxActivitiesPerRun: 5}})
			},
			check: func(t *testing.T, env *testsuite.TestWorkflowEnvironment, f *fakePasses) {
				assert.Len(t, f.calls, 4, "%v", f.calls)
				var can *workflow.ContinueAsNewError
				if errors.As(env.GetWorkflowError(), &can) { // paused runs may continue as new too
					var next ImportInput
					continuedWith(t, env, &next)
					assert.True(t, next.State.Control.Paused)
					return
				}
				assert.ErrorContains(t, env.GetWorkflowError(), "canceled", "paused, then cancelled")
			},
		},
		{
			name: "announced deletions reach the next run", at: 2, signal: SignalDeleted,
			arg: DeletedRequest{Object: "contact", Side: "b", IDs: []string{"42"}},
			run: func(env *testsuite.TestWorkflowEnvironment) {
				env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{MaxActivitiesPerRun: 3}})
			},
			check: func(t *testing.T, env *testsuite.TestWorkflowEnvironment, _ *fakePasses) {
				var next SyncInput
				continuedWith(t, env, &next)
				assert.Equal(t, []DeletedRequest{{Object: "contact", Side: "b", IDs: []string{"42"}}}, next.State.Control.Deleted)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePasses{stretches: 3}
			env := newEnv(t, f)
			f.fail = func(_ activities.PassInput, n int) error {
				if n == tt.at {
					env.SignalWorkflowSkippingWorkflowTask(tt.signal, tt.arg)
				}
				return nil
			}
			tt.run(env)
			tt.check(t, env, f)
		})
	}
}

// continuedWith decodes the input the workflow continued as new with.
func continuedWith(t *testing.T, env *testsuite.TestWorkflowEnvironment, next any) {
	t.Helper()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "got %v", env.GetWorkflowError())
	require.NoError(t, converterFromEnv().FromPayloads(can.Input, next))
}

// The import and the sync show a pause in the workflow list as the signal comes, while an
// activity still runs (what a push and the pass itself ask before writing sees it at once),
// and their own phase again on a resume that comes before they acted on the pause.
func TestPauseIsPublishedAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		resume bool
		want   []string
	}{
		{name: "pause", want: []string{PhasePaused}},
		{name: "pause and resume", resume: true, want: []string{PhasePaused, PhaseImporting}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePasses{stretches: 3}
			env := newEnv(t, f)
			// The activity below waits in real time for the signals to be handled: the suite's
			// 3 s default could cut it off on a busy machine.
			env.SetTestTimeout(time.Minute)
			var mu sync.Mutex
			var phases []string
			env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
				if phase, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(AttrPhase); ok {
					mu.Lock()
					phases = append(phases, phase)
					mu.Unlock()
				}
			}).Return(nil)
			var during []string
			f.fail = func(_ activities.PassInput, n int) error {
				if n != 1 {
					return nil
				}
				mu.Lock()
				before := len(phases)
				mu.Unlock()
				env.SignalWorkflow(SignalPause, "look first")
				if tt.resume {
					env.SignalWorkflow(SignalResume, nil)
				}
				// The signals are handled while this activity runs (it returns as soon as they
				// are; the bound only stops a broken workflow from hanging the test).
				for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					mu.Lock()
					if len(phases) >= before+len(tt.want) {
						during = slices.Clone(phases[before:])
						mu.Unlock()
						return nil
					}
					mu.Unlock()
				}
				return nil
			}
			env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
			env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
			assert.Equal(t, tt.want, during)
		})
	}
}

// An interval changed on a running connection applies at once: a long wait reads the file
// again every fileRecheck, and the next cycle moves to the last one plus the new interval
// (it waited out the old interval before).
func TestAChangedIntervalAppliesAtOnce(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	start := env.Now()
	long, short := info, info
	long.Interval, short.Interval = 6*time.Hour, 15*time.Minute
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(func(context.Context, string) (activities.ConnectionInfo, error) {
		if env.Now().Sub(start) < time.Hour {
			return long, nil
		}
		return short, nil // the file edited an hour in
	})
	env.OnActivity(a.Stats, mock.Anything, "demo").Return(activities.StoreStats{}, nil)
	var mu sync.Mutex
	var cycles []time.Duration // when each cycle's first pass ran, from the start
	f := &fakePasses{stretches: 1}
	env.OnActivity(a.SyncPass, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.PassInput) (activities.PassResult, error) {
		if in.Object == "company" && in.Side == "a" {
			mu.Lock()
			cycles = append(cycles, env.Now().Sub(start).Round(time.Minute))
			mu.Unlock()
		}
		return f.pass(ctx, in)
	})
	env.RegisterDelayedCallback(env.CancelWorkflow, 3*time.Hour)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
	require.GreaterOrEqual(t, len(cycles), 3, "%v", cycles)
	assert.Equal(t, time.Duration(0), cycles[0])
	assert.LessOrEqual(t, cycles[1], time.Hour+fileRecheck, "the second cycle soon after the edit, not 6 hours on: %v", cycles)
	assert.Equal(t, 15*time.Minute, cycles[2]-cycles[1], "then every 15 minutes: %v", cycles)
}

// PipelineSync shows its counts in the workflow list and its details (a pause's reason among
// them) at the top of its page, as the other workflows do.
func TestPipelineSyncPublishesItsCounts(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(info, nil)
	env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(activities.StageResult{Done: true, Checked: 120, Moved: 3, Emitted: 2, Quarantined: 1}, nil)
	var mu sync.Mutex
	checked := map[int64]bool{}
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if n, ok := args.Get(0).(temporal.SearchAttributes).GetInt64(AttrRecords); ok {
			mu.Lock()
			checked[n] = true
			mu.Unlock()
		}
	}).Return(nil)
	env.RegisterDelayedCallback(env.CancelWorkflow, 20*time.Minute)
	env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo"})
	assert.True(t, checked[120], "the records checked by the first scan: %v", checked)

	d := pipelineDetails(&PipelineProgress{Connection: "shop", Phase: PhasePaused, PauseReason: "altior: 401", Scans: 2,
		Totals: activities.StageResult{Checked: 120, Moved: 3, Emitted: 2, Quarantined: 1}})
	assert.Contains(t, d, "**paused** — connection `shop`")
	assert.Contains(t, d, "Paused: altior: 401")
	assert.Contains(t, d, "| 2 | 0 | 120 | 3 | 2 | 0 | 0 | 1 |")
}
