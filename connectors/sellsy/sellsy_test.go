package sellsy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

const (
	testID     = "crmsync-test-client"
	testSecret = "very-secret-value-42"
)

type fixture struct {
	sim   *sim.Server
	srv   *httptest.Server
	clock *simkit.Clock
	c     *Client
}

// setup starts a simulator (unlimited quota unless o says otherwise; a fake clock when
// fake is set) and a connector against it.
func setup(t *testing.T, o sim.Options, fake bool) *fixture {
	t.Helper()
	f := &fixture{}
	o.ClientID, o.ClientSecret = testID, testSecret
	if o.RequestsPerSecond == 0 {
		o.RequestsPerSecond = -1
	}
	if fake {
		f.clock = simkit.NewClock(time.Now().Truncate(time.Second))
		o.Now = f.clock.Now
	}
	f.sim = sim.New(o)
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)
	f.c = f.client(t, testSecret)
	return f
}

func (f *fixture) client(t *testing.T, secret string) *Client {
	c, err := New(Config{
		APIURL: f.srv.URL + "/v2", TokenURL: f.srv.URL + "/oauth2/access-tokens",
		ClientID: testID, ClientSecret: secret, RequestsPerSecond: 1000,
	})
	require.NoError(t, err)
	return c
}

// inFront returns a connector whose requests reach f's simulator through front, which may
// record or answer a request before it hands it to the simulator (s).
func (f *fixture) inFront(t *testing.T, front func(w http.ResponseWriter, r *http.Request, s http.Handler)) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { front(w, r, f.sim) }))
	t.Cleanup(srv.Close)
	c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens", ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 1000})
	require.NoError(t, err)
	return c
}

func (f *fixture) setFaults(t *testing.T, fl simkit.Faults) { f.sim.Kit().SetFaults(fl) }

func dumpIDs(d []map[string]any) []string {
	var out []string
	for _, m := range d {
		out = append(out, strconv.Itoa(int(m["id"].(float64))))
	}
	return out
}

var ctx = context.Background()

func TestListPaginationAndLinks(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 250)
	contacts := f.sim.Dump("contacts")
	companyOf := map[string]string{}
	for _, m := range contacts {
		companyOf[strconv.Itoa(int(m["id"].(float64)))] = strconv.Itoa(m["_sim"].(map[string]any)["company_ids"].([]int)[0])
	}
	for _, c := range []struct {
		object string
		want   []string
		pages  int
	}{
		{connectors.ObjectContact, dumpIDs(contacts), 3},
		{connectors.ObjectCompany, dumpIDs(f.sim.Dump("companies")), 1},
	} {
		t.Run(c.object, func(t *testing.T) {
			var got []string
			q := connectors.ListQuery{Limit: 100}
			pages := 0
			for {
				p, err := f.c.List(ctx, c.object, q)
				require.NoError(t, err)
				pages++
				for _, r := range p.Records {
					got = append(got, r.ID)
					assert.False(t, r.UpdatedAt.IsZero())
					assert.False(t, r.CreatedAt.IsZero(), "created read, so from_a: false keeps older records out")
					assert.False(t, r.CreatedAt.After(r.UpdatedAt), "%s %s created after its last update", c.object, r.ID)
					if c.object == connectors.ObjectContact {
						assert.Equal(t, companyOf[r.ID], r.Links["company"], "contact %s", r.ID)
					}
				}
				if !p.More {
					break
				}
				require.NotEmpty(t, p.Cursor)
				q.Cursor = p.Cursor
			}
			assert.Equal(t, c.want, got, "every record once, in id order")
			assert.Equal(t, c.pages, pages)
		})
	}
	p, err := f.c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 1})
	require.NoError(t, err)
	r := p.Records[0]
	assert.Equal(t, "person000000@example.com", r.Fields["email"])
	assert.Nil(t, r.Fields["civility"], "null stays nil")
	assert.Nil(t, r.Fields["note"], "empty string becomes nil")
	p, err = f.c.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, simkit.CompanyAt(0).SIRET, p.Records[0].Fields["siret"], "siret flattened from legal_france")
	assert.Equal(t, "prospect", p.Records[0].Fields["type"])
}

func TestListSince(t *testing.T) {
	f := setup(t, sim.Options{}, true)
	f.sim.SeedPeople(0, 150)
	f.clock.Advance(time.Hour)
	since := f.clock.Now()
	contacts := dumpIDs(f.sim.Dump("contacts"))
	companies := dumpIDs(f.sim.Dump("companies"))
	changed := []string{contacts[5], contacts[120]}
	res, err := f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{
		{ID: changed[0], Fields: map[string]any{"position": "CEO"}},
		{ID: changed[1], Fields: map[string]any{"first_name": "Zed"}},
	})
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	res, err = f.c.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: companies[7], Fields: map[string]any{"website": "https://acme.example"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)

	var got []string
	q := connectors.ListQuery{Since: since, Limit: 1}
	for {
		p, err := f.c.List(ctx, connectors.ObjectContact, q)
		require.NoError(t, err)
		for _, r := range p.Records {
			got = append(got, r.ID)
			assert.Equal(t, since.UTC(), r.UpdatedAt.UTC())
		}
		if !p.More {
			break
		}
		q.Cursor = p.Cursor
	}
	assert.Equal(t, changed, got)
	p, err := f.c.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Since: since})
	require.NoError(t, err)
	require.Len(t, p.Records, 1)
	assert.Equal(t, companies[7], p.Records[0].ID)
	assert.Equal(t, "https://acme.example", p.Records[0].Fields["website"])
	assert.False(t, p.More)
}

func TestTokenRefreshAfterExpiry(t *testing.T) {
	f := setup(t, sim.Options{TokenTTL: time.Minute}, true)
	f.sim.SeedPeople(0, 3)
	_, err := f.c.List(ctx, connectors.ObjectContact, connectors.ListQuery{})
	require.NoError(t, err)
	f.clock.Advance(2 * time.Minute) // the sim now refuses the token: 401, drop, new token, retry
	p, err := f.c.List(ctx, connectors.ObjectContact, connectors.ListQuery{})
	require.NoError(t, err)
	assert.Len(t, p.Records, 3)
	assert.Equal(t, 2, f.sim.Kit().Counts()["POST /oauth2/access-tokens"])
}

func TestErrorsAreClassified(t *testing.T) {
	var all []error
	t.Run("wrong credentials → configuration", func(t *testing.T) {
		f := setup(t, sim.Options{}, false)
		bad := f.client(t, "wrong-"+testSecret)
		_, err := bad.List(ctx, connectors.ObjectContact, connectors.ListQuery{})
		require.Error(t, err)
		assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
		all = append(all, err)
	})
	t.Run("429 → rate limited with a delay", func(t *testing.T) {
		f := setup(t, sim.Options{}, false)
		f.sim.SeedPeople(0, 1)
		_, err := f.c.Describe(ctx, connectors.ObjectContact) // loads custom fields
		require.NoError(t, err)
		f.setFaults(t, simkit.Faults{RateLimitRate: 1})
		_, err = f.c.Get(ctx, connectors.ObjectContact, []string{"1000001"})
		require.Error(t, err)
		assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
		assert.Equal(t, time.Second, connectors.RetryAfterOf(err))
		all = append(all, err)
	})
	t.Run("quota spent → 429 from the window", func(t *testing.T) {
		f := setup(t, sim.Options{RequestsPerSecond: 2}, true) // frozen clock: the window never resets
		var err error
		for i := 0; i < 4 && err == nil; i++ {
			_, err = f.c.Get(ctx, connectors.ObjectCompany, []string{"1"})
		}
		require.Error(t, err)
		var e *connectors.Error
		require.True(t, errors.As(err, &e))
		assert.Equal(t, connectors.KindRateLimited, e.Kind)
		assert.Equal(t, 429, e.Status)
		assert.Equal(t, time.Second, e.RetryAfter)
	})
	t.Run("minute window spent → wait for the next minute (TestMinuteQuotaIsWaitedOut counts the 429s)", func(t *testing.T) {
		f := setup(t, sim.Options{RequestsPerMinute: 2}, true)
		clk := &fakeClock{Clock: f.clock} // the client's pauses move the simulator's clock
		f.c.clock = clk
		for i := 0; i < 4; i++ {
			_, err := f.c.Get(ctx, connectors.ObjectCompany, []string{"1"})
			require.NoError(t, err, "request %d", i)
		}
		require.NotEmpty(t, clk.slept)
		assert.LessOrEqual(t, clk.slept[0], time.Minute)
	})
	t.Run("5xx → retryable", func(t *testing.T) {
		f := setup(t, sim.Options{}, false)
		f.setFaults(t, simkit.Faults{ErrorRate: 1})
		_, err := f.c.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
		require.Error(t, err)
		assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
		all = append(all, err)
	})
	t.Run("server gone → retryable", func(t *testing.T) {
		f := setup(t, sim.Options{}, false)
		f.srv.Close()
		_, err := f.c.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
		require.Error(t, err)
		assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
		all = append(all, err)
	})
	t.Run("invalid record → per-record invalid", func(t *testing.T) {
		f := setup(t, sim.Options{}, false)
		res, err := f.c.Create(ctx, connectors.ObjectContact, []connectors.Record{
			{Fields: map[string]any{"last_name": "Valid", "email": "ok@example.com"}},
			{Fields: map[string]any{"first_name": "NoLastName"}},
			{Fields: map[string]any{"last_name": "Bad", "email": "secret.person@@example"}},
			{Fields: map[string]any{"last_name": "X", "shoe_size": "44"}},
		})
		require.NoError(t, err)
		require.Len(t, res, 4)
		assert.NoError(t, res[0].Err)
		assert.True(t, res[0].Created)
		for i, field := range map[int]string{1: "last_name", 2: "email", 3: "shoe_size"} {
			var e *connectors.Error
			require.True(t, errors.As(res[i].Err, &e), "result %d", i)
			assert.Equal(t, connectors.KindInvalid, e.Kind)
			assert.Contains(t, e.Fields, field)
			assert.Contains(t, e.Error(), field)
			// The reason travels with the field's name: a quarantine entry says why.
			require.NotEmpty(t, e.Fields[field], "result %d", i)
			assert.Contains(t, e.Error(), field+": "+connectors.Redact(e.Fields[field]), "result %d", i)
			assert.NotContains(t, e.Error(), "secret.person")
			all = append(all, res[i].Err)
		}
		assert.Equal(t, 1, f.sim.Count("contacts"))
		res, err = f.c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Bad siret", "siret": "123"}}})
		require.NoError(t, err)
		var e *connectors.Error
		require.True(t, errors.As(res[0].Err, &e))
		assert.Contains(t, e.Fields, "siret")
		res, err = f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "999", Fields: map[string]any{"last_name": "Ghost"}}})
		require.NoError(t, err)
		assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "unknown id")
	})
	for _, err := range all {
		s := err.Error()
		assert.NotContains(t, s, testSecret)
		assert.NotContains(t, s, "@example")
	}
}

func TestQuotaHeaderIsHonoured(t *testing.T) {
	f := setup(t, sim.Options{RequestsPerSecond: 3}, false) // real clock: the window resets each second
	f.sim.SeedPeople(0, 1)
	start := time.Now()
	for i := 0; i < 7; i++ {
		_, err := f.c.Get(ctx, connectors.ObjectCompany, []string{"1"})
		require.NoError(t, err, "request %d: the connector waits for the next second instead of hitting 429", i)
	}
	assert.Greater(t, time.Since(start), 900*time.Millisecond)
}

func TestLinksWritten(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	res, err := f.c.Create(ctx, connectors.ObjectCompany, []connectors.Record{
		{Fields: map[string]any{"name": "ACME", "siret": "123 456 789 00011", "email": "hello@acme.example"}},
		{Fields: map[string]any{"name": "Globex", "type": "client"}},
	})
	require.NoError(t, err)
	acme, globex := res[0].ID, res[1].ID
	companies := map[string]map[string]any{}
	for _, m := range f.sim.Dump("companies") {
		companies[strconv.Itoa(int(m["id"].(float64)))] = m
	}
	assert.Equal(t, "12345678900011", companies[acme]["legal_france"].(map[string]any)["siret"])
	assert.Equal(t, "prospect", companies[acme]["type"], "Config.CompanyType by default")
	assert.Equal(t, "client", companies[globex]["type"])

	res, err = f.c.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"last_name": "Doe", "email": "jd@example.com"}, Links: map[string]string{"company": acme}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	id := res[0].ID
	got, err := f.c.Get(ctx, connectors.ObjectContact, []string{id})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, acme, got[0].Links["company"])

	res, err = f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: map[string]any{}, Links: map[string]string{"company": globex}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err = f.c.Get(ctx, connectors.ObjectContact, []string{id})
	require.NoError(t, err)
	assert.Equal(t, globex, got[0].Links["company"])
	assert.Equal(t, []int{mustAtoi(globex)}, f.sim.Dump("contacts")[0]["_sim"].(map[string]any)["company_ids"], "old company unlinked")

	res, err = f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Links: map[string]string{"company": ""}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Empty(t, f.sim.Dump("contacts")[0]["_sim"].(map[string]any)["company_ids"])
}

func mustAtoi(s string) int { n, _ := strconv.Atoi(s); return n }

func TestFindByKeyAndGet(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 20)
	cases := []struct {
		object, field string
		values        []string
		want          int
	}{
		{connectors.ObjectContact, "email", []string{"PERSON000003@example.com", "person000004@example.com", "nobody@example.com"}, 2},
		{connectors.ObjectCompany, "name", []string{simkit.CompanyAt(1).Name}, 1},
		{connectors.ObjectCompany, "siret", []string{simkit.CompanyAt(2).SIRET, simkit.CompanyAt(3).SIRET}, 2},
		{connectors.ObjectContact, "last_name", []string{simkit.PersonAt(0).LastName}, 16},
	}
	for _, c := range cases {
		t.Run(c.object+" by "+c.field, func(t *testing.T) {
			recs, err := f.c.FindByKey(ctx, c.object, c.field, c.values)
			require.NoError(t, err)
			assert.Len(t, recs, c.want)
			for _, r := range recs {
				assert.NotEmpty(t, r.ID)
				if c.object == connectors.ObjectContact {
					assert.NotEmpty(t, r.Links["company"])
				}
			}
		})
	}
	_, err := f.c.FindByKey(ctx, connectors.ObjectCompany, "website", []string{"x"})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))

	ids := dumpIDs(f.sim.Dump("contacts"))
	got, err := f.c.Get(ctx, connectors.ObjectContact, []string{ids[3], "424242", "not-an-id", ids[0]})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []string{ids[0], ids[3]}, []string{got[0].ID, got[1].ID})
}

func TestDescribeAndCustomFields(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 5)
	fields, err := f.c.Describe(ctx, connectors.ObjectCompany)
	require.NoError(t, err)
	byName := map[string]connectors.Field{}
	for _, fl := range fields {
		byName[fl.Name] = fl
	}
	for _, n := range []string{"name", "email", "website", "phone_number", "mobile_number", "siret", "type", "note"} {
		assert.Contains(t, byName, n)
	}
	assert.True(t, byName["name"].Required)
	assert.Equal(t, "simple-text", byName["cf.segment"].Type)
	assert.Equal(t, "select", byName["cf.secteur"].Type)
	assert.Len(t, byName["cf.secteur"].Options, 3)
	assert.Equal(t, "boolean", byName["cf.newsletter"].Type)

	cfields, err := f.c.Describe(ctx, connectors.ObjectContact)
	require.NoError(t, err)
	var names []string
	for _, fl := range cfields {
		names = append(names, fl.Name)
	}
	assert.Equal(t, []string{"civility", "first_name", "last_name", "email", "phone_number", "mobile_number", "position", "note",
		"unsubscribed.email", "unsubscribed.sms", "unsubscribed.phone", "unsubscribed.postal", "cf.segment", "cf.newsletter"}, names[:14])

	id := dumpIDs(f.sim.Dump("companies"))[0]
	res, err := f.c.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: id, Fields: map[string]any{
		"cf.secteur": "Services", "cf.newsletter": true, "cf.segment": "PME", "note": "hello",
	}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err := f.c.Get(ctx, connectors.ObjectCompany, []string{id})
	require.NoError(t, err)
	assert.Equal(t, "Services", got[0].Fields["cf.secteur"])
	assert.Equal(t, true, got[0].Fields["cf.newsletter"])
	assert.Equal(t, "PME", got[0].Fields["cf.segment"])
	assert.Equal(t, "hello", got[0].Fields["note"])

	res, err = f.c.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: id, Fields: map[string]any{"cf.secteur": "Astrologie"}}})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
}

func TestDelete(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 3)
	ids := dumpIDs(f.sim.Dump("contacts"))
	res, err := f.c.Delete(ctx, connectors.ObjectContact, []string{ids[0], "999999", ids[2]})
	require.NoError(t, err)
	for _, r := range res {
		assert.NoError(t, r.Err)
	}
	assert.Equal(t, 1, f.sim.Count("contacts"))
}

func TestConfig(t *testing.T) {
	_, err := New(Config{ClientID: "a", ClientSecret: "b", CompanyType: "partner"})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	_, err = New(Config{})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	c, err := New(Config{ClientID: "a", ClientSecret: "b", HTTPClient: &http.Client{}})
	require.NoError(t, err)
	assert.Equal(t, "sellsy", c.System())
	assert.Equal(t, "https://api.sellsy.com/v2", c.cfg.APIURL)
	assert.Equal(t, "prospect", c.cfg.CompanyType)
	_, err = c.List(ctx, "deal", connectors.ListQuery{})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.False(t, strings.Contains(err.Error(), "b"+"b"))
}

// A 429 asking for a short wait (the second window, which another connector on the account
// may have spent) is waited out inside the call, twice at most; a third is the caller's.
func TestShortQuotaRefusalsAreWaitedOut(t *testing.T) {
	tests := []struct {
		name    string
		refused int
		wantErr bool
	}{
		{"one refusal", 1, false},
		{"two refusals", 2, false},
		{"three refusals", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 1)
			ctx := context.Background()
			_, err := f.c.Describe(ctx, connectors.ObjectCompany) // token and custom fields first
			require.NoError(t, err)
			f.setFaults(t, simkit.Faults{RateLimitNext: tt.refused})
			start := time.Now()
			recs, err := f.c.Get(ctx, connectors.ObjectCompany, []string{"1"})
			if tt.wantErr {
				assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
				return
			}
			require.NoError(t, err)
			assert.Len(t, recs, 1)
			assert.GreaterOrEqual(t, time.Since(start), time.Duration(tt.refused)*time.Second, "it waited the second asked each time")
		})
	}
}
