package webhooks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/workflows"
)

// SyncNowEvery is how often, at most, the receiver asks one workflow for sync-now on Sellsy
// events. A bulk edit in Sellsy sends a webhook per record: thousands of signals during one
// pass would each add an event to the sync's history — 50,000 end a workflow — for nothing,
// as one pass reads them all. The first goes at once; those within SyncNowEvery after it
// become one more at its end, so the last change still gets a pass after it, at most a
// quarter of a second later than it would have.
const SyncNowEvery = 250 * time.Millisecond

// syncNow sends sync-now to crmsync's own workflows the events' routes name (syncNowRoute),
// spaced by r.nudges. Nothing is read back for them: the sync reads what changed since its
// last pass itself, so a read here would only spend a Sellsy call an event (the account's 5
// a second) and delay the pass; a forged or replayed delivery runs at most a pass that finds
// nothing new. The signal names the event that asked (for the history), no record state.
func (r *Receiver) syncNow(ctx context.Context, c *config.Connection, events []sellsy.WebhookEvent) error {
	ctx = context.WithoutCancel(ctx)
	var sent []string
	for _, e := range events {
		routes := slices.DeleteFunc(matchingRoutes(c.Events, e), func(rt config.EventRoute) bool { return !syncNowRoute(rt) })
		if len(routes) == 0 {
			continue
		}
		recordID, ok := r.routableID(c, e)
		if !ok {
			continue
		}
		sig := EventSignal{Object: e.Object, Event: e.Type, ID: recordID}
		for _, rt := range routes {
			id := strings.ReplaceAll(rt.Signal.WorkflowID, "{connection}", c.Name)
			if slices.Contains(sent, id) {
				continue
			}
			sent = append(sent, id)
			if err := r.nudge(ctx, c.Name, id, sig); err != nil {
				return err
			}
		}
	}
	return nil
}

// nudge sends sync-now to the workflow id, spaced by r.nudges: at once, or held back for
// the trailing signal of its window. An error is a signal not sent, which the sender's next
// attempt sends at once.
func (r *Receiver) nudge(ctx context.Context, connection, id string, sig EventSignal) error {
	now, later := r.nudges.admit(id, sig, time.Now())
	if later > 0 {
		time.AfterFunc(later, func() { r.trailingSyncNow(connection, id) })
	}
	if !now {
		return nil
	}
	if err := r.signalSyncNow(ctx, connection, id, sig); err != nil {
		r.nudges.forget(id)
		return err
	}
	return nil
}

// trailingSyncNow sends the sync-now held back in id's window. Its delivery was answered
// already: one that fails is logged, and the sync's next cycle reads the change.
func (r *Receiver) trailingSyncNow(connection, id string) {
	sig, ok := r.nudges.take(id, time.Now())
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.signalSyncNow(ctx, connection, id, sig); err != nil {
		r.log.Error("sync-now for announced changes not sent: the next cycle reads them", "connection", connection, "workflow", id, "error", err)
	}
}

// signalSyncNow sends sync-now to id; a workflow that does not run is logged, not an error.
func (r *Receiver) signalSyncNow(ctx context.Context, connection, id string, sig EventSignal) error {
	err := r.temporal.SignalWorkflow(ctx, id, "", workflows.SignalSyncNow, sig)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		r.log.Info("change announced while the workflow does not run", "connection", connection, "workflow", id)
		return nil
	}
	return err
}

// syncNowRoute reports whether a route asks one of crmsync's own workflows for sync-now (the
// only signal validate lets a route send them), which syncNow sends without a read back.
func syncNowRoute(rt config.EventRoute) bool {
	return rt.Signal != nil && rt.Signal.Name == workflows.SignalSyncNow && config.IsOwnWorkflow(rt.Signal.WorkflowID)
}

// nudges spaces the sync-now signals to each workflow: one at once, then at most one every
// every, the last of a window held back and sent at its end.
type nudges struct {
	every    time.Duration
	mu       sync.Mutex
	last     map[string]time.Time   // workflow id → when its last sync-now went
	trailing map[string]EventSignal // workflow id → the latest event held back in its window
}

func newNudges(every time.Duration) *nudges {
	return &nudges{every: every, last: map[string]time.Time{}, trailing: map[string]EventSignal{}}
}

// admit reports whether a sync-now to id goes now. If not, sig waits for the window's end,
// and later, when not 0, is when the caller must send it (trailingSyncNow): the first held
// back in the window schedules it, the next ones only replace the event it names.
func (n *nudges) admit(id string, sig EventSignal, now time.Time) (send bool, later time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	last, sent := n.last[id]
	_, held := n.trailing[id]
	if !held && (!sent || now.Sub(last) >= n.every) {
		n.last[id] = now
		return true, 0
	}
	n.trailing[id] = sig
	if held {
		return false, 0
	}
	return false, max(last.Add(n.every).Sub(now), time.Millisecond)
}

// take hands over the event held back for id, the window starting again now.
func (n *nudges) take(id string, now time.Time) (EventSignal, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	sig, ok := n.trailing[id]
	if ok {
		delete(n.trailing, id)
		n.last[id] = now
	}
	return sig, ok
}

// forget drops id's last sync-now, which was not sent.
func (n *nudges) forget(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.last, id)
}
