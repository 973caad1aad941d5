package minicrm

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/minicrm/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/store"
)

// storeQuota is a Quota on a store, as the registry's: every client given one on the same
// store and key shares MiniCRM's minute.
type storeQuota struct {
	quotas store.Quotas
	limit  int
}

func (q storeQuota) Take(ctx context.Context, now time.Time) (time.Duration, error) {
	return q.quotas.TakeQuota(ctx, []store.QuotaClaim{{Key: "minicrm test 12345", Limit: q.limit}}, time.Minute+time.Second, now)
}

// Two worker processes on one MiniCRM system each kept their own 59 requests a minute, so
// together they sent up to twice MiniCRM's 60: the second's requests were refused with a 429
// that cost a whole minute on the workflow's timer. Counted in the workers' store, they share
// the minute: a request that would not fit waits within the call (nothing sent meanwhile)
// until the oldest of the window leaves it, and none is refused.
func TestProcessesShareMiniCRMsMinute(t *testing.T) {
	tests := []struct {
		name    string
		clients int
		shared  bool // the clients count in the store
		calls   int
		refused bool // a call is refused with a 429
	}{
		{name: "two processes sharing the store", clients: 2, shared: true, calls: 150},
		{name: "three processes sharing the store", clients: 3, shared: true, calls: 150},
		{name: "two processes counting apart", clients: 2, calls: 150, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
			clk := simkit.NewClock(start)
			s := sim.New(sim.Options{SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 60, Now: clk.Now})
			ts := serve(t, s)
			st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "crmsync.db"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })

			var clients []*Client
			for range tt.clients {
				// Each process's own limiter lets every request go: the quota alone holds them.
				cfg := Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000}
				if tt.shared {
					cfg.Quota = storeQuota{quotas: st, limit: QuotaLimit(60)}
				}
				c, err := New(cfg)
				require.NoError(t, err)
				c.now = clk.Now
				c.sleep = func(_ context.Context, d time.Duration) error { clk.Advance(d); return nil }
				clients = append(clients, c)
			}
			var refused error
			for i := range tt.calls {
				_, _, err := clients[i%len(clients)].Call(context.Background(), http.MethodGet, "/Api/R3/Category", nil, nil)
				if err != nil {
					refused = err
					break
				}
			}
			if tt.refused {
				require.Error(t, refused)
				assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(refused), "%v", refused)
				return
			}
			require.NoError(t, refused)
			assert.Equal(t, tt.calls, s.Kit().Counts()["GET /Api/R3/Category"], "every call sent once, none refused")
			// 59 a minute: the 150 calls took the start of a third minute.
			assert.GreaterOrEqual(t, clk.Now().Sub(start), 2*time.Minute)
			assert.Less(t, clk.Now().Sub(start), 3*time.Minute)
		})
	}
}

// fakeQuota answers Take with waits in turn, then 0; err, when set, instead.
type fakeQuota struct {
	waits []time.Duration
	err   error
	takes atomic.Int32
}

func (q *fakeQuota) Take(context.Context, time.Time) (time.Duration, error) {
	n := int(q.takes.Add(1)) - 1
	if q.err != nil {
		return 0, q.err
	}
	if n < len(q.waits) {
		return q.waits[n], nil
	}
	return 0, nil
}

// What the shared quota answers decides what the call does, and a request is sent only once
// the quota counted it: a wait within the minute is slept in the call, one past it (clocks
// that disagree) goes to the workflow as rate limited, a store that does not answer fails
// the call unsent, and a worker that begins to stop ends the wait unsent.
func TestSharedQuotaAnswers(t *testing.T) {
	tests := []struct {
		name     string
		quota    *fakeQuota
		stop     bool          // the worker is stopping
		deadline time.Duration // the call's context ends so soon
		kind     connectors.Kind
		sent     int
		slept    time.Duration
		unsent   bool
	}{
		{name: "room at once", quota: &fakeQuota{}, sent: 1},
		{name: "room after two waits", quota: &fakeQuota{waits: []time.Duration{20 * time.Second, 3 * time.Second}}, sent: 1, slept: 23 * time.Second},
		{name: "a wait past the minute", quota: &fakeQuota{waits: []time.Duration{5 * time.Minute}}, kind: connectors.KindRateLimited, unsent: true},
		{name: "a wait past the call's deadline", quota: &fakeQuota{waits: []time.Duration{50 * time.Second}}, deadline: time.Minute / 2, kind: connectors.KindRateLimited, unsent: true},
		{name: "the store does not answer", quota: &fakeQuota{err: errors.New("connection refused")}, kind: connectors.KindRetryable, unsent: true},
		{name: "the worker stops during the wait", quota: &fakeQuota{waits: []time.Duration{20 * time.Second}}, stop: true, kind: connectors.KindRetryable, unsent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sim.New(sim.Options{SystemID: "12345", APIKey: apiKey})
			ts := serve(t, s)
			c, err := New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000, Quota: tt.quota})
			require.NoError(t, err)
			var slept time.Duration
			c.sleep = func(ctx context.Context, d time.Duration) error {
				if tt.stop {
					<-ctx.Done() // the stop ends the wait
					return ctx.Err()
				}
				slept += d
				return nil
			}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			if tt.stop {
				stop := make(chan struct{})
				close(stop)
				ctx = connectors.WithStop(ctx, stop)
			}
			_, _, err = c.Call(ctx, http.MethodGet, "/Api/R3/Category", nil, nil)
			assert.Equal(t, tt.sent, s.Kit().Counts()["GET /Api/R3/Category"], "requests sent")
			assert.Equal(t, tt.slept, slept)
			if tt.kind == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.kind, connectors.KindOf(err), "%v", err)
			assert.Equal(t, tt.unsent, connectors.NothingWritten(err), "%v", err)
			if tt.kind == connectors.KindRateLimited {
				assert.Equal(t, tt.quota.waits[0], connectors.RetryAfterOf(err))
			}
			assert.Equal(t, tt.stop, connectors.Stopping(err), "%v", err)
		})
	}
}
