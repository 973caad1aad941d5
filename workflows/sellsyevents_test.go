package workflows

import (
	"context"
	"errors"
	"fmt"
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

// SellsyEvents routes a record's events one after another, in the order they came: a
// redelivery that comes while the same event still waits is dropped, one that comes while
// the event is being routed is routed again (the record may have changed since its read); a
// failure is retried until the event is routed, through an outage of hours; an event that
// cannot be routed fails the workflow, naming it, once the others are routed.
func TestSellsyEventsRoutesEachEventInOrder(t *testing.T) {
	ev := func(event, digest string) activities.SellsyEvent {
		return activities.SellsyEvent{Connection: "shop", Object: "opportunity", Event: event, ID: "77", Digest: digest}
	}
	created, updated, moved := ev("created", "d1"), ev("updated", "d2"), ev("updated", "d3")
	type signal struct {
		at time.Duration
		ev activities.SellsyEvent
	}
	tests := []struct {
		name    string
		signals []signal
		// fail answers an attempt of an event (its attempt number from 1), nil for success.
		fail   func(e activities.SellsyEvent, attempt int) error
		routed []activities.SellsyEvent // every attempt, in order
		err    string
	}{
		{name: "in the order they came, a redelivery waiting dropped",
			signals: []signal{{0, created}, {0, updated}, {0, created}, {0, moved}, {0, updated}},
			routed:  []activities.SellsyEvent{created, updated, moved}},
		{name: "a redelivery while the event is routed is routed again",
			signals: []signal{{0, updated}, {time.Second, updated}},
			routed:  []activities.SellsyEvent{updated, updated}},
		{name: "an outage of three hours retried",
			signals: []signal{{0, updated}, {0, moved}},
			fail: func(e activities.SellsyEvent, attempt int) error {
				if e == updated && attempt <= 22 { // 1 s, 2 s, … then 10 minutes apart: over three hours
					return temporal.NewApplicationError("sellsy: 503", "Retryable")
				}
				return nil
			},
			routed: append(repeat(updated, 23), moved)},
		{name: "one that cannot be read fails the workflow after the others",
			signals: []signal{{0, updated}, {0, moved}},
			fail: func(e activities.SellsyEvent, _ int) error {
				if e == updated {
					return temporal.NewNonRetryableApplicationError("sellsy: 400 bad id", "InvalidRecord", nil)
				}
				return nil
			},
			routed: []activities.SellsyEvent{updated, moved},
			err:    "Sellsy events not routed: opportunity updated of 77: sellsy: 400 bad id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := newTestEnv(&s)
			var a *activities.Activities
			env.RegisterActivity(a)
			var mu sync.Mutex
			var routed []activities.SellsyEvent
			attempts := map[activities.SellsyEvent]int{}
			env.OnActivity(a.RouteSellsyEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, e activities.SellsyEvent) error {
				mu.Lock()
				defer mu.Unlock()
				routed = append(routed, e)
				attempts[e]++
				if tt.fail != nil {
					return tt.fail(e, attempts[e])
				}
				return nil
			}).After(5 * time.Second) // a read back takes a while: later signals come during it
			for _, sg := range tt.signals {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalSellsyEvent, sg.ev) }, sg.at)
			}
			env.ExecuteWorkflow(SellsyEvents, SellsyEventsInput{Connection: "shop", Object: "opportunity", ID: "77"})
			require.True(t, env.IsWorkflowCompleted())
			if tt.err == "" {
				require.NoError(t, env.GetWorkflowError())
			} else {
				require.Error(t, env.GetWorkflowError())
				assert.Contains(t, env.GetWorkflowError().Error(), tt.err)
			}
			assert.Equal(t, len(tt.routed), len(routed))
			assert.Equal(t, tt.routed, routed)
		})
	}
}

func repeat(e activities.SellsyEvent, n int) []activities.SellsyEvent {
	out := make([]activities.SellsyEvent, n)
	for i := range out {
		out[i] = e
	}
	return out
}

// A record with many events continues as new after sellsyEventsPerRun of them, carrying the
// ones not yet routed, so that its history stays short.
func TestSellsyEventsContinuesAsNewWithWhatWaits(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	routed := 0
	env.OnActivity(a.RouteSellsyEvent, mock.Anything, mock.Anything).Return(func(context.Context, activities.SellsyEvent) error {
		routed++
		return nil
	})
	for i := range sellsyEventsPerRun + 3 {
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(SignalSellsyEvent, activities.SellsyEvent{Connection: "shop", Object: "company", Event: "updated", ID: "5", Digest: fmt.Sprint(i)})
		}, 0)
	}
	env.ExecuteWorkflow(SellsyEvents, SellsyEventsInput{Connection: "shop", Object: "company", ID: "5"})
	var next *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &next), "%v", env.GetWorkflowError())
	assert.Equal(t, sellsyEventsPerRun, routed)
	var in SellsyEventsInput
	require.NoError(t, converterFromEnv().FromPayloads(next.Input, &in))
	assert.Len(t, in.Pending, 3)
	assert.Equal(t, fmt.Sprint(sellsyEventsPerRun), in.Pending[0].Digest)
	assert.Equal(t, "shop/sellsy-events/company-5", SellsyEventsWorkflowID(in.Connection, in.Object, in.ID))
}
