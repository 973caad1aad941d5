package workflows

import (
	"context"
	"errors"
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

// PipelineSync: the interval is shortened (6h -> 15m) at 1h05 and a stage-changed webhook
// comes at 1h10, before the 1h15 recheck. The file read after that wake moves the next scan
// (fixes.intervalFromAnyRead): it compares the interval with the one the scan was set from,
// not with the last read, which would then have seen no change and left it at 6h.
func TestPipelineIntervalReadAfterAWakeMovesTheScan(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	start := env.Now()
	before, after := info, info
	before.Interval, after.Interval = 6*time.Hour, 15*time.Minute
	env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(func(context.Context, string) (activities.ConnectionInfo, error) {
		if env.Now().Sub(start) < time.Hour+5*time.Minute {
			return before, nil
		}
		return after, nil
	})
	var mu sync.Mutex
	var scans []time.Duration
	env.OnActivity(a.PropagateStages, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StageInput) (activities.StageResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if len(in.IDs) == 0 && in.Position == "" {
			scans = append(scans, env.Now().Sub(start).Round(time.Minute))
		}
		return activities.StageResult{Done: true, Checked: 10}, nil
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStageChanged, []string{"opp-1"}) }, time.Hour+10*time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Hour)
	env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo"})
	assert.GreaterOrEqual(t, len(scans), 3, "scans every 15 min once the edit is seen (by 1h15 at the latest): %v", scans)
}

// IncrementalSync: the interval is shortened (6h -> 15m) while a cycle runs, and the run
// continues as new after that cycle (MaxCyclesPerRun, or a spent budget) and waits. The new
// run's first read of the file moves the next cycle, set from 6h and carried over, to 15m
// after the last one.
func TestSyncIntervalReadAfterContinueAsNewMovesTheCycle(t *testing.T) {
	long, short := info, info
	long.Interval, short.Interval = 6*time.Hour, 15*time.Minute
	env := newEnvWith(long, &fakePasses{stretches: 1})
	env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", MaxCyclesPerRun: 1})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can))
	var next SyncInput
	require.NoError(t, converterFromEnv().FromPayloads(can.Input, &next))
	require.True(t, next.State.Waiting)

	f2 := &fakePasses{stretches: 1}
	env2 := newEnvWith(short, f2) // the file as edited during the first cycle
	env2.RegisterDelayedCallback(env2.CancelWorkflow, 2*time.Hour)
	env2.ExecuteWorkflow(IncrementalSync, next)
	assert.NotEmpty(t, f2.calls, "a cycle within the first recheck (15 min) of the new 15m interval, not 6h after the last")
}

// Every signal counts toward MaxSignalsPerRun, not only deletions and stage changes: the
// UNAS webhook sends sync-now to IncrementalSync and PipelineSync on every order change,
// Sellsy signal routes send any signal name, the CLI pause, resume and resync. A paused
// workflow receiving a stream of them continues as new on its own budget, the import too,
// rather than growing its history until the server's suggestion, if it comes.
func TestPausedWorkflowsCountEverySignal(t *testing.T) {
	for _, tt := range []struct {
		name     string
		workflow any
		input    any
	}{
		{"IncrementalSync", IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 5}}},
		{"PipelineSync", PipelineSync, PipelineInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 5}}},
		{"InitialImport", InitialImport, ImportInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 5}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := pausedEnv(nil)
			sent := 0
			for i := range 50 {
				env.RegisterDelayedCallback(func() { sent++; env.SignalWorkflow(SignalSyncNow, nil) }, time.Hour+time.Duration(i)*time.Minute)
			}
			env.RegisterDelayedCallback(env.CancelWorkflow, 3*time.Hour)
			env.ExecuteWorkflow(tt.workflow, tt.input)
			var can *workflow.ContinueAsNewError
			assert.ErrorAs(t, env.GetWorkflowError(), &can, "continued as new once the signals reached MaxSignalsPerRun (sent %d)", sent)
		})
	}
}

// An import paused by a connection file that does not validate counts every signal too: past
// MaxSignalsPerRun it continues as new, still paused with the file's message, as it does
// paused by a user (README: "a flood of them while paused included").
func TestImportPausedByABadFileCountsEverySignal(t *testing.T) {
	badFile := temporal.NewNonRetryableApplicationError("demo.yaml: interval: not a duration", activities.ErrTypeConfiguration, nil)
	tests := []struct {
		name   string
		signal string
	}{
		{"sync-now", SignalSyncNow},
		{"pause", SignalPause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := pausedEnv(badFile)
			sent := 0
			for i := range 50 {
				env.RegisterDelayedCallback(func() { sent++; env.SignalWorkflow(tt.signal, nil) }, time.Hour+time.Duration(i)*time.Minute)
			}
			env.RegisterDelayedCallback(env.CancelWorkflow, 3*time.Hour)
			env.ExecuteWorkflow(InitialImport, ImportInput{Connection: "demo", Tuning: Tuning{MaxSignalsPerRun: 5}})
			var can *workflow.ContinueAsNewError
			require.ErrorAs(t, env.GetWorkflowError(), &can, "continued as new once the signals reached MaxSignalsPerRun (sent %d)", sent)
			assert.Equal(t, 5, sent)
			ctl := carriedControl(t, can)
			assert.True(t, ctl.Paused, "the next run is paused too")
		})
	}
}
