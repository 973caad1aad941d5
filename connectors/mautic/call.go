package mautic

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

var _ connectors.Caller = (*Client)(nil)

// Call performs an arbitrary authorised REST API request (connectors.Caller): method GET,
// POST, PUT, PATCH or DELETE; path relative to the instance's base URL and under its REST API
// ("/api/contacts/12"), which may carry a query that query adds to; an optional JSON body,
// sent as is. It goes through the same basic auth, limiter and error classes as every other
// call. A 2xx answer returns its status and body; any other returns its status, its body (the
// {"errors": [...]} object) and a classified *connectors.Error whose Op holds no ids.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body []byte) (int, []byte, error) {
	method, path, query, err := connectors.CallRequest(System, method, path, query)
	if err != nil {
		return 0, nil, err
	}
	rel, ok := strings.CutPrefix(path, "/api/")
	if !ok {
		return 0, nil, connectors.CallRefused(System, "path must be under /api/, the instance's REST API")
	}
	b, err := connectors.JSONBody(System, body)
	if err != nil {
		return 0, nil, err
	}
	// The client's base URL is the instance's /api.
	return c.send(ctx, method, "/"+rel, method+" "+connectors.OpPath(path), query, b)
}

// Repeatable implements connectors.Caller: a GET, PATCH or DELETE. Not a PUT: Automation's
// PUT …/edit and batch/edit create the record an id does not name, under a new id, each time.
func (c *Client) Repeatable(method, _ string) bool {
	return connectors.SafeToRepeat(method) && method != http.MethodPut
}
