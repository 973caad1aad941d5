// Package mautic is the connector for Mautic 5 and Webmecanik Automation (a Mautic
// distribution): contacts and companies over the REST API with HTTP basic auth.
//
// Listing is keyset-paginated by id (orderBy=id, where id gt <last id>) so that inserts during
// a sync never shift pages; the incremental filter ORs date_modified with date_added because
// Mautic leaves date_modified null until a record's first edit. Writes use the batch routes
// (200 records per call, or the fewer an instance's api_batch_max_limit allows: the client
// learns it from the first refusal, see batchLimitRefusal); links between contacts and
// companies travel in the contact body ("companies": [id]) and are read back by resolving the
// contact's company name with one companies query per page.
//
// Field values are normalised by Mautic type: text, textarea, email, url, tel and select →
// string; number → float64; boolean → bool; date → "YYYY-MM-DD"; multiselect → []string
// (Mautic's "a|b"). Contacts also carry "dnc.email", "dnc.sms", "dnc.phone" and "dnc.postal"
// (true: do not contact on that channel), written through the do-not-contact routes: false
// takes off only a manual entry (reason 3), never a bounce or the contact's own unsubscribe
// (see applyDNC), and nil or "" leaves the channel alone. A
// number field's scale is described (Field.Scale; none: whole numbers, as the API reads it).
//
// Mautic's own ways are worked around: anonymous contacts (website visitors) are left out of
// every contacts query; a company is never created into another of the same name (Mautic
// merges them: see createCompanies); a value Mautic ignores on create and edit (0, or any
// number between -1 and 1) fails its record's Result by name (see zeroDropped); text, which
// Automation stores HTML-encoded ("O&#39;Brien"), is read decoded, but for the fields it
// stores as sent (HTML, options, e-mails), and looked up in both forms (see keptAsSent).
// ParseWebhook reads Mautic's webhook deliveries, signed as connectors.VerifyHMAC checks.
//
// PHP's shapes of arrays are read as the API means them ([] for an empty group, an object
// keyed by index for a list with gaps). A record of an answer that still cannot be read is
// skipped and logged (Config.Logger) with its id and why, values left out, and a listing
// names it in Page.Unreadable (the sync quarantines it); the others of its page are read, and
// the listing goes on past it.
package mautic

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
)

// System is the name of this connector.
const System = "mautic"

// Page and batch sizes.
const (
	// PageLimit is the largest page List asks for.
	PageLimit = 200
	// BatchSize is the most records a batch call sends: Mautic's default api_batch_max_limit.
	// An instance whose limit is lower refuses such a batch; the client then sends the size
	// it names (see batchLimitRefusal).
	BatchSize = 200
	// Concurrency bounds the parallel single-record calls (deletes).
	Concurrency = 8
)

// Config configures a Client.
type Config struct {
	BaseURL            string // instance root, e.g. https://automation.example.com (API at BaseURL+"/api")
	Username, Password string
	// CredentialsHint, when set, ends the error of refused credentials with where they come
	// from, e.g. "check X_ID and X_SECRET (a.credentials of conn.yaml)": names, never values.
	CredentialsHint   string
	RequestsPerSecond float64 // client-side limiter; 0 → DefaultRequestsPerSecond
	HTTPClient        *http.Client
	// Limiter, when set, replaces the client's own: connectors on one instance share it.
	Limiter *rate.Limiter
	// Logger receives what the records cannot say (a contact the answer holds but that
	// cannot be read, skipped); nil: slog.Default().
	Logger *slog.Logger
}

// DefaultRequestsPerSecond is the client-side rate when a connection sets none.
const DefaultRequestsPerSecond = 20

// NewLimiter is the client-side limiter of a rate (requests a second; 0 → 20).
func NewLimiter(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		perSecond = DefaultRequestsPerSecond
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
}

// Client talks to one Mautic instance. It implements connectors.Connector.
type Client struct {
	http     *resty.Client
	limiter  *rate.Limiter
	password string
	log      *slog.Logger
	hint     string // Config.CredentialsHint

	mu     sync.Mutex
	types  map[string]map[string]string // object → alias → Mautic field type
	scales map[string]map[string]int    // object → alias of a number field → its scale (0: whole numbers)
	markup map[string]map[string]bool   // object → alias of a field whose text is stored as sent (see keptAsSent)
	absent map[string]time.Time         // company name key → when a lookup found none (see takeAbsent)
	// batchMax is the most records a batch call sends: BatchSize, or the smaller size
	// Automation named when it refused a batch for its api_batch_max_limit (see fitBatch).
	batchMax int
}

var _ connectors.Connector = (*Client)(nil)

// New returns a client for the instance at c.BaseURL.
func New(c Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "config", Message: "base_url must be an http(s) URL"}
	}
	if c.Username == "" || c.Password == "" {
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "config", Message: "username and password are required"}
	}
	limiter := c.Limiter
	if limiter == nil {
		limiter = NewLimiter(c.RequestsPerSecond)
	}
	hc := connectors.HTTPClient(c.HTTPClient, 60*time.Second)
	rc := resty.NewWithClient(hc).
		SetBaseURL(base+"/api").
		SetBasicAuth(c.Username, c.Password).
		SetHeader("Accept", "application/json").
		SetDisableWarn(true)
	return &Client{
		http:     rc,
		limiter:  limiter,
		password: c.Password,
		hint:     c.CredentialsHint,
		log:      cmp.Or(c.Logger, slog.Default()),
		types:    map[string]map[string]string{},
		scales:   map[string]map[string]int{},
		markup:   map[string]map[string]bool{},
		absent:   map[string]time.Time{},
		batchMax: BatchSize,
	}, nil
}

// System returns "mautic".
func (c *Client) System() string { return System }

// plural maps a connector object to Mautic's route base.
func plural(object string) (string, error) {
	switch object {
	case connectors.ObjectContact:
		return "contacts", nil
	case connectors.ObjectCompany:
		return "companies", nil
	}
	return "", &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "object", Message: fmt.Sprintf("unsupported object %q (company, contact)", object)}
}

// do sends one API request and returns the body of a 2xx answer, or a classified *Error.
// op names the route without ids or values ("GET /contacts").
func (c *Client) do(ctx context.Context, method, path, op string, query url.Values, body any) ([]byte, error) {
	_, b, err := c.send(ctx, method, path, op, query, body)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// send is do that also returns the answer's status, and its body when it is an error. A
// short quota wait, and a server error or a lost answer of a call that reads or writes the
// same values again (Repeatable: never a PUT), are tried again within it (connectors.Retry).
func (c *Client) send(ctx context.Context, method, path, op string, query url.Values, body any) (status int, b []byte, err error) {
	err = connectors.Do(ctx, c.Repeatable(method, path), func() error {
		status, b, err = c.sendOnce(ctx, method, path, op, query, body)
		return err
	})
	return status, b, err
}

func (c *Client) sendOnce(ctx context.Context, method, path, op string, query url.Values, body any) (int, []byte, error) {
	if err := connectors.WaitToSend(ctx, c.limiter, System, op); err != nil {
		return 0, nil, err
	}
	req := c.http.R().SetContext(ctx)
	if query != nil {
		req.SetQueryParamsFromValues(query)
	}
	if body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	resp, err := req.Execute(method, path)
	if err != nil {
		return 0, nil, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: c.scrub(connectors.TransportReason(ctx, err))}
	}
	status := resp.StatusCode()
	if status >= 200 && status < 300 {
		return status, resp.Body(), nil
	}
	e := &connectors.Error{Kind: connectors.ClassifyStatus(status), System: System, Op: op, Status: status}
	msg, fields := parseErrorBody(resp.Body())
	e.Message = c.scrub(msg)
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if status == http.StatusUnauthorized {
		e.Message += refusedHint // Automation's own words name nothing to check
		e.Message = connectors.WithCredentialsHint(e.Message, c.hint)
	}
	if limit, ok := batchLimitRefusal(status, msg); ok {
		// Not an outage: the same batch would be refused again.
		e.Kind = connectors.KindConfig
		e.Message += batchLimitHint(limit)
	}
	if e.Kind == connectors.KindInvalid && len(fields) > 0 {
		e.Fields = fields
	}
	if e.Kind == connectors.KindRateLimited {
		now := time.Now()
		if d, err := http.ParseTime(resp.Header().Get("Date")); err == nil {
			now = d // X-RateLimit-Reset is the server's clock: measure from its Date
		}
		e.RetryAfter = retryAfter(resp.Header(), now)
	}
	return status, resp.Body(), e
}

// refusedHint follows Automation's 401, which says only "API authorization denied.".
const refusedHint = ": check the credentials username and password (the login of an Automation user), " +
	"and that the API and its HTTP basic auth are enabled in Automation's Configuration > API Settings"

// retryAfter reads Retry-After (seconds or HTTP date), else X-RateLimit-Reset (unix time),
// else 1s.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := connectors.ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			if d := time.Unix(n, 0).Sub(now); d > 0 {
				return d
			}
		}
	}
	return time.Second
}

// parseErrorBody reads Mautic's {"errors":[{"message","code","type","details"}]}.
func parseErrorBody(b []byte) (string, map[string]string) {
	var body struct {
		Errors []struct {
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		} `json:"errors"`
		Error any `json:"error"` // older shape: {"error": {...}} or {"error": "..."}
	}
	if json.Unmarshal(b, &body) != nil || len(body.Errors) == 0 {
		if s, ok := body.Error.(string); ok {
			return s, nil
		}
		return "", nil
	}
	var msgs []string
	fields := map[string]string{}
	for _, e := range body.Errors {
		msgs = append(msgs, e.Message)
		detailFields(e.Details, fields)
		if f, reason, ok := fieldOf(e.Message); ok {
			if _, seen := fields[f]; !seen {
				fields[f] = reason
			}
		}
	}
	return strings.Join(msgs, "; "), fields
}

// detailFields adds to fields the reasons an error's details give by field ({"alias":
// ["reason"]}; [] when none) and returns fields.
func detailFields(details json.RawMessage, fields map[string]string) map[string]string {
	var m map[string]any
	if json.Unmarshal(details, &m) == nil {
		for k, v := range m {
			fields[k] = detailText(v)
		}
	}
	return fields
}

func detailText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, p := range x {
			parts = append(parts, connectors.Text(p))
		}
		return strings.Join(parts, " ")
	}
	return connectors.Text(v)
}

var fieldPrefix = regexp.MustCompile(`^([a-z][a-z0-9_]*): (.+)$`)

// fieldOf reads Mautic's form error message "alias: reason".
func fieldOf(msg string) (field, reason string, ok bool) {
	m := fieldPrefix.FindStringSubmatch(strings.TrimSpace(msg))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// scrub removes e-mail addresses and the password from a message and bounds its length.
func (c *Client) scrub(s string) string { return connectors.Redact(s, c.password) }

// ---- where[] clauses ----------------------------------------------------------------------

type cond struct {
	col, expr, val string
	sub            []cond
}

// encodeWhere adds where[i][...] parameters for conds under prefix ("where").
func encodeWhere(v url.Values, prefix string, conds []cond) {
	for i, c := range conds {
		p := fmt.Sprintf("%s[%d]", prefix, i)
		v.Set(p+"[expr]", c.expr)
		if c.sub != nil {
			encodeWhere(v, p+"[val]", c.sub)
			continue
		}
		if c.col != "" {
			v.Set(p+"[col]", c.col)
		}
		if c.expr != "isNull" && c.expr != "isNotNull" {
			v.Set(p+"[val]", c.val)
		}
	}
}

// csvList encodes values the way Mautic parses "in" (str_getcsv with '"' quotes).
func csvList(values []string) string {
	var b bytes.Buffer
	for i, s := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.ContainsAny(s, ",\"\r\n") || strings.TrimSpace(s) != s {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(s, `"`, `""`))
			b.WriteByte('"')
		} else {
			b.WriteString(s)
		}
	}
	return b.String()
}

// whereTime formats a time the way Mautic's database compares it: UTC "Y-m-d H:i:s",
// rounded down to the second so that a gte filter keeps everything at or after t.
func whereTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02 15:04:05")
}

func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
