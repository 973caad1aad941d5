package connectors

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// exhausted returns a limiter whose one token is spent: the next request waits an hour.
func exhausted(t *testing.T) *rate.Limiter {
	t.Helper()
	l := rate.NewLimiter(rate.Every(time.Hour), 1)
	require.True(t, l.Allow())
	return l
}

func closedStop() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// A wait for the client's rate limit ends as soon as the worker begins to stop, with an error
// that says the request was not sent and why; a request the limiter lets go at once goes.
func TestWaitToSendEndsWhenTheWorkerStops(t *testing.T) {
	tests := []struct {
		name      string
		limiter   func(*testing.T) *rate.Limiter
		stopAfter time.Duration // -1: no stop in the context; 0: stopped before the wait
		wantErr   bool
	}{
		{name: "stopped before the wait", limiter: exhausted, stopAfter: 0, wantErr: true},
		{name: "stopped during the wait", limiter: exhausted, stopAfter: 50 * time.Millisecond, wantErr: true},
		{name: "stopped, a token at hand", limiter: func(*testing.T) *rate.Limiter { return rate.NewLimiter(rate.Every(time.Hour), 1) }, stopAfter: 0},
		{name: "no stop, a token at hand", limiter: func(*testing.T) *rate.Limiter { return rate.NewLimiter(rate.Every(time.Hour), 1) }, stopAfter: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.limiter(t)
			ctx := t.Context()
			if tt.stopAfter >= 0 {
				stop := make(chan struct{})
				time.AfterFunc(tt.stopAfter, func() { close(stop) })
				ctx = WithStop(ctx, stop)
			}
			start := time.Now()
			err := WaitToSend(ctx, l, "minicrm", "GET /Project")
			took := time.Since(start)
			assert.Less(t, took, tt.stopAfter+time.Second, "the wait ran on after the stop")
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, Stopping(err), "%v", err)
			assert.True(t, NothingWritten(err), "the request was not sent: %v", err)
			assert.Equal(t, KindRetryable, KindOf(err))
			assert.EqualError(t, err, "minicrm GET /Project: retryable: not sent: the worker began to stop while the request waited for the client's rate limit; the next worker sends it")
			// The hour's slot was given back: the limiter owes nothing to the stopped request.
			assert.InDelta(t, 0, l.Tokens(), 0.01)
		})
	}
}

// Without a stop, WaitToSend is the limiter's Wait: it ends with the context, its deadline
// refused before waiting, with the error it always had (not the worker's stop, and not marked
// unsent: the activity ends with it).
func TestWaitToSendEndsWithTheContext(t *testing.T) {
	tests := []struct {
		name    string
		stop    <-chan struct{} // nil: none in the context
		ctx     func(t *testing.T) (context.Context, context.CancelFunc)
		message string
		is      error
	}{
		{name: "cancelled", ctx: func(t *testing.T) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, message: "rate limiter: context canceled", is: context.Canceled},
		{name: "cancelled, a stop that stays open", stop: make(chan struct{}), ctx: func(t *testing.T) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, message: "rate limiter: context canceled", is: context.Canceled},
		{name: "deadline too near", ctx: func(t *testing.T) (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), time.Minute)
		}, message: "rate limiter: rate: Wait(n=1) would exceed context deadline"},
		{name: "deadline too near, a stop that stays open", stop: make(chan struct{}), ctx: func(t *testing.T) (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), time.Minute)
		}, message: "rate limiter: rate: Wait(n=1) would exceed context deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx(t)
			defer cancel()
			if tt.stop != nil {
				ctx = WithStop(ctx, tt.stop)
			}
			start := time.Now()
			err := WaitToSend(ctx, exhausted(t), "mautic", "GET /api/contacts")
			assert.Less(t, time.Since(start), time.Second)
			require.Error(t, err)
			assert.False(t, Stopping(err))
			assert.False(t, NothingWritten(err))
			assert.Equal(t, KindRetryable, KindOf(err))
			assert.EqualError(t, err, "mautic GET /api/contacts: retryable: "+tt.message)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

// A pause of the client's own (a spent quota window) ends when the worker begins to stop; its
// own end and its error are kept otherwise.
func TestPauseBeforeSendingEndsWhenTheWorkerStops(t *testing.T) {
	sleep := func(d time.Duration) func(context.Context) error {
		return func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
				return nil
			}
		}
	}
	refused := errors.New("refused")
	tests := []struct {
		name     string
		stop     <-chan struct{}
		pause    func(context.Context) error
		stopping bool
		err      error
	}{
		{name: "an hour, stopped", stop: closedStop(), pause: sleep(time.Hour), stopping: true},
		{name: "short, no stop", pause: sleep(10 * time.Millisecond)},
		{name: "short, a stop that stays open", stop: make(chan struct{}), pause: sleep(10 * time.Millisecond)},
		{name: "its own error", stop: make(chan struct{}), pause: func(context.Context) error { return refused }, err: refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.stop != nil {
				ctx = WithStop(ctx, tt.stop)
			}
			start := time.Now()
			err := PauseBeforeSending(ctx, "sellsy", "GET /contacts", tt.pause)
			assert.Less(t, time.Since(start), time.Second)
			switch {
			case tt.stopping:
				assert.True(t, Stopping(err), "%v", err)
				assert.True(t, NothingWritten(err))
			case tt.err != nil:
				assert.ErrorIs(t, err, tt.err)
			default:
				assert.NoError(t, err)
			}
		})
	}
}

// A call sent again after a try that may have been carried out, stopped in its wait, is still
// the worker's stop but no longer says nothing was written; other errors are left as they are.
func TestStoppedAfterATry(t *testing.T) {
	stopped := WaitToSend(WithStop(t.Context(), closedStop()), exhausted(t), "sellsy", "DELETE /contacts/{id}")
	other := &Error{Kind: KindRetryable, System: "sellsy", Op: "DELETE /contacts/{id}", Status: 500}
	tests := []struct {
		name           string
		err            error
		stopping, none bool
	}{
		{name: "stopped", err: stopped, stopping: true},
		{name: "another error", err: other},
		{name: "a 429", err: &Error{Kind: KindRateLimited, System: "sellsy", Op: "GET /contacts"}, none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := StoppedAfterATry(tt.err)
			assert.Equal(t, tt.stopping, Stopping(err), "%v", err)
			assert.Equal(t, tt.none, NothingWritten(err), "%v", err)
			assert.Equal(t, KindOf(tt.err), KindOf(err))
			if !tt.stopping {
				assert.Same(t, tt.err, err)
			}
		})
	}
	assert.True(t, NothingWritten(stopped), "the stopped wait itself sent nothing")
	assert.Contains(t, StoppedAfterATry(stopped).Error(), "sellsy DELETE /contacts/{id}: retryable: not sent again: the worker began to stop")
}
