package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// pauseCheckEvery is how often a long activity asks whether its workflow was paused meanwhile.
var pauseCheckEvery = 5 * time.Second

// pauseWatch asks, between two pages of a long activity, whether what the activity writes for
// was paused meanwhile: the activity then ends after its page, so that a pause holds the
// writes at once rather than after a minute more of them. It asks at once, then at most every
// pauseCheckEvery; a failed check is no pause (the workflow pauses after the activity).
type pauseWatch struct {
	paused func(ctx context.Context) (bool, error) // nil: never asks
	last   time.Time
}

// workflowPauseWatch watches the running activity's own workflow (Activities.WorkflowPaused).
func workflowPauseWatch(paused func(ctx context.Context, workflowID string) (bool, error)) pauseWatch {
	if paused == nil {
		return pauseWatch{}
	}
	return pauseWatch{paused: func(ctx context.Context) (bool, error) {
		return paused(ctx, activity.GetInfo(ctx).WorkflowExecution.ID)
	}}
}

// connectionPauseWatch watches a connection, for an activity outside its workflows (a retry
// of the quarantine; Activities.Paused).
func connectionPauseWatch(paused func(ctx context.Context, connection string) (bool, error), connection string) pauseWatch {
	if paused == nil {
		return pauseWatch{}
	}
	return pauseWatch{paused: func(ctx context.Context) (bool, error) { return paused(ctx, connection) }}
}

// pausedNow reports whether what the watch watches is paused.
func (w *pauseWatch) pausedNow(ctx context.Context) bool {
	if w.paused == nil || (!w.last.IsZero() && time.Since(w.last) < pauseCheckEvery) {
		return false
	}
	w.last = time.Now()
	paused, err := w.paused(ctx)
	return err == nil && paused
}

// pausedOnRetry reports whether a retried attempt finds what it writes for paused before its
// first page. The workflow cannot stop an activity waiting out its backoff (an hour's ban on a
// quota): a pause that came meanwhile must hold the retry's writes from the start, not from
// its second page. A first attempt asks after its first page as before: its workflow started
// it unpaused a moment ago.
func (w *pauseWatch) pausedOnRetry(ctx context.Context) bool {
	return activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt > 1 && w.pausedNow(ctx)
}
