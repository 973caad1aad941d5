package mautic

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/calltest"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

func TestCall(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 3)
	ctx := context.Background()
	tests := []struct {
		name         string
		method, path string
		query        url.Values
		body         string
		status       int
		want         string
	}{
		{"get", "GET", "/api/contacts/1", nil, "", 200, `"email":"person000000@example.com"`},
		{"query merged", "get", "/api/contacts?limit=1", url.Values{"start": {"1"}}, "", 200, `{"total":"3","contacts":{"2":{`},
		{"create", "POST", "/api/companies/new", nil, `{"companyname":"Call Corp"}`, 201, `"companyname":"Call Corp"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := e.client.Call(ctx, tc.method, tc.path, tc.query, []byte(tc.body))
			require.NoError(t, err)
			assert.Equal(t, tc.status, status)
			assert.Contains(t, string(body), tc.want)
		})
	}
}

func TestCallWriteIsReadBack(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 1)
	ctx := context.Background()
	status, body, err := e.client.Call(ctx, "PATCH", "/api/contacts/1/edit", nil, []byte(`{"firstname":"Zoé","points":7}`))
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), `"firstname":"Zoé"`)
	all := e.sim.Dump("contacts")[0]["fields"].(map[string]any)["all"].(map[string]any)
	assert.Equal(t, "Zoé", all["firstname"])
	assert.EqualValues(t, 7, all["points"])
}

func TestCallRefusedBeforeAnyRequest(t *testing.T) {
	e := setup(t, sim.Options{})
	calltest.RefusedAll(t, e.client, []calltest.Case{
		{Name: "outside the API", Method: "GET", Path: "/s/contacts", Want: "under /api/"},
		{Name: "absolute URL", Method: "GET", Path: "https://evil.example/api/contacts", Want: "must be relative"},
		{Name: "climbing", Method: "GET", Path: "/api/../s/config", Want: "must be relative"},
		{Name: "method", Method: "TRACE", Path: "/api/contacts", Want: "not one of"},
		{Name: "body not JSON", Method: "POST", Path: "/api/contacts/new", Body: `{"firstname":`, Want: "body is not JSON"},
	})
	assert.Zero(t, e.sim.Kit().Total(), "no request reached Mautic")
}

func TestCallErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		faults     simkit.Faults
		password   string
		method     string
		path, body string
		kind       connectors.Kind
		status     int
		op         string
		want       string
	}{
		{name: "not found", method: "GET", path: "/api/contacts/999", kind: connectors.KindInvalid, status: 404,
			op: "GET /api/contacts/{id}", want: "Item was not found."},
		{name: "refused body", method: "PATCH", path: "/api/contacts/1/edit", body: `{"email":"not an e-mail"}`,
			kind: connectors.KindInvalid, status: 400, op: "PATCH /api/contacts/{id}/edit", want: `"errors"`},
		{name: "wrong password", password: pass + "x", method: "GET", path: "/api/contacts", kind: connectors.KindConfig,
			status: 401, op: "GET /api/contacts", want: "API authorization denied."},
		// Refused three times: a short wait is taken twice within the call (connectors.Retry).
		{name: "rate limited", faults: simkit.Faults{RateLimitNext: 3}, method: "GET", path: "/api/contacts/1",
			kind: connectors.KindRateLimited, status: 429, op: "GET /api/contacts/{id}", want: "rate limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			e.sim.SeedPeople(0, 1)
			c := e.client
			if tc.password != "" {
				var err error
				c, err = New(Config{BaseURL: e.srv.URL, Username: user, Password: tc.password})
				require.NoError(t, err)
			}
			e.sim.Kit().SetFaults(tc.faults)
			status, body, err := c.Call(ctx, tc.method, tc.path, nil, []byte(tc.body))
			ce := kindOf(t, err)
			assert.Equal(t, tc.kind, ce.Kind, err.Error())
			assert.Equal(t, tc.status, ce.Status)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.op, ce.Op)
			assert.Contains(t, string(body), tc.want)
			assert.NotContains(t, err.Error(), pass)
			if tc.kind == connectors.KindRateLimited {
				assert.Equal(t, time.Second, connectors.RetryAfterOf(err))
				assert.Equal(t, 3, e.sim.Kit().Total(), "tried three times")
			}
		})
	}
}

func TestCallHourlyQuota(t *testing.T) {
	e := setup(t, sim.Options{RequestsPerHour: 1})
	ctx := context.Background()
	_, _, err := e.client.Call(ctx, "GET", "/api/contacts", nil, nil)
	require.NoError(t, err)
	status, _, err := e.client.Call(ctx, "GET", "/api/contacts", nil, nil)
	assert.Equal(t, 429, status)
	assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
	assert.Equal(t, time.Hour, connectors.RetryAfterOf(err), "until the hour's window ends (X-RateLimit-Reset)")
}
