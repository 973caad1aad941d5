// Package sellsy is the crmsync connector for Sellsy API V2 (https://api.sellsy.com/v2):
// companies, contacts, individuals and opportunities, their links and custom fields, the
// opportunity pipelines and steps, and the parsing of Sellsy webhooks (see crm.go).
//
// Auth is OAuth2 client_credentials (a Sellsy "personal" API client). Requests go through a
// client-side rate limiter (5/s by default, Sellsy's quota), held to the per-second quota
// the X-Quota-Remaining-By-Second header reveals when that is lower, and, when an answer's
// X-Quota-Remaining-By-{Second,Minute,Day,Month} header reads 0, pause until that window's
// end (calls already waiting on the limiter too): a second or minute is waited out in the
// call, a day or month is a RateLimited error carrying the delay. A 429 for a short window
// holds every call of the client; the call tries again (see quotaRefusals for the bound).
// Errors are *connectors.Error; their
// messages name fields and reasons but never carry record values or credentials.
package sellsy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
	gojson "github.com/goccy/go-json"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
)

// System is the connector's system name.
const System = "sellsy"

// Config configures a Client.
type Config struct {
	APIURL                 string // default "https://api.sellsy.com/v2"
	TokenURL               string // default "https://login.sellsy.com/oauth2/access-tokens"
	ClientID, ClientSecret string
	// CredentialsHint, when set, ends the error of refused credentials with where they come
	// from, e.g. "check X_ID and X_SECRET (a.credentials of conn.yaml)": names, never values.
	CredentialsHint   string
	RequestsPerSecond float64 // client-side limiter; 0 → DefaultRequestsPerSecond
	// Limiter, when set, replaces the client's own: connectors on one Sellsy account share
	// it, so that together they keep to the account's quota.
	Limiter     *rate.Limiter
	CompanyType string       // type for created companies: prospect (default) | client | supplier
	HTTPClient  *http.Client // optional base client
	// Fields names, per object ("company", "contact"), the fields a connection maps; custom
	// fields it does not name are not read. Nil reads every custom field.
	Fields map[string][]string
	// ContactLinks says contacts are read with their company: a full walk of the companies
	// then also notes each company's contacts, which spares a lookup per contact.
	ContactLinks bool
	// API V1 (RPC). V1URL defaults to "https://apifeed.sellsy.com/0/" (or, when APIURL is
	// not Sellsy's, to APIURL without "/v2" plus "/0/"). With the four
	// OAuth 1.0a tokens set, CallV1 signs with them (PLAINTEXT); without them it sends the
	// V2 access token (Sellsy accepts it on V1 when the API client has the api-v1 scope).
	V1URL                             string
	V1ConsumerToken, V1ConsumerSecret string
	V1UserToken, V1UserSecret         string
}

// Client is a Sellsy connector; it implements connectors.Connector.
type Client struct {
	cfg     Config
	http    *resty.Client
	limiter *rate.Limiter
	tokens  *tokenCache

	clock       clock
	pauseMu     sync.Mutex
	pauseUntil  time.Time
	pauseWindow string        // the spent window pauseUntil waits out
	answered    atomic.Uint64 // answers other than 429: the server is serving the quota

	// quotaSeen is the per-second quota the answers' headers have shown so far (0: none
	// yet), and quotaLimiter holds the client's calls to it when the limiter allows more:
	// a requests_per_second above the account's quota then spreads the calls over each
	// second instead of spending it in a burst. It is the client's own, the limiter may be
	// shared with connections that set a lower rate.
	quotaSeen    atomic.Int64
	quotaLimiter *rate.Limiter

	links linkNotes

	cfMu     sync.Mutex
	cfDefs   []cfDef
	cfLoaded time.Time
}

var _ connectors.Connector = (*Client)(nil)

// DefaultRequestsPerSecond is Sellsy's quota per second, the client-side rate when a
// connection sets none.
const DefaultRequestsPerSecond = 5

// NewLimiter is the client-side limiter of a rate (requests a second; 0 → Sellsy's 5), with
// no burst: Sellsy counts each second.
func NewLimiter(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		perSecond = DefaultRequestsPerSecond
	}
	return rate.NewLimiter(rate.Limit(perSecond), 1)
}

// concurrency bounds the per-record requests in flight for one call (they all share the limiter).
const concurrency = 8

// New returns a Client. It does not contact Sellsy.
func New(c Config) (*Client, error) {
	if c.APIURL == "" {
		c.APIURL = "https://api.sellsy.com/v2"
	}
	if c.TokenURL == "" {
		c.TokenURL = "https://login.sellsy.com/oauth2/access-tokens"
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.V1URL == "" {
		// Sellsy's V1 lives on its own host; a simulator or proxy serves it next to V2.
		c.V1URL = "https://apifeed.sellsy.com/0/"
		if c.APIURL != "https://api.sellsy.com/v2" {
			c.V1URL = strings.TrimSuffix(c.APIURL, "/v2") + "/0/"
		}
	}
	if c.RequestsPerSecond <= 0 {
		c.RequestsPerSecond = DefaultRequestsPerSecond
	}
	switch c.CompanyType {
	case "":
		c.CompanyType = "prospect"
	case "prospect", "client", "supplier":
	default:
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "config",
			Message: fmt.Sprintf("company_type %q must be prospect, client or supplier", c.CompanyType)}
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "config", Message: "client_id and client_secret are required"}
	}
	for _, u := range []string{c.APIURL, c.TokenURL} {
		if p, err := url.Parse(u); err != nil || p.Scheme == "" || p.Host == "" {
			return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "config", Message: fmt.Sprintf("%q is not an absolute URL", u)}
		}
	}
	base := connectors.HTTPClient(c.HTTPClient, 60*time.Second)
	if c.Limiter == nil {
		c.Limiter = NewLimiter(c.RequestsPerSecond)
	}
	tokenHTTP := *base
	cl := &Client{
		cfg:     c,
		http:    resty.NewWithClient(base).SetBaseURL(c.APIURL).SetLogger(quietLogger{}).SetRetryCount(0),
		limiter: c.Limiter,
		clock:   realClock{},
		// no quota seen yet: the limiter alone holds the calls
		quotaLimiter: rate.NewLimiter(rate.Inf, 1),
		tokens: &tokenCache{
			hint: c.CredentialsHint,
			cc:   &clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
			http: &tokenHTTP,
		},
	}
	return cl, nil
}

// System implements connectors.Connector.
func (c *Client) System() string { return System }

// ---- tokens ----

// tokenCache holds the access token; a 401 from the API drops it so that the next request
// fetches a new one.
type tokenCache struct {
	mu   sync.Mutex
	cc   *clientcredentials.Config
	http *http.Client
	tok  *oauth2.Token
	hint string // Config.CredentialsHint
}

func (t *tokenCache) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.Valid() {
		return t.tok.AccessToken, nil
	}
	tok, err := t.cc.Token(context.WithValue(ctx, oauth2.HTTPClient, t.http))
	if err != nil {
		e := &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: "POST /oauth2/access-tokens"}
		var re *oauth2.RetrieveError
		switch {
		case errors.As(err, &re) && re.Response != nil:
			e.Status = re.Response.StatusCode
			if e.Status == 400 || e.Status == 401 || e.Status == 403 {
				e.Kind = connectors.KindConfig
				e.Message = "the client id or secret was refused"
				if re.ErrorCode != "" {
					e.Message += " (" + re.ErrorCode + ")"
				}
				e.Message = connectors.WithCredentialsHint(e.Message, t.hint)
			} else {
				e.Kind = connectors.ClassifyStatus(e.Status)
				e.Message = "token request failed"
				if e.Kind == connectors.KindRateLimited {
					e.RetryAfter = time.Second
				}
			}
		case ctx.Err() != nil:
			return "", ctx.Err()
		default:
			e.Message = "token request failed: " + scrub(transportReason(err), t.cc.ClientSecret, t.cc.ClientID)
		}
		return "", e
	}
	t.tok = tok
	return tok.AccessToken, nil
}

func (t *tokenCache) drop(access string) {
	t.mu.Lock()
	if t.tok != nil && t.tok.AccessToken == access {
		t.tok = nil
	}
	t.mu.Unlock()
}

// ---- requests ----

type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}

// call is one API request. op names it in errors with a path template ("PUT /contacts/{id}").
type call struct {
	method, path, op string
	query            url.Values
	body             any
	raw              *[]byte     // when set, receives the answer's body (any status)
	rec              recordCall  // set on a request about one record: a 403 may be its acl's
	headers          http.Header // an any-call's own (X-Switch-User), checked by CallHeaders
	// mayHaveRun, when set, is set when a try whose answer did not say whether Sellsy
	// carried it out (a lost answer, a server error other than 503) is sent again.
	mayHaveRun *bool
}

// again notes, before k is sent again after e, that the try e answered may have been
// carried out, and reports whether it may have been.
func (k call) again(e error) bool {
	may := !connectors.NothingWritten(e)
	if k.mayHaveRun != nil && may {
		*k.mayHaveRun = true
	}
	return may
}

// apiError is Sellsy's V2 error body.
type apiError struct {
	Error struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	} `json:"error"`
}

// clock is the client's time source for quota pauses; tests give it the simulator's fake
// clock so that a minute window is waited out without a real minute passing.
type clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// maxQuotaWait is the longest quota pause waited out inside a call: a spent second or minute
// window (at most a minute; pages heartbeat meanwhile). A spent day or month window goes
// back to the caller as a RateLimited error with the delay, whose retry waits on a durable
// timer instead of holding a worker slot for hours.
const maxQuotaWait = time.Minute + time.Second

// waitFor blocks until a request may go out: no quota pause holds the client and the limiter
// grants a slot. The pause is looked at again once the limiter has granted it: while a call
// waited on the limiter, another call's answer may have announced the window spent, and a
// request sent into it would only be refused. A pause longer than maxQuotaWait, or than the
// caller's deadline allows, is a RateLimited error for op carrying the delay.
func (c *Client) waitFor(ctx context.Context, op string) error {
	for {
		if err := c.waitPause(ctx, op); err != nil {
			return err
		}
		if err := connectors.WaitToSend(ctx, c.quotaLimiter, System, op); err != nil {
			return err
		}
		if err := connectors.WaitToSend(ctx, c.limiter, System, op); err != nil {
			return err
		}
		c.pauseMu.Lock()
		until := c.pauseUntil
		c.pauseMu.Unlock()
		if !c.clock.Now().Before(until) {
			return nil
		}
	}
}

// waitPause sleeps out the client's quota pause, or returns the RateLimited error of a pause
// too long to wait in the call.
func (c *Client) waitPause(ctx context.Context, op string) error {
	c.pauseMu.Lock()
	until, window := c.pauseUntil, c.pauseWindow
	c.pauseMu.Unlock()
	d := until.Sub(c.clock.Now())
	if d <= 0 {
		return nil
	}
	if d > maxQuotaWait || connectors.EndsBefore(ctx, time.Now().Add(d)) {
		return &connectors.Error{Kind: connectors.KindRateLimited, System: System, Op: op, RetryAfter: d,
			Message: fmt.Sprintf("request quota exceeded: Sellsy's %s window is spent until %s", window, until.UTC().Format(time.RFC3339))}
	}
	return connectors.PauseBeforeSending(ctx, System, op, func(ctx context.Context) error { return c.clock.Sleep(ctx, d) })
}

// quotaRefusals bounds the 429s one call waits out. The parallel calls of a page race for
// each second of the quota, and a call that lost the race while others were served is not
// facing a server that refuses everything: a refusal after another call of the client was
// answered starts a new run. A call gives up after more than ShortQuotaRetries refusals in a
// row (a server that refuses everything, as before) or more than maxQuotaRefusals in all
// (one that keeps refusing this call), with the RateLimited error of the last one.
type quotaRefusals struct {
	inARow, all int
	answered    uint64 // the client's answered count at the call's last refusal
}

// maxQuotaRefusals is how many 429s one call waits out in all: at most about ten seconds for
// the second window.
const maxQuotaRefusals = 10

// again reports whether a 429 asking for wait is waited out in the call.
func (q *quotaRefusals) again(c *Client, wait time.Duration) bool {
	if wait > maxQuotaWait {
		return false
	}
	if n := c.answered.Load(); n != q.answered {
		q.inARow, q.answered = 0, n
	}
	q.inARow++
	q.all++
	return q.inARow <= connectors.ShortQuotaRetries && q.all <= maxQuotaRefusals
}

// quotaWindows are Sellsy's quota headers, shortest window first.
var quotaWindows = []struct{ header, name string }{
	{"X-Quota-Remaining-By-Second", "second"},
	{"X-Quota-Remaining-By-Minute", "minute"},
	{"X-Quota-Remaining-By-Day", "day"},
	{"X-Quota-Remaining-By-Month", "month"},
}

// windowEnd is when the window (second, minute, day, month) holding now ends. Sellsy does
// not say where its days and months start: UTC is assumed (the simulator does the same); a
// window still spent after it is noticed on the next answer, which pauses again.
func windowEnd(window string, now time.Time) time.Time {
	now = now.UTC()
	switch window {
	case "second":
		return now.Truncate(time.Second).Add(time.Second)
	case "minute":
		return now.Truncate(time.Minute).Add(time.Minute)
	case "day":
		return time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	case "month":
		return time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	return now
}

// spentUntil reads the quota headers: when a window reads 0, the end of the longest such
// window and its name; else the zero time.
func spentUntil(h http.Header, now time.Time) (time.Time, string) {
	var until time.Time
	var name string
	for _, w := range quotaWindows {
		if v := strings.TrimSpace(h.Get(w.header)); v == "0" {
			until, name = windowEnd(w.name, now), w.name // later windows end later
		}
	}
	return until, name
}

// noteQuota pauses every request of this client until the end of the longest window the
// answer's headers report spent, so that the next request is not refused with a 429.
func (c *Client) noteQuota(h http.Header) {
	if until, window := spentUntil(h, c.clock.Now()); !until.IsZero() {
		c.pauseUntilAt(until, window)
	}
	c.learnQuota(h)
}

// learnQuota holds the client's calls to the per-second quota the answer reveals: a window
// with r requests remaining after this one holds at least r+1. The largest seen is kept (an
// answer late in a window, or in one other clients of the account share, shows less), and a
// spent window (r = 0) tells nothing of its size; a quota the limiter keeps to anyway
// changes nothing.
func (c *Client) learnQuota(h http.Header) {
	v := h.Get(quotaWindows[0].header)
	if v == "" {
		return
	}
	r, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || r < 1 {
		return
	}
	for {
		seen := c.quotaSeen.Load()
		if r+1 <= seen {
			return
		}
		if c.quotaSeen.CompareAndSwap(seen, r+1) {
			break
		}
	}
	limit := rate.Limit(c.quotaSeen.Load())
	if limit >= c.limiter.Limit() {
		limit = rate.Inf
	}
	c.quotaLimiter.SetLimit(limit)
}

// do runs a call and decodes a 2xx JSON body into out (when not nil). It returns the HTTP
// status of the answer. On 401 it drops the token and retries once; a 429 asking for a short
// wait holds every call of the client that long, and this one tries again (quotaRefusals
// bounds how often).
func (c *Client) do(ctx context.Context, k call, out any) (int, error) {
	var quota quotaRefusals
	refreshed := false
	// A server error or a lost answer is tried again for calls that read or write the same
	// values again (searches are POSTs that read); see connectors.Retry.
	var again connectors.Retry
	safe := c.Repeatable(k.method, k.path)
	mayHaveRun := false // a try of this call may have been carried out: a stop before the next is not unsent
	for {
		if err := c.waitFor(ctx, k.op); err != nil {
			if mayHaveRun {
				return 0, connectors.StoppedAfterATry(err)
			}
			return 0, err
		}
		tok, err := c.tokens.get(ctx)
		if err != nil {
			if again.Again(ctx, true, err) { // asking for a token changes nothing
				continue
			}
			return 0, err
		}
		req := c.http.R().SetContext(ctx).SetHeaderMultiValues(k.headers).SetAuthToken(tok).SetHeader("Accept", "application/json")
		if k.query != nil {
			req.SetQueryParamsFromValues(k.query)
		}
		if k.body != nil {
			req.SetHeader("Content-Type", "application/json").SetBody(k.body)
		}
		resp, err := req.Execute(k.method, k.path)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			e := &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: k.op,
				Message: scrub(transportReason(err), c.cfg.ClientSecret, tok)}
			if again.Again(ctx, safe, e) {
				mayHaveRun = k.again(e) || mayHaveRun
				continue
			}
			return 0, e
		}
		status := resp.StatusCode()
		c.noteQuota(resp.Header())
		if status != http.StatusTooManyRequests {
			c.answered.Add(1)
		}
		if k.raw != nil {
			*k.raw = resp.Body()
		}
		if status == http.StatusUnauthorized && !refreshed {
			refreshed = true
			c.tokens.drop(tok)
			continue
		}
		if status >= 200 && status < 300 {
			if _, list := out.(*listBody); list && len(resp.Body()) == 0 {
				return status, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: k.op, Status: status,
					Message: "empty answer where a list was expected"}
			}
			if out != nil && len(resp.Body()) > 0 {
				// go-json: list pages are most of what an import reads, and it decodes them
				// several times faster than encoding/json (see connectors/mautic).
				if err := gojson.Unmarshal(resp.Body(), out); err != nil {
					return status, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: k.op, Status: status,
						Message: "undecodable response body"}
				}
			}
			return status, nil
		}
		e := c.httpError(k.op, resp, tok)
		if e.Kind == connectors.KindRateLimited && quota.again(c, e.RetryAfter) {
			// The window refills for every call at once: all of them wait, not this one only.
			c.pauseUntilAt(c.clock.Now().Add(e.RetryAfter), "current")
			continue
		}
		if e.Kind == connectors.KindRetryable && again.Again(ctx, safe, e) {
			mayHaveRun = k.again(e) || mayHaveRun
			continue
		}
		if status == http.StatusForbidden && k.rec.acl != nil {
			return status, k.rec.acl.refused(ctx, k, e)
		}
		return status, e
	}
}

// pauseUntilAt holds every request of this client until t (a later pause stands); window
// names the spent quota in the error of a caller that cannot wait that long.
func (c *Client) pauseUntilAt(until time.Time, window string) {
	c.pauseMu.Lock()
	if until.After(c.pauseUntil) {
		c.pauseUntil, c.pauseWindow = until, window
	}
	c.pauseMu.Unlock()
}

func (c *Client) httpError(op string, resp *resty.Response, tok string) *connectors.Error {
	status := resp.StatusCode()
	e := &connectors.Error{Kind: connectors.ClassifyStatus(status), System: System, Op: op, Status: status}
	var body apiError
	_ = json.Unmarshal(resp.Body(), &body)
	var details map[string]string
	if len(body.Error.Details) > 0 && body.Error.Details[0] == '{' {
		var raw map[string]any
		if json.Unmarshal(body.Error.Details, &raw) == nil {
			details = map[string]string{}
			for f, v := range raw {
				details[f] = scrub(fmt.Sprint(v), c.cfg.ClientSecret, tok)
			}
		}
	}
	switch {
	case status == http.StatusTooManyRequests:
		// Sellsy is not known to send Retry-After; the quota headers say which window is
		// spent, and it refills at that window's end.
		e.RetryAfter = time.Second
		now := c.clock.Now()
		if until, window := spentUntil(resp.Header(), now); !until.IsZero() && window != "second" {
			e.RetryAfter = until.Sub(now)
		}
		if ra := resp.Header().Get("Retry-After"); ra != "" {
			if n, err := strconv.Atoi(ra); err == nil && n > 0 {
				e.RetryAfter = time.Duration(n) * time.Second
			} else if t, err := http.ParseTime(ra); err == nil && time.Until(t) > 0 {
				e.RetryAfter = time.Until(t)
			}
		}
		e.Message = "request quota exceeded"
	case status == http.StatusUnauthorized:
		e.Message = connectors.WithCredentialsHint("access token refused after a refresh", c.cfg.CredentialsHint)
	case status == http.StatusForbidden:
		e.Message = "insufficient rights (check the API client's scopes)"
	case status == http.StatusPaymentRequired:
		e.Message = "plan quota reached"
	case len(details) > 0:
		e.Fields = map[string]string{}
		for f, reason := range details {
			e.Fields[fieldName(f)] = reason
		}
		e.Message = refusedMessage(e.Fields)
	case status == http.StatusNotFound:
		e.Message = "not found"
	default:
		e.Message = scrub(body.Error.Message, c.cfg.ClientSecret, tok)
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
	}
	return e
}

// fieldName maps an API field path to the connector's field name.
func fieldName(f string) string {
	switch {
	case f == "legal_france.siret":
		return "siret"
	case f == "legal_france.company_type":
		return "legal_form"
	case strings.HasPrefix(f, "cf."):
		return f
	}
	return f
}

var emailRE = regexp.MustCompile(`[^\s@'"<>«»(),;:]+@[^\s@'"<>«»(),;:]+`)

// scrub removes e-mail addresses and the given secrets from a message that came from the API
// or the transport.
func scrub(msg string, secrets ...string) string {
	msg = emailRE.ReplaceAllString(msg, "[redacted]")
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// transportReason keeps the cause of a transport error without the URL, which may carry a query.
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "timeout"
		}
		err = ue.Err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "connection closed"
	}
	return err.Error()
}
