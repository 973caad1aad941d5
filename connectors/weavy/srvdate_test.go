package weavy

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// srvDate's zone is not documented: the Since filter is written in the zone measured on the
// records read, and before any measure in the earlier of UTC and the configured zone.
func TestSinceWall(t *testing.T) {
	summer := time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC)
	winter := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	rec := func(local, utc string) map[string]any { return map[string]any{"srvDate": local, "srvDateUTC": utc} }
	tests := []struct {
		name  string
		zone  string
		seen  map[string]any // a record read before; nil: none
		since time.Time
		want  string
	}{
		{"nothing read, Paris: UTC is earlier", "", nil, summer, "2026-07-15 09:00:00"},
		{"nothing read, Cayenne: Cayenne is earlier", "America/Cayenne", nil, summer, "2026-07-15 06:00:00"},
		{"srvDate is UTC", "", rec("2026-01-10 08:00:00", "2026-01-10 08:00:00"), summer, "2026-07-15 09:00:00"},
		{"srvDate is Paris, measured in winter, since in summer", "", rec("2026-01-10 09:00:00", "2026-01-10 08:00:00"), summer, "2026-07-15 11:00:00"},
		{"srvDate is Paris, measured in summer, since in winter", "", rec("2026-07-01 10:00:00", "2026-07-01 08:00:00"), winter, "2026-01-10 10:00:00"},
		{"stamps a second apart", "", rec("2026-07-01 10:00:01", "2026-07-01 08:00:00"), summer, "2026-07-15 11:00:00"},
		{"another zone: its offset an hour early", "", rec("2026-07-01 13:30:00", "2026-07-01 08:00:00"), summer, "2026-07-15 13:30:00"},
		{"a record without srvDate measures nothing", "", map[string]any{"srvDateUTC": "2026-07-01 08:00:00"}, summer, "2026-07-15 09:00:00"},
		{"a stamp, not a zone", "", rec("2026-07-03 08:00:00", "2026-07-01 08:00:00"), summer, "2026-07-15 09:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{BaseURL: "http://127.0.0.1:1", Project: "crm", UserName: user, Password: pass, TimeZone: tt.zone})
			require.NoError(t, err)
			if tt.seen != nil {
				c.srv.observe(tt.seen)
			}
			assert.Equal(t, tt.want, c.sinceWall(tt.since))
		})
	}
}

// Changed records are found whatever srvDate's zone (UTC or Paris, winter or summer), before
// any record was read and after: a filter hours ahead would lose them for good. The records
// stamped three hours before Since are left out: the filter is in srvDate's zone.
func TestSinceFindsChangesWhateverSrvDatesZone(t *testing.T) {
	for _, zone := range []string{"UTC", "Europe/Paris"} {
		for _, season := range []time.Duration{0, 130 * 24 * time.Hour} {
			for _, measured := range []bool{false, true} {
				name := zone + map[bool]string{false: "/winter", true: "/summer"}[season > 0] + map[bool]string{false: "/nothing read", true: "/read"}[measured]
				t.Run(name, func(t *testing.T) {
					e := setup(t, sim.Options{SrvDateZone: zone})
					e.clock.Advance(season)
					e.sim.SeedPeople(0, 10) // customers C0000000 and C0000001
					if measured {
						listAll(t, e.client, "company", time.Time{})
					}
					e.clock.Advance(3 * time.Hour)
					since := e.clock.Now()
					res, err := e.client.Update(context.Background(), "company", []connectors.Record{{ID: "C0000001", Fields: map[string]any{"city": "Lyon"}}})
					require.NoError(t, err)
					require.NoError(t, res[0].Err)
					recs, _ := listAll(t, e.client, "company", since)
					assert.Equal(t, []string{"C0000001"}, ids(recs))
				})
			}
		}
	}
}

// The srvDate filter of a listing stays the same on every page, even when the first page
// measures srvDate's zone: a filter that changed would shift the offsets.
func TestSinceFilterKeptThroughAListing(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 3})
	e.sim.SeedPeople(0, 100) // 20 customers
	e.clock.Advance(30 * time.Minute)
	var mu sync.Mutex
	var walls []string
	e.failWith = func(r *http.Request, body []byte) int {
		var b struct{ FilterFields []filter }
		if json.Unmarshal(body, &b) == nil && len(b.FilterFields) > 0 && b.FilterFields[0].FieldName == "srvDate" {
			mu.Lock()
			walls = append(walls, b.FilterFields[0].FilterValues[0])
			mu.Unlock()
		}
		return 0
	}
	recs, pages := listAll(t, e.client, "company", e.clock.Now().Add(-10*time.Minute))
	assert.Len(t, recs, 20, "stamped 30 minutes before: the UTC reading includes them")
	require.Greater(t, pages, 2)
	mu.Lock()
	assert.Len(t, walls, pages)
	for _, w := range walls {
		assert.Equal(t, "2026-03-01 10:19:59", w)
	}
	walls = nil
	mu.Unlock()
	// the next listing uses the zone measured: Paris
	_, _ = listAll(t, e.client, "company", e.clock.Now().Add(-10*time.Minute))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "2026-03-01 11:19:59", walls[0])
}

// A cursor that carries its listing's since reads back.
func TestCursorKeepsSince(t *testing.T) {
	k := cursor{ent: 1, offset: 20, size: 10, since: "2026-03-01 10:19:59"}
	assert.Equal(t, "1:20:10::20260301101959", k.String())
	back, err := parseCursor(k.String(), 2)
	require.NoError(t, err)
	assert.Equal(t, k, back)
	_, err = parseCursor("1:20:10::2026030110195", 2)
	assert.Error(t, err)
}
