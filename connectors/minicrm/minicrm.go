// Package minicrm is the connector for MiniCRM's R3 REST API: contacts ("person",
// "business") and cards of a module ("card:Orders", "card:Webshop"), with HTTP basic auth
// (system id, API key).
//
// Listing uses MiniCRM's search: id-keyed Results, 0-based Page of a fixed 100, and
// UpdatedSince, which MiniCRM reads in Hungarian time (Europe/Budapest), so Since is converted
// there. Search results carry only a summary, so each listed record is then read with one GET.
// A record in MiniCRM's trash (Deleted 1: a card deleted with PUT {"Deleted":1}) is left out
// of Get as searches leave it out, an id that does not exist.
// MiniCRM answers a card's StatusId and UserId as names; the connector maps them back to ids
// with the module schema (Fields "StatusId", "UserId") and keeps the names in the read-only
// Fields "Status" and "User". Dropdowns may be written by label or id. Contact values are
// read by Schema/Person and Schema/Business (cached as long as the module schemas) as card
// values are: enums as labels, Booleans as true/false, text as text; a list (Tags[], or a
// card field of type Array) is a []string, nil when empty, and is written as a JSON list; an
// object (a File field's {"Url","Name"}) is its JSON text.
//
// MiniCRM silently replaces an unknown owner (UserId), or one without access to the module, by
// another user, so the connector never leaves that to MiniCRM: the connection's owner
// (Config.Owner) is checked against the users of the module written to (its UserId options)
// before the first write to it, and again after an hour; an unfit one refuses every write to
// the module as a configuration error (KindConfig: the connection pauses, naming it).
// Create/Update refuse a card whose own UserId is not a user of its module (KindInvalid, that
// record only); an empty UserId is not sent (a new card gets the connection's owner, an updated
// one keeps its own), since MiniCRM would give the card to a random user.
//
// A card's text value longer than its field (Text(n) in the module schema) is cut to n
// characters ending with "…" (fitText), and looked up cut the same way: MiniCRM refuses the
// whole card for it. The client remembers what it cut, and reads a card still holding that
// cut as the value written, so that the sync does not write it again at every cycle. A
// contact's is not cut: MiniCRM refuses it with its reason.
//
// A card's Person (Links["person"], ContactId) is required to create it (RequiredLinks):
// MiniCRM takes a card without a contact, which would then sit on no one. Its Business
// (Links["business"]) is optional.
//
// Errors: 400 (plain text) and 404 → per-record KindInvalid with MiniCRM's text (e-mail
// addresses removed); 401/403 → KindConfig, naming what to check (the system id, the API key,
// the guide's API add-on); 429 → KindRateLimited (Retry-After, else a whole
// minute: MiniCRM counts a sliding 60-second window); 5xx and transport failures → KindRetryable. Deletion is not offered (KindConfig).
package minicrm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Budapest on hosts without zoneinfo

	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
)

// System is the name of this connector.
const System = "minicrm"

// Object names. A card object is CardPrefix + the module name ("card:Orders").
const (
	ObjectPerson   = "person"
	ObjectBusiness = "business"
	CardPrefix     = "card:"
)

// PageSize is MiniCRM's fixed page size.
const PageSize = 100

// timeLayout is MiniCRM's date-time format.
const timeLayout = "2006-01-02 15:04:05"

// Budapest is the time zone MiniCRM reads and writes times in.
var Budapest = func() *time.Location {
	l, err := time.LoadLocation("Europe/Budapest")
	if err != nil {
		panic(err)
	}
	return l
}()

// cacheTTL bounds how long modules, users and contact schemas are trusted.
const cacheTTL = 5 * time.Minute

// NewLimiter is the client-side limiter of a quota (requests a minute; 0 → 60). MiniCRM
// counts a sliding minute, which a token bucket at exactly the quota overruns by its first
// token: it keeps one request a minute under it (59 for 60), as known clients do.
func NewLimiter(perMinute float64) *rate.Limiter {
	if perMinute <= 0 {
		perMinute = 60
	}
	perSecond := perMinute / 60
	if perMinute > 1 {
		perSecond = (perMinute - 1) / 60
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
}

// QuotaLimit is how many requests a sliding minute allows to crmsync's processes together
// on a quota of perMinute (0 → 60): one under it, as NewLimiter keeps.
func QuotaLimit(perMinute float64) int {
	if perMinute <= 0 {
		perMinute = 60
	}
	if perMinute > 1 {
		perMinute--
	}
	return max(1, int(perMinute))
}

// Quota counts the requests made to one MiniCRM system where every process that calls it sees
// them (the workers' store): MiniCRM counts 60 a minute per system whoever sends them, and a
// 61st costs a whole minute (its 429 says no more). Take records one request at now, or
// records nothing and says how long until one fits.
type Quota interface {
	Take(ctx context.Context, now time.Time) (wait time.Duration, err error)
}

// Config configures a Client.
type Config struct {
	BaseURL          string // e.g. https://r3.minicrm.hu (API at BaseURL+"/Api/R3")
	SystemID, APIKey string
	// CredentialsHint, when set, ends the error of refused credentials with where they come
	// from, e.g. "check X_ID and X_SECRET (a.credentials of conn.yaml)": names, never values.
	CredentialsHint   string
	RequestsPerMinute float64 // client-side limiter; 0 → 60
	HTTPClient        *http.Client
	// Limiter, when set, replaces the client's own: connectors on one system share it, as
	// MiniCRM counts its quota per system.
	Limiter *rate.Limiter
	// Quota, when set, counts every request in a quota the other processes on the system
	// share too (the workers' store), after Limiter lets it go: Limiter spaces one process's
	// requests, Quota keeps them all within MiniCRM's minute.
	Quota Quota
	// Owner is the user id every card gets when it names none. MiniCRM replaces an unknown
	// owner, or one without access to the module, with another user without a word, so it is
	// checked against each module before the first write to it and hourly after (and against
	// the system's users by CheckSettings, for validate --live).
	Owner string
}

// schemaAt is a contact schema (field → type or options) and when it was read.
type schemaAt struct {
	types map[string]any
	at    time.Time
}

// User is a MiniCRM user, a possible card owner.
type User struct {
	ID   string
	Name string
}

// Status is a status of a module.
type Status struct {
	ID   string
	Name string
}

// Module is a MiniCRM module (category) with its statuses, the users who may own its cards
// (its UserId options: a user without access to the module is not one) and its card fields.
type Module struct {
	ID       string
	Name     string
	Type     string
	Statuses []Status
	Users    []User
	Fields   []connectors.Field
	types    map[string]any // field → type string or enum options (id → label)
}

// Client talks to one MiniCRM system. It implements connectors.Connector.
type Client struct {
	hc           *http.Client
	base         string
	id, key      string
	hint         string // Config.CredentialsHint
	limiter      *rate.Limiter
	quota        Quota
	now          func() time.Time
	sleep        func(ctx context.Context, d time.Duration) error // tests move a fake clock
	defaultOwner string

	mu           sync.Mutex
	modules      []Module
	modulesAt    time.Time
	users        []User
	contactTypes map[string]schemaAt  // "Person", "Business" → schema (Schema/{type})
	ownerChecked map[string]time.Time // module id ("": contacts) → when the owner was found fit (checkDefaultOwner)
	cuts         map[string]cutText   // card id + NUL + field → its text as cut by this client (noteCuts)
}

var _ connectors.Connector = (*Client)(nil)

// New returns a client for the system at c.BaseURL.
func New(c Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, cfgErr("config", "base_url must be an http(s) URL")
	}
	if _, err := strconv.Atoi(c.SystemID); err != nil || len(c.SystemID) > 5 {
		return nil, cfgErr("config", "system_id must be MiniCRM's numeric system id (up to 5 digits)")
	}
	if c.APIKey == "" {
		return nil, cfgErr("config", "api_key is required")
	}
	limiter := c.Limiter
	if limiter == nil {
		limiter = NewLimiter(c.RequestsPerMinute)
	}
	hc := connectors.HTTPClient(c.HTTPClient, 60*time.Second)
	return &Client{hc: hc, base: base, id: c.SystemID, key: c.APIKey, defaultOwner: c.Owner, hint: c.CredentialsHint,
		limiter: limiter, quota: c.Quota, now: time.Now, sleep: sleep, ownerChecked: map[string]time.Time{}, contactTypes: map[string]schemaAt{}, cuts: map[string]cutText{}}, nil
}

// System returns "minicrm".
func (c *Client) System() string { return System }

func cfgErr(op, msg string) *connectors.Error {
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: op, Message: msg}
}

func invalid(op, msg string) *connectors.Error {
	return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: msg}
}

// do sends one request and decodes a 2xx JSON answer into out (numbers as json.Number).
// op names the route without ids or values ("GET /Project/{id}"). A short quota wait, and a
// server error or a lost answer of a read or an update, are tried again within it
// (connectors.Retry); a PUT without an id creates, and is not.
func (c *Client) do(ctx context.Context, method, path, op string, query url.Values, body, out any) error {
	return connectors.Do(ctx, c.Repeatable(method, path), func() error { return c.doOnce(ctx, method, path, op, query, body, out) })
}

func (c *Client) doOnce(ctx context.Context, method, path, op string, query url.Values, body, out any) error {
	if err := connectors.WaitToSend(ctx, c.limiter, System, op); err != nil {
		return err
	}
	if err := c.takeQuota(ctx, op); err != nil {
		return err
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return invalid(op, "encode: "+err.Error())
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return cfgErr(op, "request: "+c.scrub(err.Error()))
	}
	req.SetBasicAuth(c.id, c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: c.scrub(connectors.TransportReason(ctx, err))}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: c.scrub(connectors.TransportReason(ctx, err))}
	}
	if a, ok := out.(*rawAnswer); ok { // Call: the answer as it came, 2xx or not
		a.status, a.body = resp.StatusCode, raw
		out = nil
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Status: resp.StatusCode, Message: "unreadable answer: " + c.scrub(err.Error())}
		}
		return nil
	}
	e := &connectors.Error{Kind: connectors.ClassifyStatus(resp.StatusCode), System: System, Op: op, Status: resp.StatusCode}
	e.Message = c.scrub(strings.TrimSpace(string(raw)))
	if e.Message == "" || strings.HasPrefix(e.Message, "<") {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if e.Kind == connectors.KindRateLimited {
		e.RetryAfter = retryAfter(resp.Header, c.now())
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		e.Message += refusedHint
		e.Message = connectors.WithCredentialsHint(e.Message, c.hint)
	}
	return e
}

// maxQuotaWait bounds the wait for the shared quota a call takes itself (heartbeats go on
// meanwhile): the minute, and what clocks of the processes sharing it may differ by. Past
// it, something is wrong with a clock: the workflow waits on a durable timer instead.
const maxQuotaWait = quotaWindow + 10*time.Second

// takeQuota counts the request in the shared quota (Config.Quota), first waiting until its
// minute has room: nothing is sent meanwhile, so waiting within the call costs nothing, where
// a 429 would cost a whole minute on the workflow's timer. A worker that begins to stop ends
// the wait (the request unsent); a store that does not answer fails the call, unsent.
func (c *Client) takeQuota(ctx context.Context, op string) error {
	if c.quota == nil {
		return nil
	}
	for {
		wait, err := c.quota.Take(ctx, c.now())
		switch {
		case err != nil:
			return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Unsent: true,
				Message: "not sent: MiniCRM's quota, shared by crmsync's processes, could not be counted in the workers' store: " + connectors.Reason(ctx, err)}
		case wait <= 0:
			return nil
		case wait > maxQuotaWait || connectors.EndsBefore(ctx, time.Now().Add(wait)):
			return &connectors.Error{Kind: connectors.KindRateLimited, System: System, Op: op, RetryAfter: wait, Unsent: true,
				Message: fmt.Sprintf("MiniCRM's quota of the minute is spent by crmsync's processes for %s (counted in the workers' store)", wait.Round(time.Second))}
		}
		if err := connectors.PauseBeforeSending(ctx, System, op, func(ctx context.Context) error { return c.sleep(ctx, wait) }); err != nil {
			return err
		}
	}
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refusedHint follows MiniCRM's words when it refuses the credentials or the API (401, 403):
// the guide's prerequisites, which the bare "Unauthorized" does not name.
const refusedHint = ": check the credentials system_id (the number after r3.minicrm.hu/ in MiniCRM's address) and api_key (Settings > System > API key), " +
	"and that the account has the MiniCRM API + XML sync add-on (with the Orders and Webshop products), which the API needs"

// quotaWindow is the window MiniCRM counts its per-minute quota in: any 60 seconds, a sliding
// window (reference §4.6: 60 requests a minute, per SystemId; the simulator counts so), not
// the minutes of a clock.
const quotaWindow = time.Minute

// retryAfter reads Retry-After (seconds, or an HTTP date read against the server's clock, its
// Date header). Without it, the wait is a whole window: the requests that filled it may have
// been made just before the refusal, and leave it only a minute after them, so the next
// minute of the clock (which may be a second away) would call straight into a full window
// again. A minute is too long to wait within the call: the workflow waits on a durable timer.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		now = d
	}
	if d, ok := connectors.ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	return quotaWindow
}

var invalidValue = regexp.MustCompile(`Invalid value '(.*?)' for the`)

// notFoundText is MiniCRM's own wording for a dropdown value it does not know; it is kept.
const notFoundText = "Such value cannot be found in CRM"

// scrub removes the API key, e-mail addresses and the record values MiniCRM quotes in
// "Invalid value '…' for the X field." from a message and bounds its length.
func (c *Client) scrub(s string) string {
	s = invalidValue.ReplaceAllStringFunc(s, func(m string) string {
		if strings.Contains(m, "'"+notFoundText+"'") {
			return m
		}
		return "Invalid value '<value>' for the"
	})
	return connectors.Redact(s, c.key)
}

// str renders a decoded JSON scalar as a string ("" for null).
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "1"
		}
		return "0"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// hungarian formats t for UpdatedSince, Hungarian wall time: around the autumn change it
// reads from an hour earlier, so the listing never misses a change (connectors.LocalSince).
func hungarian(t time.Time) string { return connectors.LocalSince(t, Budapest, timeLayout) }
