package workflows

import (
	"errors"
	"fmt"
	"slices"
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

// SellsyEventsInput is the input of SellsyEvents: the record its events are about, and what
// an earlier run hands on when it continues as new: the events it received and had not
// routed yet, and those it could not route.
type SellsyEventsInput struct {
	Connection string                   `json:"connection"`
	Object     string                   `json:"object"`
	ID         string                   `json:"id"`
	Pending    []activities.SellsyEvent `json:"pending,omitempty"`
	Failed     []string                 `json:"failed,omitempty"`     // the first maxFailedNamed
	NotRouted  int                      `json:"not_routed,omitempty"` // how many could not be routed
}

// A run continues as new once it has routed sellsyEventsPerRun events or its history holds
// sellsyEventsHistory events (signals included: deliveries of one event, each coalesced),
// so that a record changed all day, or a flood of deliveries, keeps a short history.
const (
	sellsyEventsPerRun  = 200
	sellsyEventsHistory = 2000
)

// maxPending bounds the events of one record waiting together: one per kind of event
// (pendingKey), and Sellsy has a handful of kinds; past it, an event is dropped, logged.
const maxPending = 64

// maxFailedNamed bounds the events a failed run names.
const maxFailedNamed = 20

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
// again. One workflow per record keeps a record's events in order, and an event that comes
// while one of its kind (its object and event) waits adds nothing: the one read back covers
// both. It ends when no event is left; one that could not be routed — still failing after a
// day, or refused as invalid — fails it once the others are routed, naming the event, even
// across continue-as-new.
func SellsyEvents(ctx workflow.Context, in SellsyEventsInput) error {
	ctx = workflow.WithActivityOptions(ctx, sellsyEventOptions)
	log := workflow.GetLogger(ctx)
	events := workflow.GetSignalChannel(ctx, SignalSellsyEvent)
	pending := in.Pending
	receive := func() {
		var ev activities.SellsyEvent
		for events.ReceiveAsync(&ev) {
			switch {
			case slices.ContainsFunc(pending, func(p activities.SellsyEvent) bool { return pendingKey(p) == pendingKey(ev) }):
			case len(pending) >= maxPending:
				log.Warn("Sellsy event dropped: as many kinds of event wait for this record as may", "object", ev.Object, "event", ev.Event, "id", ev.ID, "waiting", len(pending))
			default:
				pending = append(pending, ev)
			}
			ev = activities.SellsyEvent{}
		}
	}
	for routed := 0; ; routed++ {
		receive()
		if len(pending) == 0 {
			break
		}
		info := workflow.GetInfo(ctx)
		if routed == sellsyEventsPerRun || info.GetCurrentHistoryLength() >= sellsyEventsHistory || info.GetContinueAsNewSuggested() {
			in.Pending = pending
			return workflow.NewContinueAsNewError(ctx, SellsyEvents, in)
		}
		ev := pending[0]
		pending = pending[1:]
		var a *activities.Activities
		if err := workflow.ExecuteActivity(ctx, a.RouteSellsyEvent, ev).Get(ctx, nil); err != nil {
			log.Error("Sellsy event not routed", "object", ev.Object, "event", ev.Event, "id", ev.ID, "error", err)
			if in.NotRouted++; len(in.Failed) < maxFailedNamed {
				in.Failed = append(in.Failed, fmt.Sprintf("%s %s of %s: %s", ev.Object, ev.Event, ev.ID, reason(err)))
			}
		}
	}
	if in.NotRouted > 0 {
		msg := fmt.Sprintf("%d Sellsy event(s) not routed: %s", in.NotRouted, strings.Join(in.Failed, "; "))
		if in.NotRouted > len(in.Failed) {
			msg += fmt.Sprintf("; and %d more (the worker's log names them)", in.NotRouted-len(in.Failed))
		}
		return temporal.NewNonRetryableApplicationError(msg, "EventsNotRouted", nil)
	}
	return nil
}

// pendingKey is an event's kind: two events of one kind waiting together are routed once,
// on the record as read then.
func pendingKey(ev activities.SellsyEvent) string { return ev.Object + " " + ev.Event }

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
