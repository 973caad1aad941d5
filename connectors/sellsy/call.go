package sellsy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/crmsync/crmsync/connectors"
)

// Call performs an arbitrary authorised API V2 request: method and path relative to the API
// URL ("/companies/12"), an optional query and an optional JSON body. It goes through the
// same limiter, token refresh and quota pauses as every other call. A 2xx answer returns its
// status and body with a nil error; any other answer returns its status and body with a
// classified *connectors.Error (a 4xx body is the V2 error object, without secrets).
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body []byte) (int, []byte, error) {
	return c.CallHeaders(ctx, method, path, query, nil, body)
}

// ownHeaders are the headers crmsync sets on every request: an any-call may not set them.
var ownHeaders = []string{"Authorization", "Accept", "Content-Type", "Content-Length", "Host", "Cookie"}

// CallHeaders is Call with request headers of the caller's, such as X-Switch-User
// (staff:<id>: the call is made as that staff member, for an API client created delegated).
// The authorisation is crmsync's: a header it sets itself is refused (KindInvalid), naming it.
func (c *Client) CallHeaders(ctx context.Context, method, path string, query url.Values, headers http.Header, body []byte) (int, []byte, error) {
	method, path, query, err := connectors.CallRequest(System, method, path, query)
	if err != nil {
		return 0, nil, err
	}
	b, err := connectors.JSONBody(System, body)
	if err != nil {
		return 0, nil, err
	}
	op := method + " " + connectors.OpPath(path)
	for name, values := range headers {
		switch {
		case !httpguts.ValidHeaderFieldName(name):
			return 0, nil, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: fmt.Sprintf("header %q: not a header name", name)}
		case slices.ContainsFunc(ownHeaders, func(h string) bool { return strings.EqualFold(h, name) }):
			return 0, nil, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: fmt.Sprintf("header %s: crmsync sets it (the authorisation comes from the worker's credentials)", name)}
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return 0, nil, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: fmt.Sprintf("header %s: its value holds a control character", name)}
			}
		}
	}
	k := call{method: method, path: path, op: op, query: query, body: b, headers: headers}
	var raw []byte
	k.raw = &raw
	status, err := c.do(ctx, k, nil)
	return status, raw, err
}

// ---- API V1 ----

// V1Error is an API V1 error envelope's code and message.
type V1Error struct{ Code, Message string }

// CallV1 calls an API V1 (RPC) method with its params and returns the envelope's
// "response". Errors are classified like V2's: E_PARAM_*, E_OBJ_*, E_LIST_*, E_METHOD_DONT_EXIT
// and the malformed-request codes (E_IO_MODE_*, E_DO_IN_*) are KindInvalid; refused credentials, rights and licence are KindConfig; E_LIMIT_REQUEST_REACHED
// and HTTP 429 are KindRateLimited; the rest is KindRetryable. A refusal asking for a short
// wait is waited out in the call, twice at most, holding the client's other requests
// meanwhile, as Call does; E_LIMIT_REQUEST_REACHED holds them for a second even when the call
// gives up. An OAuth refusal (oauth_problem=… in an answer that is not a 2xx, or in a body that
// is not the JSON envelope) is KindConfig; a refused call made with a V2 token is sent once
// more with a new token, while a 2xx never is.
func (c *Client) CallV1(ctx context.Context, method string, params any) (json.RawMessage, error) {
	op := "V1 " + method
	if method == "" {
		return nil, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "V1", Message: "method is required"}
	}
	if params == nil {
		params = map[string]any{}
	}
	doIn, err := json.Marshal(map[string]any{"method": method, "params": params})
	if err != nil {
		return nil, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: "params are not JSON-serialisable"}
	}
	form := map[string]string{"request": "1", "io_mode": "json", "do_in": string(doIn)}
	quotaRetries, refreshed := 0, false
	for {
		if err := c.waitFor(ctx, op); err != nil {
			return nil, err
		}
		req := c.http.R().SetContext(ctx).SetFormData(form).SetHeader("Accept", "application/json")
		secret, tok := c.cfg.V1UserSecret, ""
		if c.cfg.V1ConsumerToken != "" {
			req.SetHeader("Authorization", c.oauth1Header())
		} else {
			tok, err = c.tokens.get(ctx)
			if err != nil {
				return nil, err
			}
			req.SetAuthToken(tok)
			secret = c.cfg.ClientSecret
		}
		resp, err := req.Post(c.cfg.V1URL)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: scrub(transportReason(err), secret, tok, c.cfg.V1ConsumerSecret)}
		}
		status := resp.StatusCode()
		c.noteQuota(resp.Header())
		ok := status >= 200 && status < 300
		var env struct {
			Status   string          `json:"status"`
			Error    json.RawMessage `json:"error"`
			Response json.RawMessage `json:"response"`
		}
		envErr := json.Unmarshal(resp.Body(), &env)
		// An OAuth refusal is a refusal's text: an answer that is not a 2xx, or a body that
		// is not the JSON envelope. A successful envelope may hold the text in its data.
		if text := string(resp.Body()); (!ok || envErr != nil) && strings.Contains(text, "oauth_problem=") {
			if tok != "" && !refreshed {
				c.tokens.drop(tok)
				if !ok { // refused: nothing was carried out, the call goes again with a new token
					refreshed = true
					continue
				}
				// A 2xx is never followed by the call sent again: whatever it says, the call
				// may have been carried out. The next call gets a new token.
			}
			_, problem, _ := strings.Cut(text, "oauth_problem=")
			problem, _, _ = strings.Cut(problem, "&")
			return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: op, Status: status,
				Message: "V1 credentials refused (oauth_problem=" + scrub(strings.TrimSpace(problem), secret, tok) + ")"}
		}
		var e *connectors.Error
		if !ok {
			e = c.httpError(op, resp, tok)
		} else {
			if envErr != nil {
				return nil, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Status: status, Message: "undecodable V1 envelope"}
			}
			if env.Status == "success" {
				return env.Response, nil
			}
			var ve struct{ Code, Message string }
			if json.Unmarshal(env.Error, &ve) != nil {
				var s string
				_ = json.Unmarshal(env.Error, &s)
				ve.Code, ve.Message, _ = strings.Cut(s, " - ")
			}
			e = &connectors.Error{Kind: v1Kind(ve.Code), System: System, Op: op, Status: status,
				Message: strings.TrimSpace(ve.Code + ": " + scrub(ve.Message, secret, tok))}
			if e.Kind == connectors.KindRateLimited {
				e.RetryAfter = time.Second // V1 says nothing of its window: a second, as a V2 429
			}
		}
		if e.Kind == connectors.KindRateLimited {
			// As in do, a short wait is waited out here (a refused call wrote nothing), and
			// holds every request of this client meanwhile, V2 ones too. V1's own refusal
			// comes without quota headers: it holds them even when the call gives up.
			short := e.RetryAfter <= maxQuotaWait && quotaRetries < connectors.ShortQuotaRetries
			if short || status < 300 {
				c.pauseUntilAt(c.clock.Now().Add(e.RetryAfter), "current")
			}
			if short {
				quotaRetries++
				continue
			}
		}
		return nil, e
	}
}

func v1Kind(code string) connectors.Kind {
	switch {
	case code == "E_LIMIT_REQUEST_REACHED":
		return connectors.KindRateLimited
	case strings.HasPrefix(code, "E_PARAM"), strings.HasPrefix(code, "E_OBJ_"), strings.HasPrefix(code, "E_LIST_"),
		code == "E_METHOD_DONT_EXIT", code == "E_DO_IN_PARAM_MISSING", code == "E_DO_IN_WRONG_FORMAT", code == "E_PAGINATION_MAX", code == "E_CUSTOM",
		// A request without io_mode or do_in, or with an unknown io_mode, is ours: malformed,
		// and refused again however often it is sent.
		code == "E_IO_MODE_DONT_EXIST", code == "E_IO_MODE_DO_IN_MISSING":
		return connectors.KindInvalid
	case code == "E_USER_NOT_LOGGED", code == "E_PRIV_NOT_ALLOWED", code == "E_SUBSCRIBE_HAVETO", code == "E_CORPORATION_BLOCKED",
		code == "E_FEATURE_DISABLED", code == "E_LICENCE_BLOCKED", code == "E_LICENCE_NO", code == "E_QUOTA_NOT_SUFFICIENT", code == "E_PLUGIN_NOT_LOADED":
		return connectors.KindConfig
	}
	return connectors.KindRetryable
}

// oauth1Header is the OAuth 1.0a PLAINTEXT Authorization header of API V1.
func (c *Client) oauth1Header() string {
	enc := rawURLEncode
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36)
	parts := []string{
		`oauth_consumer_key="` + enc(c.cfg.V1ConsumerToken) + `"`,
		`oauth_token="` + enc(c.cfg.V1UserToken) + `"`,
		`oauth_nonce="` + nonce + `"`,
		`oauth_timestamp="` + strconv.FormatInt(time.Now().Unix(), 10) + `"`,
		`oauth_signature_method="PLAINTEXT"`,
		`oauth_version="1.0"`,
		`oauth_signature="` + enc(enc(c.cfg.V1ConsumerSecret)+"&"+enc(c.cfg.V1UserSecret)) + `"`,
	}
	return "OAuth " + strings.Join(parts, ", ")
}

// rawURLEncode is PHP's rawurlencode (RFC 3986), which Sellsy's V1 clients use.
func rawURLEncode(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// V1Credentials are the API V1 OAuth 1.0a tokens (see Config).
type V1Credentials struct {
	URL                           string
	ConsumerToken, ConsumerSecret string
	UserToken, UserSecret         string
}

// SetV1 sets the API V1 URL and tokens of a client built elsewhere (the registry); call it
// before the client is used. Empty fields keep their value.
func (c *Client) SetV1(v V1Credentials) {
	if v.URL != "" {
		c.cfg.V1URL = v.URL
	}
	for dst, src := range map[*string]string{&c.cfg.V1ConsumerToken: v.ConsumerToken, &c.cfg.V1ConsumerSecret: v.ConsumerSecret,
		&c.cfg.V1UserToken: v.UserToken, &c.cfg.V1UserSecret: v.UserSecret} {
		if src != "" {
			*dst = src
		}
	}
}

// Repeatable implements connectors.Caller: a GET, PUT, PATCH or DELETE, or a search (a POST
// that reads).
func (c *Client) Repeatable(method, path string) bool {
	return connectors.SafeToRepeat(method) || strings.HasSuffix(strings.TrimRight(path, "/"), "/search")
}
