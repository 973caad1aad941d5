package webhooks

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/workflows"
)

// A bulk edit in Sellsy sends a webhook per record. Each used to become a sync-now signal,
// an event in the sync's history each — 50,000 end a workflow — while one pass reads every
// change. One goes at once; the rest of its window become a single one at the window's end,
// naming the latest event, so the last change still gets a pass after it; a delivery after
// the window goes at once again.
func TestSellsySyncNowIsSpaced(t *testing.T) {
	const every = time.Second
	conn := shopConnection(t)
	conn.Events = []config.EventRoute{{Object: "contact", Signal: &config.SignalRoute{WorkflowID: "{connection}/incremental-sync", Name: workflows.SignalSyncNow}}}
	f := &fakeTemporal{}
	r := New(f, "crmsync", []*config.Connection{conn}, slog.New(slog.NewTextHandler(io.Discard, nil))).
		WithConnectors(func(string) (connectors.Connector, connectors.Connector, error) { return fakeSellsy{}, nil, nil })
	r.nudges = newNudges(every)
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	url := srv.URL + "/webhooks/shop/sellsy/sel-789"
	synced := func() []EventSignal {
		f.mu.Lock()
		defer f.mu.Unlock()
		return append([]EventSignal(nil), f.synced...)
	}

	start := time.Now()
	for i := 1; i <= 50; i++ {
		status, _ := post(t, url, "application/x-www-form-urlencoded", bareNotif("updated", "contact", strconv.Itoa(i)), nil)
		require.Equal(t, 200, status)
	}
	delivered := time.Since(start)
	assert.Equal(t, EventSignal{Object: "contact", Event: "updated", ID: "1"}, synced()[0], "the first at once")
	require.Eventually(t, func() bool {
		s := synced()
		return s[len(s)-1].ID == "50"
	}, 5*time.Second, 10*time.Millisecond, "the latest event gets a sync-now after it")
	// One a window, and the trailing one: two when the 50 came within a second, as they do.
	windows := int(delivered/every) + 1
	assert.LessOrEqual(t, len(synced()), windows+1, "delivered in %s", delivered)
	time.Sleep(every + every/2)
	n := len(synced())
	assert.LessOrEqual(t, n, windows+1, "nothing more once the deliveries stop")

	time.Sleep(every)
	status, _ := post(t, url, "application/x-www-form-urlencoded", bareNotif("updated", "contact", "51"), nil)
	require.Equal(t, 200, status)
	assert.Len(t, synced(), n+1, "after a quiet window, at once again")
}

func TestNudgesAdmit(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	sig := func(id string) EventSignal { return EventSignal{Object: "contact", Event: "updated", ID: id} }
	type step struct {
		at    time.Duration // after t0
		take  bool          // the trailing timer fires instead
		send  bool
		later time.Duration
		taken string // the event the trailing one names
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "the first goes at once", steps: []step{{at: 0, send: true}}},
		{name: "spaced out, each at once", steps: []step{{at: 0, send: true}, {at: time.Second, send: true}, {at: 3 * time.Second, send: true}}},
		{name: "within the window: held, one trailing", steps: []step{
			{at: 0, send: true}, {at: 100 * time.Millisecond, later: 900 * time.Millisecond}, {at: 500 * time.Millisecond},
			{at: time.Second, take: true, taken: "3"}}},
		{name: "after the trailing one, a new window", steps: []step{
			{at: 0, send: true}, {at: 100 * time.Millisecond, later: 900 * time.Millisecond},
			{at: time.Second, take: true, taken: "2"}, {at: 1500 * time.Millisecond, later: 500 * time.Millisecond}, {at: 2 * time.Second, take: true, taken: "4"},
			{at: 3500 * time.Millisecond, send: true}}},
		{name: "a late timer: held until it fires", steps: []step{
			{at: 0, send: true}, {at: 100 * time.Millisecond, later: 900 * time.Millisecond}, {at: 1200 * time.Millisecond},
			{at: 1300 * time.Millisecond, take: true, taken: "3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNudges(time.Second)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.take {
					got, ok := n.take("shop/incremental-sync", now)
					require.True(t, ok, "step %d", i)
					assert.Equal(t, s.taken, got.ID, "step %d", i)
					continue
				}
				send, later := n.admit("shop/incremental-sync", sig(strconv.Itoa(i+1)), now)
				assert.Equal(t, s.send, send, "step %d", i)
				assert.Equal(t, s.later, later, "step %d", i)
			}
		})
	}
}
