package connectors

import (
	"context"
	"net/http"
	"time"
)

// A page of a sync makes dozens of calls. One failed call fails the page, and the activity's
// retry makes all of them again, with a backoff that grows with each failure: on an API that
// fails one request in fifty, an import would crawl. So a call is tried again within itself,
// briefly and a few times, when that is safe:
//
//   - after a 429 that asks for a short wait: the system refused the request before acting
//     on it, so any call may go again;
//   - after a server error or a lost answer, when the call only reads, or writes the same
//     values again (SafeToRepeat) — never a create, which the system may have made before
//     the answer was lost: the pass's own guards handle those.
//
// Longer quota waits and lasting failures go back to the activity as before.

// transientWaits are the pauses before each new try of a safe call that failed transiently.
var transientWaits = [...]time.Duration{50 * time.Millisecond, 500 * time.Millisecond}

const (
	// maxShortQuotaWait bounds the quota wait a call takes itself; a longer one goes back to
	// the workflow, which waits on a durable timer.
	maxShortQuotaWait = 2 * time.Second
	// ShortQuotaRetries is how many short quota waits one call takes.
	ShortQuotaRetries = 2
)

// Retry counts one call's tries. The zero value is ready to use.
type Retry struct{ transient, quota int }

// Again reports whether a call that failed with err is sent again, and waits until it may
// be; safe says whether it may be repeated after a server error (SafeToRepeat). It returns
// false when the call is not to be tried again, or ctx ends first.
func (r *Retry) Again(ctx context.Context, safe bool, err error) bool {
	if Stopping(err) {
		return false // not sent, and not to be here: the worker is stopping
	}
	var wait time.Duration
	switch KindOf(err) {
	case KindRateLimited:
		wait = RetryAfterOf(err)
		if wait > maxShortQuotaWait || r.quota >= ShortQuotaRetries {
			return false
		}
		r.quota++
	case KindRetryable:
		if !safe || r.transient >= len(transientWaits) {
			return false
		}
		wait = transientWaits[r.transient]
		r.transient++
	default:
		return false
	}
	if ctx.Err() != nil {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Do runs once, and again as long as Again allows after each failure; it returns the last
// error (nil once a try succeeds).
func Do(ctx context.Context, safe bool, once func() error) error {
	var r Retry
	mayHaveRun := false // a try may have been carried out: a stop before the next is not unsent
	for {
		err := once()
		if err != nil && mayHaveRun {
			err = StoppedAfterATry(err)
		}
		if err == nil || !r.Again(ctx, safe, err) {
			return err
		}
		mayHaveRun = mayHaveRun || !NothingWritten(err)
	}
}

// SafeToRepeat reports whether a call with this HTTP method may be sent again after a server
// error or a lost answer: it reads, or writes the same values again. POSTs that only read (a
// search) are safe too, but only their caller knows it.
func SafeToRepeat(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}
