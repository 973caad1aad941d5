package sim

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The webhook management API as the spec (v2.128.0) defines it: WebhookCreateItem /
// WebhookEditItem in, WebhookReadItem out, paginated lists, WebhookFilters search,
// WebhookEventsList; every request and answer is validated against the spec and the answers
// carry no undeclared key.
func TestWebhookManagementAPI(t *testing.T) {
	e := newEnv(t, Options{})
	events := e.call("GET", "/v2/webhooks/events", nil, true)
	require.Equal(t, 200, events.status, string(events.raw))
	assert.Contains(t, string(events.raw), `"id":"client"`)

	empty := e.call("GET", "/v2/webhooks", nil, true)
	require.Equal(t, 200, empty.status)
	assert.Empty(t, data(empty))

	h, hs := newHookRecorder(t)
	httpHook := e.call("POST", "/v2/webhooks", map[string]any{"type": "http", "endpoint": hs.URL, "is_enabled": true,
		"configuration": []map[string]any{{"id": "client.created", "is_enabled": true}, {"id": "opportunity.updated", "is_enabled": false}}}, true)
	require.Equal(t, 201, httpHook.status, string(httpHook.raw))
	e.onlyDeclared("WebhookReadItem", httpHook.body)
	assert.Equal(t, "http", httpHook.body["type"])
	assert.Equal(t, hs.URL, httpHook.body["endpoint"])
	assert.EqualValues(t, 0, httpHook.body["nb_failures"])
	assert.Nil(t, httpHook.body["last_succeeded"])
	assert.NotContains(t, httpHook.body, "default_channel")
	assert.Equal(t, []any{map[string]any{"id": "client.created", "is_enabled": true}, map[string]any{"id": "opportunity.updated", "is_enabled": false}},
		httpHook.body["configuration"])
	httpID := itoa(int(httpHook.body["id"].(float64)))

	slack := e.call("POST", "/v2/webhooks", map[string]any{"type": "slack", "endpoint": "https://hooks.slack.example/T0/B0", "default_channel": "sales",
		"configuration": []map[string]any{{"id": "opportunity.created", "is_enabled": true, "channel": "deals"}}}, true)
	require.Equal(t, 201, slack.status, string(slack.raw))
	e.onlyDeclared("WebhookReadItem", slack.body)
	assert.Equal(t, "sales", slack.body["default_channel"])
	assert.Equal(t, "deals", slack.body["configuration"].([]any)[0].(map[string]any)["channel"])
	slackID := itoa(int(slack.body["id"].(float64)))

	all := e.call("GET", "/v2/webhooks", nil, true)
	require.Len(t, data(all), 2)
	for _, d := range data(all) {
		e.onlyDeclared("WebhookReadItem", d)
	}
	first := e.call("GET", "/v2/webhooks?limit=1", nil, true)
	require.Len(t, data(first), 1)
	assert.EqualValues(t, 2, pag(first)["total"])
	assert.EqualValues(t, 1, pag(first)["limit"])
	next := e.call("GET", "/v2/webhooks?limit=1&offset="+url.QueryEscape(pag(first)["offset"].(string)), nil, true)
	require.Len(t, data(next), 1)
	assert.Equal(t, slack.body["id"], data(next)[0]["id"])

	for filters, want := range map[string]int{`{"type":"slack"}`: 1, `{"type":"http","is_enabled":true}`: 1, `{"endpoint":"` + hs.URL + `"}`: 1, `{"is_enabled":false}`: 0, `{}`: 2} {
		r := e.call("POST", "/v2/webhooks/search", `{"filters":`+filters+`}`, true)
		require.Equal(t, 200, r.status, string(r.raw))
		assert.Len(t, data(r), want, filters)
	}

	got := e.call("GET", "/v2/webhooks/"+httpID, nil, true)
	require.Equal(t, 200, got.status)
	assert.Equal(t, httpHook.body, got.body)

	// the http webhook receives client.created; the slack one is never called
	e.call("POST", "/v2/companies", map[string]any{"type": "client", "name": "Hooked"}, false)
	h.wait(t, 1)
	h.mu.Lock()
	assert.Equal(t, "created", h.posts[0]["event"])
	assert.Equal(t, "client", h.posts[0]["relatedtype"])
	h.mu.Unlock()

	up := e.call("PUT", "/v2/webhooks/"+httpID, map[string]any{"is_enabled": false, "configuration": []map[string]any{{"id": "contact.deleted", "is_enabled": true, "channel": "x"}}}, true)
	require.Equal(t, 200, up.status, string(up.raw))
	e.onlyDeclared("WebhookReadItem", up.body)
	assert.Equal(t, false, up.body["is_enabled"])
	assert.Equal(t, []any{map[string]any{"id": "contact.deleted", "is_enabled": true}}, up.body["configuration"]) // no channel on http
	disabled := e.call("POST", "/v2/webhooks/search", `{"filters":{"is_enabled":false}}`, true)
	assert.Len(t, data(disabled), 1)

	cases := []struct {
		name, method, path string
		body               map[string]any
		field              string
	}{
		{"without type", "POST", "/v2/webhooks", map[string]any{"endpoint": hs.URL}, "type"},
		{"unknown type", "POST", "/v2/webhooks", map[string]any{"type": "email", "endpoint": hs.URL}, "type"},
		{"slack without default channel", "POST", "/v2/webhooks", map[string]any{"type": "slack", "endpoint": "https://hooks.slack.example/T0/B0"}, "default_channel"},
		{"relative endpoint", "POST", "/v2/webhooks", map[string]any{"type": "http", "endpoint": "/hook"}, "endpoint"},
		{"unknown event", "PUT", "/v2/webhooks/" + slackID, map[string]any{"configuration": []map[string]any{{"id": "client.exploded", "is_enabled": true}}}, "configuration"},
		{"search without filters", "POST", "/v2/webhooks/search", map[string]any{}, "filters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(c.method, c.path, c.body, false)
			require.Equal(t, 400, r.status, string(r.raw))
			assert.Contains(t, errDetails(r), c.field)
		})
	}

	del := e.call("DELETE", "/v2/webhooks/"+httpID, nil, true)
	assert.Equal(t, 204, del.status)
	assert.Equal(t, 404, e.call("GET", "/v2/webhooks/"+httpID, nil, false).status)
	assert.Equal(t, 404, e.call("DELETE", "/v2/webhooks/"+httpID, nil, false).status)
	assert.Len(t, data(e.call("GET", "/v2/webhooks", nil, true)), 1)
}
