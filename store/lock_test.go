package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A key is held by one holder at a time — across the stores of one PostgreSQL database, as
// across worker processes — other keys are not held up, and a wait ends with its context.
func TestLock(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := b.dsn(t)
			stores := []Store{open(t, dsn)}
			if b.name == "postgres" {
				stores = append(stores, open(t, dsn)) // two worker processes
			}

			// Exclusive: holders of one key never overlap.
			var inside, most atomic.Int32
			var wg sync.WaitGroup
			for i := range 12 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					unlock, err := stores[i%len(stores)].Lock(ctx, "conn/contact")
					if !assert.NoError(t, err) {
						return
					}
					n := inside.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(5 * time.Millisecond)
					inside.Add(-1)
					unlock()
					unlock() // a second call does nothing
				}()
			}
			wg.Wait()
			assert.Equal(t, int32(1), most.Load(), "holders at once")

			held, err := stores[0].Lock(ctx, "conn/contact")
			require.NoError(t, err)
			// Another key is free.
			other, err := stores[len(stores)-1].Lock(ctx, "conn/company")
			require.NoError(t, err)
			other()
			// A wait on a held key ends with its context.
			wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			_, err = stores[len(stores)-1].Lock(wctx, "conn/contact")
			require.Error(t, err)
			held()
			// and the key is free once more.
			again, err := stores[len(stores)-1].Lock(ctx, "conn/contact")
			require.NoError(t, err)
			again()
		})
	}
}
