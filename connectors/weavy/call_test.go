package weavy

import (
	"cmp"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/calltest"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

func TestCall(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 2)
	ctx := context.Background()
	tests := []struct {
		name         string
		method, path string
		body         string
		want         string
	}{
		{"get", "GET", "/v1/Data/crm/customer/C0000000", "", `"codecustomer":"C0000000"`},
		{"dictionary", "get", "/v1/Dictionary/crm/customercontact", "", `"entityName":"customercontact"`},
		{"select", "POST", "/v1/Data/crm/Select", `{"entityName":"customercontact","returnFields":[{"fieldName":"lastName"}]}`, `"customercontact_ID":"CC0000001"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := e.client.Call(ctx, tc.method, tc.path, nil, []byte(tc.body))
			require.NoError(t, err)
			assert.Equal(t, 200, status)
			assert.Contains(t, string(body), tc.want)
		})
	}
}

func TestCallWritesAreReadBack(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 1)
	ctx := context.Background()

	status, _, err := e.client.Call(ctx, "PUT", "/v1/Data/crm/customer/C0000000", nil, []byte(`{"city":"Lyon","workforce":12}`))
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	c := e.sim.Dump(sim.Customer)[0]
	assert.Equal(t, "Lyon", c["city"])
	assert.EqualValues(t, 12, c["workforce"])

	status, body, err := e.client.Call(ctx, "POST", "/v1/Data/crm/marketinginbound", nil, []byte(`{"email":"new.entrant@example.com","lastName":"Neuf"}`))
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), `"lastName":"Neuf"`)
	require.Equal(t, 1, e.sim.Count(sim.Marketing))
	assert.Equal(t, "new.entrant@example.com", e.sim.Dump(sim.Marketing)[0]["email"])
}

func TestCallSendsTheQuery(t *testing.T) {
	e := setup(t, sim.Options{})
	var mu sync.Mutex
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/Authenticate" {
			mu.Lock()
			got = r.URL.RawQuery
			mu.Unlock()
		}
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Project: "crm", UserName: user, Password: pass, RequestsPerSecond: 10000})
	require.NoError(t, err)
	c.now = e.clock.Now
	_, _, err = c.Call(context.Background(), "GET", "/v1/Dictionary/crm/customer?lang=FR", url.Values{"x": {"1 2"}}, nil)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, url.Values{"lang": {"FR"}, "x": {"1 2"}}, mustQuery(t, got))
}

func mustQuery(t *testing.T, raw string) url.Values {
	q, err := url.ParseQuery(raw)
	require.NoError(t, err)
	return q
}

func TestCallRefusedBeforeAnyRequest(t *testing.T) {
	e := setup(t, sim.Options{})
	calltest.RefusedAll(t, e.client, []calltest.Case{
		{Name: "outside the API", Method: "GET", Path: "/swagger/index.html", Want: "under /v1/"},
		{Name: "login", Method: "POST", Path: "/v1/authenticate", Body: `{"userName":"x"}`, Want: "logs in itself"},
		{Name: "absolute URL", Method: "GET", Path: "https://evil.example/v1/Data/crm/Select", Want: "must be relative"},
		{Name: "method", Method: "OPTIONS", Path: "/v1/Data/crm/Select", Want: "not one of"},
		{Name: "body not JSON", Method: "POST", Path: "/v1/Data/crm/customer", Body: `{"name":`, Want: "body is not JSON"},
	})
	assert.Zero(t, e.sim.Kit().Total(), "no request reached weavy, not even a login")
}

func TestCallErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		prepare    func(e *env)
		method     string
		path, body string
		kind       connectors.Kind
		status     int
		op         string
	}{
		{name: "unknown code", method: "GET", path: "/v1/Data/crm/customer/NOPE", kind: connectors.KindInvalid, status: 404,
			op: "GET /v1/Data/{project}/customer/{code}"},
		{name: "refused field", method: "PUT", path: "/v1/Data/crm/customer/C0000000", body: `{"nope":"x"}`,
			kind: connectors.KindInvalid, status: 400, op: "PUT /v1/Data/{project}/customer/{code}"},
		{name: "right off", prepare: func(e *env) { e.sim.SetRight(sim.Customer, sim.RightUpdate, false) },
			method: "PUT", path: "/v1/Data/crm/customer/C0000000", body: `{"city":"Lyon"}`,
			kind: connectors.KindConfig, status: 403, op: "PUT /v1/Data/{project}/customer/{code}"},
		// Refused three times: a short wait is taken twice within the call (connectors.Retry).
		{name: "rate limited", prepare: func(e *env) { e.sim.Kit().SetFaults(simkit.Faults{RateLimitNext: 3}) },
			method: "GET", path: "/v1/Dictionary/crm/customer", kind: connectors.KindRateLimited, status: 429,
			op: "GET /v1/Dictionary/{project}/customer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			e.sim.SeedPeople(0, 1)
			_, err := e.client.currentToken(ctx) // logged in: the fault hits the call
			require.NoError(t, err)
			if tc.prepare != nil {
				tc.prepare(e)
			}
			status, _, err := e.client.Call(ctx, tc.method, tc.path, nil, []byte(tc.body))
			ce := connErr(t, err)
			assert.Equal(t, tc.kind, ce.Kind, err.Error())
			assert.Equal(t, tc.status, ce.Status)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.op, ce.Op)
			assert.NotContains(t, err.Error(), pass)
			if tc.kind == connectors.KindRateLimited {
				assert.Equal(t, time.Second, connectors.RetryAfterOf(err))
				assert.Equal(t, 3, e.sim.Kit().Faulted(), "refused three times: two short waits within the call")
			}
		})
	}
}

func TestCallRenewsAnExpiredToken(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	_, _, err := e.client.Call(ctx, "GET", "/v1/Dictionary/crm/customer", nil, nil)
	require.NoError(t, err)
	require.Equal(t, 1, e.sim.Logins())

	e.sim.ExpireTokens() // refused by the server: one 401, one renewal
	status, body, err := e.client.Call(ctx, "GET", "/v1/Dictionary/crm/customer", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), `"entityName":"customer"`)
	assert.Equal(t, 2, e.sim.Logins())
	assert.Equal(t, 1, e.status(http.StatusUnauthorized))

	e.clock.Advance(13 * time.Hour) // past expiresIn: renewed before the call
	_, _, err = e.client.Call(ctx, "GET", "/v1/Dictionary/crm/customer", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, e.sim.Logins())
	assert.Equal(t, 1, e.status(http.StatusUnauthorized))
}

// A right switched off is named by Call as by the sync's own calls — the table and the studio
// column — when the route tells the table (the path, or a Select's entityName) and the method
// tells the right: GET and Select read (API lecture), POST inserts (API ajout), PUT updates
// (API MAJ). It was weavy's bare "Forbidden", naming neither.
func TestCallNamesTheTableAndRightSwitchedOff(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name         string
		denied       int // the status of a right off: 403, or 401 (see authState)
		table, right string
		method, path string
		body         string
		want         string
		op           string
	}{
		{name: "get one", table: sim.Customer, right: sim.RightRead, method: "GET", path: "/v1/Data/crm/customer/C0000000",
			want: "weavy: the API lecture right is off for the table Client: switch it on in the weavy studio",
			op:   "GET /v1/Data/{project}/customer/{code}"},
		{name: "select", table: sim.CustomerContact, right: sim.RightRead, method: "POST", path: "/v1/Data/crm/Select",
			body: `{"entityName":"customercontact","returnFields":[{"fieldName":"lastName"}]}`,
			want: "weavy: the API lecture right is off for the table Client / Contact: switch it on in the weavy studio",
			op:   "POST /v1/Data/{project}/Select"},
		{name: "select, the entity in capitals", table: sim.Marketing, right: sim.RightRead, method: "post", path: "/v1/Data/crm/Select",
			body: `{"entityName":"MarketingInbound","returnFields":[{"fieldName":"email"}]}`,
			want: "weavy: the API lecture right is off for the table Marketing / Entrant: switch it on in the weavy studio",
			op:   "POST /v1/Data/{project}/Select"},
		{name: "dictionary", table: sim.Customer, right: sim.RightRead, method: "GET", path: "/v1/Dictionary/crm/customer",
			want: "weavy: the API lecture right is off for the table Client: switch it on in the weavy studio",
			op:   "GET /v1/Dictionary/{project}/customer"},
		{name: "create", table: sim.Marketing, right: sim.RightInsert, method: "POST", path: "/v1/Data/crm/marketinginbound",
			body: `{"email":"new.entrant@example.com"}`,
			want: "weavy: the API ajout right is off for the table Marketing / Entrant: switch it on in the weavy studio",
			op:   "POST /v1/Data/{project}/marketinginbound"},
		{name: "update", table: sim.CustomerContact, right: sim.RightUpdate, method: "PUT", path: "/v1/Data/crm/customercontact/CC0000000",
			body: `{"city":"Lyon"}`,
			want: "weavy: the API MAJ right is off for the table Client / Contact: switch it on in the weavy studio",
			op:   "PUT /v1/Data/{project}/customercontact/{code}"},
		{name: "update refused with 401 after a new login", denied: http.StatusUnauthorized, table: sim.Customer, right: sim.RightUpdate,
			method: "PUT", path: "/v1/Data/crm/customer/C0000000", body: `{"city":"Lyon"}`,
			want: "weavy: the API MAJ right is off for the table Client: switch it on in the weavy studio",
			op:   "PUT /v1/Data/{project}/customer/{code}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			denied := cmp.Or(tc.denied, http.StatusForbidden)
			e := setup(t, sim.Options{DeniedStatus: denied})
			e.sim.SeedPeople(0, 1)
			e.sim.SetRight(tc.table, tc.right, false)
			status, _, err := e.client.Call(ctx, tc.method, tc.path, nil, []byte(tc.body))
			ce := connErr(t, err)
			assert.Equal(t, connectors.KindConfig, ce.Kind)
			assert.Equal(t, tc.want, ce.Message)
			assert.Equal(t, denied, ce.Status)
			assert.Equal(t, denied, status)
			assert.Equal(t, tc.op, ce.Op)
			if denied == http.StatusUnauthorized {
				assert.Equal(t, 2, e.sim.Logins(), "one new login tells the right from a dropped token")
			}
		})
	}
}

// A refusal whose route tells no table, or whose method tells no right, keeps weavy's own
// reason: naming a table or a right there would be a guess.
func TestCallNamesNoTableItCannotTell(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name         string
		method, path string
		body         string
	}{
		{name: "a select without entityName", method: "POST", path: "/v1/Data/crm/Select", body: `{"offset":0}`},
		{name: "a select whose body is not an object", method: "POST", path: "/v1/Data/crm/Select", body: `[1]`},
		{name: "a delete", method: "DELETE", path: "/v1/Data/crm/customer/C0000000"},
		{name: "a patch", method: "PATCH", path: "/v1/Data/crm/customer/C0000000", body: `{"city":"Lyon"}`},
		{name: "the data root", method: "GET", path: "/v1/Data/crm"},
		{name: "another API", method: "GET", path: "/v1/entrypoints/crm/process/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			_, err := e.client.currentToken(ctx)
			require.NoError(t, err)
			e.failWith = func(r *http.Request, _ []byte) int {
				if r.URL.Path != "/v1/Authenticate" {
					return http.StatusForbidden
				}
				return 0
			}
			status, _, err := e.client.Call(ctx, tc.method, tc.path, nil, []byte(tc.body))
			ce := connErr(t, err)
			assert.Equal(t, connectors.KindConfig, ce.Kind)
			assert.Equal(t, http.StatusForbidden, status)
			assert.Equal(t, "Forbidden", ce.Message)
		})
	}
}

// A field whose own right is off fails a Call as it fails a record of the sync: KindInvalid
// naming the field and the table, not the table's right.
func TestCallNamesAFieldRefused(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 1)
	e.sim.SetFieldRight(sim.Customer, "city", sim.RightUpdate, false)
	status, _, err := e.client.Call(context.Background(), "PUT", "/v1/Data/crm/customer/C0000000", nil, []byte(`{"city":"Lyon"}`))
	ce := connErr(t, err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind, err.Error())
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, ce.Message, "weavy refused the field city of the table Client")
	assert.Contains(t, ce.Fields, "city")
}

// A table the connector does not sync, reached by a Call, is named by its entity: the
// studio's name of it is not known here.
func TestCallNamesATableItDoesNotSyncByItsEntity(t *testing.T) {
	e := setup(t, sim.Options{})
	e.failWith = func(r *http.Request, _ []byte) int {
		if r.URL.Path != "/v1/Authenticate" {
			return http.StatusForbidden
		}
		return 0
	}
	_, _, err := e.client.Call(context.Background(), "PUT", "/v1/Data/crm/intervention/I001", nil, []byte(`{"comment":"x"}`))
	ce := connErr(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.Equal(t, "weavy: the API MAJ right is off for the table intervention: switch it on in the weavy studio", ce.Message)
}
