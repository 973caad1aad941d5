package workflows

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/activities"
)

// A `resume --allow-deletes` given for a reconciliation that schedule.max_deletes held lasts
// until that reconciliation is done, however many cycles it spans (it ran out at the end of
// the first cycle after the resume, and the next slice held the rest again with the same
// message); a pause in the middle keeps it; the next reconciliation is bounded again, counted
// afresh. An allowance given for announced deletions does not pass to a reconciliation that
// was not held: it is bounded again from the cycle after.
func TestAllowDeletesLastsUntilTheHeldReconciliationIsDone(t *testing.T) {
	type stretch struct {
		side, after string
		guard       activities.DeleteGuard
		held        bool
	}
	free := activities.DeleteGuard{}
	limit := func(n int) activities.DeleteGuard { return activities.DeleteGuard{Limited: true, Allowance: n} }
	tests := []struct {
		name string
		// webhook announces deletions of this many contacts at 2 minutes.
		webhook int
		// pauseAt, when not 0, pauses the connection by a user then, resumed (plainly) an
		// hour later.
		pauseAt time.Duration
		// perStretch is how many records a stretch of side a deletes (default 3).
		perStretch int
		want       []stretch
		end        time.Duration // default 4 h
	}{
		{
			name: "held reconciliation keeps the allowance until done",
			want: []stretch{
				{"a", "", limit(5), false},
				{"a", "1", limit(2), true}, // held: paused
				// allow-deletes and resume at 1 h: the rest of this reconciliation, over
				// three cycles, goes without a limit.
				{"a", "1", free, false},
				{"a", "11", free, false},
				{"a", "111", free, false},
				{"a", "1111", free, false},
				{"a", "11111", free, false},
				{"b", "", free, false},
				// due again 2 h after it ended: bounded, counted afresh.
				{"a", "", limit(5), false},
				{"a", "1", limit(2), true},
			},
		},
		{
			name:    "a pause in the middle keeps it",
			pauseAt: time.Hour + 20*time.Minute, // after the cycle at 1 h 15
			want: []stretch{
				{"a", "", limit(5), false},
				{"a", "1", limit(2), true},
				{"a", "1", free, false},
				{"a", "11", free, false},
				{"a", "111", free, false},
				{"a", "1111", free, false},
				// paused at 1 h 20, resumed without allow-deletes at 2 h 20
				{"a", "11111", free, false},
				{"b", "", free, false},
			},
			end: 3 * time.Hour,
		},
		{
			name:       "an allowance for announced deletions does not outlast its cycle in a reconciliation not held",
			webhook:    9,
			perStretch: 1,
			want: []stretch{
				// cycle at 0: the reconciliation's slice, within the limit; the nine
				// announced at 2 min are held (past 5).
				{"a", "", limit(5), false},
				{"a", "1", limit(4), false},
				// allowed at 1 h: that cycle's slice goes free too…
				{"a", "11", free, false},
				{"a", "111", free, false},
				// …and the next is bounded again, counted afresh.
				{"a", "1111", limit(5), false},
				{"a", "11111", limit(4), false},
				{"b", "", limit(3), false}, // the reconciliation is bounded whole
			},
			end: 2 * time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ci := infoWithDeletes(2 * time.Hour)
			ci.MaxDeletes = 5
			env := newEnvWith(ci, &fakePasses{stretches: 1})
			var a *activities.Activities
			var mu sync.Mutex
			var got []stretch
			env.OnActivity(a.Reconcile, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
				mu.Lock()
				defer mu.Unlock()
				// Side a: a map of six stretches, three records deleted in each; side b:
				// one stretch, nothing deleted.
				deleted, done := cmp.Or(tt.perStretch, 3), len(in.After) == 5
				if in.Side == "b" {
					deleted, done = 0, true
				}
				s := stretch{side: in.Side, after: in.After, guard: in.Guard}
				if in.Guard.Limited && deleted > in.Guard.Allowance {
					s.held = true
					got = append(got, s)
					return activities.ReconcileResult{}, temporal.NewNonRetryableApplicationError(
						fmt.Sprintf("demo.yaml: %d more contact records deleted on mautic would go past schedule.max_deletes (%d left of 5)", deleted, in.Guard.Allowance),
						activities.ErrTypeConfiguration, nil, activities.ReconcileResult{After: in.After})
				}
				got = append(got, s)
				return activities.ReconcileResult{After: in.After + "1", Done: done, Checked: 100, Deletes: activities.DeleteResult{Propagated: deleted}}, nil
			})
			env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
				if in.Guard.Limited && len(in.IDs) > in.Guard.Allowance {
					return activities.DeleteResult{}, temporal.NewNonRetryableApplicationError(
						fmt.Sprintf("demo.yaml: %d more contact records deleted on mautic would go past schedule.max_deletes (%d left of 5)", len(in.IDs), in.Guard.Allowance),
						activities.ErrTypeConfiguration, nil, activities.HeldDeletes{})
				}
				return activities.DeleteResult{Propagated: len(in.IDs)}, nil
			})
			if tt.webhook > 0 {
				env.RegisterDelayedCallback(func() {
					ids := make([]string, tt.webhook)
					for i := range ids {
						ids[i] = fmt.Sprint("w", i)
					}
					env.SignalWorkflow(SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: ids})
				}, 2*time.Minute)
			}
			var held Progress
			env.RegisterDelayedCallback(func() {
				queryProgress(t, env, &held)
				env.SignalWorkflow(SignalAllowDeletes, nil)
				env.SignalWorkflow(SignalResume, nil)
			}, time.Hour)
			var afterResume []Progress
			for _, at := range []time.Duration{time.Hour + 5*time.Minute, time.Hour + 20*time.Minute, time.Hour + 35*time.Minute} {
				env.RegisterDelayedCallback(func() {
					var p Progress
					queryProgress(t, env, &p)
					afterResume = append(afterResume, p)
				}, at-time.Second)
			}
			if tt.pauseAt > 0 {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalPause, "lunch") }, tt.pauseAt)
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalResume, nil) }, tt.pauseAt+time.Hour)
			}
			env.RegisterDelayedCallback(env.CancelWorkflow, cmp.Or(tt.end, 4*time.Hour))
			env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo", Tuning: Tuning{ReconcileStretches: 2}})

			assert.Equal(t, PhasePaused, held.Phase, "held before the allow-deletes")
			assert.Contains(t, held.PauseReason, "would go past schedule.max_deletes")
			assert.Equal(t, tt.want, got)
			if tt.webhook == 0 && tt.pauseAt == 0 {
				require.Len(t, afterResume, 3)
				for _, p := range afterResume {
					assert.NotEqual(t, PhasePaused, p.Phase, "not held again by the same reconciliation: %s", p.PauseReason)
					assert.False(t, strings.Contains(p.PauseReason, "max_deletes"), p.PauseReason)
				}
			}
		})
	}
}
