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
// records read, and before any measure (a table with nothing to measure on) 14 hours early,
// the largest offset a zone can have.
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
		{"nothing read, Paris", "", nil, summer, "2026-07-14 19:00:00"},
		{"nothing read, Cayenne", "America/Cayenne", nil, summer, "2026-07-14 19:00:00"},
		{"srvDate is UTC", "", rec("2026-01-10 08:00:00", "2026-01-10 08:00:00"), summer, "2026-07-15 09:00:00"},
		{"srvDate is Paris, measured in winter, since in summer", "", rec("2026-01-10 09:00:00", "2026-01-10 08:00:00"), summer, "2026-07-15 11:00:00"},
		{"srvDate is Paris, measured in summer, since in winter", "", rec("2026-07-01 10:00:00", "2026-07-01 08:00:00"), winter, "2026-01-10 10:00:00"},
		{"stamps a second apart", "", rec("2026-07-01 10:00:01", "2026-07-01 08:00:00"), summer, "2026-07-15 11:00:00"},
		{"another zone: its offset an hour early", "", rec("2026-07-01 13:30:00", "2026-07-01 08:00:00"), summer, "2026-07-15 13:30:00"},
		{"a record without srvDate measures nothing", "", map[string]any{"srvDateUTC": "2026-07-01 08:00:00"}, summer, "2026-07-14 19:00:00"},
		{"a stamp, not a zone", "", rec("2026-07-03 08:00:00", "2026-07-01 08:00:00"), summer, "2026-07-14 19:00:00"},
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

// The srvDate filter of a listing stays the same on every page, even when the measure of
// srvDate's zone changes while it runs: a filter that changed would shift the offsets.
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
	q := connectors.ListQuery{Since: e.clock.Now().Add(-40 * time.Minute)}
	var recs []connectors.Record
	pages := 0
	for {
		p, err := e.client.List(context.Background(), "company", q)
		require.NoError(t, err)
		pages++
		recs = append(recs, p.Records...)
		if !p.More {
			break
		}
		// a record read now measures another offset (UTC): the listing keeps its filter
		e.client.srv.observe(map[string]any{"srvDate": "2026-03-01 10:30:00", "srvDateUTC": "2026-03-01 10:30:00"})
		q.Cursor = p.Cursor
	}
	assert.Len(t, recs, 20)
	require.Greater(t, pages, 2)
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, walls, pages+2, "a Select a page, and two that tell the last, short page is the last")
	for _, w := range walls {
		assert.Equal(t, "2026-03-01 10:49:59", w, "Paris, measured before the first page")
	}
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

// A fresh client (a worker restart, the connection file re-read) has measured nothing: it
// measures srvDate's zone on one unfiltered page before its first filtered listing, so a
// server west of UTC (the North-America base URL) is not filtered hours ahead, losing the
// change for good, and one east of it does not list every record of the last hours.
func TestFreshClientMeasuresSrvDateBeforeFiltering(t *testing.T) {
	for _, zone := range []string{"America/Toronto", "Asia/Tokyo", "Pacific/Kiritimati"} {
		t.Run(zone, func(t *testing.T) {
			e := setup(t, sim.Options{SrvDateZone: zone})
			e.sim.SeedPeople(0, 10)
			e.clock.Advance(3 * time.Hour)
			since := e.clock.Now()
			c := e.newClient(t)
			e.clock.Advance(5 * time.Minute)
			res, err := e.client.Update(context.Background(), "company", []connectors.Record{{ID: "C0000001", Fields: map[string]any{"city": "Lyon"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			recs, _ := listAll(t, c, "company", since)
			assert.Equal(t, []string{"C0000001"}, ids(recs), "the change made after since, and only it")
		})
	}
}

// A table with nothing to measure srvDate's zone on is filtered 14 hours early (the largest
// offset a zone can have): whatever the server's zone, no change can be missed.
func TestEmptyTableFilteredByTheLargestOffset(t *testing.T) {
	e := setup(t, sim.Options{SrvDateZone: "America/Toronto"})
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
	recs, _ := listAll(t, e.client, "company", e.clock.Now()) // 10:00 UTC
	assert.Empty(t, recs)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"2026-02-28 19:59:59"}, walls)
}
