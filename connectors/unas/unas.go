// Package unas is the connector for the UNAS webshop API (api.unas.eu/shop/{function}), the
// source side of the UNAS → MiniCRM pair. It only reads: Create, Update and Delete are refused
// with a KindConfig error.
//
// Objects:
//   - "order": one UNAS order. Its record id is "<Key>@<Date>", the order's Key and its
//     placement date-time as YYYYMMDDhhmmss in shop time, because UNAS reuses the keys of
//     deleted orders: a new order under an old key is a different record and never overwrites
//     the old one's card. Links["customer"] is the customer's e-mail, lower-cased. Its field
//     "pipeline" is always "orders": the shop's statuses are the pipeline orders move along
//     (Pipeline, for PipelineSync), a stage being a status name.
//   - "customer": the webshop data of a customer, derived from their orders (UNAS has no
//     customer change feed we use); the id is the lower-cased e-mail. Listing customers lists
//     orders and keeps, per e-mail, the data of the order placed last among those read (not
//     the one modified last: an older order's status change must not bring back the address
//     of then). A customer links to itself under "customer": one UNAS customer is both a
//     person and, for a company's orders, a business, and a connection pairs it with both.
//     A company's order is one whose invoice address has the customer type "company" or
//     "other_customer_without_tax_number" (an organisation without a tax number, whose
//     tax_number is empty); "private" is a person's.
//   - An order whose Date cannot be read comes under its bare key, without order_ref or date
//     (a connection matching orders on order_ref quarantines it), and is logged with its key
//     (Config.Logger): a record carries no error of its own.
//   - An order without a customer e-mail (customers are matched on it) is named in a
//     listing's Page.Unreadable with a reason naming it, which the sync quarantines, rather
//     than become a card without a contact; read by id (Get: a quarantine retry, a push) it
//     is a KindInvalid error with the same reason; found by key (FindByKey) it comes as it
//     is; all are logged.
//
// Auth: POST login with the API key; the token (2 hours, Expire in shop time) is reused until
// five minutes before it expires, renewed once when UNAS refuses it (a 401, or an <Error> about
// the token at another 4xx: UNAS's documented error shape is 400 + <Error>), and never
// requested twice at once; refused again after that fresh login, the call is KindConfig.
// The token and the bans live in a Shop that the clients of one shop share (connections on it,
// and a connection's client built again after its file changed), next to the call budget.
//
// Start date: with Config.StartDate, orders placed before its midnight in the shop's time zone
// (Europe/Budapest unless the connection names another) are left out of every answer, however
// recently they were modified, and a listing never reads from before that midnight. The
// multi-order calls (listings, e-mail lookups) ask UNAS for them with TimeStart (a second
// before that midnight, UNAS's "placed after" being unclear about the second itself), so
// that none is read only to be dropped; the rest are left out here.
//
// Paging: List asks getOrder for 500 orders a call (the most UNAS allows, so the scarce
// multi-order budget — 30 calls an hour on PREMIUM — buys the most orders), LimitStart as the
// offset, within the window TimeModStart = Since (a second earlier: UNAS's "modified after"
// may leave out the second itself) .. TimeModEnd = the time the listing began,
// fixed for the whole listing so that orders modified meanwhile drop out of it and come with
// the next listing. Those that drop out (and deleted ones) move the later orders towards the
// start, so each page after the first reads 50 orders before its offset again and resumes
// after the last orders already read (a larger shift reads a page earlier): none is skipped,
// for 10% more calls on long listings. The cursor is "<LimitStart>:<TimeModStart>:
// <TimeModEnd>:<keep>:<last orders read, id and DateMod>:<TimeStart>" (unix seconds; -1:
// none). A page shorter than 500 ends the listing.
//
// Limits: calls are counted per rolling hour and class (multi-order getOrder, getOrder by
// Key, getOrderStatus, all calls, logins included; a call for CountedFor, the hour and the
// time it may take to reach UNAS, which counts it from then) against the package's limits (HourlyLimits; PREMIUM until a
// login names the subscription), in a Ledger that connections on one shop share (a Budget in
// memory, or the worker's store, which worker processes share); a spent
// budget is KindRateLimited with RetryAfter until a call leaves the hour, without calling
// UNAS, so crmsync never earns a ban. A listing asked with ListQuery.NotBefore adopts the
// window of the last listing begun afresh since then and reads its kept pages (10,000 orders
// in memory, up to 500,000 more in a temporary file; Page.AsOf says how far the window
// went), so the objects derived from orders share one multi-order listing per cycle and per
// import.
//
// Errors: the ban "Too much <function> query, IP is banned till MM.DD.YYYY HH:MM:SS" (with or
// without a trailing "!"; the time read in the shop's time zone, which the documentation
// does not state) is KindRateLimited with RetryAfter until that time (or for the documented
// hour when that time is not at least a minute ahead of the worker's clock: the clocks or the
// zones differ, and a retry at that time would go back into the ban; logged; and for that
// hour too when the message gives no time read in that layout, whatever the status), and the client
// answers the same without calling UNAS until then, for the function the message names
// and for the one it answered (they differ when a getOrderStatus call is answered with
// getOrder's ban); a token refused after one renewal, 403, and a
// refused login are KindConfig; 5xx and transport failures are retryable; 429 without a ban
// message is rate limited for a minute. Characters XML 1.0 does not allow, which UNAS writes as
// they are inside CDATA (or as character references, "&#xB;", in a bare text), are dropped
// before an answer is decoded (one would make the whole page unreadable), an answer declared in ISO-8859-2 (or ISO-8859-1, Windows-1250, Windows-1252)
// is converted to UTF-8 first, and answers are decoded leniently (a raw "&" outside CDATA is
// kept, HTML entities read). A getOrder answer that cannot be read whole is read order by
// order (lenient.go): a "]]>" left inside a CDATA text, a "<" that opens no tag and a
// tag-like part of a bare text ("Kovács <Kft> Anna", which the non-strict decoder would read
// as an element and cut the text at, without an error) are read as text, and an order that
// still cannot be read (such a part that could be its own XML) fails alone, named by its Key and where
// its XML is malformed (never its text): a listing names it in Page.Unreadable (the sync
// quarantines it; its customer too in a customers listing, when no other order of the page
// gives that customer), Get refuses it as an invalid record, FindByKey leaves it out, and
// all log it. An answer that still cannot be read (no orders answer, cut off, an encoding
// not read, an order without a readable Key) is KindConfig naming the call and what it asked
// (a listing's window and offset), since it would read the same at every retry.
package unas

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Budapest everywhere
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/crmsync/crmsync/connectors"
)

// System is the name of this connector.
const System = "unas"

// Objects of this connector.
const (
	ObjectOrder    = "order"
	ObjectCustomer = "customer"
	// ObjectCompany is the customers who order as a company (or an organisation), from their
	// latest order: the Business a connection pairs them with. An order of such a company
	// links to it, a private one does not.
	ObjectCompany = "company"
)

// customerKind reports whether object is derived from customers (customer or company).
func customerKind(object string) bool { return object == ObjectCustomer || object == ObjectCompany }

// PageSize is getOrder's maximum LimitNum.
const PageSize = 500

// DefaultBaseURL is the UNAS API root.
const DefaultBaseURL = "https://api.unas.eu/shop"

// TokenTTL is the documented token lifetime, used when Expire cannot be read.
const TokenTTL = 2 * time.Hour

// renewBefore is how long before its expiry a token is replaced.
const renewBefore = 5 * time.Minute

const (
	dateLayout = "2006.01.02 15:04:05"
	banLayout  = "01.02.2006 15:04:05"
)

// ErrReadOnly is the message of every write.
const ErrReadOnly = "unas: the webshop is read-only on this pair"

// Config configures a Client.
type Config struct {
	BaseURL string // default DefaultBaseURL; the simulator serves it at <url>/shop
	APIKey  string
	// CredentialsHint, when set, ends the error of refused credentials with where they come
	// from, e.g. "check X_ID and X_SECRET (a.credentials of conn.yaml)": names, never values.
	CredentialsHint string
	HTTPClient      *http.Client
	Now             func() time.Time
	// Budget counts the calls made to the shop in the last hour; connections on one shop
	// share one, worker processes one on the store (nil: a Budget of this client's own).
	Budget Ledger
	// OrderListsPerHour caps the multi-order getOrder calls an hour below the package's
	// limit (0: the limit, 30 on PREMIUM, 90 on VIP), for a shop other tools read too.
	OrderListsPerHour int
	// CacheDir holds the file where the pages of a large order listing wait for the other
	// objects of its cycle or import ("": os.TempDir()).
	CacheDir string
	// Shop holds the login token and the bans; the clients of one shop share one, next to
	// its Budget (nil: a Shop of this client's own).
	Shop *Shop
	// TimeZone is the shop's time zone, in which UNAS writes its dates ("": Europe/Budapest).
	TimeZone string
	// StartDate (YYYY-MM-DD), when set, is the sync start date: orders placed before its
	// midnight in shop time are never read, whenever they were modified.
	StartDate string
	// Logger receives what the records cannot say (an order whose date cannot be read); nil:
	// slog.Default().
	Logger *slog.Logger
}

// Status is one order status of the shop.
type Status struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"` // open_normal, open_prepare, close_ok, close_fault
}

// Session is what the last login answered.
type Session struct {
	ShopID       string
	Subscription string
	Permissions  []string
	Expire       time.Time
}

// Client reads one UNAS shop. It implements connectors.Connector.
type Client struct {
	base   string
	apiKey string
	hint   string // Config.CredentialsHint
	hc     *http.Client
	now    func() time.Time
	loc    *time.Location
	log    *slog.Logger

	shop  *Shop
	start time.Time // the start date's midnight in shop time; zero: none

	budget     Ledger
	orderLists int
	window     windowCache // the last order listing's pages, for the listings of the same cycle
	buyers     buyerBook   // the buyers' e-mails of the companies read, for Get
}

var _ connectors.Connector = (*Client)(nil)

// New returns a client for the shop whose API key is c.APIKey.
func New(c Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, cfgErr("config", "base_url must be an http(s) URL")
	}
	if strings.TrimSpace(c.APIKey) == "" {
		return nil, cfgErr("config", "api_key (UNAS: Beállítások / Külső kapcsolatok / API kapcsolat) is required")
	}
	hc := connectors.HTTPClient(c.HTTPClient, requestTimeout)
	now := c.Now
	if now == nil {
		now = time.Now
	}
	loc, err := shopZone(c.TimeZone)
	if err != nil {
		return nil, err
	}
	var start time.Time
	if d := strings.TrimSpace(c.StartDate); d != "" {
		if start, err = time.ParseInLocation(time.DateOnly, d, loc); err != nil {
			return nil, cfgErr("config", fmt.Sprintf("start_date %q is not a date like 2026-01-31", d))
		}
	}
	budget := c.Budget
	if budget == nil {
		budget = NewBudget()
	}
	if c.OrderListsPerHour < 0 {
		return nil, cfgErr("config", "order_lists_per_hour must not be negative")
	}
	shop := c.Shop
	if shop == nil {
		shop = NewShop()
	}
	cl := &Client{base: base, apiKey: strings.TrimSpace(c.APIKey), hc: hc, now: now, loc: loc, log: cmp.Or(c.Logger, slog.Default()),
		shop: shop, start: start, budget: budget, orderLists: c.OrderListsPerHour,
		window: windowCache{dir: c.CacheDir}, hint: c.CredentialsHint}
	if err := shop.attach(cl); err != nil {
		return nil, err
	}
	return cl, nil
}

// DefaultTimeZone is the zone of a UNAS shop's dates unless its connection names another.
const DefaultTimeZone = "Europe/Budapest"

// shopZone loads the shop's time zone (name "": DefaultTimeZone).
func shopZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultTimeZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, cfgErr("config", fmt.Sprintf("time_zone %q is not an IANA time zone such as Europe/Budapest", name))
	}
	return loc, nil
}

// System returns "unas".
func (c *Client) System() string { return System }

func cfgErr(op, msg string) *connectors.Error {
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: op, Message: msg}
}

// Session returns what the last login answered (zero before the first one).
func (c *Client) Session() Session {
	s := c.shop.session()
	s.Permissions = append([]string(nil), s.Permissions...)
	return s
}

// ---- token ---------------------------------------------------------------------------------

// currentToken returns a valid token, logging in when there is none; logins never overlap. A
// call that waited for a login UNAS refused (the key, or a ban) fails with that refusal
// rather than log in again itself: each waiting call logging in in turn would spend UNAS's 5
// failed logins an hour in one burst, and 10 calls in 10 minutes that UNAS cannot tie to a
// shop ban the IP for every shop for 2 hours.
func (c *Client) currentToken(ctx context.Context) (string, error) {
	return c.shop.token.Get(ctx, c.doLogin)
}

type loginResp struct {
	XMLName      xml.Name `xml:"Login"`
	Token        string   `xml:"Token"`
	Expire       string   `xml:"Expire"`
	ShopID       string   `xml:"ShopId"`
	Subscription string   `xml:"Subscription"`
	Permissions  []string `xml:"Permissions>Permission"`
	Status       string   `xml:"Status"`
}

func (c *Client) doLogin(ctx context.Context) (string, time.Time, error) {
	const op = "POST login"
	if err := c.checkBan("login", op); err != nil {
		return "", time.Time{}, err
	}
	// UNAS counts a login among the IP's calls of the hour, as every other call. Before the
	// first login the package is not known: PREMIUM's lower total applies.
	if err := c.spend(ctx, ClassTotal, op); err != nil {
		return "", time.Time{}, err
	}
	body := fmt.Sprintf("<Params><ApiKey>%s</ApiKey></Params>", escape(c.apiKey))
	status, raw, err := c.post(ctx, "login", "", body)
	if err != nil {
		return "", time.Time{}, err
	}
	if e := c.classify(op, "login", status, raw); e != nil {
		// A ban is waited out whatever its status (UNAS's are not documented): it is no
		// refused key.
		if e.Kind != connectors.KindRateLimited && (e.Kind == connectors.KindInvalid || status == http.StatusUnauthorized || status == http.StatusForbidden) {
			e.Kind = connectors.KindConfig
			e.Message = fmt.Sprintf("unas: login refused (%s): check the API key and its permissions; "+
				"crmsync does not log in again for %d minutes (UNAS bans the IP after 5 failed logins an hour)", e.Message, int(refusalHold.Minutes()))
			e.Message = connectors.WithCredentialsHint(e.Message, c.hint)
		}
		return "", time.Time{}, e
	}
	var lr loginResp
	if err := decodeXML(raw, &lr); err != nil || strings.TrimSpace(lr.Token) == "" {
		return "", time.Time{}, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Status: status, Message: "login answer without a token"}
	}
	now := c.now()
	exp := now.Add(TokenTTL)
	if t, err := time.ParseInLocation(dateLayout, strings.TrimSpace(lr.Expire), c.loc); err == nil && t.After(now) && t.Before(exp) {
		exp = t
	}
	c.shop.setSession(Session{ShopID: strings.TrimSpace(lr.ShopID), Subscription: strings.TrimSpace(lr.Subscription), Permissions: lr.Permissions, Expire: exp})
	return strings.TrimSpace(lr.Token), exp, nil
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ---- transport -----------------------------------------------------------------------------

func (c *Client) post(ctx context.Context, function, token, body string) (int, []byte, error) {
	op := "POST " + function
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+function,
		strings.NewReader(`<?xml version="1.0" encoding="UTF-8" ?>`+body))
	if err != nil {
		return 0, nil, cfgErr(op, err.Error())
	}
	req.Header.Set("Content-Type", "application/xml")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return 0, nil, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Status: resp.StatusCode, Message: err.Error()}
	}
	return resp.StatusCode, raw, nil
}

// banStart is the start of a ban message, naming the function banned.
const banStart = `Too much ([A-Za-z\s]+?) query, IP is banned`

// banRe matches the ban message in both spellings.
var banRe = regexp.MustCompile(banStart + ` till ([0-9]{2}\.[0-9]{2}\.[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2})\s*!?`)

// banSaid matches the start of a ban message, whatever follows it: a ban whose time ParseBan
// cannot read is still one.
var banSaid = regexp.MustCompile(banStart)

// ParseBan reads a ban message: the function and the time it ends (read in Europe/Budapest).
func ParseBan(msg string, loc *time.Location) (function string, until time.Time, ok bool) {
	m := banRe.FindStringSubmatch(msg)
	if m == nil {
		return "", time.Time{}, false
	}
	t, err := time.ParseInLocation(banLayout, m[2], loc)
	if err != nil {
		return "", time.Time{}, false
	}
	return strings.TrimSpace(m[1]), t, true
}

func (c *Client) checkBan(function, op string) error {
	if until := c.shop.bannedUntil(function); !until.IsZero() {
		if d := until.Sub(c.now()); d > 0 {
			return &connectors.Error{Kind: connectors.KindRateLimited, System: System, Op: op, RetryAfter: d,
				Message: fmt.Sprintf("unas: %s is banned for this IP until %s", function, until.UTC().Format(time.RFC3339))}
		}
	}
	return nil
}

// banLength is how long UNAS bans an IP that broke a limit (documented: an hour).
const banLength = time.Hour

// banEnd is when to call fn again after UNAS banned it till until (read in time_zone): until,
// unless it is not at least a minute ahead of now. Such an end is the two clocks disagreeing
// (the worker's ahead of UNAS's), or UNAS writing its ban times in a zone ahead of time_zone;
// retried at that end, each call would go back into the ban, fail, and count towards UNAS's
// failed-call limits, so the documented ban length from now is waited instead. An end further
// ahead than that length is waited as UNAS says (a wait too long costs time, not a ban), and
// said.
func (c *Client) banEnd(fn string, until, now time.Time) time.Time {
	ahead := until.Sub(now)
	switch {
	case ahead < time.Minute:
		end := now.Add(banLength)
		c.log.Warn("unas: UNAS announced a ban that ends in the past or within a minute by this worker's clock: the worker's clock is ahead of UNAS's, or UNAS writes ban times in another zone than time_zone; waiting UNAS's documented ban of an hour instead of calling into the ban",
			"function", fn, "banned_till", until.Format(banLayout), "time_zone", c.loc.String(),
			"worker_now", now.UTC().Format(time.RFC3339), "ahead", ahead, "waiting_until", end.UTC().Format(time.RFC3339))
		return end
	case ahead > banLength+5*time.Minute:
		c.log.Warn("unas: UNAS announced a ban that ends further ahead than its documented hour by this worker's clock: the clocks differ, or UNAS writes ban times in another zone than time_zone; waiting as UNAS says",
			"function", fn, "banned_till", until.Format(banLayout), "time_zone", c.loc.String(),
			"worker_now", now.UTC().Format(time.RFC3339), "ahead", ahead)
	}
	return until
}

// nearest returns, of the instants whose wall time in loc is t's (two in the hour the clocks go
// back, which Go reads as the later), the one nearest want: a ban's end, an hour from when it
// was issued, is the earlier one when it is issued in the hour before the change.
func nearest(t, want time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	_, off := t.Zone()
	_, before := t.Add(-3 * time.Hour).Zone()
	if before <= off {
		return t
	}
	earlier := t.Add(-time.Duration(before-off) * time.Second)
	if earlier.Format(banLayout) != t.Format(banLayout) { // not the same wall time: not repeated
		return t
	}
	if want.Sub(earlier).Abs() < want.Sub(t).Abs() {
		return earlier
	}
	return t
}

// errorText returns the text of an <Error> answer, or "" when raw is not one.
func errorText(raw []byte) string {
	var e struct {
		XMLName xml.Name `xml:"Error"`
		Text    string   `xml:",chardata"`
	}
	if decodeXML(raw, &e) != nil {
		return ""
	}
	return strings.TrimSpace(e.Text)
}

// classify turns an answer into nil (success) or a classified error.
func (c *Client) classify(op, function string, status int, raw []byte) *connectors.Error {
	msg := errorText(raw)
	if status == http.StatusOK && msg == "" {
		return nil
	}
	if m := banSaid.FindStringSubmatch(msg); m != nil {
		now := c.now()
		fn, said, read := ParseBan(msg, c.loc)
		var until time.Time
		if read {
			said = nearest(said, now.Add(banLength), c.loc)
			until = c.banEnd(fn, said, now)
		} else {
			// A time in another layout than the documented one, or none: UNAS's documented
			// ban of an hour. Taken for a refused request, it would pause the connection, and
			// its resume would call into the ban again.
			fn, until = strings.TrimSpace(m[1]), now.Add(banLength)
			c.log.Warn("unas: UNAS announced a ban whose end cannot be read (documented: MM.DD.YYYY HH:MM:SS); waiting its documented ban of an hour",
				"function", fn, "message", msg, "waiting_until", until.UTC().Format(time.RFC3339))
		}
		// The message names the function banned, which need not be the one called (the
		// IP's getOrder ban may answer a getOrderStatus call): both wait for the ban's end,
		// the one named so that it is not called straight into the ban, the one called
		// since UNAS has just refused it.
		c.shop.ban(fn, until)
		if function != fn {
			c.shop.ban(function, until)
		}
		text := fmt.Sprintf("unas: too many %s calls, the IP is banned until %s", fn, until.UTC().Format(time.RFC3339))
		switch {
		case !read:
			text = fmt.Sprintf("unas: too many %s calls, the IP is banned (UNAS: %q, a time crmsync cannot read): waiting UNAS's documented ban of an hour, until %s",
				fn, msg, until.UTC().Format(time.RFC3339))
		case !until.Equal(said):
			text = fmt.Sprintf("unas: too many %s calls, the IP is banned till %s in %s, which is not ahead of this worker's clock (the clocks differ, or UNAS writes ban times in another zone than time_zone): waiting UNAS's documented ban of an hour, until %s",
				fn, said.Format(banLayout), c.loc, until.UTC().Format(time.RFC3339))
		}
		return &connectors.Error{Kind: connectors.KindRateLimited, System: System, Op: op, Status: status, RetryAfter: until.Sub(now), Message: text}
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	kind := connectors.ClassifyStatus(status)
	if status == http.StatusOK { // an <Error> answered 200
		kind = connectors.KindInvalid
	}
	e := &connectors.Error{Kind: kind, System: System, Op: op, Status: status, Message: msg}
	switch kind {
	case connectors.KindRateLimited:
		e.RetryAfter = time.Minute
	case connectors.KindConfig:
		if status == http.StatusForbidden {
			e.Message = fmt.Sprintf("unas: the API key lacks the %s permission (%s)", function, msg)
		}
	}
	return e
}

// call runs function with the XML params body and decodes the answer into out; asked says
// what was asked (the window and offset of a listing, the key of an order) for the message of
// an answer that cannot be read.
func (c *Client) call(ctx context.Context, function, params, asked string, out any) error {
	return c.callWith(ctx, function, params, asked, func(raw []byte) error { return decodeXML(raw, out) })
}

// callWith is call with its own reading of the answer.
func (c *Client) callWith(ctx context.Context, function, params, asked string, decode func(raw []byte) error) error {
	op := "POST " + function
	status, raw, err := c.exchange(ctx, function, params, op)
	if e := (*connectors.Error)(nil); errors.As(err, &e) && e.Kind == connectors.KindInvalid {
		// a refused read is our request's fault or the shop's setup, never a record's
		e.Kind = connectors.KindConfig
	}
	if err != nil {
		return err
	}
	if err := decode(raw); err != nil {
		// The whole answer was received: it reads the same every time, and retried it would
		// spend the scarce budget (30 multi-order calls an hour) on it forever and hold the
		// sync behind it. The connection pauses, naming it, for someone to look.
		reason := err.Error()
		if len(bytes.TrimSpace(raw)) == 0 {
			reason = "the answer is empty"
		}
		return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: op, Status: status,
			Message: fmt.Sprintf("unas: UNAS's answer to %s%s cannot be read, even leniently (%s): an order in it is likely malformed in UNAS; correct it there (or ask UNAS support), then resume the connection", function, asked, reason)}
	}
	return nil
}

// decodeXML decodes an answer made UTF-8 of XML 1.0 characters (utf8Answer: an answer in
// ISO-8859-2 or another single-byte encoding declared is converted first), leniently
// (newDecoder).
func decodeXML(raw []byte, out any) error {
	text, err := utf8Answer(raw)
	if err != nil {
		return err
	}
	return decodeClean(text, out)
}

// xmlChars drops the characters XML 1.0 does not allow (a U+000B pasted into a customer's
// name, which UNAS writes as is inside CDATA) and turns invalid UTF-8 into U+FFFD:
// encoding/xml refuses the whole answer for one of them, and a page that can never be read
// would be retried forever.
func xmlChars(raw []byte) []byte {
	if xmlClean(raw) {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		if xmlChar(r) {
			out = utf8.AppendRune(out, r) // an invalid byte comes out as U+FFFD
		}
		raw = raw[n:]
	}
	return out
}

// xmlClean reports whether raw is valid UTF-8 made of XML 1.0 characters only.
func xmlClean(raw []byte) bool {
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		if (r == utf8.RuneError && n == 1) || !xmlChar(r) {
			return false
		}
		raw = raw[n:]
	}
	return true
}

// xmlChar is XML 1.0's Char production.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// tokenWords are the words of an <Error> about the token ("Invalid token", "Token expired",
// "Érvénytelen token", "Bearer missing"); a missing permission ("No permission for
// getOrder") is not one.
var tokenWords = regexp.MustCompile(`(?i)token|bearer`)

// tokenRefused reports whether an answer refuses the call's token: a 401, or an <Error> about
// the token at any other 4xx (UNAS's documented error shape is 400 + <Error>, reference §3.3)
// or at 200. A ban message is never one: it is waited out, not answered with a login.
func tokenRefused(status int, raw []byte) bool {
	msg := errorText(raw)
	if banSaid.MatchString(msg) { // whatever the status: UNAS's are not documented
		return false
	}
	if status == http.StatusUnauthorized {
		return true
	}
	if status != http.StatusOK && (status < 400 || status > 499) {
		return false
	}
	return msg != "" && tokenWords.MatchString(msg)
}

// exchange posts params to function as every call does: never into a ban, within the hourly
// budget, with a token renewed once when UNAS refuses it (tokenRefused: a 401, or an <Error>
// about the token). It returns the answer's status and body, and a
// classified error for anything but a 200 answer without <Error>.
func (c *Client) exchange(ctx context.Context, function, params, op string) (int, []byte, error) {
	if err := c.checkBan(function, op); err != nil {
		return 0, nil, err
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.currentToken(ctx)
		if err != nil {
			return 0, nil, err
		}
		// After the login, which tells the package and so the limits.
		if err := c.spend(ctx, classOf(function, params), op); err != nil {
			return 0, nil, err
		}
		status, raw, err := c.post(ctx, function, tok, params)
		if err != nil {
			return status, nil, err
		}
		refused := tokenRefused(status, raw)
		if refused && attempt == 0 {
			c.shop.token.Drop(tok)
			continue
		}
		if e := c.classify(op, function, status, raw); e != nil {
			if refused {
				e.Kind, e.Message = connectors.KindConfig, "unas: the token was refused after a fresh login ("+e.Message+")"
			}
			return status, raw, e
		}
		return status, raw, nil
	}
}

// OrderPipeline is the id of the one pipeline UNAS orders move along: the shop's statuses.
const OrderPipeline = "orders"

var _ connectors.Staged = (*Client)(nil)

// Pipeline implements connectors.Staged: the shop's order statuses, in the order the shop
// arranges them (Statuses), each stage named and identified by the status name (the "status"
// field of an order).
func (c *Client) Pipeline(ctx context.Context, id string) (string, []connectors.Stage, error) {
	if id != OrderPipeline {
		return "", nil, cfgErr("getOrderStatus", fmt.Sprintf("unas has one pipeline, %q, not %q", OrderPipeline, id))
	}
	statuses, err := c.Statuses(ctx)
	if err != nil {
		return "", nil, err
	}
	stages := make([]connectors.Stage, len(statuses))
	for i, s := range statuses {
		stages[i] = connectors.Stage{ID: s.Name, Name: s.Name}
	}
	return "UNAS orders", stages, nil
}

// statusName is a status name as read, composed (Unicode NFC): a shop owner who typed it
// with decomposed accents (macOS: "e" + U+0301) wrote the name a status map (composed by
// config.ParseStatusMap) means, and both must compare equal.
func statusName(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// Statuses returns the shop's order statuses (getOrderStatus), their names composed, in the
// order the shop's admin arranges them (their Order), which the answer need not follow (a
// status added later has a higher Id wherever it is placed); statuses without an Order keep
// their place in the answer, after the others.
func (c *Client) Statuses(ctx context.Context) ([]Status, error) {
	var out struct {
		XMLName  xml.Name `xml:"OrderStatuses"`
		Statuses []struct {
			ID    string `xml:"Id"`
			Name  string `xml:"Name"`
			Type  string `xml:"Type"`
			Order string `xml:"Order"`
		} `xml:"OrderStatus"`
	}
	if err := c.call(ctx, "getOrderStatus", "<Params></Params>", "", &out); err != nil {
		return nil, err
	}
	type placed struct {
		Status
		place int // its Order; none: after the others
	}
	all := make([]placed, 0, len(out.Statuses))
	for _, s := range out.Statuses {
		id, _ := strconv.Atoi(strings.TrimSpace(s.ID))
		place, err := strconv.Atoi(strings.TrimSpace(s.Order))
		if err != nil {
			place = math.MaxInt
		}
		all = append(all, placed{Status{ID: id, Name: statusName(s.Name), Type: strings.TrimSpace(s.Type)}, place})
	}
	slices.SortStableFunc(all, func(a, b placed) int { return cmp.Compare(a.place, b.place) })
	res := make([]Status, len(all))
	for i, p := range all {
		res[i] = p.Status
	}
	return res, nil
}

// ---- writes --------------------------------------------------------------------------------

func readOnly(op string) error {
	return cfgErr(op, ErrReadOnly)
}

// Create is refused: the webshop is read-only on this pair.
func (c *Client) Create(context.Context, string, []connectors.Record) ([]connectors.Result, error) {
	return nil, readOnly("create")
}

// Update is refused: the webshop is read-only on this pair.
func (c *Client) Update(context.Context, string, []connectors.Record) ([]connectors.Result, error) {
	return nil, readOnly("update")
}

// Delete is refused: the webshop is read-only on this pair.
func (c *Client) Delete(context.Context, string, []string) ([]connectors.Result, error) {
	return nil, readOnly("delete")
}

var errUnknownObject = errors.New("unknown object")

func objectErr(op, object string) error {
	return cfgErr(op, fmt.Sprintf("unas: unknown object %q (order, customer, company): %v", object, errUnknownObject))
}
