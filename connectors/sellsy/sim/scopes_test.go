package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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

// A request on a link or on a record's custom fields needs the scopes the spec lists for it,
// both resources' (Contacts_getCompanies: companies.read and contacts.read;
// Companies_linkContact: companies.write and contacts.read; …): one of them missing is a 403
// naming it.
func TestSubResourcesNeedEveryScopeTheSpecLists(t *testing.T) {
	const contact = firstContactID
	tests := []struct {
		name         string
		scopes       []string
		method, path string
		status       int
		missing      string // named in the 403's message
	}{
		{"companies of a contact, without companies.read", []string{"contacts.read", "contacts.write"}, "GET", "/v2/contacts/%d/companies", 403, "companies.read"},
		{"companies of a contact", []string{"contacts.read", "companies.read"}, "GET", "/v2/contacts/%d/companies", 200, ""},
		{"contacts of a company, without contacts.read", []string{"companies.read", "companies.write"}, "GET", "/v2/companies/1/contacts", 403, "contacts.read"},
		{"contacts of a company", []string{"companies.read", "contacts.read"}, "GET", "/v2/companies/1/contacts", 200, ""},
		{"link, without contacts.read", []string{"companies.read", "companies.write"}, "POST", "/v2/companies/1/contacts/%d", 403, "contacts.read"},
		{"link", []string{"companies.write", "contacts.read"}, "POST", "/v2/companies/1/contacts/%d", 200, ""},
		{"unlink, without contacts.read", []string{"companies.read", "companies.write"}, "DELETE", "/v2/companies/1/contacts/%d", 403, "contacts.read"},
		{"unlink", []string{"companies.write", "contacts.read"}, "DELETE", "/v2/companies/1/contacts/%d", 204, ""},
		{"custom fields of a company, without custom-fields.read", []string{"companies.read"}, "GET", "/v2/companies/1/custom-fields", 403, "custom-fields.read"},
		{"custom fields of a company", []string{"companies.read", "custom-fields.read"}, "GET", "/v2/companies/1/custom-fields", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{Scopes: tt.scopes})
			e.sim.SeedPeople(0, 1) // company 1 and its contact
			path := tt.path
			if strings.Contains(path, "%d") {
				path = fmt.Sprintf(path, contact)
			}
			r := e.call(tt.method, path, nil, false)
			require.Equal(t, tt.status, r.status, string(r.raw))
			if tt.missing != "" {
				assert.Contains(t, r.body["error"].(map[string]any)["message"], "the scope "+tt.missing+" is missing")
			}
		})
	}
}

// An embed the scopes do not allow is null (reference §1.5: cf.* embeds need
// custom-fields.read): the record is answered, its custom_fields embed null rather than its
// values.
func TestCustomFieldEmbedNullWithoutItsScope(t *testing.T) {
	tests := []struct {
		name   string
		scopes []string
		null   bool
	}{
		{"without custom-fields.read", []string{"contacts.read"}, true},
		{"with custom-fields.read", []string{"contacts.read", "custom-fields.read"}, false},
		{"every scope", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{Scopes: tt.scopes})
			e.sim.SeedPeople(0, 1)
			for _, path := range []string{"/v2/contacts?embed[]=cf.104", fmt.Sprintf("/v2/contacts/%d?embed[]=cf.104", firstContactID)} {
				r := e.call("GET", path, nil, false)
				require.Equal(t, 200, r.status, string(r.raw))
				rec := r.body
				if data, ok := r.body["data"].([]any); ok {
					require.Len(t, data, 1)
					rec = data[0].(map[string]any)
				}
				embed, ok := rec["_embed"].(map[string]any)
				require.True(t, ok, "%s: the embed asked for is there", path)
				cfs, has := embed["custom_fields"]
				require.True(t, has, path)
				if tt.null {
					assert.Nil(t, cfs, path)
				} else {
					assert.Len(t, cfs, 1, path)
				}
			}
		})
	}
}
