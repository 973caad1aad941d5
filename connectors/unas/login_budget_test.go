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

// scaleTotal lowers PREMIUM's hourly total for one test (2,000 scaled down).
func scaleTotal(t *testing.T, total int) {
	t.Helper()
	old := HourlyLimits["PREMIUM"][ClassTotal]
	HourlyLimits["PREMIUM"][ClassTotal] = total
	t.Cleanup(func() { HourlyLimits["PREMIUM"][ClassTotal] = old })
}

// UNAS counts a login among the IP's calls of the hour, as every other call: the budget
// counts it too, or crmsync calls once too often for every login of the hour and earns a ban.
func TestLoginIsCountedInTheHourlyTotal(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		expire  bool // UNAS forgets the token after the first call: one more login
		allowed int  // getOrderStatus calls made before the budget is spent
		spent   int  // the calls of the hour the budget counts then, logins included
	}{
		// login + 4 calls = 5
		{name: "first login", allowed: 4, spent: 5},
		// login, a call, the call refused for its token, a second login, the call again = 5
		{name: "login again after a refused token", expire: true, allowed: 2, spent: 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scaleTotal(t, 5)
			e := start(t, sim.Options{Limits: map[string]int{sim.LimitTotal: 5}})
			budget := NewBudget()
			c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, Budget: budget})
			require.NoError(t, err)
			made := 0
			for i := 0; i < 10; i++ {
				_, err = c.Statuses(ctx)
				if err != nil {
					break
				}
				made++
				if tc.expire && i == 0 {
					e.s.ExpireTokens()
				}
			}
			require.Error(t, err)
			assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err), "%v", err)
			assert.Contains(t, err.Error(), "hourly budget")
			assert.Equal(t, tc.allowed, made)
			assert.Equal(t, tc.spent, budget.Spent(ClassTotal, e.clk.Now()))
			assert.Zero(t, e.s.Bans(), "the budget keeps crmsync clear of UNAS's total limit")

			e.clk.Advance(CountedFor + time.Second)
			_, err = c.Statuses(ctx)
			require.NoError(t, err, "the hour has passed")
		})
	}
}
