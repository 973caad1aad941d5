package unas

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

// startShop is a shop with four orders around the start date 2026-02-20, whose midnight in
// Budapest (CET) is 2026-02-19 23:00 UTC:
//   - "old": placed in 2020, its status changed since (modified now);
//   - "eve": placed 23:30 Budapest the evening before, its status changed since;
//   - "first": placed 00:30 Budapest on the start date (23:30 UTC the day before), modified
//     minutes later, before midnight UTC;
//   - "later": placed on 2026-02-25.
type startShop struct {
	*env
	keys map[string]string // name → order key
}

func newStartShop(t *testing.T, startDate string) *startShop {
	t.Helper()
	e := start(t, sim.Options{})
	s := e.s
	placed := map[string]time.Time{
		"old":   time.Date(2020, 5, 1, 9, 0, 0, 0, time.UTC),
		"eve":   time.Date(2026, 2, 19, 22, 30, 0, 0, time.UTC),
		"first": time.Date(2026, 2, 19, 23, 30, 0, 0, time.UTC),
		"later": time.Date(2026, 2, 25, 12, 0, 0, 0, time.UTC),
	}
	keys := map[string]string{}
	for i, name := range []string{"old", "eve", "first", "later"} {
		s.SeedOrders(i, 1, placed[name])
		for _, o := range s.Dump() {
			if o.Created.Equal(placed[name]) {
				keys[name] = o.Key
			}
		}
	}
	s.SetStatus(keys["old"], "Teljesítve")
	s.SetStatus(keys["eve"], "Teljesítve")
	c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, StartDate: startDate})
	require.NoError(t, err)
	e.c = c
	return &startShop{env: e, keys: keys}
}

func (s *startShop) names(recs []connectors.Record) []string {
	var out []string
	for _, r := range recs {
		id := r.ID
		if last, ok := r.Fields["last_order"].(string); ok { // a customer: of its order
			id = last
		}
		key, _, _ := SplitOrderID(id)
		for name, k := range s.keys {
			if k == key {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Orders placed before the start date (midnight in shop time) are never read, however
// recently they changed; a listing from the start date (as callers that know only the date
// ask, at midnight UTC) reads from the shop's midnight, so the first hour of the day is not
// lost.
func TestStartDateInShopTime(t *testing.T) {
	utcMidnight := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		startDate string
		since     time.Time
		object    string
		want      []string
		filtered  int // orders read but placed before the start date
	}{
		{name: "no start date reads every order", object: ObjectOrder, want: []string{"eve", "first", "later", "old"}},
		{name: "from the start date as midnight UTC", startDate: "2026-02-20", since: utcMidnight, object: ObjectOrder, want: []string{"first", "later"}, filtered: 2},
		{name: "from the beginning", startDate: "2026-02-20", object: ObjectOrder, want: []string{"first", "later"}, filtered: 2},
		{name: "a later cursor", startDate: "2026-02-20", since: time.Date(2026, 2, 24, 0, 0, 0, 0, time.UTC), object: ObjectOrder, want: []string{"later"}, filtered: 2},
		{name: "customers of the orders since the start date", startDate: "2026-02-20", since: utcMidnight, object: ObjectCustomer, want: []string{"first", "later"}},
		{name: "without a start date the midnight UTC is where it reads from", since: utcMidnight, object: ObjectOrder, want: []string{"eve", "later", "old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStartShop(t, tt.startDate)
			p, err := s.c.List(context.Background(), tt.object, connectors.ListQuery{Since: tt.since})
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.names(p.Records))
			assert.Equal(t, tt.filtered, p.Filtered, "old orders are reported as filtered, not silently dropped")
		})
	}
}

// Reading an order or a customer by key or e-mail leaves out orders placed before the start
// date too.
func TestStartDateByKey(t *testing.T) {
	s := newStartShop(t, "2026-02-20")
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		order string
		want  int
	}{
		{"old", "old", 0}, {"eve", "eve", 0}, {"first", "first", 1}, {"later", "later", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := s.c.Get(ctx, ObjectOrder, []string{s.keys[tt.order]})
			require.NoError(t, err)
			assert.Len(t, recs, tt.want, "Get")
			recs, err = s.c.FindByKey(ctx, ObjectOrder, "key", []string{s.keys[tt.order]})
			require.NoError(t, err)
			assert.Len(t, recs, tt.want, "FindByKey key")
			var email string
			for _, o := range s.s.Dump() {
				if o.Key == s.keys[tt.order] {
					email = string(o.Customer.Email)
				}
			}
			recs, err = s.c.FindByKey(ctx, ObjectCustomer, "email", []string{email})
			require.NoError(t, err)
			assert.Len(t, recs, tt.want, "customer by e-mail")
		})
	}
}

func TestStartDateAndTimeZoneSettings(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		wantErr   string
		wantStart time.Time
	}{
		{name: "Budapest by default", cfg: Config{StartDate: "2026-07-01"}, wantStart: time.Date(2026, 6, 30, 22, 0, 0, 0, time.UTC)},
		{name: "another zone", cfg: Config{StartDate: "2026-07-01", TimeZone: "Europe/Bucharest"}, wantStart: time.Date(2026, 6, 30, 21, 0, 0, 0, time.UTC)},
		{name: "no start date", cfg: Config{}},
		{name: "bad date", cfg: Config{StartDate: "01.07.2026"}, wantErr: `start_date "01.07.2026" is not a date like 2026-01-31`},
		{name: "bad zone", cfg: Config{TimeZone: "Budapest"}, wantErr: `time_zone "Budapest" is not an IANA time zone such as Europe/Budapest`},
		{name: "the host's zone is not the shop's", cfg: Config{TimeZone: "Local"}, wantErr: `time_zone "Local" is not an IANA time zone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.APIKey = "k"
			c, err := New(tt.cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.wantStart.Equal(c.start), "start %s, want %s", c.start, tt.wantStart)
		})
	}
}
