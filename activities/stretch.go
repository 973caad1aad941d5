package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// stretchLimit bounds the pages one activity runs: about a minute of them (so that a
// workflow sees a handful of activities, not one per page), and none after the page in hand
// once the worker is shutting down (a deploy, a scale-down): the activity returns its place
// as any stretch does, and the workflow hands the rest to another worker at once, with
// nothing to redo.
type stretchLimit struct {
	deadline time.Time
	stopping <-chan struct{} // nil outside a worker
}

func newStretchLimit(ctx context.Context, d time.Duration) stretchLimit {
	if d <= 0 {
		d = DefaultStretch
	}
	l := stretchLimit{deadline: time.Now().Add(d)}
	if activity.IsActivity(ctx) {
		l.stopping = activity.GetWorkerStopChannel(ctx)
	}
	return l
}

// reached reports whether the stretch ends here.
func (l stretchLimit) reached() bool {
	select {
	case <-l.stopping:
		return true
	default:
		return !time.Now().Before(l.deadline)
	}
}
