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

// SellsyEvents routes a record's events one after another, in the order they came: an event
// that comes while one of its kind (object and event) still waits adds nothing, one that
// comes while its kind is being routed is routed again (the record may have changed since its
// read); a failure is retried until the event is routed, through an outage of hours; an event
// that cannot be routed fails the workflow, naming it, once the others are routed, and so does
// one an earlier run could not route (carried by continue-as-new).
func TestSellsyEventsRoutesEachEventInOrder(t *testing.T) {
	ev := func(event, digest string) activities.SellsyEvent {
		return activities.SellsyEvent{Connection: "shop", Object: "opportunity", Event: event, ID: "77", Digest: digest}
	}
	created, updated, moved, deleted := ev("created", "d1"), ev("updated", "d2"), ev("updated", "d3"), ev("deleted", "d4")
	type signal struct {
		at time.Duration
		ev activities.SellsyEvent
	}
	tests := []struct {
		name    string
		carried SellsyEventsInput // what an earlier run handed on
		signals []signal
		// fail answers an attempt of an event (its attempt number from 1), nil for success.
		fail   func(e activities.SellsyEvent, attempt int) error
		routed []activities.SellsyEvent // every attempt, in order
		err    string
	}{
		{name: "in the order they came, one of a kind waiting taken once",
			signals: []signal{{0, created}, {0, updated}, {0, created}, {0, moved}, {0, deleted}},
			routed:  []activities.SellsyEvent{created, updated, deleted}},
		{name: "one of a kind being routed is routed again",
			signals: []signal{{0, updated}, {time.Second, moved}},
			routed:  []activities.SellsyEvent{updated, moved}},
		{name: "an outage of three hours retried",
			signals: []signal{{0, updated}, {0, created}},
			fail: func(e activities.SellsyEvent, attempt int) error {
				if e == updated && attempt <= 22 { // 1 s, 2 s, … then 10 minutes apart: over three hours
					return temporal.NewApplicationError("sellsy: 503", "Retryable")
				}
				return nil
			},
			routed: append(repeat(updated, 23), created)},
		{name: "one that cannot be read fails the workflow after the others",
			signals: []signal{{0, updated}, {0, created}},
			fail: func(e activities.SellsyEvent, _ int) error {
				if e == updated {
					return temporal.NewNonRetryableApplicationError("sellsy: 400 bad id", "InvalidRecord", nil)
				}
				return nil
			},
			routed: []activities.SellsyEvent{updated, created},
			err:    "1 Sellsy event(s) not routed: opportunity updated of 77: sellsy: 400 bad id"},
		{name: "a failure of an earlier run fails the last one",
			carried: SellsyEventsInput{Failed: []string{"opportunity updated of 77: sellsy: 400 bad id"}, NotRouted: 1},
			signals: []signal{{0, created}},
			routed:  []activities.SellsyEvent{created},
			err:     "1 Sellsy event(s) not routed: opportunity updated of 77: sellsy: 400 bad id"},
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
			in := tt.carried
			in.Connection, in.Object, in.ID = "shop", "opportunity", "77"
			env.ExecuteWorkflow(SellsyEvents, in)
			require.True(t, env.IsWorkflowCompleted())
			if tt.err == "" {
				require.NoError(t, env.GetWorkflowError())
			} else {
				require.Error(t, env.GetWorkflowError())
				assert.Contains(t, env.GetWorkflowError().Error(), tt.err)
			}
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
// ones not yet routed and those it could not route, so that its history stays short.
func TestSellsyEventsContinuesAsNewWithWhatWaits(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	routed := 0
	env.OnActivity(a.RouteSellsyEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, e activities.SellsyEvent) error {
		if routed++; e.Event == "e3" {
			return temporal.NewNonRetryableApplicationError("sellsy: 400", "InvalidRecord", nil)
		}
		return nil
	}).After(1200 * time.Millisecond)
	// A kind of event a second, faster than they are routed: some wait when the run ends.
	for i := range sellsyEventsPerRun + 50 {
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(SignalSellsyEvent, activities.SellsyEvent{Connection: "shop", Object: "company", Event: fmt.Sprint("e", i), ID: "5"})
		}, time.Duration(i)*time.Second)
	}
	env.ExecuteWorkflow(SellsyEvents, SellsyEventsInput{Connection: "shop", Object: "company", ID: "5"})
	var next *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &next), "%v", env.GetWorkflowError())
	assert.Equal(t, sellsyEventsPerRun, routed)
	var in SellsyEventsInput
	require.NoError(t, converterFromEnv().FromPayloads(next.Input, &in))
	require.NotEmpty(t, in.Pending)
	assert.LessOrEqual(t, len(in.Pending), maxPending)
	assert.Equal(t, fmt.Sprint("e", sellsyEventsPerRun), in.Pending[0].Event, "the next one in order")
	assert.Equal(t, 1, in.NotRouted)
	assert.Equal(t, []string{"company e3 of 5: sellsy: 400"}, in.Failed)
	assert.Equal(t, "shop/sellsy-events/company-5", SellsyEventsWorkflowID(in.Connection, in.Object, in.ID))
}

// A flood of deliveries of one event — each coalesced, each a signal in the history — makes
// the run continue as new once its history is long, carrying the event.
func TestSellsyEventsContinuesAsNewOnALongHistory(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newTestEnv(&s)
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.RouteSellsyEvent, mock.Anything, mock.Anything).Return(nil).After(time.Second)
	ev := activities.SellsyEvent{Connection: "shop", Object: "company", Event: "updated", ID: "5"}
	for range 3 {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalSellsyEvent, ev) }, 0)
	}
	env.SetCurrentHistoryLength(sellsyEventsHistory) // as the flood left it
	env.ExecuteWorkflow(SellsyEvents, SellsyEventsInput{Connection: "shop", Object: "company", ID: "5"})
	var next *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &next), "%v", env.GetWorkflowError())
	var in SellsyEventsInput
	require.NoError(t, converterFromEnv().FromPayloads(next.Input, &in))
	assert.Equal(t, []activities.SellsyEvent{ev}, in.Pending)
}
