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
			var logins, calls atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/shop/login" {
					logins.Add(1)
					_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Login><Token>t</Token><Subscription>PREMIUM</Subscription><Status>ok</Status></Login>`))
					return
				}
				calls.Add(1)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error>` + tc.msg + `</Error>`))
			}))
			t.Cleanup(ts.Close)
			clk := simkit.NewClock(t0)
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k", Now: clk.Now})
			require.NoError(t, err)
			_, err = c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
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
