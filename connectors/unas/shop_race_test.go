package unas

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

// Clients of one shop used at once (two connections' activities in parallel) share the
// token, session and bans without a data race, and log in once.
func TestShopSharedConcurrently(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
	shop := NewShop()
	var clients []*Client
	for range 4 {
		c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, Shop: shop})
		require.NoError(t, err)
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			assert.NoError(t, err)
			_ = c.Session()
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, e.s.Logins())
}
