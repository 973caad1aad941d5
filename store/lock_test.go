package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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

// A worker host that vanishes (no FIN, no RST) frees its advisory locks within about half a
// minute, not the ~2h11 of the server's default TCP keepalives: the store's sessions ask
// the server for short keepalives and a TCP user timeout.
func TestPostgresKeepalives(t *testing.T) {
	ctx := context.Background()
	st := open(t, postgresDSN(t)).(*pgStore)
	unlock, err := st.Lock(ctx, "conn/contact")
	require.NoError(t, err)
	defer unlock()
	lockConn, err := st.locks.Acquire(ctx) // a lock connection, as the one holding it
	require.NoError(t, err)
	defer lockConn.Release()
	for _, q := range []interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}{lockConn, st.pool} {
		for name, want := range map[string]string{"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3", "tcp_user_timeout": "25000"} {
			var got string
			require.NoError(t, q.QueryRow(ctx, "SHOW "+name).Scan(&got))
			assert.Equal(t, want, got, name)
		}
	}

	// The DSN's own value is kept.
	dsn := postgresDSN(t) + "?tcp_keepalives_idle=60"
	own := open(t, dsn).(*pgStore)
	var got string
	require.NoError(t, own.pool.QueryRow(ctx, "SHOW tcp_keepalives_idle").Scan(&got))
	assert.Equal(t, "60", got)
}

// Close does not wait for the locks held or awaited (pgxpool's Close waits for every
// connection given out): it ends their sessions, which frees the locks for the other
// workers at once, and the store takes no lock afterwards.
func TestPostgresCloseWithLocksHeld(t *testing.T) {
	ctx := context.Background()
	dsn := postgresDSN(t)
	st, other := open(t, dsn), open(t, dsn)
	unlock, err := st.Lock(ctx, "conn/contact")
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() {
		_, err := st.Lock(wctx, "conn/contact") // another session of the store waits for it
		waited <- err
	}()
	time.Sleep(200 * time.Millisecond)

	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close still waits for the locks after 5s")
	}
	select {
	case err := <-waited:
		require.Error(t, err, "the wait ends with the store")
	case <-time.After(5 * time.Second):
		t.Fatal("the wait goes on after Close")
	}
	free, cancelFree := context.WithTimeout(ctx, 5*time.Second)
	defer cancelFree()
	again, err := other.Lock(free, "conn/contact")
	require.NoError(t, err, "the lock is free for another worker")
	again()
	unlock() // after Close: does nothing
	_, err = st.Lock(ctx, "conn/company")
	require.Error(t, err, "a closed store takes no lock")
}
