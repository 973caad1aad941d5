package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// pauseCheckEvery is how often a long activity asks whether its workflow was paused meanwhile.
var pauseCheckEvery = 5 * time.Second

// pauseWatch asks, between two pages of a long activity, whether the activity's workflow was
// paused meanwhile: the activity then ends after its page, so that a pause holds the writes
// at once rather than after a minute more of them. It asks after the first page, then at most
// every pauseCheckEvery; a failed check is no pause (the workflow pauses after the activity).
type pauseWatch struct {
	paused func(ctx context.Context, workflowID string) (bool, error)
	last   time.Time
}

// pausedNow reports whether the workflow of the running activity was paused.
func (w *pauseWatch) pausedNow(ctx context.Context) bool {
	if w.paused == nil || (!w.last.IsZero() && time.Since(w.last) < pauseCheckEvery) {
		return false
	}
	w.last = time.Now()
	paused, err := w.paused(ctx, activity.GetInfo(ctx).WorkflowExecution.ID)
	return err == nil && paused
}

// connectionPauseWatch asks, between two pages of an activity outside the connection's
// workflows (a retry of the quarantine), whether the connection was paused meanwhile
// (Activities.Paused): at once, then at most every pauseCheckEvery. A failed check is no pause.
type connectionPauseWatch struct {
	paused     func(ctx context.Context, connection string) (bool, error)
	connection string
	last       time.Time
}

// pausedNow reports whether the connection is paused.
func (w *connectionPauseWatch) pausedNow(ctx context.Context) bool {
	if w.paused == nil || (!w.last.IsZero() && time.Since(w.last) < pauseCheckEvery) {
		return false
	}
	w.last = time.Now()
	paused, err := w.paused(ctx, w.connection)
	return err == nil && paused
}
