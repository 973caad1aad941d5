package weavy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

const (
	user = "api-user"
	pass = "Pa55-w0rd-secret"
)

type env struct {
	sim    *sim.Server
	srv    *httptest.Server
	client *Client
	clock  *simkit.Clock

	mu       sync.Mutex
	statuses map[int]int
	// failWith, when set, answers a request with the status it returns (0: served).
	failWith func(r *http.Request, body []byte) int
}

func setup(t *testing.T, o sim.Options) *env {
	t.Helper()
	clk := simkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	o.UserName, o.Password, o.Now = user, pass, clk.Now
	s := sim.New(o)
	e := &env{sim: s, clock: clk, statuses: map[int]int{}}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: 200}
		e.mu.Lock()
		failWith := e.failWith
		e.mu.Unlock()
		if failWith != nil {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if status := failWith(r, body); status != 0 {
				rec.WriteHeader(status)
				e.mu.Lock()
				e.statuses[status]++
				e.mu.Unlock()
				return
			}
		}
		s.ServeHTTP(rec, r)
		e.mu.Lock()
		e.statuses[rec.status]++
		e.mu.Unlock()
	}))
	t.Cleanup(e.srv.Close)
	e.client = e.newClient(t)
	return e
}

func (e *env) newClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: e.srv.URL, Project: "crm", UserName: user, Password: pass, RequestsPerSecond: 10000})
	require.NoError(t, err)
	c.now = e.clock.Now
	return c
}

func (e *env) status(code int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.statuses[code]
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func ids(recs []connectors.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func connErr(t *testing.T, err error) *connectors.Error {
	t.Helper()
	var e *connectors.Error
	require.ErrorAs(t, err, &e)
	return e
}

// listAll lists object, changed since, to the end: its records and the count of List answers.
func listAll(t *testing.T, c *Client, object string, since time.Time) ([]connectors.Record, int) {
	t.Helper()
	recs, pages, err := listUpTo(t, c, object, connectors.ListQuery{Since: since}, 100_000, nil)
	require.NoError(t, err)
	return recs, pages
}

// listUpTo lists object from q by at most calls List answers (a listing not ended by then
// fails the test, about saying which): the records listed, the count of answers, and the
// error that ended it, if one did. between, when not nil, runs after each answer that has
// more, with its index and the records listed so far (a weavy user changing records between
// two pages).
func listUpTo(t *testing.T, c *Client, object string, q connectors.ListQuery, calls int, between func(call int, listed []connectors.Record), about ...any) ([]connectors.Record, int, error) {
	t.Helper()
	notEnded := "the listing does not end"
	if len(about) > 0 {
		notEnded = fmt.Sprint(about...) + ": " + notEnded
	}
	var out []connectors.Record
	for call := 0; ; call++ {
		require.Less(t, call, calls, notEnded)
		p, err := c.List(context.Background(), object, q)
		if err != nil {
			return out, call, err
		}
		out = append(out, p.Records...)
		if !p.More {
			return out, call + 1, nil
		}
		require.NotEmpty(t, p.Cursor)
		require.NotContains(t, p.Cursor, "@")
		q.Cursor = p.Cursor
		if between != nil {
			between(call, out)
		}
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name string
		c    Config
	}{
		{"no url", Config{Project: "crm", UserName: "u", Password: "p"}},
		{"bad url", Config{BaseURL: "ftp://x", Project: "crm", UserName: "u", Password: "p"}},
		{"no project", Config{BaseURL: "http://x", UserName: "u", Password: "p"}},
		{"no password", Config{BaseURL: "http://x", Project: "crm", UserName: "u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.c)
			assert.Equal(t, connectors.KindConfig, connErr(t, err).Kind)
		})
	}
	c, err := New(Config{BaseURL: "https://api.weavy.divalto.com/", Project: "crm", UserName: "u", Password: "p"})
	require.NoError(t, err)
	assert.Equal(t, "weavy", c.System())
}

func TestLogin(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	_, err := e.client.Describe(ctx, "company")
	require.NoError(t, err)
	assert.Equal(t, 1, e.sim.Logins())

	bad, err := New(Config{BaseURL: e.srv.URL, Project: "crm", UserName: user, Password: "wrong-" + pass})
	require.NoError(t, err)
	_, err = bad.Describe(ctx, "company")
	ce := connErr(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.Equal(t, 401, ce.Status)
	assert.NotContains(t, err.Error(), pass)
}

func TestOneLoginForConcurrentCalls(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 20)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.client.Get(context.Background(), "contact", []string{fmt.Sprintf("c:CC%07d", i)})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, e.sim.Logins())
	assert.Equal(t, 0, e.status(401))
}

func TestTokenRenewal(t *testing.T) {
	e := setup(t, sim.Options{TokenTTL: time.Hour})
	e.sim.SeedPeople(0, 5)
	ctx := context.Background()
	get := func() {
		recs, err := e.client.Get(ctx, "company", []string{"C0000000"})
		require.NoError(t, err)
		require.Len(t, recs, 1)
	}
	get()
	assert.Equal(t, 1, e.sim.Logins())

	// before expiry: renewed without a 401
	e.clock.Advance(57 * time.Minute)
	get()
	assert.Equal(t, 2, e.sim.Logins())
	assert.Equal(t, 0, e.status(401))

	// the server drops the token: one 401, one renewal, the call succeeds
	e.sim.ExpireTokens()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); get() }()
	}
	wg.Wait()
	assert.Equal(t, 3, e.sim.Logins())
	assert.GreaterOrEqual(t, e.status(401), 1)
}

func TestListCompaniesPagesUntilShortPage(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 7})
	e.sim.SeedPeople(0, 150) // 30 customers
	recs, pages := listAll(t, e.client, "company", time.Time{})
	require.Len(t, recs, 30)
	// 7, then pages read from 3 records before their offset (the overlap): 4 new records
	// each, the last 3 in a short page of 6, and two more Selects tell that short page is the
	// last: nothing at the offset after it, and its last record still in its place
	assert.Equal(t, 7, pages)
	assert.Equal(t, 9, e.sim.Kit().Counts()["POST /v1/Data/{project}/Select"])
	r := recs[0]
	assert.Equal(t, "C0000000", r.ID)
	assert.Equal(t, "10000000000010", r.Fields["siretNumber"])
	assert.Equal(t, false, r.Fields["blocked"])
	assert.Nil(t, r.Fields["idcrm"])
	assert.NotContains(t, r.Fields, "srvDateUTC")
	assert.NotContains(t, r.Fields, "customer_ID")
	assert.Equal(t, e.clock.Now(), r.UpdatedAt)

	// a listing that fits in exactly full pages ends on an empty page
	e2 := setup(t, sim.Options{PageSize: 5})
	e2.sim.SeedPeople(0, 50) // 10 customers
	recs, pages = listAll(t, e2.client, "company", time.Time{})
	assert.Len(t, recs, 10)
	assert.Equal(t, 3, pages)
}

// Records deleted, or changed in an order by modification, while a listing runs move the
// later ones towards the start: no record is skipped for that, whatever Select's order.
func TestListSkipsNoneWhenRecordsMoveMidListing(t *testing.T) {
	tests := []struct {
		name    string
		order   string
		deleted []int // positions of the first page's records deleted after it is read
		changed []int // positions changed after it is read
	}{
		{"nothing moves", sim.OrderInserted, nil, nil},
		{"one deleted", sim.OrderInserted, []int{4}, nil},
		{"the last ones read deleted", sim.OrderInserted, []int{7, 8, 9}, nil},
		{"more deleted than the overlap", sim.OrderInserted, []int{0, 1, 2, 3, 4, 5}, nil},
		{"changed, by modification", sim.OrderModified, nil, []int{2}},
		{"the anchors changed, by modification", sim.OrderModified, nil, []int{7, 8, 9}},
		{"deleted and changed, by modification", sim.OrderModified, []int{1, 3}, []int{5, 6}},
		{"changed, in insertion order", sim.OrderInserted, nil, []int{1, 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 10, SelectOrder: tc.order})
			e.sim.SeedPeople(0, 200) // 40 customers
			ctx := context.Background()
			first, err := e.client.List(ctx, "company", connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, first.Records, 10)
			gone := map[string]bool{}
			for _, i := range tc.deleted {
				id := first.Records[i].ID
				require.True(t, e.sim.Delete(sim.Customer, id))
				gone[id] = true
			}
			e.clock.Advance(time.Minute)
			for _, i := range tc.changed {
				res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: first.Records[i].ID, Fields: map[string]any{"city": "Lyon"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			seen := map[string]bool{}
			for _, r := range first.Records {
				seen[r.ID] = true
			}
			q := connectors.ListQuery{Cursor: first.Cursor}
			for more := first.More; more; {
				p, err := e.client.List(ctx, "company", q)
				require.NoError(t, err)
				for _, r := range p.Records {
					seen[r.ID] = true
				}
				more, q.Cursor = p.More, p.Cursor
			}
			var missed []string
			for _, rec := range e.sim.Dump(sim.Customer) {
				if id := rec["customer_ID"].(string); !seen[id] && !gone[id] {
					missed = append(missed, id)
				}
			}
			assert.Empty(t, missed, "records never listed")
			assert.Equal(t, 40-len(tc.deleted), e.sim.Count(sim.Customer))
		})
	}
}

func TestListVirtualContact(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 5})
	e.sim.SeedPeople(0, 12)
	e.sim.SeedEntrants(100, 5)
	recs, _ := listAll(t, e.client, "contact", time.Time{})
	require.Len(t, recs, 17)
	var contacts, entrants int
	for _, r := range recs {
		switch {
		case strings.HasPrefix(r.ID, "c:"):
			contacts++
			assert.Zero(t, entrants, "contacts come before entrants")
			assert.NotEmpty(t, r.Links["company"])
			assert.NotContains(t, r.Fields, "customer_ID")
		case strings.HasPrefix(r.ID, "e:"):
			entrants++
			assert.Empty(t, r.Links)
		}
	}
	assert.Equal(t, 12, contacts)
	assert.Equal(t, 5, entrants)
	assert.Equal(t, "c:CC0000000", recs[0].ID)
	assert.Equal(t, "C0000000", recs[0].Links["company"])
	assert.Equal(t, "C0000002", recs[11].Links["company"])
	assert.Equal(t, "e:E0000100", recs[12].ID)
	assert.Equal(t, "person000100@example.com", recs[12].Fields["email"])

	// Since: only what changed at or after it, from both entities
	e.clock.Advance(time.Minute)
	since := e.clock.Now()
	res, err := e.client.Update(context.Background(), "contact", []connectors.Record{
		{ID: "c:CC0000004", Fields: map[string]any{"firstName": "Zoé"}},
		{ID: "e:E0000102", Fields: map[string]any{"firstName": "Léo"}},
	})
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	recs, _ = listAll(t, e.client, "contact", since)
	assert.Equal(t, []string{"c:CC0000004", "e:E0000102"}, ids(recs))
	assert.Equal(t, since, recs[0].UpdatedAt)

	_, err = e.client.List(context.Background(), "contact", connectors.ListQuery{Cursor: "9:0:0"})
	assert.Equal(t, connectors.KindConfig, connErr(t, err).Kind)
}

func TestGetRoutesByPrefix(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 5)
	e.sim.SeedEntrants(0, 2)
	recs, err := e.client.Get(context.Background(), "contact", []string{"c:CC0000001", "e:E0000001", "c:NOPE", "E0000000", "e:CC0000001"})
	require.NoError(t, err)
	assert.Equal(t, []string{"c:CC0000001", "e:E0000001"}, ids(recs))
	assert.Equal(t, "person000001@example.com", recs[0].Fields["email"])
	assert.Equal(t, "person000001@example.com", recs[1].Fields["email"])
}

func TestFindByKeyContactsThenEntrants(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 2})
	e.sim.SeedPeople(0, 10)
	e.sim.SeedEntrants(3, 1) // person 3 is a contact and an entrant
	ctx := context.Background()
	// a second weavy contact with person 4's e-mail (a duplicate)
	res, err := e.client.Update(ctx, "contact", []connectors.Record{{ID: "c:CC0000009", Fields: map[string]any{"email": "person000004@example.com"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)

	tests := []struct {
		name   string
		values []string
		want   []string
	}{
		{"contact and entrant", []string{"PERSON000003@example.com"}, []string{"c:CC0000003", "e:E0000003"}},
		{"duplicates all returned", []string{"person000004@example.com"}, []string{"c:CC0000004", "c:CC0000009"}},
		{"several", []string{"person000003@example.com", "person000004@example.com", "nobody@example.com", ""}, []string{"c:CC0000003", "c:CC0000004", "c:CC0000009", "e:E0000003"}},
		{"none", []string{"nobody@example.com"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := e.client.FindByKey(ctx, "contact", "email", tt.values)
			require.NoError(t, err)
			assert.Equal(t, tt.want, ids(recs))
		})
	}
	recs, err := e.client.FindByKey(ctx, "company", "siretNumber", []string{simkit.CompanyAt(1).SIRET})
	require.NoError(t, err)
	assert.Equal(t, []string{"C0000001"}, ids(recs))
	_, err = e.client.FindByKey(ctx, "company", "nope", []string{"x"})
	assert.Equal(t, connectors.KindConfig, connErr(t, err).Kind)
}

func TestCreateAndUpdate(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 10)
	ctx := context.Background()

	res, err := e.client.Create(ctx, "contact", []connectors.Record{
		{Fields: map[string]any{"email": "new@example.com", "lastName": "Neuf", "cf_segment": "PME", "companyName": "ACME", "bouncedEmailDetected": "2026-02-01T09:00:00Z"}, Links: map[string]string{"company": "C0000000"}},
		{Fields: map[string]any{"email": "bad@example.com", "cf_segment": "XXL"}},
		{Fields: map[string]any{"lastName": "Sans e-mail"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.True(t, res[0].Created)
	assert.True(t, strings.HasPrefix(res[0].ID, "e:CRMSYNC-"), res[0].ID)
	assert.Equal(t, 1, e.sim.Count("marketinginbound"), "contact creates make entrants")
	assert.Equal(t, 10, e.sim.Count("customercontact"))
	for i, field := range map[int]string{1: "cf_segment", 2: "email"} {
		ce := connErr(t, res[i].Err)
		assert.Equal(t, connectors.KindInvalid, ce.Kind)
		assert.Contains(t, ce.Fields, field)
		assert.NotContains(t, ce.Error(), "@example.com")
	}
	got, err := e.client.Get(ctx, "contact", []string{res[0].ID})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.NotContains(t, got[0].Fields, "bouncedEmailDetected", "entrants have no bounce date: left out")
	assert.Equal(t, "ACME", got[0].Fields["companyName"])
	assert.Empty(t, got[0].Links)

	res, err = e.client.Create(ctx, "company", []connectors.Record{{Fields: map[string]any{"name": "ACME", "idcrm": "X-9", "workforce": 12.0}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.True(t, strings.HasPrefix(res[0].ID, "CRMSYNC-"))
	assert.Equal(t, 3, e.sim.Count("customer"))

	e.clock.Advance(3 * time.Second)
	res, err = e.client.Update(ctx, "contact", []connectors.Record{
		// companyName is an entrant field: left out for a contact; the link moves the contact
		{ID: "c:CC0000001", Fields: map[string]any{"firstName": "Zoé", "companyName": "x", "birthday": "1990-05-04T08:00:00Z", "bouncedEmailDetected": "2026-02-01T09:00:00Z"}, Links: map[string]string{"company": "C0000001"}},
		{ID: "c:NOPE", Fields: map[string]any{"firstName": "x"}},
		{ID: "x:1", Fields: map[string]any{"firstName": "x"}},
		{ID: "c:CC0000002", Fields: map[string]any{"bouncedEmailDetected": "hier"}},
		{ID: "C0000000", Fields: nil}, // a company id is not a contact id
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, "c:CC0000001", res[0].ID)
	assert.False(t, res[0].Created)
	for i := 1; i < 5; i++ {
		assert.Equal(t, connectors.KindInvalid, connErr(t, res[i].Err).Kind, i)
	}
	assert.Equal(t, "record not found", connErr(t, res[1].Err).Message)
	assert.Contains(t, connErr(t, res[3].Err).Fields, "bouncedEmailDetected")

	got, err = e.client.Get(ctx, "contact", []string{"c:CC0000001"})
	require.NoError(t, err)
	assert.Equal(t, "Zoé", got[0].Fields["firstName"])
	assert.Equal(t, "1990-05-04 08:00:00", got[0].Fields["birthday"])
	assert.Equal(t, "2026-02-01 09:00:00", got[0].Fields["bouncedEmailDetected"], "the bounce date (NPAI)")
	assert.Equal(t, "C0000001", got[0].Links["company"])
	assert.Equal(t, e.clock.Now(), got[0].UpdatedAt, "srvDateUTC bumped")

	// an entrant update goes to marketinginbound
	res, err = e.client.Update(ctx, "contact", []connectors.Record{{ID: "e:E0000001", Fields: map[string]any{"companyName": "Alpha"}}})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connErr(t, res[0].Err).Kind)
	e.sim.SeedEntrants(1, 1)
	// A bounce date (NPAI) for an entrant, which has no such field: nothing to write, no PUT
	// (it would move srvDate and come back as a change at every cycle).
	puts := e.sim.Kit().Counts()["PUT /v1/Data/{project}/{entity}/{code}"]
	res, err = e.client.Update(ctx, "contact", []connectors.Record{{ID: "e:E0000001", Fields: map[string]any{"bouncedEmailDetected": "2026-02-01T09:00:00Z"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, "e:E0000001", res[0].ID)
	assert.Equal(t, puts, e.sim.Kit().Counts()["PUT /v1/Data/{project}/{entity}/{code}"], "no PUT of the code alone")
	res, err = e.client.Update(ctx, "contact", []connectors.Record{{ID: "e:E0000001", Fields: map[string]any{"companyName": "Beta", "cf_segment": "ETI"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, "Beta", e.sim.Dump("marketinginbound")[1]["companyName"])
}

// A create call that fails on an error that is not one record's (an outage) still returns
// the results of the records it created, so the retry pairs them rather than creating them
// twice; the record it stopped at has no result.
func TestCreateKeepsWhatItCreatedWhenTheCallFails(t *testing.T) {
	e := setup(t, sim.Options{})
	e.failWith = func(r *http.Request, body []byte) int {
		if r.Method == http.MethodPost && bytes.Contains(body, []byte("Beta")) {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	before := e.sim.Count("customer")
	res, err := e.client.Create(context.Background(), "company", []connectors.Record{
		{Fields: map[string]any{"name": "Alpha"}},
		{Fields: map[string]any{"name": "Beta"}},
		{Fields: map[string]any{"name": "Gamma"}},
	})
	require.Error(t, err)
	assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
	require.Len(t, res, 3)
	for _, i := range []int{0, 2} {
		assert.NoError(t, res[i].Err)
		assert.True(t, res[i].Created)
		assert.NotEmpty(t, res[i].ID)
	}
	assert.Equal(t, connectors.Result{}, res[1], "the record the outage stopped is unknown, not refused")
	assert.Equal(t, before+2, e.sim.Count("customer"))
}

func TestDeleteRefused(t *testing.T) {
	e := setup(t, sim.Options{})
	_, err := e.client.Delete(context.Background(), "contact", []string{"c:CC0000001"})
	ce := connErr(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.Equal(t, "weavy: deletions are never propagated on this pair", ce.Message)
}

func TestRightsErrors(t *testing.T) {
	label := map[string]string{"customer": "Client", "customercontact": "Client / Contact", "marketinginbound": "Marketing / Entrant"}
	column := map[string]string{"read": "API lecture", "insert": "API ajout", "update": "API MAJ"}
	for _, table := range []string{"customer", "customercontact", "marketinginbound"} {
		for _, right := range []string{"read", "insert", "update"} {
			t.Run(table+"/"+right, func(t *testing.T) {
				e := setup(t, sim.Options{})
				e.sim.SeedPeople(0, 5)
				e.sim.SeedEntrants(0, 5)
				e.sim.SetRight(table, right, false)
				ctx := context.Background()
				object, id := "company", "C0000000"
				switch table {
				case "customercontact":
					object, id = "contact", "c:CC0000000"
				case "marketinginbound":
					object, id = "contact", "e:E0000000"
				}
				var err error
				switch right {
				case "read":
					if table == "marketinginbound" {
						_, err = e.client.Get(ctx, object, []string{id})
					} else {
						_, err = e.client.List(ctx, object, connectors.ListQuery{})
					}
				case "insert":
					if table == "customercontact" {
						t.Skip("the connector never inserts customercontacts (contact creates make entrants)")
					}
					_, err = e.client.Create(ctx, object, []connectors.Record{{Fields: map[string]any{"name": "N", "email": "n@example.com"}}})
				case "update":
					_, err = e.client.Update(ctx, object, []connectors.Record{{ID: id, Fields: map[string]any{"city": "Lyon"}}})
				}
				ce := connErr(t, err)
				assert.Equal(t, connectors.KindConfig, ce.Kind)
				assert.Equal(t, 403, ce.Status)
				assert.Equal(t, fmt.Sprintf("weavy: the %s right is off for the table %s: switch it on in the weavy studio", column[right], label[table]), ce.Message)
			})
		}
	}
	e := setup(t, sim.Options{})
	_, err := e.client.Update(context.Background(), "contact", []connectors.Record{{ID: "c:X", Fields: map[string]any{"city": "Lyon"}}})
	require.NoError(t, err)
	e.sim.SetRight("customercontact", "update", false)
	_, err = e.client.Update(context.Background(), "contact", []connectors.Record{{ID: "c:X", Fields: map[string]any{"city": "Lyon"}}})
	assert.Equal(t, "weavy: the API MAJ right is off for the table Client / Contact: switch it on in the weavy studio", connErr(t, err).Message)
}

// CheckAccess probes every right a connection needs, and changes nothing: no record is
// created, none is modified (srvDate stays), whichever rights are on or off, whether weavy
// refuses with 403 or 401.
func TestCheckAccess(t *testing.T) {
	read := []connectors.Access{{Object: "company"}, {Object: "contact"}}
	write := []connectors.Access{{Object: "company", Write: true}, {Object: "contact", Write: true}}
	off := func(table, right string) string {
		return "weavy: the " + right + " right is off for the table " + table + ": switch it on in the weavy studio"
	}
	tests := []struct {
		name  string
		off   [][2]string // table, right
		needs []connectors.Access
		empty bool // no record in any table
		want  []string
	}{
		{name: "every right on", needs: write},
		{name: "read right off", off: [][2]string{{"marketinginbound", "read"}}, needs: read, want: []string{off("Marketing / Entrant", "API lecture")}},
		{name: "update off on a table only read", off: [][2]string{{"customer", "update"}}, needs: read},
		{name: "update off on companies written", off: [][2]string{{"customer", "update"}}, needs: write, want: []string{off("Client", "API MAJ")}},
		{name: "insert off on companies written", off: [][2]string{{"customer", "insert"}}, needs: write, want: []string{off("Client", "API ajout")}},
		{name: "insert off on contacts: contacts are never created", off: [][2]string{{"customercontact", "insert"}}, needs: write},
		{name: "update off on contacts", off: [][2]string{{"customercontact", "update"}}, needs: write, want: []string{off("Client / Contact", "API MAJ")}},
		{name: "insert off on entrants", off: [][2]string{{"marketinginbound", "insert"}}, needs: write, want: []string{off("Marketing / Entrant", "API ajout")}},
		{name: "every problem at once", off: [][2]string{{"customer", "read"}, {"customercontact", "update"}, {"marketinginbound", "insert"}, {"marketinginbound", "update"}}, needs: write, want: []string{
			off("Client", "API lecture"), off("Client / Contact", "API MAJ"), off("Marketing / Entrant", "API MAJ"), off("Marketing / Entrant", "API ajout"),
		}},
		{name: "empty tables: write rights cannot be probed without writing", off: [][2]string{{"customer", "insert"}}, needs: write, empty: true},
	}
	for _, tt := range tests {
		for _, status := range []int{http.StatusForbidden, http.StatusUnauthorized} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, status), func(t *testing.T) {
				checkAccess(t, sim.Options{DeniedStatus: status}, tt.off, tt.needs, tt.empty, tt.want)
			})
		}
	}
}

// checkAccess runs CheckAccess with the rights off switched off and checks that it changed
// nothing and reported want (nil: no error).
func checkAccess(t *testing.T, o sim.Options, off [][2]string, needs []connectors.Access, empty bool, want []string) {
	t.Helper()
	e := setup(t, o)
	if !empty {
		e.sim.SeedPeople(0, 2)
		e.sim.SeedEntrants(100, 1)
	}
	before := map[string][]map[string]any{}
	for _, ent := range sim.Entities {
		before[ent] = e.sim.Dump(ent)
	}
	for _, o := range off {
		e.sim.SetRight(o[0], o[1], false)
	}
	e.clock.Advance(time.Hour) // a write would move srvDate
	err := e.client.CheckAccess(context.Background(), needs)
	for _, ent := range sim.Entities {
		assert.Equal(t, before[ent], e.sim.Dump(ent), "%s: nothing created or changed", ent)
	}
	if want == nil {
		require.NoError(t, err)
		return
	}
	ce := connErr(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.Equal(t, strings.Join(want, "; "), ce.Message)
}

func TestDescribe(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	byName := func(fs []connectors.Field) map[string]connectors.Field {
		m := map[string]connectors.Field{}
		for _, f := range fs {
			m[f.Name] = f
		}
		return m
	}
	company, err := e.client.Describe(ctx, "company")
	require.NoError(t, err)
	contact, err := e.client.Describe(ctx, "contact")
	require.NoError(t, err)
	cm, ct := byName(company), byName(contact)
	tests := []struct {
		object   map[string]connectors.Field
		name     string
		typ      string
		required bool
		readOnly bool
	}{
		{cm, "name", "text", true, false},
		{cm, "idcrm", "text", false, false},
		{cm, "siretNumber", "text", false, false},
		{cm, "workforce", "number", false, false},
		{cm, "blocked", "boolean", false, false},
		{cm, "baseuser_ID", "text", false, true},
		{ct, "email", "text", true, false},
		{ct, "lastName", "text", false, false},
		{ct, "cf_segment", "select", false, false},
		{ct, "bouncedEmailDetected", "datetime", false, false},
		{ct, "birthday", "datetime", false, false},
		{ct, "companyName", "text", false, false},         // entrant only
		{ct, "codecustomercontact", "text", false, false}, // contact only
		{ct, "codemarketinginbound", "text", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := tt.object[tt.name]
			require.True(t, ok)
			assert.Equal(t, tt.typ, f.Type)
			assert.Equal(t, tt.required, f.Required)
			assert.Equal(t, tt.readOnly, f.ReadOnly)
			assert.NotEmpty(t, f.Label)
		})
	}
	assert.Len(t, ct["cf_segment"].Options, 4)
	for _, hiddenField := range []string{"customer_ID", "customercontact_ID", "marketinginbound_ID", "srvDate", "srvDateUTC"} {
		assert.NotContains(t, ct, hiddenField)
		assert.NotContains(t, cm, hiddenField)
	}
	_, err = e.client.Describe(ctx, "deal")
	assert.Equal(t, connectors.KindConfig, connErr(t, err).Kind)
}

func TestErrorClassification(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 5)
	ctx := context.Background()
	_, err := e.client.Describe(ctx, "company")
	require.NoError(t, err)

	e.sim.Kit().SetFaults(simkit.Faults{RateLimitRate: 1})
	_, err = e.client.Get(ctx, "company", []string{"C0000000"})
	ce := connErr(t, err)
	assert.Equal(t, connectors.KindRateLimited, ce.Kind)
	assert.Equal(t, time.Second, ce.RetryAfter)

	e.sim.Kit().SetFaults(simkit.Faults{ErrorRate: 1})
	_, err = e.client.List(ctx, "company", connectors.ListQuery{})
	assert.Equal(t, connectors.KindRetryable, connErr(t, err).Kind)
	e.sim.Kit().SetFaults(simkit.Faults{})

	// a server that echoes values: e-mails and the password never reach the error
	leaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/Authenticate" {
			simkit.WriteJSON(w, 200, map[string]any{"authToken": "t", "expiresIn": 3600})
			return
		}
		if strings.HasPrefix(r.URL.Path, "/v1/Dictionary/") {
			simkit.WriteJSON(w, 200, map[string]any{"fields": []map[string]any{{"fieldName": "email", "fieldType": "text"}}})
			return
		}
		w.Header().Set("Retry-After", "7")
		status := 400
		if r.Method == http.MethodPost {
			status = 429
		}
		simkit.WriteJSON(w, status, map[string]any{"Message": "bad value jane.doe@example.com for " + pass, "fieldName": "email"})
	}))
	defer leaky.Close()
	c, err := New(Config{BaseURL: leaky.URL, Project: "crm", UserName: user, Password: pass})
	require.NoError(t, err)
	res, err := c.Update(ctx, "company", []connectors.Record{{ID: "C1", Fields: map[string]any{"email": "jane.doe@example.com"}}})
	require.NoError(t, err)
	ce = connErr(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Contains(t, ce.Fields, "email")
	assert.NotContains(t, ce.Error(), "jane.doe")
	assert.NotContains(t, ce.Error(), pass)
	assert.NotContains(t, fmt.Sprint(ce.Fields), "jane.doe")
	_, err = c.List(ctx, "company", connectors.ListQuery{})
	ce = connErr(t, err)
	assert.Equal(t, connectors.KindRateLimited, ce.Kind)
	assert.Equal(t, 7*time.Second, ce.RetryAfter)

	down, err := New(Config{BaseURL: "http://127.0.0.1:1", Project: "crm", UserName: user, Password: pass})
	require.NoError(t, err)
	_, err = down.List(ctx, "company", connectors.ListQuery{})
	assert.Equal(t, connectors.KindRetryable, connErr(t, err).Kind)
}

// A zone that does not exist is refused.
func TestTimeZoneMustExist(t *testing.T) {
	_, err := New(Config{BaseURL: "http://127.0.0.1:1", Project: "crm", UserName: user, Password: pass, TimeZone: "Paris"})
	require.ErrorContains(t, err, `time_zone "Paris" is not an IANA time zone`)
}

// weavy may answer a right switched off with 401 rather than 403. A 401 to the token of the
// login that followed a 401 is reported as that right, naming the table, and the refused
// table does not make every call log in again.
func TestRightOffAnswered401(t *testing.T) {
	tests := []struct {
		name   string
		before bool // a call weavy accepted came first
		logins int
	}{
		// 2, not 1: weavy also drops tokens before their first use, so the first 401 is
		// answered with one new login; the renewed token refused too is the right.
		{"first call: renewed once", false, 2},
		{"after an accepted call: renewed once", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{DeniedStatus: http.StatusUnauthorized})
			e.sim.SeedPeople(0, 5)
			ctx := context.Background()
			if tt.before {
				_, err := e.client.Get(ctx, "contact", []string{"c:CC0000000"})
				require.NoError(t, err)
			}
			e.sim.SetRight("customer", "read", false)
			for range 3 {
				_, err := e.client.List(ctx, "company", connectors.ListQuery{})
				ce := connErr(t, err)
				assert.Equal(t, connectors.KindConfig, ce.Kind)
				assert.Equal(t, 401, ce.Status)
				assert.Equal(t, "weavy: the API lecture right is off for the table Client: switch it on in the weavy studio", ce.Message)
				// the other tables still work, with the same token
				_, err = e.client.Get(ctx, "contact", []string{"c:CC0000001"})
				require.NoError(t, err)
			}
			assert.Equal(t, tt.logins, e.sim.Logins())
		})
	}
}
