package unas

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// banningShop is a shop that logs in and answers every other call with status and the error
// msg, and a client of it on a clock starting at now; logins and calls count what it answered.
func banningShop(t *testing.T, now time.Time, status int, msg string) (c *Client, clk *simkit.Clock, logins, calls *atomic.Int32) {
	t.Helper()
	logins, calls = new(atomic.Int32), new(atomic.Int32)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/shop/login" {
			logins.Add(1)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Login><Token>t</Token><Subscription>PREMIUM</Subscription><Status>ok</Status></Login>`))
			return
		}
		calls.Add(1)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error>` + msg + `</Error>`))
	}))
	t.Cleanup(ts.Close)
	clk = simkit.NewClock(now)
	c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k", Now: clk.Now})
	require.NoError(t, err)
	return c, clk, logins, calls
}

// A ban whose time crmsync cannot read (written in another layout than the documented
// MM.DD.YYYY HH:MM:SS, or left out) is still a ban: it is waited out for UNAS's documented
// hour, without calling into it, rather than taken for a refused request that pauses the
// connection (and is called into again at its resume).
func TestBanWithATimeNotReadIsWaitedAnHour(t *testing.T) {
	tests := []struct {
		name   string
		status int
		msg    string
	}{
		{"UNAS's date layout", http.StatusBadRequest, "Too much getOrder query, IP is banned till 2026.03.01 12:00:00"},
		{"single-digit month and day", http.StatusBadRequest, "Too much getOrder query, IP is banned till 3.1.2026 12:00:00!"},
		{"no time", http.StatusBadRequest, "Too much getOrder query, IP is banned!"},
		{"at 401", http.StatusUnauthorized, "Too much getOrder query, IP is banned till 2026.03.01 12:00:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, clk, logins, calls := banningShop(t, t0, tc.status, tc.msg)
			_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			require.Error(t, err)
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			assert.Equal(t, time.Hour, connectors.RetryAfterOf(err))
			assert.True(t, strings.Contains(err.Error(), tc.msg), "UNAS's message is kept: %v", err)

			clk.Advance(30 * time.Minute)
			_, err = c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			assert.Equal(t, 30*time.Minute, connectors.RetryAfterOf(err))
			assert.Equal(t, int32(1), calls.Load(), "not called into the ban")
			assert.Equal(t, int32(1), logins.Load())
		})
	}
}

// In the hour clocks go back, a ban's wall time happens twice. UNAS bans for an hour, so its
// end is the occurrence an hour ahead: read as the later one (Go's choice), an hour's ban
// issued in the hour before the change was waited for two.
func TestBanEndingInTheRepeatedHour(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time // UTC
		till string    // Budapest wall time
		want time.Duration
	}{
		{"issued before the change, ends in the first 02:40", time.Date(2026, 10, 24, 23, 40, 0, 0, time.UTC), "10.25.2026 02:40:00", time.Hour},
		{"issued in the first 02:40, ends in the second", time.Date(2026, 10, 25, 0, 40, 0, 0, time.UTC), "10.25.2026 02:40:00", time.Hour},
		{"issued in the second 02:10, ends after the hour", time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC), "10.25.2026 03:10:00", time.Hour},
		{"an ordinary night", time.Date(2026, 10, 20, 0, 40, 0, 0, time.UTC), "10.20.2026 03:40:00", time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _, _ := banningShop(t, tc.now, http.StatusBadRequest, "Too much getOrder query, IP is banned till "+tc.till)
			_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			assert.Equal(t, tc.want, connectors.RetryAfterOf(err), "%v", err)
			assert.NotContains(t, err.Error(), "not ahead", "the ban's own end, no clock trouble")
		})
	}
}
