package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTakeQuota(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, b.dsn(t))
			t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			shop := []QuotaClaim{{Key: "unas shop1/getOrder", Limit: 3}, {Key: "unas shop1/total", Limit: 5}}

			steps := []struct {
				name   string
				claims []QuotaClaim
				at     time.Duration
				wait   time.Duration // 0: taken
			}{
				{"first", shop, 0, 0},
				{"second", shop, time.Minute, 0},
				{"third", shop, 2 * time.Minute, 0},
				{"the list class is spent", shop, 3 * time.Minute, 57 * time.Minute},
				{"another class of the shop", []QuotaClaim{{Key: "unas shop1/getOrder:key", Limit: 100}, {Key: "unas shop1/total", Limit: 5}}, 4 * time.Minute, 0},
				{"another shop", []QuotaClaim{{Key: "unas shop2/getOrder", Limit: 3}}, 5 * time.Minute, 0},
				{"the last use of the total", []QuotaClaim{{Key: "unas shop1/getOrder:key", Limit: 100}, {Key: "unas shop1/total", Limit: 5}}, 6 * time.Minute, 0},
				{"now the total", []QuotaClaim{{Key: "unas shop1/getOrder:key", Limit: 100}, {Key: "unas shop1/total", Limit: 5}}, 7 * time.Minute, 53 * time.Minute},
				{"the first use leaves the hour", shop, time.Hour, 0},
			}
			for _, st := range steps {
				wait, err := s.TakeQuota(ctx, st.claims, time.Hour, t0.Add(st.at))
				require.NoError(t, err, st.name)
				assert.Equal(t, st.wait, wait, st.name)
			}
			used, err := s.QuotaUsed(ctx, "unas shop1/getOrder", time.Hour, t0.Add(time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 3, used, "the uses at 1m, 2m and 1h: the one at 0 left the hour")
			used, err = s.QuotaUsed(ctx, "nothing", time.Hour, t0)
			require.NoError(t, err)
			assert.Zero(t, used)

			// All or none: a refused claim records none of the others.
			only := []QuotaClaim{{Key: "x", Limit: 1}}
			wait, err := s.TakeQuota(ctx, only, time.Hour, t0)
			require.NoError(t, err)
			require.Zero(t, wait)
			wait, err = s.TakeQuota(ctx, []QuotaClaim{{Key: "x", Limit: 1}, {Key: "y", Limit: 2}}, time.Hour, t0)
			require.NoError(t, err)
			require.Positive(t, wait)
			for i := range 2 {
				wait, err = s.TakeQuota(ctx, []QuotaClaim{{Key: "y", Limit: 2}}, time.Hour, t0)
				require.NoError(t, err)
				assert.Zero(t, wait, "y use %d: the refused claim took none", i+1)
			}
			_, err = s.TakeQuota(ctx, []QuotaClaim{{Limit: 1}}, time.Hour, t0)
			assert.Error(t, err, "a claim needs a key")
		})
	}
}

// Workers sharing a store share its quotas, with the CLI: of 40 concurrent takes of a
// 30-a-window key, 30 are granted.
func TestTakeQuotaConcurrently(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			stores := []Store{open(t, dsn)}
			if b.name == "postgres" {
				stores = append(stores, open(t, dsn)) // two worker processes
			} else {
				cli, err := OpenExisting(context.Background(), dsn) // a worker and the CLI: one worker a SQLite file
				require.NoError(t, err)
				t.Cleanup(func() { cli.Close() })
				stores = append(stores, cli)
			}
			now := time.Now()
			var mu sync.Mutex
			granted := 0
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					wait, err := stores[i%2].TakeQuota(context.Background(), []QuotaClaim{{Key: "k", Limit: 30}}, time.Hour, now)
					assert.NoError(t, err)
					if err == nil && wait == 0 {
						mu.Lock()
						granted++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			assert.Equal(t, 30, granted)
		})
	}
}
