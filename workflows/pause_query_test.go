package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/activities"
)

// The progress query says a connection is paused, and why, as soon as the pause signal comes,
// as the workflow list does: `crmsync status` reads the query, and a pass waiting out an
// hour's quota must not leave it saying "syncing" for that hour. A resume that comes before
// the pass ends shows the workflow's own phase again.
func TestTheProgressQueryShowsAPauseAtOnce(t *testing.T) {
	tests := []struct {
		name      string
		workflow  any
		input     any
		resume    bool
		wantPhase string
		wantWhy   string
	}{
		{name: "import paused", workflow: InitialImport, input: ImportInput{Connection: "demo"}, wantPhase: PhasePaused, wantWhy: "maintenance"},
		{name: "import paused and resumed", workflow: InitialImport, input: ImportInput{Connection: "demo"}, resume: true, wantPhase: PhaseImporting},
		{name: "sync paused", workflow: IncrementalSync, input: SyncInput{Connection: "demo"}, wantPhase: PhasePaused, wantWhy: "maintenance"},
		{name: "sync paused and resumed", workflow: IncrementalSync, input: SyncInput{Connection: "demo"}, resume: true, wantPhase: PhaseSyncing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePasses{stretches: 2, fail: quotaAt(1)} // the first stretch waits out an hour's quota
			env := newEnv(t, f)
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, "maintenance") }, 10*time.Minute)
			if tt.resume {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, 20*time.Minute)
			}
			var during Progress
			var calls int
			env.RegisterDelayedCallback(func() {
				queryProgress(t, env, &during)
				calls = len(f.calls)
			}, 30*time.Minute)
			env.RegisterDelayedCallback(env.CancelWorkflow, 3*time.Hour)
			env.ExecuteWorkflow(tt.workflow, tt.input)
			assert.Equal(t, 1, calls, "the query came while the first stretch waited for its retry")
			assert.Equal(t, tt.wantPhase, during.Phase)
			assert.Equal(t, tt.wantWhy, during.PauseReason)
		})
	}
}

// A pause that comes while the import's last stretch runs finds nothing left to hold: the
// import ends done, and its result gives no pause reason.
func TestAnImportDoneWhilePausedShowsNoPauseReason(t *testing.T) {
	f := &fakePasses{stretches: 1, fail: quotaAt(4)} // the last stretch waits out an hour's quota
	env := newEnv(t, f)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, "maintenance") }, 10*time.Minute)
	env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo"})
	assert.NoError(t, env.GetWorkflowError())
	var p Progress
	assert.NoError(t, env.GetWorkflowResult(&p))
	assert.Equal(t, PhaseDone, p.Phase)
	assert.Empty(t, p.PauseReason)
}

// A pause that comes while a cycle's last stretch runs holds from then on: the cycle's end
// does not show the connection waiting (what a push and the passes ask before writing would
// take for running) before the workflow acts on the pause.
func TestACycleEndedWhilePausedStaysPaused(t *testing.T) {
	f := &fakePasses{stretches: 1, fail: quotaAt(4)} // the cycle's last stretch waits out an hour's quota
	env := newEnv(t, f)
	var phases []string
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if phase, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(AttrPhase); ok {
			phases = append(phases, phase)
		}
	}).Return(nil)
	paused := -1
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalPause, "maintenance")
		paused = len(phases)
	}, 10*time.Minute)
	var p Progress
	env.RegisterDelayedCallback(func() { queryProgress(t, env, &p) }, 2*time.Hour)
	env.RegisterDelayedCallback(env.CancelWorkflow, 3*time.Hour)
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
	require.GreaterOrEqual(t, paused, 0)
	require.Greater(t, len(phases), paused)
	for _, phase := range phases[paused:] {
		assert.Equal(t, PhasePaused, phase, "phases after the pause: %v", phases[paused:])
	}
	assert.Equal(t, PhasePaused, p.Phase)
	assert.Equal(t, "maintenance", p.PauseReason)
	assert.Equal(t, 1, p.Cycles, "the cycle ended")
}

// A pause without a reason on a connection paused already keeps the reason in force: `crmsync
// pause CONN` on a connection the system paused (a credential refused, a file that no longer
// validates) must not erase the diagnosis that says what to fix. A new reason replaces it.
func TestASecondPauseKeepsTheReasonUnlessItGivesOne(t *testing.T) {
	tests := []struct {
		name    string
		second  string
		wantWhy string
	}{
		{name: "without a reason", second: "", wantWhy: "maintenance"},
		{name: "with its own", second: "audit", wantWhy: "audit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, &fakePasses{stretches: 2})
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, "maintenance") }, time.Minute)
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, tt.second) }, 2*time.Minute)
			var p Progress
			env.RegisterDelayedCallback(func() { queryProgress(t, env, &p) }, 3*time.Minute)
			env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
			env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})
			assert.Equal(t, PhasePaused, p.Phase)
			assert.Equal(t, tt.wantWhy, p.PauseReason)
		})
	}
}

// quotaAt fails the nth pass call once with an hour's rate limit, as a spent quota does.
func quotaAt(at int) func(activities.PassInput, int) error {
	return func(_ activities.PassInput, n int) error {
		if n == at {
			return temporal.NewApplicationErrorWithOptions("quota spent", activities.ErrTypeRateLimited, temporal.ApplicationErrorOptions{NextRetryDelay: time.Hour})
		}
		return nil
	}
}
