package webhooks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// flakySellsy is fakeSellsy whose reads fail while down is set.
type flakySellsy struct {
	fakeSellsy
	down *atomic.Bool
}

func (f flakySellsy) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	if f.down.Load() {
		return nil, &connectors.Error{Kind: connectors.KindRateLimited, System: "sellsy", Op: "GET /opportunities/77", Status: 429, Message: "quota spent"}
	}
	return f.fakeSellsy.Get(ctx, object, ids)
}

// A Sellsy delivery is answered 200 once its events are in Temporal's hands, each given to
// the SellsyEvents workflow of its record: a read back that fails (Sellsy's quota spent, an
// outage) no longer fails the delivery — Sellsy may never send it again — but is retried by
// the workflow, which routes the event once Sellsy answers. An event no route takes is not
// handed over, nor one whose id is no Sellsy id or whose event is no word; an id written "077"
// (or with a hundred thousand zeros) is handed to the record 77's workflow as 77.
func TestSellsyEventsHandedToTheirRecordsWorkflow(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		down     bool
		handedTo []string
		handedID string // the event's id as handed over, when not 77 as delivered
		started  int    // OnDeal runs once the delivery is answered (and, when down, Sellsy back)
	}{
		{name: "read back at once", body: bareNotif("updated", "opportunity", "77"), handedTo: []string{"shop/sellsy-events/opportunity-77"}, started: 1},
		{name: "Sellsy's quota spent: retried by the workflow", body: bareNotif("updated", "opportunity", "77"), down: true,
			handedTo: []string{"shop/sellsy-events/opportunity-77"}, started: 1},
		{name: "an id with a leading zero", body: bareNotif("updated", "opportunity", "077"), handedTo: []string{"shop/sellsy-events/opportunity-77"}, started: 1},
		{name: "an id padded with zeros goes on as Sellsy reads it", body: bareNotif("updated", "opportunity", strings.Repeat("0", 100000)+"77"),
			handedTo: []string{"shop/sellsy-events/opportunity-77"}, handedID: "77", started: 1},
		{name: "what is no id", body: bareNotif("updated", "opportunity", "../../x")},
		{name: "an event that is no word", body: bareNotif(strings.Repeat("updated", 200), "opportunity", "77")},
		{name: "no route takes it", body: bareNotif("updated", "client", "5")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := shopConnection(t)
			conn.Events = []config.EventRoute{{Object: "opportunity", Start: &config.StartRoute{Workflow: "OnDeal"}}}
			var down atomic.Bool
			down.Store(tt.down)
			projet := connectors.Record{ID: "77", Fields: map[string]any{"name": "Projet"}}
			// Sellsy reads "077" as 77 (the fake by its key).
			sl := flakySellsy{fakeSellsy{recs: map[string]connectors.Record{"77": projet, "077": projet}}, &down}
			f := &fakeTemporal{}
			r := New(f, "crmsync", []*config.Connection{conn}, slog.New(slog.NewTextHandler(io.Discard, nil))).
				WithConnectors(func(string) (connectors.Connector, connectors.Connector, error) { return sl, nil, nil })
			f.route = r.RouteSellsyEvent
			srv := httptest.NewServer(r.Handler())
			t.Cleanup(srv.Close)

			status, _ := post(t, srv.URL+"/webhooks/shop/sellsy/sel-789", "application/x-www-form-urlencoded", tt.body, nil)
			assert.Equal(t, 200, status)
			assert.Equal(t, tt.handedTo, f.handedTo)
			if tt.handedID != "" {
				require.Len(t, f.handed, 1)
				assert.Equal(t, tt.handedID, f.handed[0].ID, "the record's workflow holds the id as Sellsy reads it, not as delivered")
			}
			if tt.down {
				require.Len(t, f.routeErrs, 1, "the first attempt fails")
				assert.Empty(t, f.events, "nothing started while Sellsy cannot be read")
				down.Store(false)
				require.NoError(t, r.RouteSellsyEvent(context.Background(), f.handed[0]), "the workflow's next attempt")
			} else {
				assert.Empty(t, f.routeErrs)
			}
			require.Len(t, f.events, tt.started)
			for _, e := range f.events {
				assert.Equal(t, EventInput{Connection: "shop", Object: "opportunity", Event: "updated", ID: "77", Fields: map[string]any{"name": "Projet"}}, e)
			}
		})
	}
}

// An event routed after its connection's file changed follows the file as it is then: a
// connection without a Sellsy side or the route routes nothing (and is not retried); one
// whose file does not validate, or that this worker does not know (a rolling restart that
// adds a file), is retried.
func TestRouteSellsyEventFollowsTheFileAsItIsNow(t *testing.T) {
	ev := activities.SellsyEvent{Connection: "shop", Object: "opportunity", Event: "updated", ID: "77"}
	route := []config.EventRoute{{Object: "opportunity", Start: &config.StartRoute{Workflow: "OnDeal"}}}
	tests := []struct {
		name    string
		event   string // the event's connection, when not shop
		load    func(t *testing.T) (*config.Connection, error)
		wantErr string
		started int
	}{
		{name: "as delivered", load: func(t *testing.T) (*config.Connection, error) {
			c := shopConnection(t)
			c.Events = route
			return c, nil
		}, started: 1},
		{name: "a connection this worker does not know", event: "other", load: func(*testing.T) (*config.Connection, error) {
			return nil, errors.New("no connection file of this worker is named other")
		}, wantErr: `no connection file of this worker is named "other": every worker of task queue "crmsync" must load the same connection files`},
		{name: "no Sellsy side now", load: func(t *testing.T) (*config.Connection, error) {
			c := shopConnection(t)
			c.A.System, c.Events = "weavy", route
			return c, nil
		}},
		{name: "route removed", load: func(t *testing.T) (*config.Connection, error) { return shopConnection(t), nil }},
		{name: "file broken", load: func(*testing.T) (*config.Connection, error) {
			return nil, errors.New("shop.yaml: objects[0].fields[1].a: required")
		}, wantErr: "connection shop (shop.yaml) does not validate: shop.yaml: objects[0].fields[1].a: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := shopConnection(t)
			conn.File = "shop.yaml"
			f := &fakeTemporal{}
			r := New(f, "crmsync", []*config.Connection{conn}, slog.New(slog.NewTextHandler(io.Discard, nil))).
				WithConfig(func(string) (*config.Connection, error) { return tt.load(t) }).
				WithConnectors(func(string) (connectors.Connector, connectors.Connector, error) {
					return fakeSellsy{recs: map[string]connectors.Record{"77": {ID: "77"}}}, nil, nil
				})
			ev := ev
			if tt.event != "" {
				ev.Connection = tt.event
			}
			err := r.RouteSellsyEvent(context.Background(), ev)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Len(t, f.events, tt.started)
		})
	}
}
