package connectors

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallRequest(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		path      string
		query     url.Values
		allowed   []string
		wantErr   string
		wantPath  string
		wantQuery url.Values
	}{
		{name: "plain", method: "get", path: "/api/contacts", wantPath: "/api/contacts", wantQuery: url.Values{}},
		{name: "query in path merged", method: "GET", path: "/api/contacts?limit=5", query: url.Values{"start": {"10"}, "limit": {"6"}},
			wantPath: "/api/contacts", wantQuery: url.Values{"limit": {"5", "6"}, "start": {"10"}}},
		{name: "unknown method", method: "TRACE", path: "/x", wantErr: `method "TRACE" is not one of GET, POST, PUT, PATCH, DELETE`},
		{name: "method outside the allowed", method: "GET", path: "/x", allowed: []string{"POST"}, wantErr: `not one of POST`},
		{name: "absolute URL", method: "GET", path: "https://evil.example/x", wantErr: "must be relative"},
		{name: "no slash", method: "GET", path: "api/x", wantErr: "must be relative"},
		{name: "climbing", method: "GET", path: "/api/../admin", wantErr: "must be relative"},
		{name: "protocol-relative", method: "GET", path: "//evil.example/x", wantErr: "must be relative"},
		{name: "bad query", method: "GET", path: "/x?a=%zz", wantErr: "query cannot be read"},
		{name: "escaped climbing", method: "GET", path: "/api/v1/x/%2e%2e/auth/token", wantErr: "plain path"},
		{name: "escaped climbing, upper case", method: "GET", path: "/api/v1/%2E%2E/%2E%2E/admin", wantErr: "plain path"},
		{name: "dot segment", method: "GET", path: "/api/v1/auth/token/.", wantErr: "plain path"},
		{name: "escaped slash", method: "GET", path: "/api/v1%2fauth", wantErr: "plain path"},
		{name: "backslash", method: "GET", path: `/api\admin`, wantErr: "plain path"},
		{name: "double slash inside", method: "GET", path: "/api//contacts", wantErr: "plain path"},
		{name: "trailing slash", method: "GET", path: "/api/contacts/", wantPath: "/api/contacts/", wantQuery: url.Values{}},
		{name: "escaped space", method: "GET", path: "/api/a%20b", wantPath: "/api/a%20b", wantQuery: url.Values{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, p, q, err := CallRequest("mautic", tc.method, tc.path, tc.query, tc.allowed...)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, KindInvalid, KindOf(err))
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantPath, p)
			assert.Equal(t, tc.wantQuery, q)
			assert.Equal(t, "GET", m)
		})
	}
}

func TestJSONBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    any
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"JSON", `{"a": 1}`, json.RawMessage(`{"a": 1}`), false},
		{"not JSON", "{", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := JSONBody("mautic", []byte(tc.body))
			if tc.wantErr {
				require.Error(t, err)
				assert.Equal(t, KindInvalid, KindOf(err))
				assert.Contains(t, err.Error(), "body is not JSON")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
