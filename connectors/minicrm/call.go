package minicrm

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

var _ connectors.Caller = (*Client)(nil)

// rawAnswer, passed to do as out, receives the answer's status and body as they came.
type rawAnswer struct {
	status int
	body   []byte
}

// Call performs an arbitrary authorised API request (connectors.Caller): method GET, POST,
// PUT, PATCH or DELETE; path relative to the base URL and under /Api/ ("/Api/R3/Contact/12",
// "/Api/Order/5001"), which may carry a query that query adds to; an optional JSON body, sent
// as is. It goes through the same basic auth (system id, API key), the limiter of the
// system's per-minute quota and the error classes of every other call. A 2xx answer returns
// its status and body; any other returns its status, its body (MiniCRM's plain text) and a
// classified *connectors.Error whose Op holds no ids.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body []byte) (int, []byte, error) {
	method, path, query, err := connectors.CallRequest(System, method, path, query)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case len(path) < len("/Api/") || !strings.EqualFold(path[:len("/Api/")], "/Api/"):
		return 0, nil, invalid("call", "path must be under /Api/, the API of the system")
	}
	b, err := connectors.JSONBody(System, body)
	if err != nil {
		return 0, nil, err
	}
	var a rawAnswer
	err = c.do(ctx, method, path, method+" "+connectors.OpPath(path), query, b, &a)
	return a.status, a.body, err
}

// Repeatable implements connectors.Caller: a GET, PATCH or DELETE, and a PUT to a record
// (/Contact/12); a PUT to a collection (/Contact, no id) creates, and is not.
func (c *Client) Repeatable(method, path string) bool {
	if method != http.MethodPut {
		return connectors.SafeToRepeat(method)
	}
	path = strings.TrimRight(path, "/")
	last := path[strings.LastIndex(path, "/")+1:]
	return last != "" && strings.Trim(last, "0123456789") == ""
}
