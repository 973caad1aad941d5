package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With ScopesNotInToken the token response names no scope, as Sellsy's, and the scopes are
// still enforced, on the probes the connector sends (GET ?limit=1, POST ?verify=true) too.
func TestScopesNotInTokenStillEnforced(t *testing.T) {
	e := newEnv(t, Options{Scopes: []string{"companies.read", "contacts.read", "contacts.write"}, ScopesNotInToken: true})
	resp, err := http.PostForm(e.srv.URL+"/oauth2/access-tokens", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"s3cr3t"}})
	require.NoError(t, err)
	var tok map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	assert.NotContains(t, tok, "scope")
	assert.NotEmpty(t, tok["access_token"])

	tests := []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/v2/companies?limit=1", nil, 200},
		{"POST", "/v2/companies?verify=true", map[string]any{"type": "prospect", "name": "probe"}, 403},
		{"GET", "/v2/contacts?limit=1", nil, 200},
		{"POST", "/v2/contacts?verify=true", map[string]any{"last_name": "probe"}, 204},
		{"GET", "/v2/individuals?limit=1", nil, 403},
		{"GET", "/v2/custom-fields?limit=1", nil, 403},
		{"POST", "/v2/opportunities?verify=true", map[string]any{}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.call(tt.method, tt.path, tt.body, false)
			require.Equal(t, tt.status, r.status, string(r.raw))
			if tt.status == 403 {
				assert.EqualValues(t, 403, r.body["error"].(map[string]any)["code"])
			}
		})
	}
	assert.Zero(t, e.sim.Count("companies")+e.sim.Count("contacts"), "verify=true persists nothing")
}
