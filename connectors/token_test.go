package connectors

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitingCtx tells when a caller of Token.Get reaches the wait for a login in progress: Get
// asks its context for Done as it starts waiting (so that a caller whose context ends gives
// up), after noting how many logins were answered. A test waits on reached instead of
// sleeping for the callers to queue, which a loaded machine may not do in time.
type waitingCtx struct {
	context.Context
	reached chan<- struct{}
}

func (w waitingCtx) Done() <-chan struct{} {
	select {
	case w.reached <- struct{}{}:
	default: // never blocks a caller; the test counts at most what it started
	}
	return w.Context.Done()
}

func TestTokenLogsInOnceForManyCallers(t *testing.T) {
	var logins atomic.Int32
	tok := &Token{System: "x", Op: "POST /login"}
	release := make(chan struct{})
	login := func(ctx context.Context) (string, time.Time, error) {
		n := logins.Add(1)
		<-release // the others queue meanwhile
		return "t" + strconv.Itoa(int(n)), time.Now().Add(time.Hour), nil
	}
	var wg sync.WaitGroup
	got := make([]string, 16)
	reached := make(chan struct{}, 4*len(got))
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := tok.Get(waitingCtx{context.Background(), reached}, login)
			assert.NoError(t, err)
			got[i] = v
		}()
	}
	for range got {
		<-reached // every caller waits: none came after the token was there
	}
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), logins.Load())
	for _, v := range got {
		assert.Equal(t, "t1", v)
	}
}

func TestTokenRenewal(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		margin    time.Duration
		lifetime  time.Duration
		after     time.Duration // since the login
		drop      bool
		wantLogin bool
	}{
		{"valid", 5 * time.Minute, 2 * time.Hour, time.Hour, false, false},
		{"within the margin", 5 * time.Minute, 2 * time.Hour, 2*time.Hour - 4*time.Minute, false, true},
		{"expired", 5 * time.Minute, 2 * time.Hour, 3 * time.Hour, false, true},
		{"short-lived: a tenth as margin", 5 * time.Minute, 10 * time.Minute, 8 * time.Minute, false, false},
		{"short-lived, past its tenth", 5 * time.Minute, 10 * time.Minute, 9*time.Minute + time.Second, false, true},
		{"dropped after a 401", 5 * time.Minute, 2 * time.Hour, time.Minute, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			logins := 0
			tok := &Token{Margin: tc.margin, Now: func() time.Time { return now }}
			login := func(context.Context) (string, time.Time, error) {
				logins++
				return "t" + strconv.Itoa(logins), now.Add(tc.lifetime), nil
			}
			first, err := tok.Get(context.Background(), login)
			require.NoError(t, err)
			now = now.Add(tc.after)
			if tc.drop {
				tok.Drop("other") // not the current one: kept
				assert.Equal(t, first, tok.Current())
				tok.Drop(first)
			}
			second, err := tok.Get(context.Background(), login)
			require.NoError(t, err)
			assert.Equal(t, tc.wantLogin, second != first, "logged in again")
			assert.Equal(t, map[bool]int{false: 1, true: 2}[tc.wantLogin], logins)
		})
	}
}

func TestTokenLoginErrorsAndCancellation(t *testing.T) {
	tok := &Token{System: "x", Op: "POST /login"}
	refused := &Error{Kind: KindConfig, System: "x", Op: "POST /login", Message: "bad key"}
	_, err := tok.Get(context.Background(), func(context.Context) (string, time.Time, error) { return "", time.Time{}, refused })
	assert.Same(t, refused, err, "the login's own error")

	// A caller whose context ends while another logs in gives up with a retryable error.
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _ = tok.Get(context.Background(), func(context.Context) (string, time.Time, error) {
			close(started)
			<-release
			return "t", time.Now().Add(time.Hour), nil
		})
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tok.Get(ctx, func(context.Context) (string, time.Time, error) {
		t.Fatal("a second login")
		return "", time.Time{}, nil
	})
	close(release)
	require.Error(t, err)
	assert.Equal(t, KindRetryable, KindOf(err))
	assert.Contains(t, err.Error(), "POST /login")
}

// Callers that waited for a login the system refused (bad credentials, a ban) fail with that
// refusal instead of each logging in again in turn: a burst of failed logins locks an account
// (UNAS allows 5 an hour; Altior and weavy lock after a few). A caller that comes after the
// refusal tries again, and a login that failed for a reason of its own (a timeout, its
// context ending) is not shared.
func TestTokenSharesARefusedLoginWithItsWaiters(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantLogins int32 // by the 6 callers that waited
	}{
		{"credentials refused", &Error{Kind: KindConfig, System: "x", Op: "POST /login", Status: 401}, 1},
		{"banned", &Error{Kind: KindRateLimited, System: "x", Op: "POST /login", Status: 429}, 1},
		{"an outage: each tries", &Error{Kind: KindRetryable, System: "x", Op: "POST /login", Status: 503}, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logins atomic.Int32
			tok := &Token{System: "x", Op: "POST /login"}
			release := make(chan struct{})
			login := func(ctx context.Context) (string, time.Time, error) {
				if logins.Add(1) == 1 {
					<-release // the others queue behind the first login
				}
				return "", time.Time{}, tc.err
			}
			var wg sync.WaitGroup
			errs := make([]error, 6)
			reached := make(chan struct{}, 4*len(errs))
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = tok.Get(waitingCtx{context.Background(), reached}, login)
				}()
			}
			for range errs {
				<-reached // every caller waits for the first login, which is not answered yet
			}
			close(release)
			wg.Wait()
			assert.Equal(t, tc.wantLogins, logins.Load())
			for _, err := range errs {
				assert.Equal(t, tc.err, err)
			}

			_, err := tok.Get(context.Background(), login) // a caller after the refusal tries again
			assert.Equal(t, tc.err, err)
			assert.Equal(t, tc.wantLogins+1, logins.Load())
		})
	}
}

// A system that locks an account (or bans an IP) after a few failed logins an hour gives a
// refused login to the callers that come after it too, for HoldRefused, without logging in
// again: two checks of one validate, or two connections on one shop a few seconds apart,
// spend one failed login, not two. A failure of the attempt's own (a timeout) is not held.
func TestTokenHoldsARefusalForLaterCallers(t *testing.T) {
	refused := &Error{Kind: KindConfig, System: "x", Op: "POST /login", Message: "bad key"}
	tests := []struct {
		name       string
		hold       time.Duration
		err        error
		after      time.Duration
		wantLogins int32
	}{
		{"within the hold: the same refusal", 10 * time.Minute, refused, time.Minute, 1},
		{"after the hold: logs in again", 10 * time.Minute, refused, 11 * time.Minute, 2},
		{"no hold: logs in again", 0, refused, time.Second, 2},
		{"a timeout is not held", 10 * time.Minute, &Error{Kind: KindRetryable, System: "x", Message: "timeout"}, time.Second, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
			var logins atomic.Int32
			tok := &Token{System: "x", Op: "POST /login", HoldRefused: tt.hold, Now: func() time.Time { return now }}
			login := func(context.Context) (string, time.Time, error) {
				logins.Add(1)
				return "", time.Time{}, tt.err
			}
			_, err := tok.Get(context.Background(), login)
			require.ErrorIs(t, err, tt.err)
			now = now.Add(tt.after)
			_, err = tok.Get(context.Background(), login)
			require.ErrorIs(t, err, tt.err)
			assert.Equal(t, tt.wantLogins, logins.Load())
		})
	}
}
