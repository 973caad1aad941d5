package minicrm

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/minicrm/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// MiniCRM's 60 requests a minute is a sliding window (reference §4.6; the simulator counts
// one), and its 429 carries no Retry-After. The client waited for the next minute of the
// server's clock, when the window may still be full: it retried into 429 again (twice within
// the call when that was under 2 s), then handed the workflow a wait too short. A 429 without
// Retry-After now waits a whole window, on the workflow's durable timer, with no retry within
// the call.
func TestRateLimitedWithoutRetryAfterWaitsAWholeWindow(t *testing.T) {
	cases := []struct {
		name   string
		filled time.Time // when another worker spends the quota
		called time.Time // when this client's call is refused
	}{
		{name: "two seconds before the next minute", filled: time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC),
			called: time.Date(2026, 3, 1, 10, 0, 58, 0, time.UTC)},
		{name: "half a second before the next minute", filled: time.Date(2026, 3, 1, 10, 0, 59, 0, time.UTC),
			called: time.Date(2026, 3, 1, 10, 0, 59, 500e6, time.UTC)},
		{name: "at the start of a minute", filled: time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC),
			called: time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := simkit.NewClock(tc.filled)
			s := sim.New(sim.Options{SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 60, Now: clk.Now})
			ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Date", clk.Now().UTC().Format(http.TimeFormat)) // the server's clock
				s.ServeHTTP(w, r)
			}))
			other, err := New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000})
			require.NoError(t, err)
			for i := 0; i < 60; i++ {
				_, _, err := other.Call(context.Background(), http.MethodGet, "/Api/R3/Category", nil, nil)
				require.NoError(t, err)
			}
			clk.Set(tc.called)
			c, err := New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000})
			require.NoError(t, err)
			c.now = clk.Now
			_, _, err = c.Call(context.Background(), http.MethodGet, "/Api/R3/Category", nil, nil)
			require.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			wait := connectors.RetryAfterOf(err)
			assert.Equal(t, time.Minute, wait, "a whole window")
			assert.Equal(t, 61, s.Kit().Counts()["GET /Api/R3/Category"], "no retry into the full window")

			clk.Set(tc.called.Add(wait)) // the workflow's timer fires: the window has room
			_, _, err = c.Call(context.Background(), http.MethodGet, "/Api/R3/Category", nil, nil)
			require.NoError(t, err)
		})
	}
}

// A Retry-After MiniCRM sends is what the client waits: a short one within the call, a longer
// one on the workflow's timer.
func TestRateLimitedWithRetryAfter(t *testing.T) {
	cases := []struct {
		name    string
		seconds int
		retried bool // within the call
	}{
		{name: "short: retried within the call", seconds: 1, retried: true},
		{name: "long: back to the workflow", seconds: 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, cl, _ := setup(t, 0)
			s.Kit().SetFaults(simkit.Faults{RateLimitNext: 1, RetryAfterS: tc.seconds})
			_, _, err := cl.Call(context.Background(), http.MethodGet, "/Api/R3/Category", nil, nil)
			if tc.retried {
				require.NoError(t, err)
				assert.Equal(t, 2, s.Kit().Counts()["GET /Api/R3/Category"])
				return
			}
			require.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			assert.Equal(t, time.Duration(tc.seconds)*time.Second, connectors.RetryAfterOf(err))
			assert.Equal(t, 1, s.Kit().Counts()["GET /Api/R3/Category"])
		})
	}
}
