package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/activities"
)

// A schedule.interval changed on a running PipelineSync applies at once, as it does for
// IncrementalSync: a long wait reads the file again every fileRecheck, and the next scan moves
// to the last one plus the new interval (it waited out the interval in force when the wait
// began, and read the file only then).
func TestPipelineSyncAppliesAChangedIntervalAtOnce(t *testing.T) {
	tests := []struct {
		name           string
		before, after  time.Duration // the interval, then the one the file says from editedAt
		editedAt       time.Duration
		end            time.Duration
		wantScans      []time.Duration // when each scan began, from the start
		at             time.Duration   // when to read the progress
		wantNextScanAt time.Duration
	}{
		{
			name: "shortened", before: 6 * time.Hour, after: 15 * time.Minute, editedAt: time.Hour,
			end: time.Hour + 40*time.Minute,
			// read again at 15, 30, 45 and 60 minutes: the edit is seen at 1 h, when
			// the last scan plus 15 minutes is past.
			wantScans: []time.Duration{0, time.Hour, time.Hour + 15*time.Minute, time.Hour + 30*time.Minute},
			at:        50 * time.Minute, wantNextScanAt: 6 * time.Hour,
		},
		{
			name: "lengthened", before: time.Hour, after: 3 * time.Hour, editedAt: 10 * time.Minute,
			end:       3*time.Hour + 30*time.Minute,
			wantScans: []time.Duration{0, 3 * time.Hour},
			at:        20 * time.Minute, wantNextScanAt: 3 * time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := newTestEnv(&s)
			var a *activities.Activities
			env.RegisterActivity(a)
			start := env.Now()
			before, after := info, info
			before.Interval, after.Interval = tt.before, tt.after
			env.OnActivity(a.DescribeConnection, mock.Anything, "demo").Return(func(context.Context, string) (activities.ConnectionInfo, error) {
				if env.Now().Sub(start) < tt.editedAt {
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
			var during PipelineProgress
			env.RegisterDelayedCallback(func() { queryProgress(t, env, &during) }, tt.at)
			env.RegisterDelayedCallback(env.CancelWorkflow, tt.end)
			env.ExecuteWorkflow(PipelineSync, PipelineInput{Connection: "demo"})

			assert.Equal(t, tt.wantScans, scans)
			assert.Equal(t, PhaseWaiting, during.Phase)
			assert.Equal(t, tt.wantNextScanAt, during.NextScanAt.Sub(start), "the next scan shown")
		})
	}
}
