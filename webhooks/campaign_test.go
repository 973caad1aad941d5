package webhooks

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/activities"
)

// The push URL is called by Automation's campaign action "Send a webhook" (Mautic's
// WebhookBundle CampaignHelper::makeRequest), which takes only 200 and 201 for success: any
// other answer fails the campaign event, which is retried and whose contact does not go on
// to the actions after it. Its method is GET by default (the first of the form's choices),
// the data ("id={contactfield=id}") then in the query; POST, PUT and PATCH send it as a form,
// or as JSON when the action's headers say Content-Type: application/json. The push
// answered 202, which Automation took for a failure, and refused the default GET with 405.
func TestPushAsAutomationsCampaignActionSendsIt(t *testing.T) {
	tests := []struct {
		name   string
		method string
		query  string
		ctype  string
		body   string
	}{
		{name: "GET, the action's default: the data in the query", method: http.MethodGet, query: "?id=42"},
		{name: "POST, the data as a form", method: http.MethodPost, ctype: "application/x-www-form-urlencoded", body: "id=42"},
		{name: "POST, the data as JSON", method: http.MethodPost, ctype: "application/json", body: `{"id":"42"}`},
		{name: "PUT, the data as a form", method: http.MethodPut, ctype: "application/x-www-form-urlencoded", body: "id=42"},
		{name: "PATCH, the data as JSON", method: http.MethodPatch, ctype: "application/json", body: `{"id":"42"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			srv, _ := newReceiver(t, f)
			req, err := http.NewRequest(tt.method, srv.URL+"/push/shop/tok-456"+tt.query, strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			answer, _ := io.ReadAll(resp.Body)
			assert.Contains(t, []int{http.StatusOK, http.StatusCreated}, resp.StatusCode, "Automation counts only 200 and 201 as success: %s", answer)
			require.Len(t, f.starts, 1)
			assert.Equal(t, activities.PushInput{Connection: "shop", Object: "contact", Side: "b", ID: "42"}, f.starts[0])
			assert.Contains(t, string(answer), `"workflow_id":"shop/push/contact/b-42"`)
		})
	}
	// DELETE, which would carry no data and reads as anything but a push, is still refused.
	srv, _ := newReceiver(t, &fakeTemporal{})
	req, err := http.NewRequest(http.MethodDelete, srv.URL+"/push/shop/tok-456?id=42", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// Go's mux lets a GET route answer HEAD too: a HEAD to the push URL (an uptime check, a link
// preview, a proxy checking the URL) started a push. It is answered 200, starting nothing,
// whatever the token: it tells nothing about which tokens are right.
func TestPushHeadStartsNothing(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{name: "the push URL", path: "/push/shop/tok-456?id=42"},
		{name: "a wrong token", path: "/push/shop/wrong?id=42"},
		{name: "no id", path: "/push/shop/tok-456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{}
			srv, _ := newReceiver(t, f)
			req, err := http.NewRequest(http.MethodHead, srv.URL+tt.path, nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Empty(t, f.starts, "a HEAD starts no push")
		})
	}
}
