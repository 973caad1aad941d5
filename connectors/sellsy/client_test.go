package sellsy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// fakeClock is the simulator's clock seen by the client: a pause advances it instead of
// sleeping, and is recorded.
type fakeClock struct {
	*simkit.Clock
	mu    sync.Mutex
	slept []time.Duration
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.slept = append(f.slept, d)
	f.mu.Unlock()
	f.Advance(d)
	return nil
}

// quotaFixture is a simulator with quota o behind a server that counts the 429s it answers,
// and a client sharing its fake clock.
type quotaFixture struct {
	sim     *sim.Server
	clock   *fakeClock
	c       *Client
	refused atomic.Int32
	served  atomic.Int32
}

func newQuotaFixture(t *testing.T, o sim.Options, start time.Time) *quotaFixture {
	t.Helper()
	f := &quotaFixture{clock: &fakeClock{Clock: simkit.NewClock(start)}}
	o.ClientID, o.ClientSecret, o.Now = testID, testSecret, f.clock.Now
	o.TokenTTL = 365 * 24 * time.Hour // the clock jumps days
	f.sim = sim.New(o)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		f.sim.ServeHTTP(rec, r)
		if r.URL.Path != "/oauth2/access-tokens" {
			f.served.Add(1)
		}
		if rec.Code == http.StatusTooManyRequests {
			f.refused.Add(1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
		ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 1000})
	require.NoError(t, err)
	c.clock = f.clock
	f.c = c
	return f
}

// Sellsy's minute window (about 149 observed) is waited out: an import reading faster than
// that never meets a 429, it pauses until the next minute each time the header reads 0.
func TestMinuteQuotaIsWaitedOut(t *testing.T) {
	f := newQuotaFixture(t, sim.Options{RequestsPerSecond: -1, RequestsPerMinute: 150}, time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC))
	f.sim.SeedPeople(0, 1)
	const n = 400
	for i := 0; i < n; i++ {
		_, err := f.c.Get(ctx, connectors.ObjectCompany, []string{"1"})
		require.NoError(t, err, "request %d", i)
	}
	assert.Zero(t, f.refused.Load(), "no request was refused")
	assert.GreaterOrEqual(t, int(f.served.Load()), n)
	assert.Len(t, f.clock.slept, int(f.served.Load()-1)/150, "a pause each time the minute was spent")
	assert.Equal(t, 30*time.Second, f.clock.slept[0], "to the next minute")
	for _, d := range f.clock.slept[1:] {
		assert.Equal(t, time.Minute, d)
	}
}

// A spent day or month window is not slept through: the call returns at once a RateLimited
// error carrying the wait to the window's end, without sending a request Sellsy would refuse.
// So does a minute the caller's deadline cannot wait for.
func TestLongQuotaPauseGoesToTheCaller(t *testing.T) {
	start := time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		opt       sim.Options
		deadline  time.Duration
		wantAfter time.Duration
		window    string
	}{
		{"day", sim.Options{RequestsPerSecond: -1, RequestsPerDay: 3}, 0, 2 * time.Hour, "day"},
		{"month", sim.Options{RequestsPerSecond: -1, RequestsPerMonth: 3}, 0, 2 * time.Hour, "month"},
		{"minute past the caller's deadline", sim.Options{RequestsPerSecond: -1, RequestsPerMinute: 3}, time.Second, time.Minute, "minute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newQuotaFixture(t, tt.opt, start)
			f.sim.SeedPeople(0, 1)
			for i := 0; i < 3; i++ {
				_, _, err := f.c.Call(ctx, "GET", "/staffs", nil, nil)
				require.NoError(t, err)
			}
			served := f.served.Load()
			c := ctx
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				c, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, _, err := f.c.Call(c, "GET", "/staffs", nil, nil)
			var e *connectors.Error
			require.True(t, errors.As(err, &e), "%v", err)
			assert.Equal(t, connectors.KindRateLimited, e.Kind)
			assert.Equal(t, tt.wantAfter, e.RetryAfter)
			assert.Contains(t, e.Message, tt.window+" window is spent until")
			assert.Equal(t, served, f.served.Load(), "no request sent")
			assert.Zero(t, f.refused.Load())
			assert.Empty(t, f.clock.slept)
		})
	}
}

// A 429 says which window is spent; the delay runs to that window's end.
func TestQuotaRefusalDelay(t *testing.T) {
	now := time.Date(2026, 2, 27, 10, 0, 20, 0, time.UTC)
	tests := []struct {
		name    string
		headers map[string]string
		retries int // waited out in the call before the error
		want    time.Duration
	}{
		{"no header", nil, 2, time.Second},
		{"second", map[string]string{"X-Quota-Remaining-By-Second": "0", "X-Quota-Remaining-By-Minute": "3"}, 2, time.Second},
		// Waited 40 s then 60 s in the call: the last refusal came at 10:02:00.
		{"minute", map[string]string{"X-Quota-Remaining-By-Minute": "0", "X-Quota-Remaining-By-Day": "10"}, 2, time.Minute},
		{"day, not the next hour", map[string]string{"X-Quota-Remaining-By-Minute": "0", "X-Quota-Remaining-By-Day": "0"}, 0, 14*time.Hour - 20*time.Second},
		{"month", map[string]string{"X-Quota-Remaining-By-Day": "0", "X-Quota-Remaining-By-Month": "0"}, 0, 38*time.Hour - 20*time.Second},
		{"Retry-After wins", map[string]string{"X-Quota-Remaining-By-Minute": "0", "Retry-After": "7"}, 2, 7 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				for k, v := range tt.headers {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(429)
				_, _ = w.Write([]byte(`{"error":{"code":429,"message":"Too Many Requests","details":[],"context":null}}`))
			})
			cfg := apiConfig(srv)
			cfg.RequestsPerSecond = 1000
			c, err := New(cfg)
			require.NoError(t, err)
			clk := &fakeClock{Clock: simkit.NewClock(now)}
			c.clock = clk
			_, _, err = c.Call(ctx, "GET", "/staffs", nil, nil)
			var e *connectors.Error
			require.True(t, errors.As(err, &e), "%v", err)
			assert.Equal(t, connectors.KindRateLimited, e.Kind)
			assert.Equal(t, 429, e.Status)
			assert.Equal(t, tt.retries+1, int(calls.Load()), "short waits are retried in the call")
			assert.Equal(t, tt.want, e.RetryAfter)
		})
	}
}

// windowEnd is where each quota window refills: the next UTC second, minute, day (not the
// next hour) or calendar month.
func TestWindowEnd(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name, window string
		now, want    time.Time
	}{
		{"second", "second", time.Date(2026, 3, 2, 10, 0, 0, 500_000_000, time.UTC), time.Date(2026, 3, 2, 10, 0, 1, 0, time.UTC)},
		{"minute", "minute", time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC), time.Date(2026, 3, 2, 10, 1, 0, 0, time.UTC)},
		{"minute at a boundary", "minute", time.Date(2026, 3, 2, 10, 1, 0, 0, time.UTC), time.Date(2026, 3, 2, 10, 2, 0, 0, time.UTC)},
		{"day", "day", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)},
		{"day at the end of a month", "day", time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"day from another zone", "day", time.Date(2026, 3, 3, 0, 30, 0, 0, paris), time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)},
		{"day at the end of a year", "day", time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"month", "month", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"month in December", "month", time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, windowEnd(tt.window, tt.now))
		})
	}
}

// spentUntil picks the longest window the headers report spent.
func TestSpentUntil(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC)
	tests := []struct {
		name    string
		headers map[string]string
		window  string
	}{
		{"nothing spent", map[string]string{"X-Quota-Remaining-By-Second": "4", "X-Quota-Remaining-By-Minute": "148"}, ""},
		{"second", map[string]string{"X-Quota-Remaining-By-Second": "0", "X-Quota-Remaining-By-Minute": "148"}, "second"},
		{"minute", map[string]string{"X-Quota-Remaining-By-Second": "0", "X-Quota-Remaining-By-Minute": "0"}, "minute"},
		{"day", map[string]string{"X-Quota-Remaining-By-Day": "0"}, "day"},
		{"month over day", map[string]string{"X-Quota-Remaining-By-Day": "0", "X-Quota-Remaining-By-Month": "0"}, "month"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			until, window := spentUntil(h, now)
			assert.Equal(t, tt.window, window)
			if tt.window == "" {
				assert.True(t, until.IsZero())
				return
			}
			assert.Equal(t, windowEnd(tt.window, now), until)
		})
	}
}

// apiServer is a Sellsy stand-in that issues a token at /oauth2/access-tokens and answers
// every other request with api; it closes when the test ends.
func apiServer(t *testing.T, api http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth2/access-tokens" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"token_type":"Bearer","expires_in":3600,"access_token":"t"}`))
			return
		}
		api(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// apiConfig is the configuration of a client of srv (an apiServer).
func apiConfig(srv *httptest.Server) Config {
	return Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens", ClientID: "i", ClientSecret: "secret"}
}
