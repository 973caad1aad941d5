package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An administrator may lower api_batch_max_limit (Mautic's parameter, default 200, set in
// config/local.php). validateBatchPayload then refuses a batch of more items, before
// anything is written, with returnError's default status, 500, and the en_US text of
// mautic.api.call.batch_exception naming the limit. The delete route counts the parameters of
// its query (?ids=1,2,3 is one), so only a limit of 0 refuses it.
func TestBatchLimitAsConfigured(t *testing.T) {
	people := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"email": fmt.Sprintf("p%d@example.com", i)}
		}
		return out
	}
	edits := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"id": i + 1, "position": "CEO"}
		}
		return out
	}
	tests := []struct {
		name         string
		opts         Options
		set          *int // SetBatchMax after start, as an administrator changes it
		method, path string
		body         any
		wantStatus   int
		wantMessage  string // of the refusal; "" when accepted
		wantWritten  int    // contacts added (or removed: negative) when accepted
	}{
		{name: "default limit accepts 200", method: "POST", path: "/api/contacts/batch/new",
			body: people(200), wantStatus: 201, wantWritten: 200},
		{name: "a lower limit accepts as many", opts: Options{BatchMax: 50}, method: "POST", path: "/api/contacts/batch/new",
			body: people(50), wantStatus: 201, wantWritten: 50},
		{name: "a lower limit refuses one more", opts: Options{BatchMax: 50}, method: "POST", path: "/api/contacts/batch/new",
			body: people(51), wantStatus: 500, wantMessage: "A max of 50 entities are supported at a time."},
		{name: "a lower limit refuses an edit", opts: Options{BatchMax: 2}, method: "PATCH", path: "/api/contacts/batch/edit",
			body: edits(3), wantStatus: 500, wantMessage: "A max of 2 entities are supported at a time."},
		{name: "a lower limit refuses companies", opts: Options{BatchMax: 1}, method: "POST", path: "/api/companies/batch/new",
			body: []map[string]any{{"companyname": "A"}, {"companyname": "B"}}, wantStatus: 500,
			wantMessage: "A max of 1 entities are supported at a time."},
		{name: "lowered on a running instance", set: ptr(3), method: "POST", path: "/api/contacts/batch/new",
			body: people(4), wantStatus: 500, wantMessage: "A max of 3 entities are supported at a time."},
		{name: "zero refuses every batch", set: ptr(0), method: "POST", path: "/api/contacts/batch/new",
			body: people(1), wantStatus: 500, wantMessage: "A max of 0 entities are supported at a time."},
		{name: "delete counts its query's parameters", opts: Options{BatchMax: 2}, method: "DELETE",
			path: "/api/contacts/batch/delete?ids=1,2,3", wantStatus: 200, wantWritten: -3},
		{name: "zero refuses a delete", set: ptr(0), method: "DELETE",
			path: "/api/contacts/batch/delete?ids=1", wantStatus: 500, wantMessage: "A max of 0 entities are supported at a time."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts, _ := start(t, tt.opts)
			s.SeedPeople(1000, 3)
			if tt.set != nil {
				s.SetBatchMax(*tt.set)
			}
			contacts, companies := s.Count("contacts"), s.Count("companies")
			status, out, raw := call(t, ts, tt.method, tt.path, tt.body)
			require.Equal(t, tt.wantStatus, status, string(raw))
			if tt.wantMessage == "" {
				assert.Equal(t, contacts+tt.wantWritten, s.Count("contacts"))
				return
			}
			assert.Equal(t, map[string]any{"errors": []any{map[string]any{
				"code": 500.0, "message": tt.wantMessage, "details": []any{}, "type": nil,
			}}}, out)
			assert.Equal(t, contacts, s.Count("contacts"), "nothing written")
			assert.Equal(t, companies, s.Count("companies"), "nothing written")
		})
	}
}

// POST /_sim/config sets api_batch_max_limit on a running simulator (the sandbox's way to
// play the administrator); GET reads it.
func TestAdminConfigSetsTheBatchLimit(t *testing.T) {
	s, ts, _ := start(t, Options{})
	get := func() map[string]any {
		resp, err := http.Get(ts.URL + "/_sim/config")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out
	}
	post := func(body string) int {
		resp, err := http.Post(ts.URL+"/_sim/config", "application/json", bytes.NewBufferString(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, map[string]any{"api_batch_max_limit": 200.0}, get())
	require.Equal(t, http.StatusOK, post(`{"api_batch_max_limit": 1}`))
	assert.Equal(t, map[string]any{"api_batch_max_limit": 1.0}, get())
	status, _, raw := call(t, ts, "POST", "/api/contacts/batch/new", []map[string]any{{"email": "a@example.com"}, {"email": "b@example.com"}})
	assert.Equal(t, 500, status, string(raw))
	assert.Equal(t, 0, s.Count("contacts"))

	tests := []struct{ name, body string }{
		{"an unknown parameter", `{"api_batch_max_limt": 5}`},
		{"a negative limit", `{"api_batch_max_limit": -1}`},
		{"no limit", `{}`},
		{"not JSON", `limit=5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, http.StatusBadRequest, post(tt.body))
			assert.Equal(t, map[string]any{"api_batch_max_limit": 1.0}, get(), "left as it was")
		})
	}
}

func ptr[T any](v T) *T { return &v }
