package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A lock's session is not ended by the timeouts a DBA sets (in the DSN here, as in the
// server's configuration): idle_session_timeout would free the lock while its holder goes
// on, the timeouts of statements would fail a wait for the lock.
func TestPostgresLockSessionOutlivesTimeouts(t *testing.T) {
	tests := []struct {
		name, params string
		idle         time.Duration // how long the holder leaves the lock connection idle
	}{
		{"idle_session_timeout", "idle_session_timeout=500", 1500 * time.Millisecond},
		{"statement_timeout and lock_timeout", "statement_timeout=300&lock_timeout=300", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, dsn := context.Background(), postgresDSN(t)
			w1, w2 := open(t, dsn+"?"+tt.params), open(t, dsn+"?"+tt.params)
			unlock1, err := w1.Lock(ctx, "conn/contact")
			require.NoError(t, err)
			time.Sleep(tt.idle) // the pass calls the CRM meanwhile

			// Worker 2 waits longer than the timeouts, and gets the lock only once freed.
			got := make(chan error, 1)
			go func() {
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				unlock2, err := w2.Lock(wctx, "conn/contact")
				if err == nil {
					unlock2()
				}
				got <- err
			}()
			select {
			case err := <-got:
				t.Fatalf("worker 2 got the lock worker 1 holds (or failed waiting: %v)", err)
			case <-time.After(1500 * time.Millisecond):
			}
			unlock1()
			select {
			case err := <-got:
				assert.NoError(t, err, "the lock, once freed")
			case <-time.After(5 * time.Second):
				t.Fatal("worker 2 still waits after worker 1 unlocked")
			}
		})
	}
}
