package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/crmsync/crmsync/connectors"
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

// stoppedAtAWait reports whether a stretch that failed with err ends instead with what it
// committed, as at the end of any stretch, because the worker began to stop while one of its
// calls waited for a client's rate limit (connectors.Stopping): that call was not sent, what
// the page wrote before it is saved with its pairs, and the next stretch, on another worker,
// does the page again, finding those records paired rather than creating them twice. It is
// the worker's stop, not a failure of the stretch's: nothing backs off.
func stoppedAtAWait(ctx context.Context, err error) bool {
	if !connectors.Stopping(err) || ctx.Err() != nil {
		return false
	}
	activity.GetLogger(ctx).Info("stretch ended by the worker's stop while a call waited for its rate limit: the next one resumes where it stopped", "error", err)
	return true
}

// passingFailure reports whether a stretch that failed with err, having committed pages
// before it (progressed), ends as though its time were up instead, with what it committed.
// A server error or a dropped connection is then a passing failure: the workflow starts the
// next stretch at once where this one stopped. Returned as an error, it would be retried with
// the activity's backoff, which grows with every failure of the same activity — on an API
// that fails one request in fifty, a long import would soon wait two minutes between pages.
// A stretch that failed before committing anything returns its error, and backs off as it
// should when a system is down. Quotas, bans and refusals keep their own handling. A stretch
// stopped at a wait for a rate limit (stoppedAtAWait) ends so too, whether it had committed
// pages or not.
func passingFailure(ctx context.Context, err error, progressed bool) bool {
	if stoppedAtAWait(ctx, err) {
		return true
	}
	if !progressed || connectors.KindOf(err) != connectors.KindRetryable || ctx.Err() != nil {
		return false
	}
	activity.GetLogger(ctx).Warn("stretch cut short by a passing failure: the next one resumes where it stopped", "error", err)
	return true
}
