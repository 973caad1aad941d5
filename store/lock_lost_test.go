package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The holder of a PostgreSQL lock learns within seconds that it lost it — its session ended
// (a failover, the DBA, a network cut), the lock free for another worker — from the context
// LockHeld gives it, which ends with ErrLockLost; not when the lock is only idle, nor when it
// unlocks (another cause).
func TestLockHeldEndsWhenTheLockIsLost(t *testing.T) {
	terminate := func(t *testing.T, dsn string, _ Store) {
		ctx := context.Background()
		admin, err := pgx.Connect(ctx, dsn)
		require.NoError(t, err)
		defer admin.Close(ctx)
		var n int
		require.NoError(t, admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND objid = ($1::bigint & 4294967295)::oid`, advisoryKey("conn/contact")).Scan(&n))
		require.Equal(t, 1, n)
	}
	tests := []struct {
		name     string
		backends []string
		// then happens to the lock held; unlock tells whether the test unlocks after
		end    func(t *testing.T, dsn string, st Store)
		unlock bool
		// wantLost: the held context ends with ErrLockLost; else it is still on, or (after
		// unlock) ended without it.
		wantLost bool
		// otherGets: another store of the database takes the lock afterwards.
		otherGets bool
	}{
		{"the session terminated", []string{"postgres"}, terminate, false, true, true},
		{"the store closed", []string{"postgres"}, func(t *testing.T, _ string, st Store) { require.NoError(t, st.Close()) }, false, true, true},
		{"idle for a few checks", []string{"postgres", "sqlite"}, func(*testing.T, string, Store) { time.Sleep(3 * lockCheckEvery) }, false, false, false},
		{"unlocked", []string{"postgres"}, func(*testing.T, string, Store) {}, true, false, true},
		{"unlocked", []string{"sqlite"}, func(*testing.T, string, Store) {}, true, false, false}, // one worker per file
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				if !slices.Contains(tt.backends, b.name) {
					continue
				}
				t.Run(tt.name, func(t *testing.T) {
					ctx, dsn := context.Background(), b.dsn(t)
					st, err := Open(ctx, dsn)
					require.NoError(t, err)
					defer st.Close()
					held, unlock, err := st.LockHeld(ctx, "conn/contact")
					require.NoError(t, err)
					require.NoError(t, held.Err())
					tt.end(t, dsn, st)
					if tt.unlock {
						unlock()
					}
					if tt.wantLost {
						select {
						case <-held.Done():
						case <-time.After(3 * time.Second):
							t.Fatal("the holder is not told within 3s")
						}
						assert.ErrorIs(t, context.Cause(held), ErrLockLost)
						unlock() // does nothing harmful afterwards
					} else if tt.unlock {
						require.Error(t, held.Err())
						assert.False(t, errors.Is(context.Cause(held), ErrLockLost), "unlocked, not lost")
					} else {
						assert.NoError(t, held.Err(), "the lock held")
						defer unlock()
					}
					if tt.otherGets {
						other := open(t, dsn)
						wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
						defer cancel()
						again, err := other.Lock(wctx, "conn/contact")
						require.NoError(t, err)
						again()
					}
				})
			}
		})
	}
}
