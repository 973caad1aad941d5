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
	"github.com/crmsync/crmsync/internal/testenv"
)

var info = activities.ConnectionInfo{Objects: []string{"company", "contact"}, Interval: 15 * time.Minute, ASystem: "sellsy", BSystem: "mautic"}

// fakePasses answers SyncPass: every pass takes `stretches` activities, each reading 10.
type fakePasses struct {
	mu        sync.Mutex
	stretches int
	calls     []string // object/side/position
	inputs    []activities.PassInput
	fail      func(in activities.PassInput, n int) error
}

func (f *fakePasses) pass(_ context.Context, in activities.PassInput) (activities.PassResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in.Object+"/"+in.Side+"/"+in.Position)
	f.inputs = append(f.inputs, in)
	if f.fail != nil {
		if err := f.fail(in, len(f.calls)); err != nil {
			return activities.PassResult{}, err
		}
	}
	n := len(in.Position)
	done := n+1 >= f.stretches
	return activities.PassResult{Position: in.Position + "x", Done: done, Counts: activities.Counts{Read: 10, CreatedB: 3}}, nil
}

func newEnv(t *testing.T, f *fakePasses) *testsuite.TestWorkflowEnvironment {
	return newEnvIn(&testsuite.WorkflowTestSuite{}, f)
}

// newEnvWith is an environment whose connection file reads ci, with empty stats and f's passes.
func newEnvWith(ci activities.ConnectionInfo, f *fakePasses) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(ci, nil)
	env.OnActivity(a.Stats, mock.Anything, "demo").Return(activities.StoreStats{}, nil)
	env.OnActivity(a.SyncPass, mock.Anything, mock.Anything).Return(f.pass)
	return env
}

// newEnvIn is newEnv in a suite of the caller's (one with a metrics handler, say).
func newEnvIn(s *testsuite.WorkflowTestSuite, f *fakePasses) *testsuite.TestWorkflowEnvironment {
	env := newTestEnv(s)
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(info, nil)
	env.OnActivity(a.Stats, mock.Anything, "demo").Return(activities.StoreStats{Pairs: map[string]int{"company": 4, "contact": 9}, Quarantined: 1}, nil)
	env.OnActivity(a.SyncPass, mock.Anything, mock.Anything).Return(f.pass)
	return env
}

func TestInitialImportWalksObjectsInOrderWithStretches(t *testing.T) {
	f := &fakePasses{stretches: 3}
	env := newEnv(t, f)
	env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var p Progress
	require.NoError(t, env.GetWorkflowResult(&p))

	assert.Equal(t, []string{
		"company/a/", "company/a/x", "company/a/xx",
		"company/b/", "company/b/x", "company/b/xx",
		"contact/a/", "contact/a/x", "contact/a/xx",
		"contact/b/", "contact/b/x", "contact/b/xx",
	}, f.calls, "each pass resumes from the position the previous stretch returned")
	assert.Equal(t, PhaseDone, p.Phase)
	require.Len(t, p.Objects, 2)
	assert.Equal(t, 60, p.Objects[0].Counts.Read)
	assert.Equal(t, 18, p.Objects[1].Counts.CreatedB)
	assert.True(t, p.Objects[1].Done)
	assert.Equal(t, 9, p.Objects[1].Pairs)
	assert.Equal(t, 1, p.Quarantined)
}

// A dry run walks the same passes as the import, marked as a plan (and, for the second side of
// an object, as following the first), and reads no pair counts: nothing was written.
func TestInitialImportDryRun(t *testing.T) {
	f := &fakePasses{stretches: 2}
	env := newEnv(t, f)
	env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo", DryRun: true})
	require.NoError(t, env.GetWorkflowError())
	var p Progress
	require.NoError(t, env.GetWorkflowResult(&p))
	assert.Equal(t, "InitialImport (dry run)", p.Workflow)
	assert.Equal(t, PhaseDone, p.Phase)
	require.Len(t, f.inputs, 8)
	for _, in := range f.inputs {
		assert.True(t, in.Plan, "%s/%s", in.Object, in.Side)
		assert.Equal(t, in.Side == "b", in.PlanMatchedByOther, "%s/%s", in.Object, in.Side)
	}
	assert.Equal(t, 40, p.Objects[1].Counts.Read)
	assert.Zero(t, p.Objects[1].Pairs, "no pairs read from the store")
	assert.Zero(t, p.Quarantined)
	assert.Equal(t, "demo/import-dry-run", ImportDryRunWorkflowID("demo"))
}

func TestInitialImportPauseAndResume(t *testing.T) {
	f := &fakePasses{stretches: 2}
	env := newEnv(t, f)
	var during Progress
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, "maintenance") }, 0)
	env.RegisterDelayedCallback(func() {
		queryProgress(t, env, &during)
		env.SignalWorkflow(SignalResume, nil)
	}, time.Hour)
	env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, PhasePaused, during.Phase)
	assert.Equal(t, "maintenance", during.PauseReason)
	assert.Len(t, f.calls, 8, "after resuming, every pass ran to its end")
}

func TestConfigurationErrorPausesWithItsMessage(t *testing.T) {
	f := &fakePasses{stretches: 1, fail: func(in activities.PassInput, n int) error {
		if n == 2 {
			return temporal.NewNonRetryableApplicationError("mautic GET /api/contacts: configuration (HTTP 403): API disabled", activities.ErrTypeConfiguration, nil)
		}
		return nil
	}}
	env := newEnv(t, f)
	var during Progress
	env.RegisterDelayedCallback(func() {
		queryProgress(t, env, &during)
		env.SignalWorkflow(SignalResume, nil)
	}, time.Hour)
	env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, PhasePaused, during.Phase)
	assert.Contains(t, during.PauseReason, "API disabled")
	assert.Equal(t, "company/b/", f.calls[2], "the refused pass is run again after resume")
}

func TestRetryableFailuresAreRetried(t *testing.T) {
	f := &fakePasses{stretches: 1, fail: func(in activities.PassInput, n int) error {
		if n <= 2 {
			return temporal.NewApplicationError("sellsy GET /contacts: retryable (HTTP 503)", "Retryable")
		}
		return nil
	}}
	env := newEnv(t, f)
	env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []string{"company/a/", "company/a/", "company/a/", "company/b/", "contact/a/", "contact/b/"}, f.calls)
}

func TestInitialImportContinuesAsNewWithItsPlace(t *testing.T) {
	f := &fakePasses{stretches: 3}
	env := newEnv(t, f)
	// Five activities: the describe and four stretches.
	env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo", Tuning: Tuning{MaxActivitiesPerRun: 5}})
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "got %v", err)
	assert.Len(t, f.calls, 4)
	var next ImportInput
	require.NoError(t, converterFromEnv().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	assert.False(t, next.State.Walk.CycleStart.IsZero(), "the import's start goes on")
	next.State.Walk.CycleStart = time.Time{}
	assert.Equal(t, Walk{ObjectIndex: 0, Object: "company", SideIndex: 1, Pass: activities.PassResult{Position: "x"}}, next.State.Walk)
	assert.Equal(t, 40, next.State.Progress.Objects[0].Counts.Read)
}

func TestIncrementalSyncCyclesSignals(t *testing.T) {
	f := &fakePasses{stretches: 1}
	env := newEnv(t, f)
	resets := recordResets(env)
	var waiting, paused Progress
	// Cycle 1 at t=0, cycle 2 at 15m (timer), cycle 3 at 20m (sync-now), then a resync
	// request runs cycle 4 at 25m, then a pause holds cycle 5 until resumed at 2h.
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &waiting) }, time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalSyncNow, nil) }, 20*time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalResync, ResyncRequest{Objects: []string{"contact"}, Since: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)})
	}, 25*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, "") }, 30*time.Minute)
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &paused) }, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, 2*time.Hour)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour+time.Minute)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})

	assert.Equal(t, PhaseWaiting, waiting.Phase)
	assert.Equal(t, 1, waiting.Cycles)
	assert.Equal(t, PhasePaused, paused.Phase)
	assert.Equal(t, 4, paused.Cycles, "cycles at 0, 15m (interval), 20m (sync-now), 25m (resync)")
	require.Len(t, *resets, 1)
	assert.Equal(t, []string{"contact"}, (*resets)[0].Objects)
	assert.Equal(t, 5*4, len(f.calls), "a fifth cycle ran after resume")
	for _, c := range f.calls {
		assert.Contains(t, []string{"company/a/", "company/b/", "contact/a/", "contact/b/"}, c)
	}
}

// The worker's gauges say when a connection is paused, how much is in quarantine and when
// its last cycle ended, for alerts.
// IncrementalSync exports when it last finished a cycle, for the alert on a connection that
// falls behind.
func TestLastCycleGauge(t *testing.T) {
	m := testenv.NewMetrics()
	var s testsuite.WorkflowTestSuite
	s.SetMetricsHandler(m)
	env := newEnvIn(&s, &fakePasses{stretches: 1})
	tags := map[string]string{"connection": "demo", "workflow": "IncrementalSync"}
	lastCycle := func() float64 {
		v, ok := m.GaugeValue(MetricLastCycle, tags)
		require.True(t, ok, "%s set", MetricLastCycle)
		return v
	}
	var first float64
	env.RegisterDelayedCallback(func() { first = lastCycle() }, time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, time.Hour)
	start := env.Now()
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})

	assert.InDelta(t, float64(start.Unix()), first, 60, "the first cycle ended at the start")
	assert.Greater(t, lastCycle(), first, "later cycles moved it on")
}

// The long-running workflows publish their phase as a search attribute: the web UI lists it,
// and every worker's crmsync_paused gauge reads it from visibility (worker/gauges.go).
func TestLongRunningWorkflowsPublishTheirPhase(t *testing.T) {
	tests := []struct {
		name  string
		start func(env *testsuite.TestWorkflowEnvironment)
	}{
		{"IncrementalSync", func(env *testsuite.TestWorkflowEnvironment) {
			env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
		}},
		{"PipelineSync", func(env *testsuite.TestWorkflowEnvironment) {
			var a *activities.Activities
			env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(activities.StageResult{Done: true}, nil)
			env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, &fakePasses{stretches: 30})
			var phases []string
			env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
				if phase, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(AttrPhase); ok {
					if len(phases) == 0 || phases[len(phases)-1] != phase {
						phases = append(phases, phase)
					}
				}
			}).Return(nil)
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, "month-end closing") }, 10*time.Second)
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, time.Hour)
			env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour)
			tt.start(env)

			i := slices.Index(phases, PhasePaused)
			require.GreaterOrEqual(t, i, 1, "paused after running: %v", phases)
			require.Greater(t, len(phases), i+1, "running again after the resume: %v", phases)
			assert.NotEqual(t, PhasePaused, phases[i+1])
		})
	}
}

// The passes of an incremental cycle carry the cycle's start, so that a connector whose API
// rations reads (UNAS) may answer them from one read; so do the passes of an import.
func TestIncrementalPassesCarryTheirCycleStart(t *testing.T) {
	f := &fakePasses{stretches: 2}
	var mu sync.Mutex
	starts := map[string][]time.Time{} // mode → CycleStart of each stretch
	f.fail = func(in activities.PassInput, _ int) error {
		mu.Lock()
		defer mu.Unlock()
		starts[in.Mode] = append(starts[in.Mode], in.CycleStart)
		return nil
	}
	env := newEnv(t, f)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 20*time.Minute)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
	got := starts[activities.ModeIncremental]
	require.Len(t, got, 2*8, "two cycles of four passes in two stretches")
	for i, s := range got {
		assert.Equal(t, got[i/8*8], s, "stretch %d: every pass of a cycle carries its start", i)
	}
	assert.False(t, got[0].IsZero())
	assert.Equal(t, 15*time.Minute, got[8].Sub(got[0]), "the second cycle began at the interval")

	f2 := &fakePasses{stretches: 1}
	starts = map[string][]time.Time{}
	f2.fail = f.fail
	env = newEnv(t, f2)
	env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
	require.NoError(t, env.GetWorkflowError())
	require.NotEmpty(t, starts[activities.ModeImport])
	for _, s := range starts[activities.ModeImport] {
		assert.True(t, env.Now().Equal(s), "the import's start")
	}
}

// schedule.full_read: every hour (interval 15 minutes) a cycle reads everything again, through
// the resync machinery; the first cycle only starts the clock.
func TestIncrementalSyncReadsEverythingWhenFullReadIsDue(t *testing.T) {
	f := &fakePasses{stretches: 1}
	withFullRead := info
	withFullRead.FullRead = time.Hour
	env := newEnvWith(withFullRead, f)
	var a *activities.Activities
	start := env.Now()
	var resets []time.Duration
	env.OnActivity(a.ResetCursors, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ResetInput) error {
		assert.Nil(t, in.Objects, "every object")
		assert.True(t, in.Since.IsZero(), "from the beginning")
		resets = append(resets, env.Now().Sub(start))
		return nil
	})
	var p Progress
	env.RegisterDelayedCallback(func() {
		queryProgress(t, env, &p)
		env.CancelWorkflow()
	}, 2*time.Hour+time.Minute)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
	assert.Equal(t, []time.Duration{time.Hour, 2 * time.Hour}, resets, "cycles at 0, 15m, … 2h: full reads at 1h and 2h")
	assert.Equal(t, 2, p.FullReads)
	assert.Equal(t, 9, p.Cycles)
}

func TestIncrementalSyncContinuesAsNewAfterMaxCycles(t *testing.T) {
	f := &fakePasses{stretches: 1}
	env := newEnv(t, f)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", MaxCyclesPerRun: 3})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can))
	var next SyncInput
	require.NoError(t, converterFromEnv().FromPayloads(can.Input, &next))
	assert.Equal(t, 3, next.State.Progress.Cycles)
	assert.False(t, next.State.InCycle)
}

// A run that continued as new after a cycle waits for the interval before the next cycle:
// it must not run one at once.
func TestIncrementalSyncWaitsAfterContinueAsNew(t *testing.T) {
	f := &fakePasses{stretches: 1}
	env := newEnv(t, f)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", MaxCyclesPerRun: 1})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can))
	var next SyncInput
	require.NoError(t, converterFromEnv().FromPayloads(can.Input, &next))
	require.True(t, next.State.Waiting)
	require.Len(t, f.calls, 4)

	f2 := &fakePasses{stretches: 1}
	env2 := newEnv(t, f2)
	var before Progress
	env2.RegisterDelayedCallback(func() {
		v, err := env2.QueryWorkflow(QueryProgress)
		require.NoError(t, err)
		require.NoError(t, v.Get(&before))
		assert.Empty(t, f2.calls, "no cycle before the interval has passed")
	}, 10*time.Minute)
	env2.ExecuteWorkflow(IncrementalSync, next)
	require.True(t, errors.As(env2.GetWorkflowError(), &can))
	assert.Equal(t, PhaseWaiting, before.Phase)
	assert.Equal(t, 1, before.Cycles)
	assert.Len(t, f2.calls, 4, "the second cycle ran once the interval passed")
}

// A deletion announced while the sync waits is handled at once, without running a cycle, and
// the wait goes on until the cycle is due.
func TestIncrementalSyncHandlesDeletionsWhileWaiting(t *testing.T) {
	f := &fakePasses{stretches: 1}
	env := newEnv(t, f)
	var a *activities.Activities
	var got []activities.DeleteInput
	env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
		got = append(got, in)
		return activities.DeleteResult{Propagated: len(in.IDs)}, nil
	})
	var after Progress
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: []string{"7", "9"}})
	}, 5*time.Minute)
	env.RegisterDelayedCallback(func() {
		queryProgress(t, env, &after)
	}, 6*time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 20*time.Minute)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})

	require.Len(t, got, 1)
	assert.Equal(t, activities.DeleteInput{Connection: "demo", Object: "contact", Side: "b", IDs: []string{"7", "9"}}, got[0])
	assert.Equal(t, 2, after.Deletes.Propagated)
	assert.Equal(t, 1, after.Cycles, "the deletion did not run a cycle")
	assert.Equal(t, PhaseWaiting, after.Phase)
	assert.Len(t, f.calls, 8, "the second cycle still ran at 15 minutes")
}

// Objects that propagate deletions are reconciled when the reconcile interval has passed,
// stretch after stretch.
func TestIncrementalSyncReconcilesWhenDue(t *testing.T) {
	env := newEnvWith(infoWithDeletes(time.Hour), &fakePasses{stretches: 1})
	var a *activities.Activities
	var reconciled []string
	env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
		reconciled = append(reconciled, in.Object+"/"+in.Side+"/"+in.After)
		if in.After == "" {
			return activities.ReconcileResult{After: "200", Checked: 200}, nil
		}
		return activities.ReconcileResult{After: "250", Done: true, Checked: 50, Deletes: activities.DeleteResult{Propagated: 1}}, nil
	})
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 50*time.Minute)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
	// Cycles at 0, 15, 30 and 45 minutes; reconciliation only after the first (then not due).
	assert.Equal(t, []string{"contact/a/", "contact/a/200", "contact/b/", "contact/b/200"}, reconciled)
}

func TestPushRecord(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	in := activities.PushInput{Connection: "demo", Object: "contact", Side: "b", ID: "42"}
	env.OnActivity(a.PushOne, mock.Anything, in).Return(activities.Counts{Read: 1, CreatedA: 1}, nil)
	env.ExecuteWorkflow(PushRecord, in)
	require.NoError(t, env.GetWorkflowError())
	var c activities.Counts
	require.NoError(t, env.GetWorkflowResult(&c))
	assert.Equal(t, 1, c.CreatedA)
	assert.Equal(t, "demo/push/contact/b-42", PushWorkflowID(in))

	env = newTestEnv(&s)
	env.RegisterActivity(a)
	env.OnActivity(a.PushOne, mock.Anything, in).Return(activities.Counts{}, temporal.NewNonRetryableApplicationError("mautic has no contact with id 42", activities.ErrTypeNotFound, nil))
	env.ExecuteWorkflow(PushRecord, in)
	require.Error(t, env.GetWorkflowError())
	assert.Contains(t, env.GetWorkflowError().Error(), "no contact with id 42")

	// An outage of an hour (a failure a minute, sixty in a row) does not lose the push: the
	// webhook answered 202 long ago, and an unchanged record would wait for its next change.
	env = newTestEnv(&s)
	env.RegisterActivity(a)
	attempts := 0
	env.OnActivity(a.PushOne, mock.Anything, in).Return(func(context.Context, activities.PushInput) (activities.Counts, error) {
		if attempts++; attempts <= 60 {
			return activities.Counts{}, temporal.NewApplicationError("sellsy: 503", "Retryable")
		}
		return activities.Counts{Read: 1, UpdatedA: 1}, nil
	})
	env.ExecuteWorkflow(PushRecord, in)
	require.NoError(t, env.GetWorkflowError(), "after %d attempts", attempts)
	assert.Equal(t, 61, attempts)
}

// RetryQuarantine runs the activity once and returns its counts; a configuration error is
// not retried.
func TestRetryQuarantine(t *testing.T) {
	var a *activities.Activities
	in := activities.RetryInput{Connection: "demo"}
	tests := []struct {
		name    string
		result  activities.RetryResult
		err     error
		calls   int
		wantErr string
	}{
		{"counts", activities.RetryResult{Retried: 3, Resolved: 2, Quarantined: 1}, nil, 1, ""},
		{"retried after an outage", activities.RetryResult{Retried: 1, Resolved: 1}, temporal.NewApplicationError("sellsy down", "Retryable"), 2, ""},
		{"configuration error", activities.RetryResult{}, temporal.NewNonRetryableApplicationError("no connection file", activities.ErrTypeConfiguration, nil), 1, "no connection file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := newTestEnv(&s)
			env.RegisterActivity(a)
			calls := 0
			env.OnActivity(a.RetryQuarantined, mock.Anything, in).Return(func(context.Context, activities.RetryInput) (activities.RetryResult, error) {
				calls++
				if calls == 1 && tc.err != nil {
					return activities.RetryResult{}, tc.err
				}
				return tc.result, nil
			})
			env.ExecuteWorkflow(RetryQuarantine, in)
			assert.Equal(t, tc.calls, calls)
			if tc.wantErr != "" {
				require.Error(t, env.GetWorkflowError())
				assert.Contains(t, env.GetWorkflowError().Error(), tc.wantErr)
				return
			}
			require.NoError(t, env.GetWorkflowError())
			var got activities.RetryResult
			require.NoError(t, env.GetWorkflowResult(&got))
			assert.Equal(t, tc.result, got)
		})
	}
	assert.Equal(t, "demo/retry-quarantine", RetryQuarantineWorkflowID("demo"))
}

// PipelineSync scans at once and then every interval, handles records announced by a webhook
// without waiting for the scan, and continues as new with what it was told.
func TestPipelineSyncScansAndHandlesAnnouncedChanges(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(info, nil)
	var mu sync.Mutex
	var scans []string
	var announced [][]string
	var scanStarts []time.Time
	env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StageInput) (activities.StageResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if len(in.IDs) > 0 {
			announced = append(announced, in.IDs)
			return activities.StageResult{Checked: len(in.IDs), Emitted: 1, Done: true}, nil
		}
		scans = append(scans, in.Position)
		scanStarts = append(scanStarts, in.ScanStart)
		if in.Position == "" {
			return activities.StageResult{Position: "0:abc", Checked: 100}, nil
		}
		return activities.StageResult{Position: "1:", Done: true, Checked: 20}, nil
	})
	var during PipelineProgress
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStageChanged, []string{"42", "43"}) }, 5*time.Minute)
	env.RegisterDelayedCallback(func() {
		queryProgress(t, env, &during)
	}, 6*time.Minute)
	env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo", MaxScansPerRun: 2})

	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())
	assert.Equal(t, [][]string{{"42", "43"}}, announced, "announced records handled between scans")
	assert.Equal(t, []string{"", "0:abc", "", "0:abc"}, scans, "a scan at once, one at 15 minutes, each in two stretches")
	require.Len(t, scanStarts, 4)
	assert.False(t, scanStarts[0].IsZero())
	assert.Equal(t, scanStarts[0], scanStarts[1], "the stretches of a scan share its start")
	assert.Equal(t, scanStarts[2], scanStarts[3])
	assert.Equal(t, 15*time.Minute, scanStarts[2].Sub(scanStarts[0]), "each scan starts when it is due")
	assert.Equal(t, 1, during.Scans)
	assert.Equal(t, 2, during.Announced)
	assert.Equal(t, 1, during.Totals.Emitted)
	assert.Equal(t, PhaseWaiting, during.Phase)
}

// Sides from which no field travels are marked by the import (their records are not sent)
// and skipped by the incremental sync (their records are not read).
func TestOneWaySidesAreMarkedThenSkipped(t *testing.T) {
	oneWay := info
	oneWay.NoImport = []string{"company/b", "contact/b"}
	oneWay.NoSync = []string{"company/b", "contact/b"}
	tests := []struct {
		name     string
		workflow any
		input    any
		want     map[string]string // object/side → mode
	}{
		{"import", InitialImport, ImportInput{Connection: "demo"},
			map[string]string{"company/a": activities.ModeImport, "company/b": activities.ModeMark, "contact/a": activities.ModeImport, "contact/b": activities.ModeMark}},
		{"sync", IncrementalSync, SyncInput{Connection: "demo", MaxCyclesPerRun: 1},
			map[string]string{"company/a": activities.ModeIncremental, "company/b": activities.ModeSkip, "contact/a": activities.ModeIncremental, "contact/b": activities.ModeSkip}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := newTestEnv(&s)
			var a *activities.Activities
			env.RegisterActivity(a)
			env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(oneWay, nil)
			env.OnActivity(a.Stats, mock.Anything, "demo").Return(activities.StoreStats{}, nil)
			var mu sync.Mutex
			got := map[string]string{}
			env.OnActivity(a.SyncPass, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PassInput) (activities.PassResult, error) {
				mu.Lock()
				got[in.Object+"/"+in.Side] = in.Mode
				mu.Unlock()
				return activities.PassResult{Done: true}, nil
			})
			env.ExecuteWorkflow(tt.workflow, tt.input)
			require.True(t, env.IsWorkflowCompleted())
			if err := env.GetWorkflowError(); err != nil {
				var can *workflow.ContinueAsNewError
				require.ErrorAs(t, err, &can, "only a continue-as-new ends the sync")
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// The import reads the store's figures as each object finishes, so that status and the web
// UI show its pairs during the import, not only at the end.
func TestInitialImportShowsPairsPerObject(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(info, nil)
	f := &fakePasses{stretches: 1}
	env.OnActivity(a.SyncPass, mock.Anything, mock.Anything).Return(f.pass)
	var mu sync.Mutex
	var seen []int // company pairs at each reading
	env.OnActivity(a.Stats, mock.Anything, "demo").Return(func(context.Context, string) (activities.StoreStats, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, len(f.calls))
		return activities.StoreStats{Pairs: map[string]int{"company": 4}}, nil
	})
	env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []int{2, 4, 4}, seen, "after the companies, after the contacts, and at the end")
}
