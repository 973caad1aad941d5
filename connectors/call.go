package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	pathpkg "path"
	"slices"
	"strings"
)

// Caller is a connector that performs an arbitrary authorised API call — the "any API call"
// action — through the same authentication, rate limiter and error classes as its other
// calls. path is relative to the API root the connection names ("/api/contacts/12"); it may
// carry a query, which query adds to. A 2xx answer returns its status and body with a nil
// error; any other returns a classified *Error carrying the status (Error.Status), with the
// status and, where the connector keeps it, the body.
type Caller interface {
	Call(ctx context.Context, method, path string, query url.Values, body []byte) (status int, respBody []byte, err error)
	// Repeatable reports whether a call (method upper-cased, path without its query) may be
	// sent again after a server error or a lost answer: it reads, or writes the same values
	// again. The connector's own retries judge by it, and so does the any-call activity
	// before Temporal retries one.
	Repeatable(method, path string) bool
}

// CallRequest checks and normalises an any-call request for system: the method upper-cased and
// one of allowed (GET, POST, PUT, PATCH, DELETE when allowed is empty), the path relative to
// the API root (starting with "/", no scheme, no ".."), its own query merged into query. A
// refusal is KindInvalid, naming what is wrong.
func CallRequest(system, method, path string, query url.Values, allowed ...string) (string, string, url.Values, error) {
	if len(allowed) == 0 {
		allowed = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	}
	method = strings.ToUpper(strings.TrimSpace(method))
	if !slices.Contains(allowed, method) {
		return "", "", nil, CallRefused(system, fmt.Sprintf("method %q is not one of %s", method, strings.Join(allowed, ", ")))
	}
	path = strings.TrimSpace(path)
	if !strings.HasPrefix(path, "/") || strings.Contains(path, "://") || strings.Contains(path, "..") || strings.HasPrefix(path, "//") {
		return "", "", nil, CallRefused(system, fmt.Sprintf("path %q must be relative to the API root and start with /", path))
	}
	path, rawQuery, _ := strings.Cut(path, "?")
	// What the server routes is the decoded, cleaned path: %2e%2e, "." segments, a
	// backslash or an escaped slash could lead it out of the API root (or to the token
	// endpoint a connector refuses by name) while the text above looked fine.
	decoded, err := url.PathUnescape(path)
	if err != nil || strings.ContainsAny(decoded, "\\") || strings.Contains(strings.ToLower(path), "%2f") ||
		pathpkg.Clean(decoded) != strings.TrimSuffix(decoded, "/") && pathpkg.Clean(decoded) != decoded {
		return "", "", nil, CallRefused(system, fmt.Sprintf("path %q must be a plain path under the API root (no . or .. segments, escaped dots or slashes, or backslashes)", path))
	}
	merged := url.Values{}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return "", "", nil, CallRefused(system, "the path's query cannot be read: "+err.Error())
		}
		merged = q
	}
	for k, vs := range query {
		merged[k] = append(merged[k], vs...)
	}
	return method, path, merged, nil
}

// CallRefused is the KindInvalid error of an any-call refused before anything is sent.
func CallRefused(system, msg string) *Error {
	return &Error{Kind: KindInvalid, System: system, Op: "call", Message: msg}
}

// JSONBody checks an any-call body for a JSON API: nil when empty, the body as is
// (json.RawMessage) when it is JSON, and a KindInvalid refusal otherwise.
func JSONBody(system string, body []byte) (any, error) {
	if len(body) == 0 {
		return nil, nil
	}
	if !json.Valid(body) {
		return nil, CallRefused(system, "body is not JSON")
	}
	return json.RawMessage(body), nil
}
