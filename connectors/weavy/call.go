package weavy

import (
	"context"
	"encoding/json"
	"net/http"
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
// code, record code or id. A right switched off is named as the sync's own calls name it
// (the table and the studio column) when the route tells them (callRight).
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
	k.entity, k.right = callRight(method, path, body)
	if len(query) > 0 {
		k.path += "?" + query.Encode()
	}
	raw, status, err := c.do(ctx, k)
	return status, raw, err
}

// callRight returns the table a call reaches and the right it needs, when its route tells
// both, so that a refusal names them as the sync's calls do (rightsError, fieldRefused): a
// GET of /v1/Data/{project}/{entity}[/{code}] or /v1/Dictionary/{project}/{entity} and a
// Select (its body's entityName) read, a POST of /v1/Data/{project}/{entity} inserts, a PUT
// of /v1/Data/{project}/{entity}/{code} updates. "" for any other call (a DELETE or a PATCH
// needs no right the studio shows): its refusal keeps weavy's own reason.
func callRight(method, path string, body []byte) (entity, right string) {
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	api, rest, ok := callRoute(strings.TrimRight(path, "/")) // rest: entity, code
	if !ok || len(rest) < 1 || len(rest) > 2 || rest[0] == "" {
		return "", ""
	}
	entity = strings.ToLower(rest[0])
	switch {
	case strings.EqualFold(api, "Dictionary"):
		if method == http.MethodGet && len(rest) == 1 {
			return entity, rightRead
		}
	case !strings.EqualFold(api, "Data"):
	case entity == "select":
		var q struct {
			EntityName string `json:"entityName"`
		}
		if method == http.MethodPost && len(rest) == 1 && json.Unmarshal(body, &q) == nil && strings.TrimSpace(q.EntityName) != "" {
			return strings.ToLower(strings.TrimSpace(q.EntityName)), rightRead
		}
	case method == http.MethodGet:
		return entity, rightRead
	case method == http.MethodPost && len(rest) == 1:
		return entity, rightInsert
	case method == http.MethodPut && len(rest) == 2:
		return entity, rightUpdate
	}
	return "", ""
}

// callOpPath is connectors.OpPath with the project code of /v1/Data and /v1/Dictionary routes
// and the record code of /v1/Data/{project}/{entity}/{code} replaced too (codes need not
// hold digits).
func callOpPath(path string) string {
	op := connectors.OpPath(path)
	api, rest, ok := callRoute(op)
	if !ok {
		return op
	}
	if strings.EqualFold(api, "Data") && len(rest) > 1 && rest[1] != "" {
		rest[1] = "{code}"
	}
	return strings.Join(append([]string{"/v1", api, "{project}"}, rest...), "/")
}

// callRoute splits a route of weavy's Data or Dictionary API,
// /v1/{Data|Dictionary}/{project}[/{entity}[/{code}…]]: api as written, and the segments
// after the project (none, or the entity, the code and any more). ok is false for any other
// path.
func callRoute(path string) (api string, rest []string, ok bool) {
	after, ok := strings.CutPrefix(path, "/v1/")
	if !ok {
		return "", nil, false
	}
	segs := strings.Split(after, "/") // api, project, entity, code…
	if len(segs) < 2 || !strings.EqualFold(segs[0], "Data") && !strings.EqualFold(segs[0], "Dictionary") {
		return "", nil, false
	}
	return segs[0], segs[2:], true
}

// Repeatable implements connectors.Caller: a GET, PUT, PATCH or DELETE, or a Select (a POST
// that reads).
func (c *Client) Repeatable(method, path string) bool {
	return connectors.SafeToRepeat(method) || strings.HasSuffix(strings.TrimRight(path, "/"), "/Select")
}
