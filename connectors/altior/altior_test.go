package altior

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/crmsync/crmsync/connectors/altior/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

const apiKey = "ak-very-secret-123"

type env struct {
	sim    *sim.Server
	srv    *httptest.Server
	client *Client
	clock  *simkit.Clock
}

func setup(t *testing.T, o sim.Options) *env {
	t.Helper()
	clk := simkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	o.APIKey, o.Now = apiKey, clk.Now
	s := sim.New(o)
	srv := httptest.NewServer(s) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	e := &env{sim: s, srv: srv, clock: clk}
	e.client = e.newClient(t, apiKey)
	return e
}

// seedTier seeds one tiers and returns its id, as the connector lists it.
func (e *env) seedTier(t *testing.T) string {
	t.Helper()
	e.sim.SeedTiers(0, 1)
	tiers, err := e.client.List(context.Background(), connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	return tiers.Records[0].ID
}

// refClient is a client of e that creates records as the reference user, in the
// establishment named (by its id or its name).
func (e *env) refClient(t *testing.T, establishment string) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: e.srv.URL, APIKey: apiKey, RequestsPerSecond: 1000, ReferenceUserEmail: sim.RefUserEmail, Establishment: establishment})
	require.NoError(t, err)
	c.now = e.clock.Now
	return c
}

func (e *env) newClient(t *testing.T, key string) *Client {
	c, err := New(Config{BaseURL: e.srv.URL, APIKey: key, RequestsPerSecond: 10000})
	require.NoError(t, err)
	c.now = e.clock.Now
	return c
}

func (e *env) logins() int { return e.sim.Kit().Counts()["POST /api/v1/auth/token"] }

func asErr(t *testing.T, err error) *connectors.Error {
	t.Helper()
	var ce *connectors.Error
	require.True(t, errors.As(err, &ce), "want *connectors.Error, got %v", err)
	return ce
}

func TestNewValidatesConfig(t *testing.T) {
	for _, c := range []Config{{BaseURL: "ftp://x", APIKey: "k"}, {BaseURL: "http://x"}, {BaseURL: ""}} {
		_, err := New(c)
		assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	}
}

func TestTokenRenewal(t *testing.T) {
	ctx := context.Background()
	e := setup(t, sim.Options{TokenTTL: 10 * time.Minute})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.client.Users(ctx)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, e.logins(), "one login under 8 concurrent calls")

	e.clock.Advance(9*time.Minute + 30*time.Second) // inside the renewal margin
	_, err := e.client.Users(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, e.logins(), "renewed before expiry")

	e.sim.ExpireTokens() // server-side revocation → one 401, one renewal
	_, err = e.client.Establishments(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, e.logins())
	assert.Equal(t, 2, e.sim.Kit().Counts()["GET /api/v1/establishments"], "one 401, one retry")

	bad := e.newClient(t, "wrong-key")
	_, err = bad.Users(ctx)
	ce := asErr(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.NotContains(t, err.Error(), "wrong-key")
}

func TestParameters(t *testing.T) {
	ctx := context.Background()
	e := setup(t, sim.Options{})
	civ, err := e.client.ValueList(ctx, ListCivilities)
	require.NoError(t, err)
	assert.Equal(t, []ValueItem{{"MME", "Madame", "Mme"}, {"M", "Monsieur", "M."}}, civ)
	es, err := e.client.Establishments(ctx)
	require.NoError(t, err)
	assert.Len(t, es, 2)
	us, err := e.client.Users(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ref@example.com", us[0].Email)
	ets, err := e.client.EventTypes(ctx)
	require.NoError(t, err)
	assert.Equal(t, "QUALIF", ets[0].Code)
	assert.Equal(t, "PERDUE", ets[len(ets)-1].Code)
	_, err = e.client.ValueList(ctx, "nope")
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))

	fields, err := e.client.Describe(ctx, ObjectAffaire)
	require.NoError(t, err)
	names := map[string]connectors.Field{}
	for _, f := range fields {
		names[f.Name] = f
	}
	assert.Contains(t, names, "cf.PIPE")
	assert.Contains(t, names, "cf.ETAP")
	assert.True(t, names["events"].ReadOnly)
	fields, err = e.client.Describe(ctx, connectors.ObjectCompany)
	require.NoError(t, err)
	names = map[string]connectors.Field{}
	for _, f := range fields {
		names[f.Name] = f
	}
	for _, n := range []string{"siret", "phone.PORTABLE", "email.COMPTABILITE", "url.WEB", "cf.SECT", "establishment_id"} {
		assert.Contains(t, names, n)
	}
	assert.Len(t, names["legal_form"].Options, 7)
	fields, err = e.client.Describe(ctx, connectors.ObjectContact)
	require.NoError(t, err)
	assert.Equal(t, "role", fields[1].Name)
	assert.Len(t, fields[1].Options, 4)
	var required []string
	for _, f := range fields {
		if f.Required {
			required = append(required, f.Name)
		}
	}
	assert.Equal(t, []string{"last_name"}, required, "API.md: a contact needs its last name")
	_, err = e.client.Describe(ctx, "invoice")
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
}

func TestListPagingAndChangedSince(t *testing.T) {
	ctx := context.Background()
	e := setup(t, sim.Options{PageSize: 4})
	e.sim.SeedTiers(0, 30) // 6 tiers, 30 contacts
	for _, tc := range []struct {
		object string
		want   int
	}{{connectors.ObjectCompany, 6}, {connectors.ObjectContact, 30}} {
		t.Run(tc.object, func(t *testing.T) {
			seen := map[string]bool{}
			q := connectors.ListQuery{Limit: 100}
			pages := 0
			for {
				p, err := e.client.List(ctx, tc.object, q)
				require.NoError(t, err)
				pages++
				for _, r := range p.Records {
					assert.False(t, seen[r.ID], "no record twice")
					seen[r.ID] = true
					if tc.object == connectors.ObjectContact {
						assert.NotEmpty(t, r.Links["company"])
						assert.NotNil(t, r.Fields["email.PRINCIPAL"])
					} else {
						assert.Len(t, r.Fields["siret"], 14)
					}
				}
				if !p.More {
					break
				}
				q.Cursor = p.Cursor
			}
			assert.Len(t, seen, tc.want)
			assert.Equal(t, (tc.want+3)/4, pages)
		})
	}

	e.clock.Advance(time.Minute)
	since := e.clock.Now()
	all, err := e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	res, err := e.client.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: all.Records[2].ID, Fields: map[string]any{"relation": "supplier"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	p, err := e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Since: since})
	require.NoError(t, err)
	require.Len(t, p.Records, 1)
	assert.Equal(t, all.Records[2].ID, p.Records[0].ID)
	assert.Equal(t, "supplier", p.Records[0].Fields["relation"])
	assert.Equal(t, since, p.Records[0].UpdatedAt)
	assert.False(t, p.More)
}

// Records written while a listing runs move to its end (the listing is sorted by updated_at):
// with a keyset cursor none is skipped for that, and the changed ones are read again there.
func TestListSkipsNoneWhenRecordsChangeMidListing(t *testing.T) {
	tests := []struct {
		name    string
		changed []int // positions in the listing, changed after the first page (0–3) is read
	}{
		{"nothing changes", nil},
		{"one read already", []int{1}},
		{"every one read already", []int{0, 1, 2, 3}},
		{"read and not read yet", []int{2, 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := setup(t, sim.Options{PageSize: 4})
			e.sim.SeedTiers(0, 30) // 30 contacts
			order := []string{}
			for _, c := range e.sim.Dump(sim.ObjectContact) {
				order = append(order, c["id"].(string))
			}
			slices.Sort(order) // seeded together: the listing is in id order
			first, err := e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, first.Records, 4)
			e.clock.Advance(time.Minute)
			for _, i := range tc.changed {
				res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: order[i], Fields: map[string]any{"last_name": "Changed"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			last := map[string]connectors.Record{}
			for _, r := range first.Records {
				last[r.ID] = r
			}
			q := connectors.ListQuery{Cursor: first.Cursor}
			for more := first.More; more; {
				p, err := e.client.List(ctx, connectors.ObjectContact, q)
				require.NoError(t, err)
				for _, r := range p.Records {
					last[r.ID] = r
				}
				more, q.Cursor = p.More, p.Cursor
			}
			assert.Len(t, last, 30, "every contact listed")
			for _, i := range tc.changed {
				assert.Equal(t, "Changed", last[order[i]].Fields["last_name"], "%s read again as changed", order[i])
			}
		})
	}
}

func TestTypedRoundTripAndFind(t *testing.T) {
	ctx := context.Background()
	e := setup(t, sim.Options{})
	res, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{
		"kind": "moral", "relation": "client", "name": "Menuiserie Dupont", "siret": "12345678900017", "legal_form": "SARL",
		"phone.FIXE": "+33 1 00 00 00 01", "phone.PORTABLE": "+33 6 00 00 00 02", "email.COMPTABILITE": "compta@dupont.example.com",
		"url.WEB": "https://dupont.example.com", "establishment_id": "E2", "owner_user_id": "U1", "cf.SECT": "Bois",
	}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	tid := res[0].ID
	assert.True(t, res[0].Created)

	got, err := e.client.Get(ctx, connectors.ObjectCompany, []string{tid, "T999999"})
	require.NoError(t, err)
	require.Len(t, got, 1, "unknown ids are left out")
	f := got[0].Fields
	assert.Equal(t, "+33 1 00 00 00 01", f["phone.FIXE"])
	assert.Equal(t, "+33 6 00 00 00 02", f["phone.PORTABLE"])
	assert.Equal(t, "compta@dupont.example.com", f["email.COMPTABILITE"])
	assert.Equal(t, "https://dupont.example.com", f["url.WEB"])
	assert.Equal(t, "Bois", f["cf.SECT"])
	assert.Equal(t, "SARL", f["legal_form"])
	assert.Nil(t, f["civility"])

	// Changing one type keeps the others; an empty value removes its type.
	res, err = e.client.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: tid, Fields: map[string]any{"phone.FIXE": "+33 1 99", "phone.PORTABLE": nil, "cf.SECT": nil}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	dump := e.sim.Dump(sim.ObjectTiers)[0]
	assert.Equal(t, []any{map[string]any{"type": "FIXE", "value": "+33 1 99"}}, dump["phones"])
	assert.Len(t, dump["emails"], 1)
	assert.Empty(t, dump["custom_fields"])

	res, err = e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{{
		Fields: map[string]any{"civility": "MME", "first_name": "Léa", "last_name": "Dupont", "role": "COMPTABLE", "email.PRINCIPAL": "Lea@Dupont.example.com", "email.ACHATS": "achats@dupont.example.com", "phone.PORTABLE": "+33 6 11"},
		Links:  map[string]string{"company": tid},
	}, {Fields: map[string]any{"last_name": "Sans tiers"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[1].Err), "a contact needs its company link")

	found, err := e.client.FindByKey(ctx, connectors.ObjectContact, "email", []string{"lea@dupont.example.com", "achats@dupont.example.com", "nobody@example.com"})
	require.NoError(t, err)
	require.Len(t, found, 1, "one contact, found by either address")
	assert.Equal(t, tid, found[0].Links["company"])
	assert.Equal(t, "achats@dupont.example.com", found[0].Fields["email.ACHATS"])
	assert.Equal(t, "COMPTABLE", found[0].Fields["role"])

	for _, key := range []struct{ field, value string }{{"siret", "12345678900017"}, {"name", "menuiserie dupont"}, {"email.COMPTABILITE", "Compta@Dupont.example.com"}} {
		found, err = e.client.FindByKey(ctx, connectors.ObjectCompany, key.field, []string{key.value})
		require.NoError(t, err)
		require.Len(t, found, 1, key.field)
		assert.Equal(t, tid, found[0].ID)
	}
	found, err = e.client.FindByKey(ctx, connectors.ObjectCompany, "email", []string{"nobody@example.com"})
	require.NoError(t, err)
	assert.Empty(t, found)
	_, err = e.client.FindByKey(ctx, connectors.ObjectCompany, "phone.FIXE", []string{"x"})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
}

func TestValueListValidation(t *testing.T) {
	ctx := context.Background()
	e := setup(t, sim.Options{})
	base := func(k string, v any) map[string]any {
		m := map[string]any{"kind": "moral", "relation": "client", "name": "X"}
		m[k] = v
		return m
	}
	cases := []struct {
		name   string
		object string
		fields map[string]any
		field  string
		list   string
	}{
		{"legal form", connectors.ObjectCompany, base("legal_form", "GMBH"), "legal_form", ListLegalForms},
		{"civility", connectors.ObjectCompany, map[string]any{"kind": "physical", "relation": "client", "last_name": "Y", "civility": "DR"}, "civility", ListCivilities},
		// A typed field's type comes from the connection file: one not in the value list is a
		// configuration error (TestTypedFieldOfADeletedTypeIsConfig).
		{"malformed e-mail", connectors.ObjectCompany, base("email.PRINCIPAL", "compta.example.com"), "emails", ""},
		{"user", connectors.ObjectCompany, base("owner_user_id", "U7"), "owner_user_id", ""},
		{"unknown field", connectors.ObjectCompany, base("fax", "1"), "fax", ""},
		{"list value", connectors.ObjectCompany, base("name", []string{"a"}), "name", ""},
	}
	recs := make([]connectors.Record, len(cases))
	for i, c := range cases {
		recs[i] = connectors.Record{Fields: c.fields}
	}
	recs = append(recs, connectors.Record{Fields: base("legal_form", "EI")})
	res, err := e.client.Create(ctx, connectors.ObjectCompany, recs)
	require.NoError(t, err, "refused records fail alone")
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ce := asErr(t, res[i].Err)
			assert.Equal(t, connectors.KindInvalid, ce.Kind)
			assert.Contains(t, ce.Fields, c.field)
			if c.list != "" {
				assert.Contains(t, ce.Error(), c.list)
				assert.Equal(t, 400, ce.Status)
			}
			assert.NotContains(t, ce.Error(), "@")
		})
	}
	require.NoError(t, res[len(cases)].Err)
	assert.Equal(t, 1, e.sim.Count(sim.ObjectTiers))

	// Contact role.
	res, err = e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"last_name": "Z", "role": "PDG"}, Links: map[string]string{"company": res[len(cases)].ID}}})
	require.NoError(t, err)
	ce := asErr(t, res[0].Err)
	assert.Contains(t, ce.Fields, "role")
	assert.Contains(t, ce.Error(), ListContactRoles)
}

func TestAffaireEventsInOrder(t *testing.T) {
	ctx := context.Background()
	e := setup(t, sim.Options{})
	e.sim.SeedTiers(0, 1)
	tid := e.sim.Dump(sim.ObjectTiers)[0]["id"].(string)
	res, err := e.client.Create(ctx, ObjectAffaire, []connectors.Record{{
		Fields: map[string]any{"title": "Rénovation", "establishment_id": "E1", "cf.PIPE": "Ventes", "cf.ETAP": "Découverte", "events": []string{"ignored"}},
		Links:  map[string]string{"company": tid},
	}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	id := res[0].ID
	for _, code := range []string{"QUALIF", "PROPOSITION", "NEGOCIATION", "PROPOSITION", "GAGNEE"} {
		e.clock.Advance(time.Second)
		require.NoError(t, e.client.AddEvent(ctx, ObjectAffaire, id, code), code) // the repeated PROPOSITION is a no-op
	}
	err = e.client.AddEvent(ctx, ObjectAffaire, id, "NOPE")
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err), "an event type Altior does not have pauses the connection (TestUnknownEventTypeIsConfig)")
	res, err = e.client.Update(ctx, ObjectAffaire, []connectors.Record{{ID: id, Fields: map[string]any{"cf.ETAP": "Signature"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err := e.client.Get(ctx, ObjectAffaire, []string{id})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, []string{"QUALIF", "PROPOSITION", "NEGOCIATION", "GAGNEE"}, got[0].Fields["events"])
	assert.Equal(t, "Ventes", got[0].Fields["cf.PIPE"])
	assert.Equal(t, "Signature", got[0].Fields["cf.ETAP"])
	assert.Equal(t, tid, got[0].Links["company"])
	p, err := e.client.List(ctx, ObjectAffaire, connectors.ListQuery{Since: e.clock.Now()})
	require.NoError(t, err)
	assert.Len(t, p.Records, 1)
}

func TestErrorClasses(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		status int
		header string
		body   string
		kind   connectors.Kind
		retry  time.Duration
	}{
		{"rate limited", 429, "7", `{"error":{"code":"rate_limited","message":"slow down"}}`, connectors.KindRateLimited, 7 * time.Second},
		{"rate limited no header", 429, "", `{}`, connectors.KindRateLimited, time.Second},
		{"server", 503, "", `{"error":{"code":"internal","message":"down for jo@example.com"}}`, connectors.KindRetryable, 0},
		{"forbidden", 403, "", `{"error":{"code":"forbidden","message":"no right"}}`, connectors.KindConfig, 0},
		{"unauthorized twice", 401, "", `{"error":{"code":"invalid_token","message":"token ` + apiKey + `"}}`, connectors.KindConfig, 0},
		{"bad request", 400, "", `{"error":{"code":"invalid","message":"page: bad","field":"page"}}`, connectors.KindInvalid, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logins := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/v1/auth/token" {
					logins++
					simkit.WriteJSON(w, 200, map[string]any{"access_token": "tok-" + fmt.Sprint(logins), "expires_in": 3600})
					return
				}
				if c.header != "" {
					w.Header().Set("Retry-After", c.header)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			cl, err := New(Config{BaseURL: srv.URL, APIKey: apiKey, RequestsPerSecond: 1000})
			require.NoError(t, err)
			_, err = cl.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
			ce := asErr(t, err)
			assert.Equal(t, c.kind, ce.Kind)
			assert.Equal(t, c.status, ce.Status)
			assert.Equal(t, c.retry, connectors.RetryAfterOf(err))
			assert.NotContains(t, err.Error(), apiKey)
			assert.NotContains(t, err.Error(), "jo@example.com")
			assert.NotContains(t, err.Error(), "tok-")
			if c.status == 401 {
				assert.Equal(t, 2, logins, "renewed once, then gave up")
			}
		})
	}
}

func TestSimFaultsAndDelete(t *testing.T) {
	ctx := context.Background()
	e := setup(t, sim.Options{})
	_, err := e.client.Users(ctx) // log in first
	require.NoError(t, err)
	e.sim.Kit().SetFaults(simkit.Faults{RateLimitRate: 1})
	_, err = e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
	assert.Equal(t, time.Second, connectors.RetryAfterOf(err))
	e.sim.Kit().SetFaults(simkit.Faults{ErrorRate: 1})
	_, err = e.client.Get(ctx, connectors.ObjectCompany, []string{"T1"})
	assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
	e.sim.Kit().SetFaults(simkit.Faults{})

	e.sim.SetReadOnly(true)
	_, err = e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"kind": "moral", "relation": "client", "name": "X"}}})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err), "403 stops the whole call")

	_, err = e.client.Delete(ctx, connectors.ObjectCompany, []string{"T1"})
	ce := asErr(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.True(t, strings.Contains(ce.Message, "deletions are not supported"))
}
