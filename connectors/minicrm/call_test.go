package minicrm

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/calltest"
	"github.com/crmsync/crmsync/connectors/simkit"
)

func TestCall(t *testing.T) {
	s, cl, _ := setup(t, 0)
	ctx := context.Background()
	biz := create(t, cl, "business", connectors.Record{Fields: map[string]any{"Name": "Acme Kft"}},
		connectors.Record{Fields: map[string]any{"Name": "Other Kft"}})[0]
	tests := []struct {
		name         string
		method, path string
		query        url.Values
		want         string
	}{
		{"get", "GET", "/Api/R3/Contact/" + biz, nil, `"Name":"Acme Kft"`},
		{"query merged", "get", "/Api/R3/Contact?Type=Business", url.Values{"Name": {"Acme Kft"}}, `"Count":1`},
		{"modules", "GET", "/Api/R3/Category", url.Values{"Detailed": {"1"}}, `"Orders"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := cl.Call(ctx, tc.method, tc.path, tc.query, nil)
			require.NoError(t, err)
			assert.Equal(t, 200, status)
			assert.Contains(t, string(body), tc.want)
		})
	}
	assert.Equal(t, 2, s.Count("business"))
}

func TestCallWritesAreReadBack(t *testing.T) {
	s, cl, _ := setup(t, 0)
	ctx := context.Background()
	status, body, err := cl.Call(ctx, "PUT", "/Api/R3/Contact", nil, []byte(`{"Type":"Business","Name":"Call Kft","VatNumber":"HU1"}`))
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Contains(t, string(body), `"Id":`)
	require.Len(t, s.Dump("business"), 1)
	id := s.Dump("business")[0]["Id"]

	status, _, err = cl.Call(ctx, "PUT", "/Api/R3/Contact/"+str(id), nil, []byte(`{"Name":"Renamed Kft"}`))
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	got := s.Dump("business")[0]
	assert.Equal(t, "Renamed Kft", got["Name"])
	assert.Equal(t, "HU1", got["VatNumber"])
}

func TestCallRefusedBeforeAnyRequest(t *testing.T) {
	s, cl, _ := setup(t, 0)
	calltest.RefusedAll(t, cl, []calltest.Case{
		{Name: "outside the API", Method: "GET", Path: "/R3/Contact/1", Want: "under /Api/"},
		{Name: "absolute URL", Method: "GET", Path: "https://evil.example/Api/R3/Contact", Want: "must be relative"},
		{Name: "climbing", Method: "GET", Path: "/Api/../admin", Want: "must be relative"},
		{Name: "method", Method: "CONNECT", Path: "/Api/R3/Contact", Want: "not one of"},
		{Name: "body not JSON", Method: "PUT", Path: "/Api/R3/Contact", Body: `{"Type":"Business",}`, Want: "body is not JSON"},
	})
	assert.Zero(t, s.Kit().Total(), "no request reached MiniCRM")
}

func TestCallErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		key        string
		faults     simkit.Faults
		method     string
		path, body string
		kind       connectors.Kind
		status     int
		op, want   string
	}{
		{name: "not found", method: "GET", path: "/Api/R3/Contact/999", kind: connectors.KindInvalid, status: 404,
			op: "GET /Api/R3/Contact/{id}", want: "no contact with id '999'"},
		{name: "unknown field", method: "PUT", path: "/Api/R3/Contact", body: `{"Type":"Business","Name":"X","Nope":1}`,
			kind: connectors.KindInvalid, status: 400, op: "PUT /Api/R3/Contact", want: "Unknown field 'Nope'"},
		{name: "wrong API key", key: "wrong-key", method: "GET", path: "/Api/R3/Category", kind: connectors.KindConfig,
			status: 401, op: "GET /Api/R3/Category", want: "Unauthorized"},
		// A 429 without Retry-After waits a whole sliding minute, too long to wait within the
		// call: the first 429 goes back.
		{name: "rate limited", faults: simkit.Faults{RateLimitNext: 3}, method: "GET", path: "/Api/R3/Category",
			kind: connectors.KindRateLimited, status: 429, op: "GET /Api/R3/Category", want: "Too Many Requests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, cl, _ := setup(t, 0)
			if tc.key != "" {
				c, err := New(Config{BaseURL: cl.base, SystemID: "12345", APIKey: tc.key, RequestsPerMinute: 600000})
				require.NoError(t, err)
				cl = c
			}
			s.Kit().SetFaults(tc.faults)
			status, body, err := cl.Call(ctx, tc.method, tc.path, nil, []byte(tc.body))
			var ce *connectors.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.kind, ce.Kind, err.Error())
			assert.Equal(t, tc.status, ce.Status)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.op, ce.Op)
			assert.Contains(t, string(body), tc.want)
			assert.NotContains(t, err.Error(), apiKey)
			if tc.kind == connectors.KindRateLimited {
				assert.Positive(t, connectors.RetryAfterOf(err))
				assert.Equal(t, 1, s.Kit().Faulted(), "not tried again within the call")
			}
		})
	}
}

func TestCallQuota(t *testing.T) {
	_, cl, clk := setup(t, 1) // one request a minute
	ctx := context.Background()
	_, _, err := cl.Call(ctx, "GET", "/Api/R3/Category", nil, nil)
	require.NoError(t, err)
	status, body, err := cl.Call(ctx, "GET", "/Api/R3/Category", nil, nil)
	assert.Equal(t, 429, status)
	assert.Contains(t, string(body), "the limit is 1 requests a minute")
	assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
	d := connectors.RetryAfterOf(err)
	assert.Equal(t, time.Minute, d, "a whole sliding window")

	clk.Advance(time.Minute) // the window frees up
	status, _, err = cl.Call(ctx, "GET", "/Api/R3/Category", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, status)
}

func TestCallWaitsForTheLimiter(t *testing.T) {
	s, _, _ := setup(t, 0)
	cl, err := New(Config{BaseURL: serve(t, s).URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 60})
	require.NoError(t, err)
	// The limiter's next token is a second after the first call: a deadline short of that
	// second, with room for the first call on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
	defer cancel()
	_, _, err = cl.Call(ctx, "GET", "/Api/R3/Category", nil, nil) // the limiter's one token
	require.NoError(t, err)
	status, _, err := cl.Call(ctx, "GET", "/Api/R3/Category", nil, nil) // the next is a second away
	require.Error(t, err)
	assert.Zero(t, status)
	assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "rate limiter")
	assert.Equal(t, 1, s.Kit().Total(), "the second call never left")
}
