package webhooks

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// Sellsy's notifications need not carry a timestamp (the reference confirms only event,
// relatedtype and relatedid): two real changes of a record then arrive as the same body, and
// only the record read back tells them apart. Each change starts its workflow: one outside
// the fields the connector maps (a company's reference, an opportunity's source), and a
// record going A→B→A→B, whose update time moves each time. Both were taken for redeliveries
// and dropped with a 200, the digest covering the mapped fields and links only.
func TestSellsyChangesWithoutTimestampEachStart(t *testing.T) {
	clock := simkit.NewClock(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	sl := sellsysim.New(sellsysim.Options{ClientID: "id", ClientSecret: "secret", RequestsPerSecond: -1, Now: clock.Now, WebhookWithoutTimestamp: true})
	api := httptest.NewServer(sl)
	t.Cleanup(api.Close)
	sl.SeedPeople(0, 1)
	c, err := sellsy.New(sellsy.Config{APIURL: api.URL + "/v2", TokenURL: api.URL + "/oauth2/access-tokens", ClientID: "id", ClientSecret: "secret", RequestsPerSecond: 1000})
	require.NoError(t, err)
	ctx := context.Background()

	conn := shopConnection(t)
	conn.Events = []config.EventRoute{
		{Object: "company", Event: "updated", Start: &config.StartRoute{Workflow: "OnCompany"}},
		{Object: "opportunity", Event: "updated", Start: &config.StartRoute{Workflow: "OnDeal"}},
	}
	f := &fakeTemporal{noSync: true} // no PipelineSync runs: its signal is answered not found
	r := New(f, "crmsync", []*config.Connection{conn}, slog.New(slog.NewTextHandler(io.Discard, nil))).
		WithConnectors(func(string) (connectors.Connector, connectors.Connector, error) { return c, nil, nil })
	f.routeWith(t, r)
	var answered atomic.Int64 // notifications the receiver has answered
	h := r.Handler()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h.ServeHTTP(w, req)
		if req.Method == http.MethodPost {
			answered.Add(1)
		}
	}))
	t.Cleanup(recv.Close)

	co := fmt.Sprint(sl.Dump("companies")[0]["id"])
	created, err := c.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": "Contrat", "pipeline_id": "1", "step_id": "11"},
		Links: map[string]string{"company": co}}})
	require.NoError(t, err)
	require.NoError(t, created[0].Err)
	opp := created[0].ID
	sl.SetWebhook(recv.URL + "/webhooks/shop/sellsy/sel-789")

	// put changes a record through the API, a second after the last change, and waits for
	// the receiver to have answered the webhook it sends.
	var sent int64
	put := func(path, body string) {
		t.Helper()
		clock.Advance(time.Second)
		_, _, err := c.Call(ctx, "PUT", path, nil, []byte(body))
		require.NoError(t, err)
		sent++
		deadline := time.Now().Add(5 * time.Second)
		for answered.Load() < sent && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		require.Equal(t, sent, answered.Load(), "the notification reached the receiver")
	}
	for _, ref := range []string{"A", "B", "A", "B"} {
		put("/companies/"+co, `{"reference":"`+ref+`"}`)
	}
	for _, source := range []int{2, 3} {
		put("/opportunities/"+opp, fmt.Sprintf(`{"source":%d}`, source))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var started []string
	for i, e := range f.events {
		started = append(started, fmt.Sprint(f.types[i], "/", e.Event, "/", e.ID))
	}
	assert.Equal(t, []string{"OnCompany/updated/" + co, "OnCompany/updated/" + co, "OnCompany/updated/" + co, "OnCompany/updated/" + co,
		"OnDeal/updated/" + opp, "OnDeal/updated/" + opp}, started)
	assert.Len(t, f.ids, 6, "six workflow ids: %v", f.ids)
}
