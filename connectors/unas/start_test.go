package unas

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
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

// email is the customer e-mail of the named order.
func (s *startShop) email(name string) string {
	for _, o := range s.s.Dump() {
		if o.Key == s.keys[name] {
			return string(o.Customer.Email)
		}
	}
	return ""
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
		filtered  int // orders read but placed before the start date: none, UNAS leaves them out
	}{
		{name: "no start date reads every order", object: ObjectOrder, want: []string{"eve", "first", "later", "old"}},
		{name: "from the start date as midnight UTC", startDate: "2026-02-20", since: utcMidnight, object: ObjectOrder, want: []string{"first", "later"}},
		{name: "from the beginning", startDate: "2026-02-20", object: ObjectOrder, want: []string{"first", "later"}},
		{name: "a later cursor", startDate: "2026-02-20", since: time.Date(2026, 2, 24, 0, 0, 0, 0, time.UTC), object: ObjectOrder, want: []string{"later"}},
		{name: "customers of the orders since the start date", startDate: "2026-02-20", since: utcMidnight, object: ObjectCustomer, want: []string{"first", "later"}},
		{name: "without a start date the midnight UTC is where it reads from", since: utcMidnight, object: ObjectOrder, want: []string{"eve", "later", "old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStartShop(t, tt.startDate)
			p, err := s.c.List(context.Background(), tt.object, connectors.ListQuery{Since: tt.since})
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.names(p.Records))
			assert.Equal(t, tt.filtered, p.Filtered, "orders placed before the start date were read from UNAS")
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

// Orders placed before the start date are never read: every multi-order getOrder call (the
// listing's pages and the e-mail lookups, 30 an hour on PREMIUM, 500 orders each) asks UNAS
// for the orders placed since the start date's midnight in shop time (TimeStart, a unix
// time, a second before it in case UNAS reads "after" strictly), rather than reading the
// old orders modified since and dropping them.
func TestStartDateSentAsTimeStart(t *testing.T) {
	midnight := time.Date(2026, 2, 19, 23, 0, 0, 0, time.UTC) // 2026-02-20 in Budapest
	timeStart := fmt.Sprintf("<TimeStart>%d</TimeStart>", midnight.Unix()-1)
	tests := []struct {
		name      string
		startDate string
		read      func(c *Client, s *startShop) error
		want      string // in every getOrder call; "" for none
	}{
		{name: "order listing", startDate: "2026-02-20", want: timeStart, read: func(c *Client, _ *startShop) error {
			_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			return err
		}},
		{name: "order listing from a later cursor", startDate: "2026-02-20", want: timeStart, read: func(c *Client, _ *startShop) error {
			_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{Since: time.Date(2026, 2, 24, 0, 0, 0, 0, time.UTC)})
			return err
		}},
		{name: "customer listing", startDate: "2026-02-20", want: timeStart, read: func(c *Client, _ *startShop) error {
			_, err := c.List(context.Background(), ObjectCustomer, connectors.ListQuery{})
			return err
		}},
		{name: "customer by e-mail", startDate: "2026-02-20", want: timeStart, read: func(c *Client, s *startShop) error {
			_, err := c.FindByKey(context.Background(), ObjectCustomer, "email", []string{s.email("old")})
			return err
		}},
		{name: "orders by customer e-mail", startDate: "2026-02-20", want: timeStart, read: func(c *Client, s *startShop) error {
			_, err := c.FindByKey(context.Background(), ObjectOrder, "customer_email", []string{s.email("eve")})
			return err
		}},
		{name: "the cursor of a listing begun before TimeStart was sent", startDate: "2026-02-20", read: func(c *Client, s *startShop) error {
			// its offsets count the old orders: its pages ask as its first one did
			k := fmt.Sprintf("500:%d:%d:%d:", midnight.Unix(), s.clk.Now().Unix(), midnight.Unix())
			_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{Cursor: k})
			return err
		}},
		{name: "without a start date", read: func(c *Client, _ *startShop) error {
			_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStartShop(t, tt.startDate)
			var mu sync.Mutex
			var bodies []string
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.HasSuffix(r.URL.Path, "/getOrder") {
					mu.Lock()
					bodies = append(bodies, string(b))
					mu.Unlock()
				}
				r.Body = io.NopCloser(bytes.NewReader(b))
				s.s.ServeHTTP(w, r)
			}))
			defer ts.Close()
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "key-123", Now: s.clk.Now, StartDate: tt.startDate})
			require.NoError(t, err)
			require.NoError(t, tt.read(c, s))
			mu.Lock()
			defer mu.Unlock()
			require.NotEmpty(t, bodies)
			for _, b := range bodies {
				if tt.want == "" {
					assert.NotContains(t, b, "<TimeStart>")
				} else {
					assert.Contains(t, b, tt.want)
				}
			}
		})
	}
}

// The orders of a month before the start date, closed by the back office since, cost no
// multi-order call: UNAS leaves them out, and none is read only to be dropped.
func TestOldOrdersModifiedSinceTheStartDateAreNotRead(t *testing.T) {
	e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
	e.s.SeedOrders(0, 20, t0.Add(-30*24*time.Hour))
	c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, StartDate: "2026-02-25"})
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	for _, o := range e.s.Dump() {
		e.s.SetStatus(o.Key, "Teljesítve")
	}
	e.clk.Advance(time.Minute)
	for _, object := range []string{ObjectOrder, ObjectCustomer} {
		page, err := c.List(context.Background(), object, connectors.ListQuery{Since: t0})
		require.NoError(t, err)
		assert.Empty(t, page.Records, object)
		assert.Zero(t, page.Filtered, "%s: orders placed before the start date were read and dropped", object)
	}
}
