package workflows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// A connection file that no longer loads pauses the long-running workflows (and the import)
// with its message, wherever they read it; after the resume they read it again and go on.
func TestBadConnectionFilePausesUntilResumed(t *testing.T) {
	const message = "demo.yaml: objects[1].fields[3].direction: must be both, a_to_b or b_to_a"
	tests := []struct {
		name     string
		failCall int // the describe call that fails
		workflow any
		input    any
		endsBy   time.Duration // cancelled then, unless it completes
	}{
		{"IncrementalSync at start", 1, IncrementalSync, SyncInput{Connection: "demo"}, 2 * time.Hour},
		{"IncrementalSync after a wait", 2, IncrementalSync, SyncInput{Connection: "demo"}, 2 * time.Hour},
		{"PipelineSync at start", 1, PipelineSync, PipelineInput{Connection: "demo"}, 2 * time.Hour},
		{"PipelineSync after a wait", 2, PipelineSync, PipelineInput{Connection: "demo"}, 2 * time.Hour},
		{"InitialImport at start", 1, InitialImport, ImportInput{Connection: "demo"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := newTestEnv(&s)
			var a *activities.Activities
			env.RegisterActivity(a)
			var mu sync.Mutex
			describes := 0
			var worked []time.Duration // when passes or scans ran
			start := env.Now()
			env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(func(context.Context, string) (activities.ConnectionInfo, error) {
				mu.Lock()
				defer mu.Unlock()
				describes++
				if describes == tt.failCall {
					return activities.ConnectionInfo{}, temporal.NewNonRetryableApplicationError(message, activities.ErrTypeConfiguration, nil)
				}
				return info, nil
			})
			env.OnActivity(a.Stats, mock.Anything, "demo").Return(activities.StoreStats{}, nil)
			env.OnActivity(a.SyncPass, mock.Anything, mock.Anything).Return(func(context.Context, activities.PassInput) (activities.PassResult, error) {
				mu.Lock()
				defer mu.Unlock()
				worked = append(worked, env.Now().Sub(start))
				return activities.PassResult{Done: true}, nil
			})
			env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(func(context.Context, activities.StageInput) (activities.StageResult, error) {
				mu.Lock()
				defer mu.Unlock()
				worked = append(worked, env.Now().Sub(start))
				return activities.StageResult{Done: true}, nil
			})
			var phases []string
			env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
				if phase, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(AttrPhase); ok {
					phases = append(phases, phase)
				}
			}).Return(nil)
			var during struct {
				Phase       string `json:"phase"`
				PauseReason string `json:"pause_reason"`
			}
			env.RegisterDelayedCallback(func() {
				queryProgress(t, env, &during)
				env.SignalWorkflow(SignalResume, nil)
			}, 30*time.Minute)
			if tt.endsBy > 0 {
				env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, tt.endsBy)
			}
			env.ExecuteWorkflow(tt.workflow, tt.input)

			require.True(t, env.IsWorkflowCompleted())
			if err := env.GetWorkflowError(); err != nil {
				require.True(t, temporal.IsCanceledError(err), "the bad file must not end the run: %v", err)
			}
			assert.Equal(t, PhasePaused, during.Phase)
			assert.Equal(t, message, during.PauseReason)
			assert.Contains(t, phases, PhasePaused, "the web UI lists it as paused")
			assert.Greater(t, describes, tt.failCall, "the file is read again after the resume")
			require.NotEmpty(t, worked)
			assert.GreaterOrEqual(t, worked[len(worked)-1], 30*time.Minute, "work goes on after the resume")
		})
	}
}

// Deletions announced while the sync waits go to PropagateDeletes merged by object and side,
// in chunks, and count toward the run's cap: a flood of them continues as new before the next
// cycle, the ids not yet handled carried in the new run's input.
func TestIncrementalSyncBoundsDeletions(t *testing.T) {
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return out
	}
	type signal struct {
		at  time.Duration
		req DeletedRequest
	}
	var flood []signal
	for i := range 30 {
		flood = append(flood, signal{time.Minute + time.Duration(i)*10*time.Second, DeletedRequest{Object: "contact", Side: "b", IDs: ids(fmt.Sprintf("s%d-", i), 2)}})
	}
	var burst []signal // during the first cycle: four queues of about 300 ids, two chunks each
	for i := range 30 {
		object, side := []string{"company", "contact"}[i%2], sides[i/2%2]
		burst = append(burst, signal{0, DeletedRequest{Object: object, Side: side, IDs: ids(fmt.Sprintf("s%d-", i), 40)}})
	}
	tests := []struct {
		name        string
		max         int
		signals     []signal
		wantCalls   []string // object/side/ids (or their number), when given
		wantCAN     bool
		wantCarried bool
		wantDeletes int // deletion activities before continue-as-new
	}{
		{"signals received meanwhile are merged into one call per object and side", 0, []signal{
			{0, DeletedRequest{Object: "contact", Side: "b", IDs: []string{"1", "2"}}},
			{0, DeletedRequest{Object: "company", Side: "a", IDs: []string{"9"}}},
			{0, DeletedRequest{Object: "contact", Side: "b", IDs: []string{"2", "3"}}},
		}, []string{"contact/b/1,2,3", "company/a/9"}, false, false, 0},
		{"a large batch is split into chunks", 0, []signal{
			{time.Minute, DeletedRequest{Object: "contact", Side: "a", IDs: ids("", 450)}},
		}, []string{"contact/a/200", "contact/a/200", "contact/a/50"}, false, false, 0},
		// describe, four passes and Stats make six activities; four deletions reach ten.
		{"a flood during a wait continues as new before the next cycle", 10, flood, nil, true, false, 4},
		// describe and four passes make five; five of the eight chunks reach ten.
		{"deletions beyond the cap are carried to the next run", 10, burst, nil, true, true, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePasses{stretches: 1}
			env := newEnv(t, f)
			var a *activities.Activities
			var mu sync.Mutex
			var calls []string
			handled := map[string]int{}
			env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
				mu.Lock()
				defer mu.Unlock()
				// A chunk deletes record by record: a heartbeat timeout, not a one-minute limit.
				assert.Equal(t, 20*time.Second, activity.GetInfo(ctx).HeartbeatTimeout)
				desc := fmt.Sprint(len(in.IDs)) // a count for a large batch, the ids for a small one
				if len(in.IDs) < 10 {
					desc = strings.Join(in.IDs, ",")
				}
				calls = append(calls, in.Object+"/"+in.Side+"/"+desc)
				for _, id := range in.IDs {
					handled[in.Object+"/"+in.Side+"/"+id]++
				}
				return activities.DeleteResult{Propagated: len(in.IDs)}, nil
			})
			var sent []string
			for _, sg := range tt.signals {
				env.RegisterDelayedCallback(func() {
					for _, id := range sg.req.IDs {
						sent = append(sent, sg.req.Object+"/"+sg.req.Side+"/"+id)
					}
					env.SignalWorkflow(SignalDeleted, sg.req)
				}, sg.at)
			}
			if !tt.wantCAN {
				env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 10*time.Minute)
			}
			env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{MaxActivitiesPerRun: tt.max}})

			require.True(t, env.IsWorkflowCompleted())
			assert.Len(t, f.calls, 4, "one cycle: deletions do not run one")
			if tt.wantCalls != nil {
				assert.Equal(t, tt.wantCalls, calls)
			}
			if !tt.wantCAN {
				return
			}
			var can *workflow.ContinueAsNewError
			require.ErrorAs(t, env.GetWorkflowError(), &can)
			var next SyncInput
			require.NoError(t, converterFromEnv().FromPayloads(can.Input, &next))
			require.NotNil(t, next.State)
			assert.True(t, next.State.Waiting, "the next run waits for the cycle")
			assert.Len(t, calls, tt.wantDeletes, "deletion activities up to the cap of ten")
			carried := map[string]int{}
			for _, req := range next.State.Control.Deleted {
				for _, id := range req.IDs {
					carried[req.Object+"/"+req.Side+"/"+id]++
				}
			}
			if tt.wantCarried {
				require.NotEmpty(t, carried, "ids announced but not handled go to the next run")
			}
			for _, id := range sent {
				assert.Equal(t, 1, handled[id]+carried[id], "%s handled or carried, once", id)
			}
			assert.Equal(t, len(sent), len(handled)+len(carried), "nothing but what was sent")
		})
	}
}

// A sync that continued as new within a cycle finds its object by name in a file reloaded
// meanwhile: one object's listing cursor never goes to another object's pass.
func TestWalkFindsItsObjectByName(t *testing.T) {
	at := Walk{ObjectIndex: 1, Object: "contact", SideIndex: 1, Pass: activities.PassResult{Position: "xx"}}
	legacy := at
	legacy.Object = ""
	tests := []struct {
		name    string
		objects []string
		walk    Walk
		want    []string
	}{
		{"unchanged", []string{"company", "contact"}, at,
			[]string{"contact/b/xx"}},
		{"moved", []string{"contact", "deal", "company"}, at,
			[]string{"contact/b/xx", "deal/a/", "deal/a/x", "deal/a/xx", "deal/b/", "deal/b/x", "deal/b/xx", "company/a/", "company/a/x", "company/a/xx", "company/b/", "company/b/x", "company/b/xx"}},
		{"removed: the object now at its place starts afresh", []string{"company", "deal"}, at,
			[]string{"deal/a/", "deal/a/x", "deal/a/xx", "deal/b/", "deal/b/x", "deal/b/xx"}},
		{"state from before names were kept", []string{"company", "contact"}, legacy,
			[]string{"contact/b/xx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePasses{stretches: 3}
			changed := info
			changed.Objects = tt.objects
			env := newEnvWith(changed, f)
			st := &SyncState{Progress: Progress{Connection: "demo", Workflow: "IncrementalSync"}, InCycle: true, Walk: tt.walk}
			env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", State: st, MaxCyclesPerRun: 1})

			var can *workflow.ContinueAsNewError
			require.ErrorAs(t, env.GetWorkflowError(), &can)
			assert.Equal(t, tt.want, f.calls)
		})
	}
}

// PipelineSync handles a long stream of announced changes a hundred at a time and continues as
// new when its budget is spent, the ids not yet handled carried in the new run's input.
func TestPipelineSyncBoundsAnnouncedChanges(t *testing.T) {
	tests := []struct {
		name        string
		announced   int
		max         int
		wantHandled int
	}{
		// describe, the first scan and the describe after the wait make three activities;
		// one batch reaches four.
		{"a flood continues as new", 1000, 4, 100},
		{"a few are handled at once", 150, 0, 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := newTestEnv(&s)
			var a *activities.Activities
			env.RegisterActivity(a)
			env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(info, nil)
			var mu sync.Mutex
			handled := map[string]int{}
			env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StageInput) (activities.StageResult, error) {
				mu.Lock()
				defer mu.Unlock()
				for _, id := range in.IDs {
					handled[id]++
				}
				return activities.StageResult{Done: true}, nil
			})
			sent := make([]string, tt.announced)
			for i := range sent {
				sent[i] = fmt.Sprint(i)
			}
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStageChanged, sent) }, 5*time.Minute)
			env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 10*time.Minute)
			env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo", Tuning: Tuning{MaxActivitiesPerRun: tt.max}})

			require.True(t, env.IsWorkflowCompleted())
			assert.Len(t, handled, tt.wantHandled)
			carried := map[string]int{}
			var can *workflow.ContinueAsNewError
			if tt.wantHandled < tt.announced {
				require.ErrorAs(t, env.GetWorkflowError(), &can)
				var next PipelineInput
				require.NoError(t, converterFromEnv().FromPayloads(can.Input, &next))
				require.NotNil(t, next.State)
				for _, id := range next.State.Control.Changed {
					carried[id]++
				}
				assert.Equal(t, tt.wantHandled, next.State.Progress.Announced)
			}
			for _, id := range sent {
				assert.Equal(t, 1, handled[id]+carried[id], "%s handled or carried, once", id)
			}
		})
	}
}

// Signals received during a long pause (a user's, or a bad file's) count toward the run's
// budget too: past it the run continues as new, still paused, with what it was told.
func TestPausedWorkflowsContinueAsNewWhenSignalsFillTheRun(t *testing.T) {
	badFile := temporal.NewNonRetryableApplicationError("demo.yaml: interval: not a duration", activities.ErrTypeConfiguration, nil)
	signalDeleted := func(env *testsuite.TestWorkflowEnvironment, i int) {
		env.SignalWorkflow(SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: []string{fmt.Sprint(i)}})
	}
	signalChanged := func(env *testsuite.TestWorkflowEnvironment, i int) {
		env.SignalWorkflow(SignalStageChanged, []string{fmt.Sprint(i)})
	}
	// carried checks that the next run is still paused with the reason it was given, and
	// counts the ids it carries (deletions of IncrementalSync, stage changes of PipelineSync).
	carried := func(t *testing.T, can *workflow.ContinueAsNewError, wantReason string) int {
		ctl := carriedControl(t, can)
		assert.True(t, ctl.Paused)
		assert.Equal(t, wantReason, ctl.PauseReason)
		n := len(ctl.Changed)
		for _, req := range ctl.Deleted {
			n += len(req.IDs)
		}
		return n
	}
	tests := []struct {
		name     string
		workflow any
		input    any
		badFile  bool
		signal   func(env *testsuite.TestWorkflowEnvironment, i int)
	}{
		{"IncrementalSync paused by a user", IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 5}}, false, signalDeleted},
		{"IncrementalSync paused by a bad file", IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 5}}, true, signalDeleted},
		{"PipelineSync paused by a user", PipelineSync, PipelineInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 5}}, false, signalChanged},
		{"PipelineSync paused by a bad file", PipelineSync, PipelineInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 5}}, true, signalChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fileErr error
			if tt.badFile {
				fileErr = badFile
			}
			env, a := pausedEnv(fileErr)
			env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(func(context.Context, activities.DeleteInput) (activities.DeleteResult, error) {
				t.Error("nothing is handled while paused")
				return activities.DeleteResult{}, nil
			})
			sent := 0
			for i := range 20 {
				env.RegisterDelayedCallback(func() { sent++; tt.signal(env, i) }, time.Hour+time.Duration(i)*time.Minute)
			}
			env.ExecuteWorkflow(tt.workflow, tt.input)

			var can *workflow.ContinueAsNewError
			require.ErrorAs(t, env.GetWorkflowError(), &can, "still paused, in a new run")
			want := 5
			if !tt.badFile {
				want-- // the user's pause is a signal of the run too (fixes.countAllSignals)
			}
			assert.Equal(t, want, sent, "continued as new at the fifth signal")
			reason := "month-end closing"
			if tt.badFile {
				reason = "demo.yaml: interval: not a duration"
			}
			assert.Equal(t, sent, carried(t, can, reason), "every id announced is carried")
		})
	}
}

// A deletion refused for the connection's configuration (a revoked credential) pauses the
// connection with its message and keeps the ids, which go again after the resume; a report
// for an object the connection does not sync is dropped (a pause could never be fixed).
func TestIncrementalSyncRefusedDeletions(t *testing.T) {
	revoked := temporal.NewNonRetryableApplicationError("sellsy POST /oauth2/access-tokens: configuration (HTTP 401): invalid_client", activities.ErrTypeConfiguration, nil)
	tests := []struct {
		name       string
		req        DeletedRequest
		fail       int // calls that fail with the configuration error
		wantPaused bool
		wantCalls  []string
		wantDone   int
	}{
		{"a revoked credential pauses, the ids go again after the resume",
			DeletedRequest{Object: "contact", Side: "b", IDs: []string{"7", "9"}}, 1, true, []string{"contact/b/7,9", "contact/b/7,9"}, 2},
		{"an object the connection does not sync is dropped",
			DeletedRequest{Object: "invoice", Side: "b", IDs: []string{"7"}}, 0, false, nil, 0},
		{"a side that is neither a nor b is dropped",
			DeletedRequest{Object: "contact", Side: "c", IDs: []string{"7"}}, 0, false, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePasses{stretches: 1}
			env := newEnv(t, f)
			var a *activities.Activities
			var calls []string
			env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
				calls = append(calls, in.Object+"/"+in.Side+"/"+strings.Join(in.IDs, ","))
				if len(calls) <= tt.fail {
					return activities.DeleteResult{}, revoked
				}
				return activities.DeleteResult{Propagated: len(in.IDs)}, nil
			})
			var during, after Progress
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalDeleted, tt.req) }, 5*time.Minute)
			env.RegisterDelayedCallback(func() { queryProgress(t, env, &during) }, 10*time.Minute)
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, time.Hour)
			env.RegisterDelayedCallback(func() { queryProgress(t, env, &after) }, time.Hour+time.Minute)
			env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour)
			env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})

			require.True(t, env.IsWorkflowCompleted())
			require.True(t, temporal.IsCanceledError(env.GetWorkflowError()), "%v", env.GetWorkflowError())
			if tt.wantPaused {
				assert.Equal(t, PhasePaused, during.Phase)
				assert.Contains(t, during.PauseReason, "invalid_client")
			} else {
				assert.NotEqual(t, PhasePaused, during.Phase)
			}
			assert.Equal(t, tt.wantCalls, calls)
			assert.Equal(t, tt.wantDone, after.Deletes.Propagated)
		})
	}
}

// A run that begins paused by a bad file (carried over by continue-as-new while it waited)
// shows the wait again once resumed, not the pause.
func TestIncrementalSyncShowsItsWaitAfterABadFileIsFixed(t *testing.T) {
	const message = "demo.yaml: schedule.interval: not a duration"
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	describes := 0
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(func(context.Context, string) (activities.ConnectionInfo, error) {
		describes++
		if describes == 1 {
			return activities.ConnectionInfo{}, temporal.NewNonRetryableApplicationError(message, activities.ErrTypeConfiguration, nil)
		}
		return info, nil
	})
	var during, after Progress
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &during) }, 10*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, 30*time.Minute)
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &after) }, 31*time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 40*time.Minute)
	st := &SyncState{
		Progress: Progress{Connection: "demo", Workflow: "IncrementalSync", Phase: PhasePaused, PauseReason: message, Cycles: 3},
		Waiting:  true,
		Control:  control{Paused: true, PauseReason: message},
	}
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", State: st})

	assert.Equal(t, PhasePaused, during.Phase)
	assert.Equal(t, message, during.PauseReason)
	assert.Equal(t, PhaseWaiting, after.Phase)
	assert.Empty(t, after.PauseReason)
}

// A confirming scan of many stretches keeps its place across continue-as-new and across a
// pause for a configuration error, instead of starting again from the beginning.
func TestPipelineSyncScanKeepsItsPlace(t *testing.T) {
	refused := temporal.NewNonRetryableApplicationError("altior POST /affaires/events: configuration (HTTP 403): rights", activities.ErrTypeConfiguration, nil)
	tests := []struct {
		name      string
		max       int
		refuseAt  string // the position refused once
		wantRun1  []string
		wantPlace *ScanPlace // carried to the next run (Start checked apart)
		wantRun2  []string
	}{
		// describe and three stretches reach four activities.
		{"continue-as-new mid-scan", 4, "none", []string{"", "1", "2"}, &ScanPlace{Position: "3"}, []string{"3", "4", "5"}},
		{"paused mid-scan", 0, "2", []string{"", "1", "2", "2", "3", "4", "5"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var scanStart time.Time
			limit := len(tt.wantRun1)
			run := func(in PipelineInput) ([]string, error) {
				var s testsuite.WorkflowTestSuite
				env := newTestEnv(&s)
				var a *activities.Activities
				env.RegisterActivity(a)
				env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(info, nil)
				var positions []string
				refusedOnce := false
				env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(func(_ context.Context, si activities.StageInput) (activities.StageResult, error) {
					positions = append(positions, si.Position)
					if scanStart.IsZero() {
						scanStart = si.ScanStart
					}
					if len(positions) <= limit { // not a later scan's
						assert.True(t, scanStart.Equal(si.ScanStart), "the stretches of a scan share its start")
					}
					if si.Position == tt.refuseAt && !refusedOnce {
						refusedOnce = true
						return activities.StageResult{}, refused
					}
					n := 0
					if si.Position != "" {
						_, _ = fmt.Sscan(si.Position, &n)
					}
					return activities.StageResult{Position: fmt.Sprint(n + 1), Done: n+1 == 6, Checked: 10}, nil
				})
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, time.Hour)
				env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour)
				env.ExecuteWorkflow(PipelineSync, in)
				return positions, env.GetWorkflowError()
			}
			got, err := run(PipelineInput{Connection: "demo", Tuning: Tuning{MaxActivitiesPerRun: tt.max}})
			if len(got) > len(tt.wantRun1) {
				got = got[:len(tt.wantRun1)] // later scans, at the interval
			}
			assert.Equal(t, tt.wantRun1, got)
			if tt.wantPlace == nil {
				return
			}
			var can *workflow.ContinueAsNewError
			require.ErrorAs(t, err, &can)
			var next PipelineInput
			require.NoError(t, converterFromEnv().FromPayloads(can.Input, &next))
			require.NotNil(t, next.State.Scan)
			assert.Equal(t, tt.wantPlace.Position, next.State.Scan.Position)
			assert.True(t, scanStart.Equal(next.State.Scan.Start))
			next.Tuning = Tuning{}
			limit = len(tt.wantRun2)
			got, _ = run(next)
			assert.Equal(t, tt.wantRun2, got[:len(tt.wantRun2)])
		})
	}
}

// While a connection is paused, webhooks may announce a mass deletion or a flood of stage
// changes. The queues keep each id once and at most Tuning.MaxQueuedIDs of them, so the state
// carried into the next run stays small: the deletions past the bound are left to a
// reconciliation the next cycle runs, the stage changes to the next scan.
func TestPausedQueuesStayBounded(t *testing.T) {
	tests := []struct {
		name     string
		workflow any
		input    any
		signal   func(env *testsuite.TestWorkflowEnvironment, i int)
		check    func(t *testing.T, ctl control)
	}{
		{"IncrementalSync", IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 40, MaxQueuedIDs: 10}},
			func(env *testsuite.TestWorkflowEnvironment, i int) {
				// Each id is announced twice (a redelivery), two ids a signal.
				env.SignalWorkflow(SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: []string{fmt.Sprint(i / 2), fmt.Sprint(100 + i/2)}})
			},
			func(t *testing.T, ctl control) {
				var ids []string
				for _, req := range ctl.Deleted {
					ids = append(ids, req.IDs...)
				}
				assert.Len(t, ids, 10)
				assert.Equal(t, []string{"0", "100", "1", "101", "2", "102", "3", "103", "4", "104"}, ids, "in the order announced, once each")
				assert.True(t, ctl.Overflow, "the next cycle reconciles")
			}},
		{"PipelineSync", PipelineSync, PipelineInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 40, MaxQueuedIDs: 10}},
			func(env *testsuite.TestWorkflowEnvironment, i int) {
				env.SignalWorkflow(SignalStageChanged, []string{fmt.Sprint(i / 2), fmt.Sprint(100 + i/2)})
			},
			func(t *testing.T, ctl control) {
				assert.Equal(t, []string{"0", "100", "1", "101", "2", "102", "3", "103", "4", "104"}, ctl.Changed)
				assert.True(t, ctl.SyncNow, "the next scan confirms every record")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := pausedEnv(nil)
			for i := range 40 {
				env.RegisterDelayedCallback(func() { tt.signal(env, i) }, time.Hour+time.Duration(i)*time.Minute)
			}
			env.ExecuteWorkflow(tt.workflow, tt.input)
			var can *workflow.ContinueAsNewError
			require.ErrorAs(t, env.GetWorkflowError(), &can)
			ctl := carriedControl(t, can)
			assert.True(t, ctl.Paused)
			tt.check(t, ctl)
		})
	}
}

// Deletions dropped from a full queue are found by a reconciliation at the next cycle, though
// the last one was minutes ago.
func TestAnOverflowingQueueReconcilesAtTheNextCycle(t *testing.T) {
	env := newEnvWith(infoWithDeletes(24*time.Hour), &fakePasses{stretches: 1})
	var a *activities.Activities
	reconciled := 0
	env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(func(context.Context, activities.ReconcileInput) (activities.ReconcileResult, error) {
		reconciled++
		return activities.ReconcileResult{Done: true}, nil
	})
	env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(propagateAll)
	overflowDeletions(env, 5*time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 20*time.Minute)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{MaxQueuedIDs: 4}})
	assert.Equal(t, 4, reconciled, "both sides at the first cycle, and again at 15 minutes for the overflow (not due for a day)")
}

// A reconciliation may delete records: a pause stops it between two stretches, and one
// refused for the connection's configuration (an API user that may not see the records it
// checks) pauses the connection with the message. Either way it carries on from its place
// after the resume.
func TestReconcileYieldsToPause(t *testing.T) {
	hidden := temporal.NewNonRetryableApplicationError("mautic GET /contacts/{id}: configuration (HTTP 403): the API user may not see contact 21", activities.ErrTypeConfiguration, nil)
	tests := []struct {
		name       string
		fail       bool // the first stretch is refused (else a user pauses during it)
		wantReason string
		want       []string
	}{
		{"paused by a user", false, "month-end closing", []string{"a/", "a/200", "b/", "b/200"}},
		{"refused for the configuration", true, "may not see contact 21", []string{"a/", "a/", "a/200", "b/", "b/200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnvWith(infoWithDeletes(24*time.Hour), &fakePasses{stretches: 1})
			var a *activities.Activities
			var stretches []string
			env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
				stretches = append(stretches, in.Side+"/"+in.After)
				if len(stretches) == 1 {
					if tt.fail {
						return activities.ReconcileResult{}, hidden
					}
					env.SignalWorkflow(SignalPause, "month-end closing")
				}
				if in.After == "" {
					return activities.ReconcileResult{After: "200"}, nil
				}
				return activities.ReconcileResult{Done: true}, nil
			})
			var reason string
			env.RegisterDelayedCallback(func() {
				var p Progress
				queryProgress(t, env, &p)
				reason = p.PauseReason
				assert.Len(t, stretches, 1, "nothing more while paused")
				env.SignalWorkflow(SignalResume, nil)
			}, 2*time.Hour)
			env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour+10*time.Minute)
			env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
			assert.Contains(t, reason, tt.wantReason)
			assert.Equal(t, tt.want, stretches, "from its place after the resume")
		})
	}
}

// A large id map is reconciled a few stretches a cycle, its place carried from cycle to cycle
// and through continue-as-new, so that the cycles keep their pace; deletions dropped from a
// full queue meanwhile ask for another reconciliation as soon as this one ends.
func TestReconcileRunsInSlices(t *testing.T) {
	var a *activities.Activities
	reconcile := func(stretches *[]string) func(context.Context, activities.ReconcileInput) (activities.ReconcileResult, error) {
		return func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
			*stretches = append(*stretches, in.Side+"/"+in.After)
			after := len(in.After) + 1 // three stretches a side: "", "1", "11"
			return activities.ReconcileResult{After: strings.Repeat("1", after), Done: after == 3, Checked: 200}, nil
		}
	}
	t.Run("across cycles", func(t *testing.T) {
		f := &fakePasses{stretches: 1}
		env := newEnvWith(infoWithDeletes(24*time.Hour), f)
		var stretches []string
		env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(reconcile(&stretches))
		var perCycle []int
		env.RegisterDelayedCallback(func() { perCycle = append(perCycle, len(stretches)) }, 10*time.Minute)
		env.RegisterDelayedCallback(func() { perCycle = append(perCycle, len(stretches)) }, 25*time.Minute)
		env.RegisterDelayedCallback(func() { perCycle = append(perCycle, len(stretches)) }, 40*time.Minute)
		env.RegisterDelayedCallback(func() { perCycle = append(perCycle, len(stretches)) }, 55*time.Minute)
		env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 70*time.Minute)
		env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{ReconcileStretches: 2}})
		assert.Equal(t, []string{"a/", "a/1", "a/11", "b/", "b/1", "b/11"}, stretches, "each stretch once, in order")
		assert.Equal(t, []int{2, 4, 6, 6}, perCycle, "two stretches a cycle, then none until due again")
	})
	t.Run("through continue-as-new", func(t *testing.T) {
		env := newEnvWith(infoWithDeletes(24*time.Hour), &fakePasses{stretches: 1})
		var stretches []string
		env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(reconcile(&stretches))
		env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", MaxCyclesPerRun: 1, Tuning: Tuning{ReconcileStretches: 4}})
		var can *workflow.ContinueAsNewError
		require.ErrorAs(t, env.GetWorkflowError(), &can)
		var next SyncInput
		require.NoError(t, converterFromEnv().FromPayloads(can.Input, &next))
		require.NotNil(t, next.State.Reconcile)
		assert.Equal(t, ReconcilePosition{Object: "contact", Side: "b", After: "1"}, *next.State.Reconcile)

		env = newEnvWith(infoWithDeletes(24*time.Hour), &fakePasses{stretches: 1})
		stretches = nil
		env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(reconcile(&stretches))
		env.ExecuteWorkflow(IncrementalSync, next)
		assert.Equal(t, []string{"b/1", "b/11"}, stretches, "the next run carries on from its place")
	})
	t.Run("again after an overflow", func(t *testing.T) {
		env := newEnvWith(infoWithDeletes(24*time.Hour), &fakePasses{stretches: 1})
		var stretches []string
		env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(reconcile(&stretches))
		env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(propagateAll)
		overflowDeletions(env, 5*time.Minute)
		env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 50*time.Minute)
		env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{ReconcileStretches: 4, MaxQueuedIDs: 4}})
		assert.Equal(t, []string{"a/", "a/1", "a/11", "b/", "b/1", "b/11", "a/", "a/1", "a/11", "b/", "b/1", "b/11"}, stretches,
			"the overflow at 5 minutes asks for a second, whole reconciliation after the first")
	})
}

// A pause stops a mass deletion between two chunks: what is left waits for the resume, and
// goes then.
func TestPauseHoldsAnnouncedDeletions(t *testing.T) {
	f := &fakePasses{stretches: 1}
	env := newEnv(t, f)
	var a *activities.Activities
	var chunks []int
	env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
		chunks = append(chunks, len(in.IDs))
		if len(chunks) == 1 {
			env.SignalWorkflow(SignalPause, "is this mass deletion intended?")
		}
		return activities.DeleteResult{Propagated: len(in.IDs)}, nil
	})
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	var whilePaused []int
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: ids}) }, 5*time.Minute)
	env.RegisterDelayedCallback(func() {
		whilePaused = slices.Clone(chunks)
		env.SignalWorkflow(SignalResume, nil)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
	assert.Equal(t, []int{200}, whilePaused, "the chunk under way ends, no other begins")
	assert.Equal(t, []int{200, 200, 200, 200, 200}, chunks, "the rest after the resume")
}

// A resume reads the connection file again: the fix the pause asked for may be in it (here
// the object whose rights cannot be granted is taken out), and the cycle goes on with it
// instead of pausing again on the same refusal at every resume.
func TestResumeReadsTheFixedFile(t *testing.T) {
	refused := temporal.NewNonRetryableApplicationError("weavy: the API user may not read table Marketing / Entrant", activities.ErrTypeConfiguration, nil)
	for _, workflowName := range []string{"IncrementalSync", "InitialImport"} {
		t.Run(workflowName, func(t *testing.T) {
			f := &fakePasses{stretches: 1, fail: func(in activities.PassInput, _ int) error {
				if in.Object == "contact" {
					return refused
				}
				return nil
			}}
			var s testsuite.WorkflowTestSuite
			env := newTestEnv(&s)
			var a *activities.Activities
			env.RegisterActivity(a)
			fixed := false
			env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(func(context.Context, string) (activities.ConnectionInfo, error) {
				if fixed {
					ci := info
					ci.Objects = []string{"company"}
					return ci, nil
				}
				return info, nil
			})
			env.OnActivity(a.Stats, mock.Anything, "demo").Return(activities.StoreStats{}, nil)
			env.OnActivity(a.SyncPass, mock.Anything, mock.Anything).Return(f.pass)
			var phase string
			env.RegisterDelayedCallback(func() {
				fixed = true
				env.SignalWorkflow(SignalResume, nil)
			}, time.Hour)
			env.RegisterDelayedCallback(func() {
				var p Progress
				queryProgress(t, env, &p)
				phase = p.Phase
			}, time.Hour+time.Minute)
			env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour)
			if workflowName == "InitialImport" {
				env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
				var p Progress
				require.NoError(t, env.GetWorkflowResult(&p))
				assert.Equal(t, PhaseDone, p.Phase)
			} else {
				env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
				assert.Equal(t, PhaseWaiting, phase)
			}
			refusedPasses := 0
			for _, c := range f.calls {
				if strings.HasPrefix(c, "contact/") {
					refusedPasses++
				}
			}
			assert.Equal(t, 1, refusedPasses, "the contact pass is not tried again after the resume: %v", f.calls)
		})
	}
}

// A resync whose input does not decode (a date without its time, typed by hand) is dropped
// with the SDK's log line; it used to become a resync of every object from the beginning.
func TestAResyncThatDoesNotDecodeIsDropped(t *testing.T) {
	f := &fakePasses{stretches: 1}
	env := newEnv(t, f)
	resets := recordResets(env)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalResync, map[string]any{"objects": []string{"contact"}, "since": "2026-01-31"})
	}, 5*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResync, ResyncRequest{Objects: []string{"company"}}) }, 20*time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, time.Hour)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
	require.Len(t, *resets, 1, "only the resync that decoded: %+v", *resets)
	assert.Equal(t, []string{"company"}, (*resets)[0].Objects)
}

// schedule.max_deletes: the deletions of one cycle delete at most so many records; a batch
// past it pauses the connection with the activity's message, the ids kept; resumed with
// allow-deletes, they go, and the limit holds again from the next cycle on.
func TestDeleteGuardPausesAMassDeletion(t *testing.T) {
	ci := info
	ci.MaxDeletes = 3
	f := &fakePasses{stretches: 1}
	env := newEnvWith(ci, f)
	var a *activities.Activities
	var guards []activities.DeleteGuard
	env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
		guards = append(guards, in.Guard)
		if in.Guard.Limited && len(in.IDs) > in.Guard.Allowance {
			return activities.DeleteResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("demo.yaml: %d more contact records deleted on mautic would go past schedule.max_deletes", len(in.IDs)), activities.ErrTypeConfiguration, nil)
		}
		return activities.DeleteResult{Propagated: len(in.IDs)}, nil
	})
	deleted := func(ids ...string) {
		env.SignalWorkflow(SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: ids})
	}
	var held Progress
	env.RegisterDelayedCallback(func() { deleted("1", "2") }, 2*time.Minute)
	env.RegisterDelayedCallback(func() { deleted("3", "4", "5", "6", "7") }, 4*time.Minute)
	env.RegisterDelayedCallback(func() {
		queryProgress(t, env, &held)
		env.SignalWorkflow(SignalAllowDeletes, nil)
		env.SignalWorkflow(SignalResume, nil)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { deleted("8", "9", "10", "11") }, 2*time.Hour)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 3*time.Hour)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})

	assert.Equal(t, PhasePaused, held.Phase)
	assert.Contains(t, held.PauseReason, "5 more contact records deleted on mautic would go past schedule.max_deletes")
	assert.Equal(t, 2, held.Deletes.Propagated)
	require.Len(t, guards, 4, "%+v", guards)
	assert.Equal(t, []activities.DeleteGuard{
		{Limited: true, Allowance: 3}, // the first two
		{Limited: true, Allowance: 1}, // five more: held
		{},                            // allowed after the check
		{Limited: true, Allowance: 3}, // a later cycle: the limit holds again
	}, guards)
}

// A reconciliation spanning cycles is bounded whole by schedule.max_deletes: each slice does
// not get a fresh allowance (a large map emptied on one side would otherwise go a few at a
// time, without a pause).
func TestDeleteGuardBoundsAReconciliationAcrossCycles(t *testing.T) {
	ci := infoWithDeletes(24 * time.Hour)
	ci.MaxDeletes = 5
	env := newEnvWith(ci, &fakePasses{stretches: 1})
	var a *activities.Activities
	var guards []activities.DeleteGuard
	env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
		guards = append(guards, in.Guard)
		if in.Guard.Limited && 3 > in.Guard.Allowance {
			return activities.ReconcileResult{}, temporal.NewNonRetryableApplicationError("demo.yaml: 3 more contact records deleted on mautic would go past schedule.max_deletes", activities.ErrTypeConfiguration, nil)
		}
		return activities.ReconcileResult{After: in.After + "1", Checked: 200, Deletes: activities.DeleteResult{Propagated: 3}}, nil // never done
	})
	var phase string
	env.RegisterDelayedCallback(func() {
		var p Progress
		queryProgress(t, env, &p)
		phase = p.Phase
	}, 50*time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, time.Hour)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{ReconcileStretches: 1}})
	assert.Equal(t, []activities.DeleteGuard{{Limited: true, Allowance: 5}, {Limited: true, Allowance: 2}}, guards,
		"the second cycle's slice has what the first left")
	assert.Equal(t, PhasePaused, phase)
}

// Deletions made before schedule.max_deletes held the rest back count after a plain resume:
// the reconciliation carries on from its place with what the limit has left, and announced
// deletions leave the queue once done (a plain resume gave the rest a fresh allowance).
func TestDeleteGuardCountsWhatWentBeforeTheHold(t *testing.T) {
	ci := infoWithDeletes(24 * time.Hour)
	ci.MaxDeletes = 5
	env := newEnvWith(ci, &fakePasses{stretches: 1})
	var a *activities.Activities
	var reconciles []activities.ReconcileInput
	env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
		reconciles = append(reconciles, in)
		if len(reconciles) == 1 { // four deleted, then a page past the limit
			return activities.ReconcileResult{}, temporal.NewNonRetryableApplicationError("demo.yaml: 3 more contact records deleted on mautic would go past schedule.max_deletes",
				activities.ErrTypeConfiguration, nil, activities.ReconcileResult{After: "p4", Checked: 800, Deletes: activities.DeleteResult{Propagated: 4}})
		}
		return activities.ReconcileResult{After: in.After, Done: true}, nil
	})
	var held Progress
	env.RegisterDelayedCallback(func() {
		queryProgress(t, env, &held)
		env.SignalWorkflow(SignalResume, nil)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{ReconcileStretches: 1}})

	assert.Equal(t, PhasePaused, held.Phase)
	assert.Equal(t, 4, held.Deletes.Propagated, "counted while paused")
	require.GreaterOrEqual(t, len(reconciles), 2)
	assert.Equal(t, "p4", reconciles[1].After, "from its place")
	assert.Equal(t, activities.DeleteGuard{Limited: true, Allowance: 1}, reconciles[1].Guard, "what the limit has left")
}

// keepDeleted keeps the first ids up to the bound, in order, and no request left empty.
func TestKeepDeleted(t *testing.T) {
	req := func(side string, ids ...string) DeletedRequest {
		return DeletedRequest{Object: "contact", Side: side, IDs: ids}
	}
	tests := []struct {
		name    string
		in      []DeletedRequest
		max     int
		want    []DeletedRequest
		dropped bool
	}{
		{"under", []DeletedRequest{req("a", "1"), req("b", "2")}, 3, []DeletedRequest{req("a", "1"), req("b", "2")}, false},
		{"exactly", []DeletedRequest{req("a", "1"), req("b", "2")}, 2, []DeletedRequest{req("a", "1"), req("b", "2")}, false},
		{"cut inside a request", []DeletedRequest{req("a", "1", "2", "3"), req("b", "4")}, 2, []DeletedRequest{req("a", "1", "2")}, true},
		{"cut between requests", []DeletedRequest{req("a", "1", "2"), req("b", "3")}, 2, []DeletedRequest{req("a", "1", "2")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dropped := keepDeleted(tt.in, tt.max)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.dropped, dropped)
		})
	}
}

// carriedControl decodes the control state a run carried into its continue-as-new.
func carriedControl(t *testing.T, can *workflow.ContinueAsNewError) control {
	t.Helper()
	var next struct {
		State struct {
			Control control `json:"control"`
		} `json:"state"`
	}
	require.NoError(t, converterFromEnv().FromPayloads(can.Input, &next))
	return next.State.Control
}

// pausedEnv is an environment for IncrementalSync or PipelineSync on "demo" whose passes and
// scans do nothing: a user pauses it at once, or, with badFile, its file does not validate.
func pausedEnv(badFile error) (*testsuite.TestWorkflowEnvironment, *activities.Activities) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	if badFile != nil {
		env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(activities.ConnectionInfo{}, badFile)
	} else {
		env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(info, nil)
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, "month-end closing") }, 0)
	}
	env.OnActivity(a.Stats, mock.Anything, "demo").Return(activities.StoreStats{}, nil)
	env.OnActivity(a.SyncPass, mock.Anything, mock.Anything).Return(activities.PassResult{Done: true}, nil)
	env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(activities.StageResult{Done: true}, nil)
	return env, a
}

// infoWithDeletes is info with contacts propagating deletions, reconciled every so often.
func infoWithDeletes(every time.Duration) activities.ConnectionInfo {
	ci := info
	ci.Reconcile = every
	ci.ReconcileObjects = []string{"contact"}
	return ci
}
