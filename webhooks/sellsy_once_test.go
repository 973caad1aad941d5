package webhooks

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// notifAt is a delivery with the given timestamp: a replay whose timestamp was changed.
func notifAt(event, typ, id, ts string) string {
	return "notif=" + url.QueryEscape(`{"event":"`+event+`","relatedtype":"`+typ+`","relatedid":"`+id+`","timestamp":"`+ts+`"}`)
}

// A record is created once: its created event is acted on once, whatever the delivery's
// timestamp and whatever the record became since. A replay of the creation after the record
// changed, or one with another timestamp, started the user's "on new record" workflow again
// (its id named the record's state and the notification's timestamp).
func TestSellsyCreationActedOnOnce(t *testing.T) {
	tests := []struct {
		name    string
		bodies  []string
		changed bool // the record changes between the deliveries
		want    []string
	}{
		{"creation replayed after the record changed", []string{bareNotif("created", "opportunity", "77"), bareNotif("created", "opportunity", "77")}, true,
			[]string{"created/77"}},
		{"creation replayed with another timestamp", []string{notifAt("created", "opportunity", "77", "1764000000"), notifAt("created", "opportunity", "77", "1764000999")}, false,
			[]string{"created/77"}},
		{"creation as client then as company", []string{notifAt("created", "client", "5", "1764000000"), notifAt("created", "company", "5", "1764000001")}, false,
			[]string{"created/5"}},
		// A deletion is not once: one forged ahead for an id not yet used (Sellsy answers
		// 404 as for a deleted record) must not take the name of the real deletion.
		{"deletion forged ahead, then the real one", []string{notifAt("deleted", "opportunity", "88", "1764000000"), notifAt("deleted", "opportunity", "88", "1764000999")}, false,
			[]string{"deleted/88", "deleted/88"}},
		// Updates are still acted on per change.
		{"an update, then another change", []string{bareNotif("updated", "opportunity", "77"), bareNotif("updated", "opportunity", "77")}, true,
			[]string{"updated/77", "updated/77"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			recs := map[string]connectors.Record{"77": {ID: "77", Fields: map[string]any{"name": "Projet"}}, "5": {ID: "5", Fields: map[string]any{"name": "ACME"}}}
			u := sellsyRoutes(t, f, recs, simkit.NewClock(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)),
				config.EventRoute{Object: "opportunity", Start: &config.StartRoute{Workflow: "OnDeal"}},
				config.EventRoute{Object: "company", Start: &config.StartRoute{Workflow: "OnCompany"}})
			for i, body := range tt.bodies {
				if i > 0 && tt.changed {
					recs["77"] = connectors.Record{ID: "77", Fields: map[string]any{"name": "Projet signé"}}
				}
				status, _ := post(t, u, "application/x-www-form-urlencoded", body, nil)
				assert.Equal(t, 200, status)
			}
			var started []string
			for _, e := range f.events {
				started = append(started, e.Event+"/"+e.ID)
			}
			assert.Equal(t, tt.want, started)
		})
	}
}

// An update of a record whose read carries its update time (a company, an individual, a
// contact) is named by the record as read, not by the notification: another delivery of it
// with another timestamp — a replay, a forgery, or Sellsy sending it again with a new one —
// started the workflow again on a record that had not changed. A change (the update time
// moves) still starts again. An opportunity, which has no update time, keeps the
// notification in its name (its change back to an earlier state must not be lost).
func TestSellsyUpdateNamedByTheRecordsUpdateTime(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	company := func(name string, updated time.Time) connectors.Record {
		return connectors.Record{ID: "5", Fields: map[string]any{"name": name}, UpdatedAt: updated}
	}
	tests := []struct {
		name   string
		bodies []string
		states []connectors.Record // the company as read back at each delivery
		want   int                 // workflows started
	}{
		{"redelivered with another timestamp", []string{notifAt("updated", "client", "5", "1764000000"), notifAt("updated", "client", "5", "1764000007")},
			[]connectors.Record{company("ACME", at), company("ACME", at)}, 1},
		{"redelivered without, then with a timestamp", []string{bareNotif("updated", "client", "5"), notifAt("updated", "client", "5", "1764000007")},
			[]connectors.Record{company("ACME", at), company("ACME", at)}, 1},
		{"changed", []string{notifAt("updated", "client", "5", "1764000000"), notifAt("updated", "client", "5", "1764000001")},
			[]connectors.Record{company("ACME", at), company("ACME SA", at.Add(time.Second))}, 2},
		{"changed back (the update time moves)", []string{bareNotif("updated", "client", "5"), bareNotif("updated", "client", "5"), bareNotif("updated", "client", "5")},
			[]connectors.Record{company("ACME", at), company("ACME SA", at.Add(time.Second)), company("ACME", at.Add(2*time.Second))}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			recs := map[string]connectors.Record{}
			u := sellsyRoutes(t, f, recs, simkit.NewClock(at), config.EventRoute{Object: "company", Start: &config.StartRoute{Workflow: "OnCompany"}})
			for i, body := range tt.bodies {
				recs["5"] = tt.states[i]
				status, _ := post(t, u, "application/x-www-form-urlencoded", body, nil)
				assert.Equal(t, 200, status)
			}
			assert.Len(t, f.events, tt.want, "workflow ids: %v", f.ids)
		})
	}
}
