package mautic

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
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
}

func setup(t *testing.T, o sim.Options) *env {
	t.Helper()
	clk := simkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	o.Username, o.Password, o.Now = user, pass, clk.Now
	s := sim.New(o)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000})
	require.NoError(t, err)
	return &env{sim: s, srv: srv, client: c, clock: clk}
}

func ids(recs []connectors.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func kindOf(t *testing.T, err error) *connectors.Error {
	t.Helper()
	var e *connectors.Error
	require.ErrorAs(t, err, &e)
	return e
}

func TestListKeysetWithConcurrentInserts(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 1000)
	ctx := context.Background()

	seen := map[string]int{}
	q := connectors.ListQuery{Limit: 150}
	next := 1000
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100)
		p, err := e.client.List(ctx, connectors.ObjectContact, q)
		require.NoError(t, err)
		for _, r := range p.Records {
			seen[r.ID]++
		}
		// Inserts while the listing runs land after the cursor and must not shift pages.
		if pages < 5 {
			e.sim.SeedPeople(next, 20)
			next += 20
		}
		if !p.More {
			break
		}
		q.Cursor = p.Cursor
	}
	assert.Equal(t, e.sim.Count("contacts"), len(seen), "every record, old and new, is listed")
	for id, n := range seen {
		assert.Equal(t, 1, n, "id %s listed once", id)
	}
	assert.Equal(t, 1100, len(seen))
}

func TestListRecordShapeAndLinks(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 400) // 80 companies
	ctx := context.Background()
	e.sim.Kit().ResetCounts()

	p, err := e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 500})
	require.NoError(t, err)
	require.Len(t, p.Records, PageLimit, "limit is capped at 200")
	assert.True(t, p.More)
	assert.Equal(t, "200", p.Cursor)
	r := p.Records[6] // person 6, company index 1 → company id 2
	assert.Equal(t, "7", r.ID)
	assert.Equal(t, "person000006@example.com", r.Fields["email"])
	assert.Equal(t, "Manon", r.Fields["firstname"])
	assert.Nil(t, r.Fields["mobile"], "empty → nil")
	assert.Equal(t, float64(0), r.Fields["points"])
	assert.NotContains(t, r.Fields, "id")
	assert.NotContains(t, r.Fields, "company")
	assert.Equal(t, map[string]string{"company": "2"}, r.Links)
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), r.UpdatedAt, "dateAdded when never edited")
	for _, r := range p.Records {
		want := strconv.Itoa(simkit.CompanyOf(mustAtoi(t, r.ID)-1) + 1)
		require.Equal(t, want, r.Links["company"], "contact %s", r.ID)
	}

	counts := e.sim.Kit().Counts()
	assert.Equal(t, 1, counts["GET /api/companies"], "one companies query per page")
	assert.Equal(t, 1, counts["GET /api/contacts"])
	assert.Equal(t, 1, counts["GET /api/fields/{object}"], "field types are loaded once")

	p, err = e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{Cursor: p.Cursor})
	require.NoError(t, err)
	assert.Equal(t, 2, e.sim.Kit().Counts()["GET /api/companies"])
	assert.Equal(t, 1, e.sim.Kit().Counts()["GET /api/fields/{object}"])

	cp, err := e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 3})
	require.NoError(t, err)
	require.Len(t, cp.Records, 3)
	assert.Equal(t, "Conseil Paris 00000", cp.Records[0].Fields["companyname"])
	assert.Equal(t, "10000000000010", cp.Records[0].Fields["siret"])
	assert.Nil(t, cp.Records[0].Links)
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

func TestListSinceIncludesNeverEdited(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 10) // ids 1..10 added 10:00, never edited
	e.clock.Advance(time.Hour)
	since := e.clock.Now().Add(500 * time.Millisecond) // 11:00:00.5, sub-second on purpose
	e.clock.Advance(time.Minute)
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "3", Fields: map[string]any{"position": "CEO"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	e.clock.Advance(time.Minute)
	e.sim.SeedPeople(10, 3) // ids 11..13 added 11:02, never edited

	paris, _ := time.LoadLocation("Europe/Paris")
	for _, s := range []time.Time{since, since.In(paris)} {
		p, err := e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{Since: s})
		require.NoError(t, err)
		assert.Equal(t, []string{"3", "11", "12", "13"}, ids(p.Records), "since %s", s)
		assert.False(t, p.More)
		assert.Equal(t, time.Date(2026, 3, 1, 11, 1, 0, 0, time.UTC), p.Records[0].UpdatedAt, "dateModified once edited")
		assert.Equal(t, time.Date(2026, 3, 1, 11, 2, 0, 0, time.UTC), p.Records[1].UpdatedAt)
	}
	// An empty page keeps the cursor.
	p, err := e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{Since: since, Cursor: "13"})
	require.NoError(t, err)
	assert.Empty(t, p.Records)
	assert.Equal(t, "13", p.Cursor)
	assert.False(t, p.More)
}

func TestCreateBatchChunkingAndDedupe(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 5)
	e.sim.Kit().ResetCounts()

	recs := make([]connectors.Record, 450)
	for i := range recs {
		recs[i] = connectors.Record{Fields: map[string]any{"email": fmt.Sprintf("new%03d@example.com", i), "firstname": "N", "mobile": nil}}
	}
	recs[10].Fields["email"] = "PERSON000002@Example.com" // exists as contact 3 → merged
	res, err := e.client.Create(ctx, connectors.ObjectContact, recs)
	require.NoError(t, err)
	require.Len(t, res, 450)
	assert.Equal(t, 3, e.sim.Kit().Counts()["POST /api/contacts/batch/new"], "450 records → 3 calls of ≤ 200")
	assert.Equal(t, 5+449, e.sim.Count("contacts"))
	for i, r := range res {
		require.NoError(t, r.Err)
		if i == 10 {
			assert.Equal(t, "3", r.ID)
			assert.False(t, r.Created, "merged into the existing contact")
			continue
		}
		assert.True(t, r.Created)
		assert.NotEmpty(t, r.ID)
	}
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{res[0].ID, res[449].ID, "3"})
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, "new000@example.com", got[1].Fields["email"])
	assert.Equal(t, "N", got[0].Fields["firstname"], "merge updated the existing contact")
}

func TestPerRecordInvalid(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	res, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": "ok@example.com"}},
		{Fields: map[string]any{"email": "bob@nowhere"}},
		{Fields: map[string]any{"email": "ok2@example.com", "interests": []string{"CRM", "Nope"}}},
		{Fields: map[string]any{"email": "ok3@example.com", "interests": []string{"CRM", "ERP"}}},
	})
	require.NoError(t, err)
	require.Len(t, res, 4)
	assert.NoError(t, res[0].Err)
	assert.NoError(t, res[3].Err)
	for i, field := range map[int]string{1: "email", 2: "interests"} {
		ce := kindOf(t, res[i].Err)
		assert.Equal(t, connectors.KindInvalid, ce.Kind)
		assert.Contains(t, ce.Fields, field)
		assert.Contains(t, ce.Error(), field)
		assert.NotContains(t, ce.Error(), "bob@")
	}
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{res[3].ID})
	require.NoError(t, err)
	assert.Equal(t, []string{"CRM", "ERP"}, got[0].Fields["interests"])

	// Companies: name required; select options checked.
	cres, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{
		{Fields: map[string]any{"companyname": "ACME", "siret": "12345678900010", "companyindustry": "Retail"}},
		{Fields: map[string]any{"companyemail": "x@acme.fr"}},
	})
	require.NoError(t, err)
	assert.NoError(t, cres[0].Err)
	assert.True(t, cres[0].Created)
	assert.Contains(t, kindOf(t, cres[1].Err).Fields, "companyname")

	// Update of a missing record is a per-record error too.
	ures, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "999", Fields: map[string]any{"firstname": "X"}}})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(ures[0].Err))
}

func TestUpdateLinksAndDelete(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 15) // companies 1..3
	e.sim.Kit().ResetCounts()

	res, err := e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": "linked@example.com"}, Links: map[string]string{"company": "2"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	id := res[0].ID

	res, err = e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{
		{ID: "1", Fields: map[string]any{"position": nil, "mobile": "+33 6 11"}, Links: map[string]string{"company": "3"}},
		{ID: "2", Fields: map[string]any{}, Links: map[string]string{"company": ""}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)
	assert.Equal(t, "1", res[0].ID)
	assert.False(t, res[0].Created)
	counts := e.sim.Kit().Counts()
	assert.Equal(t, 1, counts["PATCH /api/contacts/batch/edit"])
	assert.Equal(t, 1, counts["POST /api/contacts/batch/new"], "a create's link travels in its body")
	assert.Equal(t, 2, counts["GET /api/contacts/{id}/companies"], "an update's link: the contact's companies read")
	assert.Equal(t, 1, counts["POST /api/companies/{companyId}/contact/{contactId}/add"], "contact 1 joins company 3")
	assert.Equal(t, 2, counts["POST /api/companies/{companyId}/contact/{contactId}/remove"], "contacts 1 and 2 leave company 1")
	assert.Len(t, counts, 5)

	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1", "2", id})
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Nil(t, got[0].Fields["position"], "nil clears the field")
	assert.Equal(t, "+33 6 11", got[0].Fields["mobile"])
	assert.Equal(t, map[string]string{"company": "3"}, got[0].Links)
	assert.Equal(t, map[string]string{"company": ""}, got[1].Links, "unlinked: known none")
	assert.Equal(t, map[string]string{"company": "2"}, got[2].Links)
	assert.Equal(t, 1, e.sim.Kit().Counts()["GET /api/companies"], "one companies query for the Get")

	res, err = e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Links: map[string]string{"company": "abc"}}})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "a link that is not a Mautic id")
	res, err = e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Links: map[string]string{"company": "777"}}})
	require.NoError(t, err)
	assert.Contains(t, kindOf(t, res[0].Err).Fields, "companies", "a link to a missing company")

	dres, err := e.client.Delete(ctx, connectors.ObjectContact, []string{"1", "2", "999", "x"})
	require.NoError(t, err)
	assert.NoError(t, dres[0].Err)
	assert.NoError(t, dres[2].Err, "already gone counts as deleted")
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(dres[3].Err))
	assert.Equal(t, 14, e.sim.Count("contacts"))
}

func TestFindByKeyGetDescribe(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 30)

	got, err := e.client.FindByKey(ctx, connectors.ObjectContact, "email", []string{"PERSON000004@EXAMPLE.COM", "person000020@example.com", "nobody@example.com", ""})
	require.NoError(t, err)
	assert.Equal(t, []string{"5", "21"}, ids(got))
	assert.Equal(t, "1", got[0].Links["company"])

	got, err = e.client.FindByKey(ctx, connectors.ObjectCompany, "siret", []string{"10000000200010"})
	require.NoError(t, err)
	assert.Equal(t, []string{"3"}, ids(got))
	got, err = e.client.FindByKey(ctx, connectors.ObjectCompany, "companyname", []string{"conseil paris 00000", "Bâtiment Paris 00001"})
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2"}, ids(got))

	got, err = e.client.Get(ctx, connectors.ObjectCompany, []string{"2", "999", "bad"})
	require.NoError(t, err)
	assert.Equal(t, []string{"2"}, ids(got))

	fields, err := e.client.Describe(ctx, connectors.ObjectCompany)
	require.NoError(t, err)
	byName := map[string]connectors.Field{}
	for _, f := range fields {
		byName[f.Name] = f
	}
	assert.Equal(t, "text", byName["siret"].Type)
	assert.True(t, byName["companyname"].Required)
	assert.Equal(t, "select", byName["companyindustry"].Type)
	assert.Contains(t, byName["companyindustry"].Options, connectors.Option{Value: "Retail", Label: "Retail"})
	cf, err := e.client.Describe(ctx, connectors.ObjectContact)
	require.NoError(t, err)
	names := map[string]bool{}
	for _, f := range cf {
		names[f.Name] = true
	}
	for _, n := range []string{"email", "firstname", "lastname", "phone", "mobile", "position"} {
		assert.True(t, names[n], n)
	}
	assert.False(t, names["company"], "the company is a link")

	_, err = e.client.List(ctx, "opportunity", connectors.ListQuery{})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
}

func TestErrorClassification(t *testing.T) {
	ctx := context.Background()
	find := func(c *Client) error {
		_, err := c.FindByKey(ctx, connectors.ObjectContact, "email", []string{"secret.person@example.com"})
		return err
	}
	tests := []struct {
		name       string
		opts       sim.Options
		faults     simkit.Faults
		client     func(e *env) *Client
		kind       connectors.Kind
		status     int
		retryAfter func(time.Duration) bool
		wantMsg    string
	}{
		{name: "server error", faults: simkit.Faults{ErrorRate: 1}, kind: connectors.KindRetryable, status: 500},
		{name: "injected 429", faults: simkit.Faults{RateLimitRate: 1}, kind: connectors.KindRateLimited, status: 429,
			retryAfter: func(d time.Duration) bool { return d == time.Second }},
		{name: "hourly quota", opts: sim.Options{RequestsPerHour: 1}, kind: connectors.KindRateLimited, status: 429,
			retryAfter: func(d time.Duration) bool { return d > time.Minute }},
		{name: "bad password", kind: connectors.KindConfig, status: 401, wantMsg: "API authorization denied.: check the credentials username and password", client: func(e *env) *Client {
			c, err := New(Config{BaseURL: e.srv.URL, Username: user, Password: pass + "x"})
			require.NoError(t, err)
			return c
		}},
		{name: "timeout", faults: simkit.Faults{LatencyMS: 300}, kind: connectors.KindRetryable, client: func(e *env) *Client {
			c, err := New(Config{BaseURL: e.srv.URL, Username: user, Password: pass, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
			require.NoError(t, err)
			return c
		}},
		{name: "unreachable", kind: connectors.KindRetryable, client: func(e *env) *Client {
			c, err := New(Config{BaseURL: "http://127.0.0.1:1", Username: user, Password: pass})
			require.NoError(t, err)
			return c
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, tc.opts)
			e.sim.SeedPeople(0, 1)
			c := e.client
			if tc.client != nil {
				c = tc.client(e)
			}
			if tc.opts.RequestsPerHour > 0 {
				_, _ = c.Describe(ctx, connectors.ObjectContact) // spends the quota
			}
			e.sim.Kit().SetFaults(tc.faults)
			err := find(c)
			require.Error(t, err)
			ce := kindOf(t, err)
			assert.Equal(t, tc.kind, ce.Kind, err.Error())
			assert.Equal(t, tc.status, ce.Status)
			assert.Equal(t, "mautic", ce.System)
			if tc.retryAfter != nil {
				assert.True(t, tc.retryAfter(connectors.RetryAfterOf(err)), "retry after %s", connectors.RetryAfterOf(err))
			}
			msg := err.Error()
			if tc.wantMsg != "" {
				assert.Contains(t, msg, tc.wantMsg)
			}
			assert.NotContains(t, msg, pass)
			assert.NotContains(t, msg, "secret.person")
			assert.NotContains(t, msg, "@example.com")
		})
	}
}

func TestNonJSONAnswerIsConfig(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>login</html>"))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass})
	require.NoError(t, err)
	_, err = c.Describe(context.Background(), connectors.ObjectContact)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err), "%v", err)
	_, err = c.List(context.Background(), connectors.ObjectCompany, connectors.ListQuery{})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err), "%v", err)
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := New(Config{BaseURL: "automation.example.com", Username: "u", Password: "p"})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	_, err = New(Config{BaseURL: "https://automation.example.com"})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	c, err := New(Config{BaseURL: "https://automation.example.com/", Username: "u", Password: "p"})
	require.NoError(t, err)
	assert.Equal(t, "mautic", c.System())
}

func TestEncodingHelpers(t *testing.T) {
	assert.Equal(t, `a,"b,c","d""e"`, csvList([]string{"a", "b,c", `d"e`}))
	assert.Equal(t, "2026-03-01 09:00:00", whereTime(time.Date(2026, 3, 1, 10, 0, 0, 999, time.FixedZone("CET", 3600))))
	h := http.Header{}
	assert.Equal(t, time.Second, retryAfter(h, time.Now()))
	h.Set("Retry-After", "7")
	assert.Equal(t, 7*time.Second, retryAfter(h, time.Now()))
	assert.Equal(t, []string{"CRM", "ERP"}, normalise("multiselect", "CRM|ERP"))
	assert.Equal(t, 3.0, normalise("number", 3.0))
	assert.Equal(t, "42", normalise("text", 42.0))
	assert.Equal(t, true, normalise("boolean", 1.0))
	assert.Nil(t, normalise("text", "  "))
}

func TestLargeInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("60,000 contacts")
	}
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 60000)
	began := time.Now()
	emails := make([]string, 250)
	for i := range emails {
		emails[i] = simkit.PersonAt(i * 200).Email
	}
	got, err := e.client.FindByKey(ctx, connectors.ObjectContact, "email", emails)
	require.NoError(t, err)
	assert.Len(t, got, 250)

	n, pages := 0, 0
	q := connectors.ListQuery{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for {
		p, err := e.client.List(ctx, connectors.ObjectContact, q)
		require.NoError(t, err)
		n += len(p.Records)
		pages++
		if !p.More {
			break
		}
		q.Cursor = p.Cursor
	}
	assert.Equal(t, 60000, n)
	assert.Equal(t, pages, e.sim.Kit().Counts()["GET /api/companies"]-2, "one companies query per page (+2 for FindByKey's chunks)")
	t.Logf("find 250 + full listing (%d pages): %s", pages, time.Since(began))
}

func TestDecodeCollections(t *testing.T) {
	ents, err := streamEntities([]byte(`{"total":"2","contacts":{"10":{"id":10,"fields":{"all":{"email":"b"}}},"9":{"id":"9","fields":{"core":[],"all":{"email":"a"}}}}}`), "contacts")
	require.NoError(t, err)
	require.Len(t, ents, 2)
	assert.Equal(t, flexID("9"), ents[0].ID, "ordered by id, not by key order")
	ents, err = streamEntities([]byte(`{"contacts":[],"total":0}`), "contacts")
	require.NoError(t, err)
	assert.Empty(t, ents)
	_, err = streamEntities([]byte(`[]`), "contacts")
	assert.Error(t, err)
	ents, err = streamEntities([]byte(`{"total":"0","contacts":{}}`), "contacts")
	require.NoError(t, err, "Mautic's empty result")
	assert.Empty(t, ents)
	// No collection is not an empty one: a lookup must not take it for "none of these".
	_, err = streamEntities([]byte(`{}`), "contacts")
	assert.ErrorContains(t, err, `the answer holds no "contacts"`)
	_, err = streamEntities([]byte(`{"total":"30","contacts":null}`), "contacts")
	assert.ErrorContains(t, err, `"contacts" is <nil>, not a collection`)

	// Batch answers: an aligned array with nulls, or an index-keyed object when PHP keeps gaps.
	al, err := aligned[*entityID]([]byte(`[{"id":1},null,{"id":3}]`), 3)
	require.NoError(t, err)
	assert.Nil(t, al[1])
	assert.Equal(t, flexID("3"), al[2].ID)
	al, err = aligned[*entityID]([]byte(`{"0":{"id":1},"2":{"id":3}}`), 3)
	require.NoError(t, err)
	assert.Nil(t, al[1])
	assert.Equal(t, flexID("3"), al[2].ID)
}
