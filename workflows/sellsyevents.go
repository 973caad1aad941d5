package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// SignalSellsyEvent hands a Sellsy webhook event (activities.SellsyEvent) to the
// SellsyEvents workflow of its record; the receiver sends it with signal-with-start.
const SignalSellsyEvent = "sellsy-event"

// SellsyEventsWorkflowID names the workflow that routes the events of one Sellsy record:
// <connection>/sellsy-events/<object>-<id>. id is the record's id as the receiver read it
// from the notification (a number, or a digest of what is none).
func SellsyEventsWorkflowID(connection, object, id string) string {
	return connection + "/sellsy-events/" + object + "-" + id
}

// SellsyEventsInput is the input of SellsyEvents: the record its events are about, and the
// events an earlier run received and had not routed yet (continue-as-new).
type SellsyEventsInput struct {
	Connection string                   `json:"connection"`
	Object     string                   `json:"object"`
	ID         string                   `json:"id"`
	Pending    []activities.SellsyEvent `json:"pending,omitempty"`
}

// sellsyEventsPerRun bounds the events one run routes before it continues as new, so that a
// record changed all day keeps a short history.
const sellsyEventsPerRun = 200

// sellsyEventOptions are RouteSellsyEvent's: the delivery was answered 200 once Temporal had
// the event, so the event is tried until it is routed — through a Sellsy outage, a spent
// quota, credentials being fixed — for a day.
var sellsyEventOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    2 * time.Minute,
	ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    10 * time.Minute,
		// The day bounds it (about 150 attempts), not a count.
		MaximumAttempts: 1000,
	},
}

// SellsyEvents routes the Sellsy webhook events of one record, one after another, in the
// order they came: each is read back and routed by RouteSellsyEvent (start or signal what the
// connection's events: say). The receiver answers Sellsy once the event is here, so an event
// outlives a worker's restart and a Sellsy outage instead of depending on Sellsy sending it
// again. One workflow per record keeps a record's events in order and lets a redelivery that
// comes while the same event waits be dropped. It ends when no event is left; one that could
// not be routed in a day fails it (after the others were routed), naming the event.
func SellsyEvents(ctx workflow.Context, in SellsyEventsInput) error {
	ctx = workflow.WithActivityOptions(ctx, sellsyEventOptions)
	events := workflow.GetSignalChannel(ctx, SignalSellsyEvent)
	pending := in.Pending
	receive := func() {
		var ev activities.SellsyEvent
		for events.ReceiveAsync(&ev) {
			pending = appendNew(pending, ev)
			ev = activities.SellsyEvent{}
		}
	}
	var failed []string
	for routed := 0; ; routed++ {
		receive()
		if len(pending) == 0 {
			break
		}
		if routed == sellsyEventsPerRun {
			in.Pending = pending
			return workflow.NewContinueAsNewError(ctx, SellsyEvents, in)
		}
		ev := pending[0]
		pending = pending[1:]
		var a *activities.Activities
		if err := workflow.ExecuteActivity(ctx, a.RouteSellsyEvent, ev).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("Sellsy event not routed", "object", ev.Object, "event", ev.Event, "id", ev.ID, "error", err)
			failed = append(failed, fmt.Sprintf("%s %s of %s: %s", ev.Object, ev.Event, ev.ID, reason(err)))
		}
	}
	if len(failed) > 0 {
		return temporal.NewNonRetryableApplicationError("Sellsy events not routed: "+strings.Join(failed, "; "), "EventsNotRouted", nil)
	}
	return nil
}

// appendNew appends ev unless the same event waits already: a redelivery adds nothing, as
// its read back would find what the first one's does.
func appendNew(pending []activities.SellsyEvent, ev activities.SellsyEvent) []activities.SellsyEvent {
	for _, p := range pending {
		if p.Same(ev) {
			return pending
		}
	}
	return append(pending, ev)
}

// reason is what an activity's failure says, without the SDK's wrapping: the last attempt's
// message, after how long when the attempts ran out of time.
func reason(err error) string {
	msg := err.Error()
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		msg = app.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		msg = fmt.Sprintf("still failing after %s: %s", sellsyEventOptions.ScheduleToCloseTimeout, msg)
	}
	return msg
}
