package connectors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// A client waits before it sends a request: for its own rate limiter (MiniCRM's 60 requests a
// minute), or for a quota window its system said was spent. Nothing has left it yet, so when
// the worker begins to stop (SIGTERM, a deploy) such a wait need not run on: it ends at once
// with an error that says the request was not sent (NothingWritten) and that the worker is
// stopping (Stopping), and the activity hands its place to another worker, which sends it.
// A request already sent is left to finish: only the wait before it ends.

type stopKey struct{}

// WithStop returns ctx carrying stop, a channel closed when the worker begins to stop: the
// waits before sending of WaitToSend and PauseBeforeSending under ctx end when it closes.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// stopOf returns the channel of WithStop, or nil (a channel that never closes).
func stopOf(ctx context.Context) <-chan struct{} {
	stop, _ := ctx.Value(stopKey{}).(<-chan struct{})
	return stop
}

// ErrStopping is the cause of a wait before sending ended because the worker is stopping.
var ErrStopping = errors.New("the worker is stopping")

// Stopping reports whether err is, or holds, the error of a request not sent because the
// worker began to stop while it waited (see WithStop).
func Stopping(err error) bool { return errors.Is(err, ErrStopping) }

// waitError is the error of a request its client did not send because its wait ended: a
// KindRetryable *Error, which errors.Is also matches to the cause of the end (ErrStopping, or
// the context's error). Ended by the worker's stop, it is marked Unsent: NothingWritten. (A
// wait ended by its context keeps the error it always had: the activity ends with it.)
type waitError struct {
	err   *Error
	cause error
}

func (e *waitError) Error() string   { return e.err.Error() }
func (e *waitError) Unwrap() []error { return []error{e.err, e.cause} }

// waitEnded returns the error of the request op of system whose wait ended with cause.
func waitEnded(ctx context.Context, system, op string, cause error) error {
	e := &Error{Kind: KindRetryable, System: system, Op: op, Message: "rate limiter: " + Reason(ctx, cause)}
	if errors.Is(cause, ErrStopping) {
		e.Message = "not sent: the worker began to stop while the request waited for the client's rate limit; the next worker sends it"
		e.Unsent = true
	}
	return &waitError{err: e, cause: cause}
}

// StoppedAfterATry returns err, the error of a call's wait ended by the worker's stop before
// the call was sent again, for a call an earlier try of which may have been carried out (a
// server error or a lost answer, then a new try): it stays Stopping, but is no longer
// NothingWritten. Any other err is returned as it is.
func StoppedAfterATry(err error) error {
	var w *waitError
	if !errors.As(err, &w) || !w.err.Unsent {
		return err
	}
	e := *w.err
	e.Unsent = false
	e.Message = "not sent again: the worker began to stop while the request waited for the client's rate limit, after an earlier try got no answer saying whether it was carried out"
	return &waitError{err: &e, cause: w.cause}
}

// WaitToSend waits until l lets the request op of system go out, as l.Wait does, and returns
// nil then. A wait that ends first — ctx ending, a delay past ctx's deadline, or the worker
// beginning to stop (WithStop) — is an error naming op (see waitError); its reservation is
// given back. A request the limiter lets go at once is not held back by a stop that has
// begun: only a wait ends.
func WaitToSend(ctx context.Context, l *rate.Limiter, system, op string) error {
	if err := waitLimiter(ctx, l); err != nil {
		return waitEnded(ctx, system, op, err)
	}
	return nil
}

// waitLimiter is l.Wait(ctx) that also ends when ctx's stop channel closes.
func waitLimiter(ctx context.Context, l *rate.Limiter) error {
	stop := stopOf(ctx)
	if stop == nil {
		return l.Wait(ctx)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now()
	r := l.ReserveN(now, 1)
	if !r.OK() {
		return fmt.Errorf("rate: Wait(n=1) exceeds limiter's burst %d", l.Burst())
	}
	delay := r.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	if EndsBefore(ctx, now.Add(delay)) {
		r.CancelAt(now)
		return errors.New("rate: Wait(n=1) would exceed context deadline")
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	case <-stop:
		r.Cancel()
		return ErrStopping
	}
}

// EndsBefore reports whether ctx's deadline comes before t: a wait until t would be cut.
func EndsBefore(ctx context.Context, t time.Time) bool {
	deadline, ok := ctx.Deadline()
	return ok && deadline.Before(t)
}

// PauseBeforeSending runs pause, a wait of the client's own before it sends the request op of
// system (a spent quota window slept out), under a context that also ends when the worker
// begins to stop (WithStop): it returns the error of a wait ended by ErrStopping then
// (Unsent), and what pause returns otherwise.
func PauseBeforeSending(ctx context.Context, system, op string, pause func(context.Context) error) error {
	stop := stopOf(ctx)
	if stop == nil {
		return pause(ctx)
	}
	pauseCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-stop:
			cancel(ErrStopping)
		case <-pauseCtx.Done():
		}
	}()
	err := pause(pauseCtx)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(pauseCtx), ErrStopping) {
		return waitEnded(ctx, system, op, ErrStopping)
	}
	return err
}
