package weavy

import (
	"context"
	"net/url"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

var _ connectors.Caller = (*Client)(nil)

// Call performs an arbitrary authorised REST API request (connectors.Caller): method GET,
// POST, PUT, PATCH or DELETE; path relative to the base URL and under /v1/
// ("/v1/Dictionary/{project}/customer", "/v1/Data/{project}/customer/C0001"), which may carry
// a query that query adds to; an optional JSON body, sent as is. /v1/Authenticate is refused:
// the client logs in itself. It goes through the same bearer token (renewed once on a 401),
// limiter and error classes as every other call. A 2xx answer returns its status and body;
// any other returns its status and a classified *connectors.Error whose Op holds no project
// code, record code or id.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body []byte) (int, []byte, error) {
	method, path, query, err := connectors.CallRequest(System, method, path, query)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case !strings.HasPrefix(path, "/v1/"):
		return 0, nil, connectors.CallRefused(System, "path must be under /v1/, the REST API")
	case strings.EqualFold(strings.TrimRight(path, "/"), "/v1/Authenticate"):
		return 0, nil, connectors.CallRefused(System, "/v1/Authenticate is refused: the connector logs in itself")
	}
	b, err := connectors.JSONBody(System, body)
	if err != nil {
		return 0, nil, err
	}
	k := call{method: method, path: path, op: method + " " + callOpPath(path), body: b}
	if len(query) > 0 {
		k.path += "?" + query.Encode()
	}
	raw, status, err := c.do(ctx, k)
	return status, raw, err
}

// callOpPath is connectors.OpPath with the project code of /v1/Data and /v1/Dictionary routes
// and the record code of /v1/Data/{project}/{entity}/{code} replaced too (codes need not
// hold digits).
func callOpPath(path string) string {
	segs := strings.Split(connectors.OpPath(path), "/") // "", "v1", "Data", project, entity, code
	if len(segs) > 3 && (strings.EqualFold(segs[2], "Data") || strings.EqualFold(segs[2], "Dictionary")) {
		segs[3] = "{project}"
		if strings.EqualFold(segs[2], "Data") && len(segs) > 5 && segs[5] != "" {
			segs[5] = "{code}"
		}
	}
	return strings.Join(segs, "/")
}

// Repeatable implements connectors.Caller: a GET, PUT, PATCH or DELETE, or a Select (a POST
// that reads).
func (c *Client) Repeatable(method, path string) bool {
	return connectors.SafeToRepeat(method) || strings.HasSuffix(strings.TrimRight(path, "/"), "/Select")
}
