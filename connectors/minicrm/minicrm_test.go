package minicrm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/minicrm/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

const apiKey = "s3cret-api-key"

func listen(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return l
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.Listener = listen(t)
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// setup starts a simulator (unlimited unless rpm is set) and a fast client.
func setup(t *testing.T, rpm int) (*sim.Server, *Client, *simkit.Clock) {
	t.Helper()
	c := simkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	if rpm == 0 {
		rpm = -1
	}
	s := sim.New(sim.Options{SystemID: "12345", APIKey: apiKey, RequestsPerMinute: rpm, Seed: 1, Now: c.Now})
	ts := serve(t, s)
	cl, err := New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000})
	require.NoError(t, err)
	return s, cl, c
}

func create(t *testing.T, cl *Client, object string, recs ...connectors.Record) []string {
	t.Helper()
	res, err := cl.Create(context.Background(), object, recs)
	require.NoError(t, err)
	var ids []string
	for _, r := range res {
		require.NoError(t, r.Err)
		ids = append(ids, r.ID)
	}
	return ids
}

func TestModulesAndUsers(t *testing.T) {
	s, cl, _ := setup(t, 0)
	ctx := context.Background()
	mods, err := cl.Modules(ctx)
	require.NoError(t, err)
	require.Len(t, mods, 2)
	assert.Equal(t, "Orders", mods[0].Name)
	assert.Contains(t, mods[0].Statuses, Status{ID: "2003", Name: "Shipped"})
	assert.Equal(t, "Webshop", mods[1].Name)
	f, err := cl.Describe(ctx, "card:Orders")
	require.NoError(t, err)
	byName := map[string]connectors.Field{}
	for _, x := range f {
		byName[x.Name] = x
	}
	assert.Equal(t, "url", byName["Url1201"].Type)
	assert.Equal(t, "select", byName["Enum1204"].Type)
	assert.True(t, byName["Name"].Required)
	users, err := cl.Users(ctx)
	require.NoError(t, err)
	require.Len(t, users, len(s.Users()))
	assert.Equal(t, User{ID: "101", Name: "Ana Popescu"}, users[0])
	_, err = cl.Describe(ctx, "card:Nope")
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
}

func TestContactsAndCards(t *testing.T) {
	_, cl, _ := setup(t, 0)
	ctx := context.Background()
	biz := create(t, cl, "business", connectors.Record{Fields: map[string]any{"Name": "Acme Kft", "VatNumber": "HU123"}})[0]
	per := create(t, cl, "person", connectors.Record{Fields: map[string]any{"FirstName": "Anna", "LastName": "Kiss", "Email": "Anna.Kiss@example.com"},
		Links: map[string]string{"business": biz}})[0]
	got, err := cl.FindByKey(ctx, "person", "Email", []string{"anna.kiss@EXAMPLE.com", "nobody@example.com"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, per, got[0].ID)
	assert.Equal(t, biz, got[0].Links["business"])
	assert.Equal(t, "Anna Kiss", got[0].Fields["Name"])

	card := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{
		"Name": "UNAS #1001", "StatusId": "In progress", "UserId": "102", "Url1201": "https://shop.example/inv/1001.pdf",
		"Text1202": "Feldolgozás alatt", "Text1203": "1001", "Enum1204": "3002", "Int1205": 12700.0,
	}, Links: map[string]string{"person": per, "business": biz}})[0]
	recs, err := cl.Get(ctx, "card:Orders", []string{card, "999999"})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	r := recs[0]
	assert.Equal(t, "2002", r.Fields["StatusId"])
	assert.Equal(t, "In progress", r.Fields["Status"])
	assert.Equal(t, "102", r.Fields["UserId"])
	assert.Equal(t, "Bank transfer", r.Fields["Enum1204"]) // written by id, read as label
	assert.Equal(t, 12700.0, r.Fields["Int1205"])
	assert.Equal(t, per, r.Links["person"])
	assert.Equal(t, biz, r.Links["business"])
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), r.UpdatedAt)
	// a card of another module is not found through this one
	recs, err = cl.Get(ctx, "card:Webshop", []string{card})
	require.NoError(t, err)
	assert.Empty(t, recs)

	found, err := cl.FindByKey(ctx, "card:Orders", "Text1203", []string{"1001", "1002"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, card, found[0].ID)

	res, err := cl.Update(ctx, "card:Orders", []connectors.Record{{ID: card, Fields: map[string]any{"StatusId": "2003", "Enum1204": "Card"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	recs, _ = cl.Get(ctx, "card:Orders", []string{card})
	assert.Equal(t, "Shipped", recs[0].Fields["Status"])
	assert.Equal(t, "Card", recs[0].Fields["Enum1204"])

	_, err = cl.Delete(ctx, "card:Orders", []string{card})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
}

func TestListPagingZeroBased(t *testing.T) {
	s, cl, _ := setup(t, 0)
	var recs []connectors.Record
	for i := range 230 {
		recs = append(recs, connectors.Record{Fields: map[string]any{"Name": fmt.Sprint("Customer ", i)}})
	}
	create(t, cl, "card:Webshop", recs...)
	s.Kit().ResetCounts()
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		p, err := cl.List(context.Background(), "card:Webshop", connectors.ListQuery{Cursor: cursor})
		require.NoError(t, err)
		for _, r := range p.Records {
			assert.False(t, seen[r.ID])
			seen[r.ID] = true
		}
		pages++
		if !p.More {
			break
		}
		cursor = p.Cursor
	}
	assert.Equal(t, 3, pages)
	assert.Len(t, seen, 230)
	counts := s.Kit().Counts()
	assert.Equal(t, 5, counts["GET /Api/R3/Project"], "a search per page, and the page before each but the first again")
	assert.Equal(t, 230, counts["GET /Api/R3/Project/{id}"], "each card read once")
}

// A card that leaves the listing between two pages (deleted, here) moves every later one a
// place back: the card that moves from page 1 onto page 0 is read all the same.
func TestListLosesNoCardWhenOneLeavesBetweenPages(t *testing.T) {
	for _, gone := range []int{0, 57, 99} {
		t.Run(fmt.Sprint("card ", gone, " of page 0"), func(t *testing.T) {
			_, cl, _ := setup(t, 0)
			var recs []connectors.Record
			for i := range 230 {
				recs = append(recs, connectors.Record{Fields: map[string]any{"Name": fmt.Sprint("Customer ", i)}})
			}
			ids := create(t, cl, "card:Webshop", recs...)
			ctx := context.Background()
			first, err := cl.List(ctx, "card:Webshop", connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, first.Records, 100)
			status, body, err := cl.Call(ctx, "PUT", "/Api/R3/Project/"+first.Records[gone].ID, nil, []byte(`{"Deleted": 1}`))
			require.NoError(t, err, "%d %s", status, body)

			seen := map[string]bool{}
			for _, r := range first.Records {
				seen[r.ID] = true
			}
			for p := first; p.More; {
				p, err = cl.List(ctx, "card:Webshop", connectors.ListQuery{Cursor: p.Cursor})
				require.NoError(t, err)
				for _, r := range p.Records {
					assert.False(t, seen[r.ID], "card %s read twice", r.ID)
					seen[r.ID] = true
				}
			}
			for _, id := range ids {
				assert.True(t, seen[id], "card %s was never read", id)
			}
		})
	}
}

func TestListReadsACursorSavedBeforeTheAnchors(t *testing.T) {
	_, cl, _ := setup(t, 0)
	var recs []connectors.Record
	for i := range 150 {
		recs = append(recs, connectors.Record{Fields: map[string]any{"Name": fmt.Sprint("Customer ", i)}})
	}
	ids := create(t, cl, "card:Webshop", recs...)
	p, err := cl.List(context.Background(), "card:Webshop", connectors.ListQuery{Cursor: "1"})
	require.NoError(t, err)
	require.Len(t, p.Records, 50)
	assert.Equal(t, ids[100], p.Records[0].ID)
	_, err = cl.List(context.Background(), "card:Webshop", connectors.ListQuery{Cursor: "x:1"})
	require.ErrorContains(t, err, "bad cursor")
}

func TestHungarianTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   time.Time
		want string
	}{
		{"winter, UTC+1", time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC), "2026-01-15 10:00:00"},
		{"summer, UTC+2", time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC), "2026-07-15 11:00:00"},
		{"just before spring change", time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC), "2026-03-29 01:59:59"},
		{"just after spring change", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), "2026-03-29 03:00:00"},
		{"before autumn change", time.Date(2026, 10, 24, 23, 59, 0, 0, time.UTC), "2026-10-25 01:59:00"},
		{"after autumn change", time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC), "2026-10-25 03:00:00"},
		{"other zone in", time.Date(2026, 7, 15, 5, 0, 0, 0, time.FixedZone("EDT", -4*3600)), "2026-07-15 11:00:00"},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, hungarian(tc.in)) })
	}
	// the repeated autumn hour: whatever is sent, MiniCRM's reading is never after Since
	for _, in := range []time.Time{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)} {
		p, err := time.ParseInLocation(timeLayout, hungarian(in), Budapest)
		require.NoError(t, err)
		assert.False(t, p.After(in), "%s read as %s", in, p)
	}
}

func TestListUpdatedSinceAcrossDST(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after time.Time
	}{
		{"spring", time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		{"autumn", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)}, // after: 02:30 CET, the repeated hour
		{"winter", time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC), time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)},
		{"summer", time.Date(2026, 7, 10, 8, 0, 0, 0, time.UTC), time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, cl, c := setup(t, 0)
			c.Set(tc.before)
			old := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{"Name": "old"}})[0]
			c.Set(tc.after)
			recent := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{"Name": "new"}})[0]
			for _, q := range []struct {
				since time.Time
				want  []string
			}{
				{tc.before, []string{old, recent}},
				{tc.before.Add(time.Second), []string{recent}},
				{tc.after, []string{recent}},
				{tc.after.Add(time.Second), nil},
			} {
				p, err := cl.List(context.Background(), "card:Orders", connectors.ListQuery{Since: q.since})
				require.NoError(t, err)
				var got []string
				for _, r := range p.Records {
					got = append(got, r.ID)
					assert.False(t, r.UpdatedAt.Before(q.since))
				}
				assert.ElementsMatch(t, q.want, got, "since %s", q.since)
			}
		})
	}
}

func TestPlainText400IsPerRecordInvalid(t *testing.T) {
	_, cl, _ := setup(t, 0)
	res, err := cl.Create(context.Background(), "card:Orders", []connectors.Record{
		{Fields: map[string]any{"Name": "ok"}},
		{Fields: map[string]any{"Name": "bad", "Enum1204": "Crypto"}},
		{Fields: map[string]any{"Name": "also ok"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.NoError(t, res[2].Err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[1].Err))
	assert.Contains(t, res[1].Err.Error(), "Invalid value 'Such value cannot be found in CRM' for the Enum1204 field.")

	res, err = cl.Create(context.Background(), "person", []connectors.Record{{Fields: map[string]any{"Email": "not-an-email@"}}})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
	assert.NotContains(t, res[0].Err.Error(), "not-an-email@")
	assert.Contains(t, res[0].Err.Error(), "for the Email field")
}

func TestEmailsScrubbedFrom400(t *testing.T) {
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Contact (PUT): Invalid value 'jane.doe@example.com' for the Email field.", http.StatusBadRequest)
	}))
	cl, err := New(Config{BaseURL: ts.URL, SystemID: "1", APIKey: apiKey, RequestsPerMinute: 6000})
	require.NoError(t, err)
	res, err := cl.Create(context.Background(), "person", []connectors.Record{{Fields: map[string]any{"Email": "jane.doe@example.com"}}})
	require.NoError(t, err)
	msg := res[0].Err.Error()
	assert.NotContains(t, msg, "jane.doe")
	assert.Contains(t, msg, "Invalid value '<value>' for the Email field.")
}

func TestRateLimitAt61(t *testing.T) {
	s, cl, c := setup(t, 60)
	ctx := context.Background()
	_, err := cl.Modules(ctx) // 3 requests
	require.NoError(t, err)
	for range 57 {
		_, err = cl.Get(ctx, "person", []string{"1"}) // 404 → left out
		require.NoError(t, err)
	}
	assert.Equal(t, 60, s.Kit().Total())
	c.Set(time.Date(2026, 3, 1, 10, 0, 20, 0, time.UTC))
	_, err = cl.Get(ctx, "person", []string{"1"})
	require.Error(t, err)
	assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
	assert.Equal(t, 429, err.(*connectors.Error).Status)
	assert.Positive(t, connectors.RetryAfterOf(err))
	assert.LessOrEqual(t, connectors.RetryAfterOf(err), time.Minute)
	c.Advance(time.Minute)
	_, err = cl.Get(ctx, "person", []string{"1"})
	assert.NoError(t, err)
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 20, 0, time.UTC)
	for _, tc := range []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"date", http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}, "Date": {now.Format(http.TimeFormat)}}, 30 * time.Second},
		// MiniCRM counts a sliding minute: without Retry-After, a whole one, whatever the clocks
		{"none: a whole window", http.Header{}, time.Minute},
		{"none: whatever the server clock", http.Header{"Date": {now.Add(35 * time.Second).Format(http.TimeFormat)}}, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, retryAfter(tc.h, now)) })
	}
}

func TestRandomOwnerQuirkAndRefusal(t *testing.T) {
	s, cl, _ := setup(t, 0)
	ctx := context.Background()
	// The simulator reproduces MiniCRM: an unknown owner is answered 200 …
	raw := serve(t, s)
	req, _ := http.NewRequest(http.MethodPut, raw.URL+"/Api/R3/Project", strings.NewReader(`{"CategoryId":20,"Name":"x","UserId":4242}`))
	req.SetBasicAuth("12345", apiKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	dump := s.Dump("Orders")
	require.Len(t, dump, 1)
	assert.NotEqual(t, 4242, dump[0]["UserId"]) // … and a random user owns the card.

	// The connector never lets that happen.
	assert.NoError(t, cl.CheckOwner(ctx, "103"))
	assert.NoError(t, cl.CheckOwner(ctx, "Ana Popescu"))
	err = cl.CheckOwner(ctx, "4242")
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "minicrm: owner user 4242 does not exist")

	s.Kit().ResetCounts()
	res, err := cl.Create(ctx, "card:Orders", []connectors.Record{
		{Fields: map[string]any{"Name": "a", "UserId": "4242"}},
		{Fields: map[string]any{"Name": "b", "UserId": "101"}},
		{Fields: map[string]any{"Name": "c", "UserId": "Bence Kovács"}},
	})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
	assert.Contains(t, res[0].Err.Error(), "owner user 4242 does not exist")
	require.NoError(t, res[1].Err)
	require.NoError(t, res[2].Err)
	assert.Equal(t, 3, s.Count("Orders"))
	assert.Equal(t, 2, s.Kit().Counts()["PUT /Api/R3/Project"])
	got, _ := cl.Get(ctx, "card:Orders", []string{res[2].ID})
	assert.Equal(t, "102", got[0].Fields["UserId"])

	res, err = cl.Update(ctx, "card:Orders", []connectors.Record{{ID: res[1].ID, Fields: map[string]any{"UserId": "999"}}})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
}

func TestOrders(t *testing.T) {
	_, cl, c := setup(t, 0)
	ctx := context.Background()
	cust := create(t, cl, "person", connectors.Record{Fields: map[string]any{"Email": "buyer@example.com"}})[0]
	id, err := cl.CreateOrder(ctx, map[string]any{"CustomerId": cust, "CurrencyCode": "HUF",
		"Items": []any{map[string]any{"Name": "Mug", "SKU": "M1", "PriceNet": 1000, "Quantity": 2, "Unit": "db", "VAT": "27%"}}})
	require.NoError(t, err)
	require.NoError(t, cl.UpdateOrder(ctx, id, map[string]any{"Comment": "gift"}))
	require.NoError(t, cl.MoveOrder(ctx, id, OrderFinalize))
	err = cl.UpdateOrder(ctx, id, map[string]any{"Comment": "late"})
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
	err = cl.MoveOrder(ctx, id, OrderFinalize)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
	require.NoError(t, cl.MoveOrder(ctx, id, OrderComplete))
	o, err := cl.GetOrder(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "Completed", o["Status"])
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(cl.MoveOrder(ctx, id, "Teleport")))

	since := c.Now().Add(time.Minute)
	c.Advance(time.Hour)
	_, err = cl.CreateOrder(ctx, map[string]any{"ReferenceId": "UNAS-2"})
	require.NoError(t, err)
	list, more, err := cl.ListOrders(ctx, since, "", 0)
	require.NoError(t, err)
	assert.False(t, more)
	require.Len(t, list, 1)
	assert.Equal(t, "UNAS-2", list[0]["ReferenceId"])
	list, _, err = cl.ListOrders(ctx, time.Time{}, "Completed", 0)
	require.NoError(t, err)
	assert.Len(t, list, 1)
}

func TestErrorClasses(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		kind   connectors.Kind
	}{
		{400, "Project (PUT): Invalid value 'x' for the Int1 field.", connectors.KindInvalid},
		{401, "Unauthorized", connectors.KindConfig},
		{403, "Forbidden", connectors.KindConfig},
		{429, "Too many requests", connectors.KindRateLimited},
		{500, "<html>oops</html>", connectors.KindRetryable},
		{503, "", connectors.KindRetryable},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body + " key=" + apiKey))
			}))
			cl, err := New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 6000})
			require.NoError(t, err)
			_, err = cl.Modules(context.Background())
			require.Error(t, err)
			assert.Equal(t, tc.kind, connectors.KindOf(err))
			var e *connectors.Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, tc.status, e.Status)
			assert.NotContains(t, err.Error(), apiKey)
		})
	}
	// transport failure: retryable, no secret
	cl, err := New(Config{BaseURL: "http://127.0.0.1:1", SystemID: "12345", APIKey: apiKey})
	require.NoError(t, err)
	_, err = cl.Users(context.Background())
	assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
	assert.NotContains(t, err.Error(), apiKey)
	// bad credentials against the simulator
	s := sim.New(sim.Options{SystemID: "12345", APIKey: "other"})
	ts := serve(t, s)
	cl, _ = New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey})
	err = cl.CheckOwner(context.Background(), "101")
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.NotContains(t, err.Error(), apiKey)
}

func TestConfig(t *testing.T) {
	for _, c := range []Config{
		{BaseURL: "ftp://x", SystemID: "1", APIKey: "k"},
		{BaseURL: "https://r3.minicrm.hu", SystemID: "abc", APIKey: "k"},
		{BaseURL: "https://r3.minicrm.hu", SystemID: "123456", APIKey: "k"},
		{BaseURL: "https://r3.minicrm.hu", SystemID: "1"},
	} {
		_, err := New(c)
		assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	}
	cl, err := New(Config{BaseURL: "https://r3.minicrm.hu/", SystemID: "12345", APIKey: "k"})
	require.NoError(t, err)
	assert.Equal(t, "minicrm", cl.System())
	_, err = cl.List(context.Background(), "lead", connectors.ListQuery{})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
}
