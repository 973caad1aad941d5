package sellsy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// DeleteRecord deletes one record of each collection Sellsy's V2 deletes (204), and names
// the record Sellsy does not have (404: KindInvalid, not retried).
func TestDeleteRecord(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 1) // company 1, contact 1000001
	f.sim.SeedOpportunities(1)
	rel := `[{"type":"company","id":1}]`
	bodies := map[string]string{
		"individuals":     `{"type":"client","last_name":"Durand"}`,
		"tasks":           `{"title":"Call","due_date":"2026-03-05T09:00:00Z","label_id":1,"related":` + rel + `}`,
		"calendar-events": `{"title":"Demo","datetime_start":"2026-03-05T09:00:00Z","datetime_end":"2026-03-05T10:00:00Z","label_id":3}`,
		"comments":        `{"description":"Met them","related":` + rel + `}`,
	}
	ids := map[string]int{"companies": 1, "contacts": 1_000_001, "opportunities": 3_000_001}
	for coll, body := range bodies {
		_, raw, err := f.c.Call(ctx, "POST", "/"+coll, nil, []byte(body))
		require.NoError(t, err, coll)
		var rec struct{ ID int }
		require.NoError(t, json.Unmarshal(raw, &rec))
		ids[coll] = rec.ID
	}
	names := map[string]string{"companies": "company", "contacts": "contact", "individuals": "individual", "opportunities": "opportunity",
		"tasks": "task", "calendar-events": "calendar event", "comments": "comment"}
	for coll, id := range ids {
		t.Run(coll, func(t *testing.T) {
			repeated, err := f.c.DeleteRecord(ctx, coll, id)
			require.NoError(t, err)
			assert.False(t, repeated)
			status, _, err := f.c.Call(ctx, "GET", fmt.Sprintf("/%s/%d", coll, id), nil, nil)
			assert.Equal(t, http.StatusNotFound, status, "gone")
			require.Error(t, err)

			_, err = f.c.DeleteRecord(ctx, coll, id)
			require.Error(t, err)
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
			var e *connectors.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusNotFound, e.Status)
			assert.Contains(t, err.Error(), fmt.Sprintf("%s %d", names[coll], id))
		})
	}

	_, err := f.c.DeleteRecord(ctx, "staffs", 1)
	require.Error(t, err, "a collection DeleteRecord does not delete")
	assert.Contains(t, err.Error(), "staffs")
	_, err = f.c.DeleteRecord(ctx, "companies", 0)
	require.Error(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "id 0")
}

// A DELETE whose answer is lost (a 502 from a proxy after Sellsy carried it out) is sent
// again, as any DELETE is: the 404 that answers the repeat means the lost try deleted the
// record, so DeleteRecord reports it deleted (repeated), not missing. A first try Sellsy
// refused (a 503, a 429: nothing was done) leaves a 404 what it is: no such record.
func TestDeleteRecordRepeated(t *testing.T) {
	tests := []struct {
		name         string
		first        func(w http.ResponseWriter, r *http.Request, s http.Handler)
		exists       bool
		wantRepeated bool
		wantKind     connectors.Kind
	}{
		{"answer lost after the delete", func(w http.ResponseWriter, r *http.Request, s http.Handler) {
			s.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, "upstream timed out", http.StatusBadGateway)
		}, true, true, ""},
		{"unavailable, then no such record", func(w http.ResponseWriter, r *http.Request, s http.Handler) {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		}, false, false, connectors.KindInvalid},
		{"rate limited, then no such record", func(w http.ResponseWriter, r *http.Request, s http.Handler) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}, false, false, connectors.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 1)
			var deletes atomic.Int64
			c := f.inFront(t, func(w http.ResponseWriter, r *http.Request, s http.Handler) {
				if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v2/companies/") && deletes.Add(1) == 1 {
					tt.first(w, r, s)
					return
				}
				s.ServeHTTP(w, r)
			})
			id := 424242
			if tt.exists {
				id = 1
			}
			repeated, err := c.DeleteRecord(ctx, "companies", id)
			assert.EqualValues(t, 2, deletes.Load(), "sent again")
			assert.Equal(t, tt.wantRepeated, repeated)
			if tt.wantKind == "" {
				require.NoError(t, err)
				assert.Equal(t, 0, f.sim.Count("companies"))
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantKind, connectors.KindOf(err))
			assert.Contains(t, err.Error(), "company 424242")
		})
	}
}

// A DELETE answered 403 while the API client has the scope is the record's own refusal (its
// access rights): KindInvalid naming it, as for Delete; without the scope it is the
// connection's (KindConfig).
func TestDeleteRecordRefused(t *testing.T) {
	tests := []struct {
		name     string
		opts     sim.Options
		wantKind connectors.Kind
		wantMsg  string
	}{
		{name: "its access rights", wantKind: connectors.KindInvalid,
			wantMsg: "this Sellsy user may not delete contact 1000001: Sellsy answered 403 although the API client has the scope contacts.write, so the record's access rights (acl) keep it from this user"},
		{name: "the scope missing", opts: sim.Options{Scopes: []string{"contacts.read", "companies.read"}, ScopesNotInToken: true},
			wantKind: connectors.KindConfig, wantMsg: "the API client lacks the scope(s) contacts.write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, tt.opts, false)
			f.sim.SeedPeople(0, 1) // contact 1000001
			c := f.inFront(t, func(w http.ResponseWriter, r *http.Request, s http.Handler) {
				if r.Method == http.MethodDelete && r.URL.Path == "/v2/contacts/1000001" {
					answerError(w, http.StatusForbidden, "Forbidden")
					return
				}
				s.ServeHTTP(w, r)
			})
			repeated, err := c.DeleteRecord(ctx, "contacts", 1_000_001)
			require.Error(t, err)
			assert.False(t, repeated)
			assert.Equal(t, tt.wantKind, connectors.KindOf(err))
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}
