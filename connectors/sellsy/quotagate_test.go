package sellsy

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// A call waits out a 429 that asks for a short wait; it gives up after more than
// ShortQuotaRetries refusals in a row (nothing else of the client answered between them: the
// server refuses everything) or more than maxQuotaRefusals in all, and at once for a wait
// longer than maxQuotaWait.
func TestQuotaRefusalsBudget(t *testing.T) {
	type refusal struct {
		othersServed bool // another call of the client was answered since the previous refusal
		wait         time.Duration
	}
	second := refusal{false, time.Second}
	raced := refusal{true, time.Second}
	tests := []struct {
		name     string
		refusals []refusal
		want     []bool
	}{
		{"refused in a row: two waits, then the caller's", []refusal{second, second, second}, []bool{true, true, false}},
		{"others served between: each race lost is waited out",
			[]refusal{second, raced, raced, raced, raced}, []bool{true, true, true, true, true}},
		{"others served, then refused in a row again", []refusal{raced, second, second}, []bool{true, true, false}},
		{"races lost without end: ten waits in all", []refusal{raced, raced, raced, raced, raced, raced, raced, raced, raced, raced, raced},
			[]bool{true, true, true, true, true, true, true, true, true, true, false}},
		{"a day: to the caller at once", []refusal{{false, 14 * time.Hour}}, []bool{false}},
		{"a minute: waited out", []refusal{{false, 40 * time.Second}, {false, time.Minute}, {false, time.Minute}}, []bool{true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{}
			c.answered.Store(7)
			var q quotaRefusals
			var got []bool
			for _, r := range tt.refusals {
				if r.othersServed {
					c.answered.Add(1)
				}
				got = append(got, q.again(c, r.wait))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// The per-second quota the headers show holds the client's calls when its limiter allows
// more: the largest seen (a window with r remaining holds r+1 at least); a spent window, a
// header missing or unreadable, or a quota above the limiter's rate changes nothing.
func TestQuotaLearnedFromHeaders(t *testing.T) {
	tests := []struct {
		name    string
		limit   rate.Limit // the limiter's
		seconds []string   // X-Quota-Remaining-By-Second of successive answers ("": none)
		want    rate.Limit
	}{
		{"none seen", 200, nil, rate.Inf},
		{"4 remaining: a quota of 5", 200, []string{"4"}, 5},
		{"the largest seen", 200, []string{"2", "4", "1", "0"}, 5},
		{"a spent window says nothing", 200, []string{"0", "0"}, rate.Inf},
		{"unreadable or missing", 200, []string{"", "many", "-3"}, rate.Inf},
		{"the limiter is slower already", 5, []string{"4"}, rate.Inf},
		{"unlimited (the simulator's -1)", 100000, []string{"1000000"}, rate.Inf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{ClientID: "i", ClientSecret: "secret", Limiter: rate.NewLimiter(tt.limit, 1)})
			require.NoError(t, err)
			for _, v := range tt.seconds {
				h := http.Header{}
				if v != "" {
					h.Set("X-Quota-Remaining-By-Second", v)
				}
				c.noteQuota(h)
			}
			assert.Equal(t, tt.want, c.quotaLimiter.Limit())
		})
	}
}

// A call that waited on the limiter while another call's answer announced the second spent
// does not go out into that second: the pause is looked at again once the limiter lets the
// call go. It used to be looked at only before the limiter's wait.
func TestPauseHoldsCallsWaitingOnTheLimiter(t *testing.T) {
	clk := &fakeClock{Clock: simkit.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))}
	var sent atomic.Int32
	release := make(chan struct{})
	srv := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		if sent.Add(1) == 1 {
			<-release // the first call's answer comes while the second waits on the limiter
			w.Header().Set("X-Quota-Remaining-By-Second", "0")
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[]}`))
	})
	limiter := rate.NewLimiter(rate.Every(300*time.Millisecond), 1)
	cfg := apiConfig(srv)
	cfg.Limiter = limiter
	c, err := New(cfg)
	require.NoError(t, err)
	c.clock = clk

	first := make(chan error, 1)
	go func() {
		_, _, err := c.Call(ctx, "GET", "/staffs", nil, nil)
		first <- err
	}()
	require.Eventually(t, func() bool { return sent.Load() == 1 }, 5*time.Second, time.Millisecond)
	second := make(chan error, 1)
	go func() {
		_, _, err := c.Call(ctx, "GET", "/staffs", nil, nil)
		second <- err
	}()
	time.Sleep(50 * time.Millisecond) // the second call is past the pause check, on the limiter
	close(release)
	require.NoError(t, <-first)
	require.NoError(t, <-second)
	assert.Equal(t, []time.Duration{time.Second}, clk.slept, "the second call waited for the next second")
}

// A server that refuses every call for the second window fails the page in time, with a
// RateLimited error carrying the delay, whatever the parallel calls' races.
func TestForeverRefusingServerFailsInTime(t *testing.T) {
	clk := &fakeClock{Clock: simkit.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))}
	var refused atomic.Int32
	srv := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/companies") && strings.Contains(r.URL.Path, "/contacts/") {
			refused.Add(1)
			w.Header().Set("X-Quota-Remaining-By-Second", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":429,"message":"Too Many Requests","details":[],"context":null}}`))
			return
		}
		// The listing itself is served: the lookups race and lose, for ever.
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[{"id":1},{"id":2},{"id":3}],"pagination":{"limit":100,"count":3,"total":3,"offset":"WyIzIl0="}}`))
	})
	cfg := apiConfig(srv)
	cfg.RequestsPerSecond, cfg.Fields = 1000, map[string][]string{"contact": {"last_name"}}
	c, err := New(cfg)
	require.NoError(t, err)
	c.clock = clk
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err = c.List(cctx, connectors.ObjectContact, connectors.ListQuery{Limit: 100})
	var e *connectors.Error
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, connectors.KindRateLimited, e.Kind)
	assert.Equal(t, time.Second, e.RetryAfter)
	assert.LessOrEqual(t, int(refused.Load()), 3*maxQuotaRefusals, "each lookup gives up")
}
