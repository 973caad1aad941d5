package unas

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

// UNAS counts a call when it receives it, crmsync when it sends it: a call that took a few
// seconds to reach UNAS (a new connection's handshakes, a slow network) is still in UNAS's
// hour when crmsync's has let it go. The next call allowed at the end of crmsync's hour must
// not be the one over UNAS's limit, which bans the IP from the shop for an hour.
func TestBudgetCountsACallUntilUNASNoLongerDoes(t *testing.T) {
	for _, latency := range []time.Duration{0, 3 * time.Second, 20 * time.Second} {
		t.Run(latency.String(), func(t *testing.T) {
			ctx := context.Background()
			clk := simkit.NewClock(t0)
			s := sim.New(sim.Options{APIKey: "key-123", Now: clk.Now, Limits: map[string]int{sim.LimitGetOrder: 2}})
			var once sync.Once
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/shop/getOrder" {
					once.Do(func() { clk.Advance(latency) }) // the first listing reaches UNAS late
				}
				s.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "key-123", Now: clk.Now, OrderListsPerHour: 2})
			require.NoError(t, err)
			s.SeedOrders(0, 3, t0.Add(-time.Hour))

			for i := range 2 {
				_, err := c.List(ctx, ObjectOrder, connectors.ListQuery{})
				require.NoError(t, err, "list %d", i+1)
			}
			_, err = c.List(ctx, ObjectOrder, connectors.ListQuery{})
			require.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			clk.Advance(connectors.RetryAfterOf(err)) // the workflow's timer
			_, err = c.List(ctx, ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err, "the budget's hour has passed")
			assert.Zero(t, s.Bans(), "UNAS still counted the first call: banned")
			assert.Equal(t, 3, s.Kit().Counts()["POST /shop/getOrder"])
		})
	}
}
