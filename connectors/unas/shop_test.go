package unas

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

// Two clients of one shop (two connections, or a connection's client built again after its
// file changed) share its token and its bans: one login between them, and a ban one of them
// was told about keeps the other from calling into it. With a Shop each, the second logs in
// again and calls into the ban.
func TestClientsOfOneShopShareTokenAndBans(t *testing.T) {
	tests := []struct {
		name        string
		shared      bool
		logins      int // after a call by each
		ordersCalls int // getOrder requests once the first was banned and the second tried
	}{
		{name: "one Shop", shared: true, logins: 1, ordersCalls: 6},
		{name: "a Shop each", shared: false, logins: 2, ordersCalls: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			// Other tools spend most of the hour: the 6th multi-order call is banned.
			e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 5}})
			e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
			shop := NewShop()
			clients := make([]*Client, 2)
			for i := range clients {
				cfg := Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, Shop: shop}
				if !tt.shared {
					cfg.Shop = nil
				}
				c, err := New(cfg)
				require.NoError(t, err)
				clients[i] = c
			}
			for _, c := range clients {
				_, err := c.Statuses(ctx)
				require.NoError(t, err)
			}
			assert.Equal(t, tt.logins, e.s.Logins())
			assert.Equal(t, tt.logins, e.calls("login"))
			if tt.shared {
				assert.Equal(t, "PREMIUM", clients[1].Session().Subscription, "the session the first client's login answered")
			}

			for range 5 {
				_, err := clients[0].List(ctx, ObjectOrder, connectors.ListQuery{})
				require.NoError(t, err)
			}
			_, err := clients[0].List(ctx, ObjectOrder, connectors.ListQuery{})
			require.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "banned: %v", err)
			require.Equal(t, 1, e.s.Bans())

			_, err = clients[1].List(ctx, ObjectOrder, connectors.ListQuery{})
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
			assert.Equal(t, tt.ordersCalls, e.calls("getOrder"))
		})
	}
}

// A Shop belongs to one shop and API key: a client of another is refused rather than handed a
// token that is not its own.
func TestShopRefusesAnotherShopsClient(t *testing.T) {
	tests := []struct {
		name          string
		base, key     string
		wantErr       bool
		wantErrSubstr string
	}{
		{name: "same shop and key", base: "https://api.unas.eu/shop", key: "k1"},
		{name: "same shop, trailing slash", base: "https://api.unas.eu/shop/", key: "k1"},
		{name: "another key", base: "https://api.unas.eu/shop", key: "k2", wantErr: true, wantErrSubstr: "another shop or API key"},
		{name: "another shop", base: "https://other.example/shop", key: "k1", wantErr: true, wantErrSubstr: "another shop or API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shop := NewShop()
			_, err := New(Config{BaseURL: "https://api.unas.eu/shop", APIKey: "k1", Shop: shop})
			require.NoError(t, err)
			_, err = New(Config{BaseURL: tt.base, APIKey: tt.key, Shop: shop})
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
			assert.Contains(t, err.Error(), tt.wantErrSubstr)
			assert.NotContains(t, err.Error(), tt.key)
		})
	}
}
