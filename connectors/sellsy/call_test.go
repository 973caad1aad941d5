package sellsy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

func TestCall(t *testing.T) {
	f := setup(t, sim.Options{}, true)
	f.sim.SeedPeople(0, 1)
	ctx := context.Background()
	tests := []struct {
		name         string
		method, path string
		query        url.Values
		body         string
		status       int
		want         string
		kind         connectors.Kind
	}{
		{"get", "GET", "/companies/1", nil, "", 200, `"id":1`, ""},
		{"query merged", "GET", "/staffs?limit=1", url.Values{"direction": {"desc"}}, "", 200, `"count":1`, ""},
		{"create task", "post", "/tasks", nil, `{"title":"T","due_date":"2026-03-05T09:00:00Z","label_id":1,"related":[]}`, 201, `"title":"T"`, ""},
		{"refused: body kept", "POST", "/tasks", nil, `{"title":"T"}`, 400, `"due_date"`, connectors.KindInvalid},
		{"not found", "GET", "/tasks/1", nil, "", 404, "Not Found", connectors.KindInvalid},
		{"not json", "POST", "/tasks", nil, `{`, 0, "", connectors.KindInvalid},
		{"absolute", "GET", "http://x/y", nil, "", 0, "", connectors.KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := f.c.Call(ctx, tc.method, tc.path, tc.query, []byte(tc.body))
			assert.Equal(t, tc.status, status)
			assert.Contains(t, string(body), tc.want)
			if tc.kind == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Equal(t, tc.kind, connectors.KindOf(err))
			}
		})
	}

	// An expired token is refreshed once, transparently.
	f.clock.Advance(2 * time.Hour)
	status, _, err := f.c.Call(ctx, "GET", "/staffs", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 200, status)

	// A spent quota is rate-limited with a delay.
	f.setFaults(t, simkit.Faults{RateLimitRate: 1})
	status, _, err = f.c.Call(ctx, "GET", "/staffs", nil, nil)
	assert.Equal(t, 429, status)
	assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
	assert.Equal(t, time.Second, connectors.RetryAfterOf(err))
}

func TestCallV1(t *testing.T) {
	f := setup(t, sim.Options{V1ConsumerToken: "ck", V1ConsumerSecret: "c s&x", V1UserToken: "ut", V1UserSecret: "us"}, false)
	f.sim.SeedPeople(0, 1)
	ctx := context.Background()
	oauth := f.client(t, testSecret)
	oauth.SetV1(V1Credentials{ConsumerToken: "ck", ConsumerSecret: "c s&x", UserToken: "ut", UserSecret: "us"})
	wrong := f.client(t, testSecret)
	wrong.SetV1(V1Credentials{ConsumerToken: "ck", ConsumerSecret: "nope", UserToken: "ut", UserSecret: "us"})
	tests := []struct {
		name   string
		c      *Client
		method string
		params any
		want   string
		kind   connectors.Kind
	}{
		{"oauth1", oauth, "Prospects.getList", map[string]any{"pagination": map[string]any{"nbperpage": 1, "pagenum": 1}}, `"nbtotal":1`, ""},
		{"v2 bearer", f.c, "Infos.getInfos", nil, "corporation", ""},
		{"unknown method", oauth, "No.pe", nil, "", connectors.KindInvalid},
		{"not loadable", oauth, "Client.getOne", map[string]any{"clientid": 9}, "", connectors.KindInvalid},
		{"signature refused", wrong, "Infos.getInfos", nil, "", connectors.KindConfig},
		{"no method", oauth, "", nil, "", connectors.KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.c.CallV1(ctx, tc.method, tc.params)
			if tc.kind != "" {
				require.Error(t, err)
				assert.Equal(t, tc.kind, connectors.KindOf(err))
				assert.NotContains(t, err.Error(), "nope")
				return
			}
			require.NoError(t, err)
			assert.Contains(t, string(resp), tc.want)
		})
	}
	f.setFaults(t, simkit.Faults{RateLimitRate: 1})
	_, err := oauth.CallV1(ctx, "Infos.getInfos", nil)
	assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
}

// Every API V1 error code of the reference (§2.2) has its class: the caller's request or
// data (invalid, never retried), the account (configuration), the quota, or Sellsy's side.
func TestV1Kind(t *testing.T) {
	tests := []struct {
		code string
		kind connectors.Kind
	}{
		{"E_IO_MODE_DONT_EXIST", connectors.KindInvalid},
		{"E_IO_MODE_DO_IN_MISSING", connectors.KindInvalid},
		{"E_DO_IN_WRONG_FORMAT", connectors.KindInvalid},
		{"E_DO_IN_PARAM_MISSING", connectors.KindInvalid},
		{"E_METHOD_DONT_EXIT", connectors.KindInvalid},
		{"E_PARAM_MISSING", connectors.KindInvalid},
		{"E_PARAM_INVALID", connectors.KindInvalid},
		{"E_PARAM_REQUIRED", connectors.KindInvalid},
		{"E_OBJ_NOT_LOADABLE", connectors.KindInvalid},
		{"E_OBJ_NOT_EDITABLE", connectors.KindInvalid},
		{"E_OBJ_NOT_LOADED", connectors.KindInvalid},
		{"E_LIST_DONT_EXIST", connectors.KindInvalid},
		{"E_LIST_VALUE_DONT_EXIST", connectors.KindInvalid},
		{"E_PAGINATION_MAX", connectors.KindInvalid},
		{"E_CUSTOM", connectors.KindInvalid},
		{"E_USER_NOT_LOGGED", connectors.KindConfig},
		{"E_PRIV_NOT_ALLOWED", connectors.KindConfig},
		{"E_SUBSCRIBE_HAVETO", connectors.KindConfig},
		{"E_CORPORATION_BLOCKED", connectors.KindConfig},
		{"E_PLUGIN_NOT_LOADED", connectors.KindConfig},
		{"E_QUOTA_NOT_SUFFICIENT", connectors.KindConfig},
		{"E_FEATURE_DISABLED", connectors.KindConfig},
		{"E_LICENCE_BLOCKED", connectors.KindConfig},
		{"E_LICENCE_NO", connectors.KindConfig},
		{"E_LIMIT_REQUEST_REACHED", connectors.KindRateLimited},
		{"E_UNKNOW", connectors.KindRetryable},
		{"E_SERVICE_UNVAILABLE", connectors.KindRetryable},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			assert.Equal(t, tc.kind, v1Kind(tc.code))
		})
	}
}

// Only a refusal is read for oauth_problem=: an answer that is not a 2xx, or a body that is
// not V1's JSON envelope. A successful envelope whose data holds the text (a note, a name) is
// the answer, and a 2xx is never followed by the call sent again: it used to drop the token
// and send the call once more, applying a write twice.
func TestCallV1ReadsOAuthProblemOnlyInARefusal(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		hits   int64 // V1 requests sent
		kind   connectors.Kind
	}{
		{"the text in a successful envelope", 200, `{"status":"success","response":{"id":7,"note":"see oauth_problem=token_rejected"}}`, 1, ""},
		{"a 2xx that is no envelope: refused, not sent again", 200, "oauth_problem=token_rejected", 1, connectors.KindConfig},
		{"a 401: sent again once with a new token", 401, "oauth_problem=token_rejected", 2, connectors.KindConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New(sim.Options{ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: -1})
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/0/") {
					hits.Add(1)
					w.WriteHeader(tc.status)
					_, _ = w.Write([]byte(tc.body))
					return
				}
				s.ServeHTTP(w, r)
			}))
			defer srv.Close()
			c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
				ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 1000})
			require.NoError(t, err)
			resp, err := c.CallV1(context.Background(), "Client.update", map[string]any{"id": 7})
			assert.Equal(t, tc.hits, hits.Load())
			if tc.kind == "" {
				require.NoError(t, err)
				assert.Contains(t, string(resp), `"id":7`)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.kind, connectors.KindOf(err))
			assert.Contains(t, err.Error(), "token_rejected")
		})
	}
}
