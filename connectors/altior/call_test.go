package altior

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
	"github.com/crmsync/crmsync/connectors/calltest"
	"github.com/crmsync/crmsync/connectors/simkit"
)

func TestCall(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedTiers(0, 6) // T000001 (people 0-4) and T000007 (person 5)
	ctx := context.Background()
	tests := []struct {
		name         string
		method, path string
		query        url.Values
		body         string
		status       int
		want         string
	}{
		{"get", "GET", "/api/v1/tiers/T000001", nil, "", 200, `"id":"T000001"`},
		{"query merged", "get", "/api/v1/tiers?page_size=1", url.Values{"page": {"2"}}, "", 200, `"page":2,"page_size":1,"total":2`},
		{"create", "POST", "/api/v1/tiers", nil, `{"kind":"moral","relation":"prospect","name":"Call Corp","establishment_id":"E1"}`, 201, `"name":"Call Corp"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := e.client.Call(ctx, tc.method, tc.path, tc.query, []byte(tc.body))
			require.NoError(t, err)
			assert.Equal(t, tc.status, status)
			assert.Contains(t, string(body), tc.want)
		})
	}
	assert.Equal(t, 3, e.sim.Count(sim.ObjectTiers))
}

func TestCallWriteIsReadBack(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedTiers(0, 1)
	status, body, err := e.client.Call(context.Background(), "PATCH", "/api/v1/tiers/T000001", nil, []byte(`{"name":"Renamed SAS","custom_fields":{"SECT":"Lyon"}}`))
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), `"name":"Renamed SAS"`)
	got := e.sim.Dump(sim.ObjectTiers)[0]
	assert.Equal(t, "Renamed SAS", got["name"])
	assert.Equal(t, map[string]any{"SECT": "Lyon"}, got["custom_fields"])
}

func TestCallRefusedBeforeAnyRequest(t *testing.T) {
	e := setup(t, sim.Options{})
	calltest.RefusedAll(t, e.client, []calltest.Case{
		{Name: "outside the API", Method: "GET", Path: "/tiers/T000001", Want: "under /api/v1/"},
		{Name: "other version", Method: "GET", Path: "/api/v2/tiers", Want: "under /api/v1/"},
		{Name: "token", Method: "POST", Path: "/api/v1/auth/token", Body: `{"api_key":"x"}`, Want: "gets its tokens itself"},
		{Name: "absolute URL", Method: "GET", Path: "https://evil.example/api/v1/tiers", Want: "must be relative"},
		{Name: "method", Method: "HEAD", Path: "/api/v1/tiers", Want: "not one of"},
		{Name: "body not JSON", Method: "PATCH", Path: "/api/v1/tiers/T000001", Body: `name=x`, Want: "body is not JSON"},
	})
	assert.Zero(t, e.sim.Kit().Total(), "no request reached Altior, not even for a token")
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
		op, want   string
	}{
		{name: "not found", method: "GET", path: "/api/v1/tiers/T999999", kind: connectors.KindInvalid, status: 404,
			op: "GET /api/v1/tiers/{id}", want: "no such tiers"},
		{name: "refused field", method: "PATCH", path: "/api/v1/tiers/T000001", body: `{"legal_form":"NOPE"}`,
			kind: connectors.KindInvalid, status: 400, op: "PATCH /api/v1/tiers/{id}", want: `"field":"legal_form"`},
		{name: "no write right", prepare: func(e *env) { e.sim.SetReadOnly(true) }, method: "PATCH", path: "/api/v1/tiers/T000001",
			body: `{"name":"x"}`, kind: connectors.KindConfig, status: 403, op: "PATCH /api/v1/tiers/{id}", want: "no write right"},
		// Refused three times: a short wait is taken twice within the call (connectors.Retry).
		{name: "rate limited", prepare: func(e *env) { e.sim.Kit().SetFaults(simkit.Faults{RateLimitNext: 3}) },
			method: "GET", path: "/api/v1/tiers/T000001", kind: connectors.KindRateLimited, status: 429, op: "GET /api/v1/tiers/{id}", want: "too many requests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			e.sim.SeedTiers(0, 1)
			_, err := e.client.currentToken(ctx) // a token first: the fault hits the call
			require.NoError(t, err)
			if tc.prepare != nil {
				tc.prepare(e)
			}
			status, body, err := e.client.Call(ctx, tc.method, tc.path, nil, []byte(tc.body))
			ce := asErr(t, err)
			assert.Equal(t, tc.kind, ce.Kind, err.Error())
			assert.Equal(t, tc.status, ce.Status)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.op, ce.Op)
			assert.Contains(t, string(body), tc.want)
			assert.NotContains(t, err.Error(), apiKey)
			if tc.kind == connectors.KindRateLimited {
				assert.Equal(t, time.Second, connectors.RetryAfterOf(err))
				assert.Equal(t, 3, e.sim.Kit().Faulted(), "refused three times: two short waits within the call")
			}
		})
	}
}

func TestCallRenewsAnExpiredToken(t *testing.T) {
	e := setup(t, sim.Options{TokenTTL: 10 * time.Minute})
	e.sim.SeedTiers(0, 1)
	ctx := context.Background()
	_, _, err := e.client.Call(ctx, "GET", "/api/v1/tiers/T000001", nil, nil)
	require.NoError(t, err)
	require.Equal(t, 1, e.logins())

	e.sim.ExpireTokens() // revoked by the server: one 401, one renewal
	status, body, err := e.client.Call(ctx, "GET", "/api/v1/tiers/T000001", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), `"id":"T000001"`)
	assert.Equal(t, 2, e.logins())

	e.clock.Advance(11 * time.Minute) // expired: renewed before the call
	status, _, err = e.client.Call(ctx, "GET", "/api/v1/tiers/T000001", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Equal(t, 3, e.logins())
	assert.Equal(t, 4, e.sim.Kit().Counts()["GET /api/v1/tiers/{id}"], "three calls, one refused once (the revoked token)")
}
