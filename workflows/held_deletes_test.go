package workflows

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/activities"
)

// Deletions announced and propagated before schedule.max_deletes held a batch back still count
// after a plain resume: the held ids do not get a fresh allowance from the cycle the resume
// starts (README, "Deletes"). The limit counts afresh from the first cycle after the held ids
// have left the queue.
func TestHeldDeletionsKeepTheirCountAfterAPlainResume(t *testing.T) {
	type call struct {
		object string
		ids    int
		guard  activities.DeleteGuard
	}
	contacts := DeletedRequest{Object: "contact", Side: "b", IDs: []string{"1", "2"}}
	companies := DeletedRequest{Object: "company", Side: "b", IDs: []string{"3", "4"}}
	tests := []struct {
		name string
		// duringCycle: both reports come while the second cycle runs (at 15m), handled
		// after it; otherwise they come while the first cycle's wait runs, one after the other.
		duringCycle bool
	}{
		{"held while waiting", false},
		{"held at the end of a cycle", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ci := info
			ci.MaxDeletes = 3
			var mu sync.Mutex
			f := &fakePasses{stretches: 1}
			env := newEnvWith(ci, f)
			if tt.duringCycle {
				f.fail = func(_ activities.PassInput, n int) error {
					if n == 5 { // the second cycle's first pass
						env.SignalWorkflow(SignalDeleted, contacts)
						env.SignalWorkflow(SignalDeleted, companies)
					}
					return nil
				}
			} else {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalDeleted, contacts) }, 2*time.Minute)
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalDeleted, companies) }, 4*time.Minute)
			}
			var a *activities.Activities
			var calls []call
			restored := false
			env.OnActivity(a.PropagateDeletes, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, call{in.Object, len(in.IDs), in.Guard})
				if restored && in.Object == "company" {
					return activities.DeleteResult{NotDeleted: len(in.IDs)}, nil // nothing left to delete
				}
				if in.Guard.Limited && len(in.IDs) > in.Guard.Allowance {
					msg := fmt.Sprintf("demo.yaml: %d more %s records deleted on mautic would go past schedule.max_deletes", len(in.IDs), in.Object)
					return activities.DeleteResult{}, temporal.NewNonRetryableApplicationError(msg, activities.ErrTypeConfiguration, nil, activities.HeldDeletes{})
				}
				return activities.DeleteResult{Propagated: len(in.IDs)}, nil
			})
			var held Progress
			env.RegisterDelayedCallback(func() {
				queryProgress(t, env, &held)
				env.SignalWorkflow(SignalResume, nil)
			}, 25*time.Minute)
			// Held again: the companies are restored, then resumed at 40m; the cycle it
			// starts finds them there, and the limit counts afresh from the next (55m).
			env.RegisterDelayedCallback(func() {
				mu.Lock()
				restored = true
				mu.Unlock()
				env.SignalWorkflow(SignalResume, nil)
			}, 40*time.Minute)
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: []string{"5", "6", "7"}})
			}, 57*time.Minute)
			env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
			env.ExecuteWorkflow(IncrementalSync, SyncInput{Connection: "demo"})

			assert.Equal(t, PhasePaused, held.Phase)
			require.Len(t, calls, 5, "%+v", calls)
			assert.Equal(t, call{"contact", 2, activities.DeleteGuard{Limited: true, Allowance: 3}}, calls[0])
			assert.Equal(t, call{"company", 2, activities.DeleteGuard{Limited: true, Allowance: 1}}, calls[1], "held")
			assert.Equal(t, call{"company", 2, activities.DeleteGuard{Limited: true, Allowance: 1}}, calls[2],
				"after a plain resume the held ids still have what the limit left")
			assert.Equal(t, call{"company", 2, activities.DeleteGuard{Limited: true, Allowance: 1}}, calls[3], "restored")
			assert.Equal(t, call{"contact", 3, activities.DeleteGuard{Limited: true, Allowance: 3}}, calls[4],
				"the held ids gone, a later cycle counts afresh")
		})
	}
}
