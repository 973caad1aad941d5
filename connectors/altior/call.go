package altior

import (
	"context"
	"net/url"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

var _ connectors.Caller = (*Client)(nil)

// apiRoot is the path of the contract's API under the base URL.
const apiRoot = "/api/v1"

// Call performs an arbitrary authorised API request (connectors.Caller): method GET, POST,
// PUT, PATCH or DELETE; path relative to the base URL and under /api/v1/, as API.md writes
// them ("/api/v1/tiers/T000001"), which may carry a query that query adds to; an optional JSON
// body, sent as is. /api/v1/auth/token is refused: the client gets its tokens itself. It goes
// through the same bearer token (renewed before expiry and once on a 401), limiter and error
// classes as every other call. A 2xx answer returns its status and body; any other returns
// its status, its body (the contract's {"error": {...}}) and a classified *connectors.Error
// whose Op holds no ids.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body []byte) (int, []byte, error) {
	method, path, query, err := connectors.CallRequest(System, method, path, query)
	if err != nil {
		return 0, nil, err
	}
	rel, ok := strings.CutPrefix(path, apiRoot+"/")
	switch {
	case !ok:
		return 0, nil, connectors.CallRefused(System, "path must be under "+apiRoot+"/, the API root")
	case strings.EqualFold(strings.TrimRight(rel, "/"), "auth/token"):
		return 0, nil, connectors.CallRefused(System, apiRoot+"/auth/token is refused: the connector gets its tokens itself")
	}
	b, err := connectors.JSONBody(System, body)
	if err != nil {
		return 0, nil, err
	}
	var status int
	var raw []byte
	// The client's base URL already ends in /api/v1.
	k := call{method: method, path: "/" + rel, op: method + " " + connectors.OpPath(path), query: query, body: b, status: &status, raw: &raw}
	_, err = c.do(ctx, k)
	return status, raw, err
}

// Repeatable implements connectors.Caller: a GET, PUT, PATCH or DELETE.
func (c *Client) Repeatable(method, _ string) bool { return connectors.SafeToRepeat(method) }
