// Package weavy is the connector for Divalto weavy's REST "Data" API, for the Divalto weavy ⇄
// Webmecanik Automation pair.
//
// Objects:
//   - "company" is the weavy table "Client" (entity customer); ids are customer codes.
//   - "contact" is virtual: it unites "Client / Contact" (customercontact, ids "c:<code>") and
//     "Marketing / Entrant" (marketinginbound, ids "e:<code>"), because the pair updates the
//     weavy contact that has an Automation contact's e-mail and otherwise creates an entrant.
//     Listings page through customercontact then marketinginbound; FindByKey returns contacts
//     before entrants; Create makes entrants; Get and Update route by the id's prefix.
//     Contacts carry Links["company"] = their customer code (customer_ID); entrants have none.
//     Describe lists the fields of both tables; each record's Absent names those its own
//     table lacks (an entrant's mobilePhoneNumber, a contact's companyName): unknown, not empty.
//     Config.ContactTables (the setting contact_tables) may sync one table alone, as the
//     Divalto plugin lets users select contacts and entrants apart: the other is then never
//     called (not listed, looked up, read by id, described, written nor rights-checked; its
//     ids are left out of Get, so the engine leaves their pairs alone), and without entrants
//     no contact is created (each create fails its own Result, saying why).
//   - Deletes are refused: the pair never propagates them.
//
// Auth: POST /v1/Authenticate once, the bearer token is reused and renewed before its
// expiresIn runs out, and once on a 401; one login at a time. weavy may answer a right
// switched off with 401 rather than 403, and also drops tokens before their expiresIn (a
// restart, a password change): a 401 is taken for the table's right only when the token
// issued by the login that followed it is refused on that table too, and the table is then
// refused with that token without logging in again for a minute (a switched-off table costs
// one login a minute at most, not one per call; a token weavy dropped since the refusal, the
// right back on, is renewed within a minute).
//
// Paging: Select takes an offset and answers pages of a size the API does not announce, so
// the client learns it by table: the longest page a Select of the table answered (a table is
// probed with one light unfiltered Select before its first lookup), lowered when a shorter
// page turns out to be full. A listing or a lookup ends only on a Select, at the offset
// after the last record read, that brings nothing new, since the server's page size may
// change at any time, tenfold and more (or differ by table): neither a page shorter than that
// size nor a page read back from before its offset (see pageAt) that holds only records read
// already tells, for either may be full at a lower page size. A listing then checks that
// the last record it read is still in its place (a record before it deleted in between would
// have moved the next one before that offset, and the listing would miss it for good). A
// lookup with one match costs two Selects, a listing two more than its pages (three more when
// it ends on a page as long as the page size seen), a lookup or listing that finds nothing
// one. Before anything is
// learned, a listing's first page's length is taken. A full page of records already read
// means weavy ignores offset (KindConfig) when the first page, read again, is those records:
// records that moved forward between two Selects answer such a page too.
// Since becomes a filter srvDate GreaterThan Since-1s (second resolution) in srvDate's wall
// time: srvDate is the stamp the Divalto plugin filters on (whether srvDateUTC can be filtered
// on is not documented), but its zone is not documented either, so it is measured on the
// records read (srvDate − srvDateUTC; see srvZone). A listing by a client that has measured
// nothing yet (a worker restart, a connection file re-read) first reads one light unfiltered
// page of the table to measure it on; a table with nothing to measure on is filtered 14 hours
// early (the largest zone offset), so no change is missed. Config.TimeZone is a hint: it
// tells which of the measured offsets is the zone's (daylight saving). Select asks for every dictionary field (returnFields): weavy
// answers only the fields asked for.
// The order of Select is not documented either: each page after the first is read from a few
// records before its offset and resumes after the last records of the previous page, so a
// record deleted or moved while the listing runs makes none skipped (see pageAt).
//
// FindByKey sends one value per equal filter: whether several values are ORed is not
// documented.
//
// Values: text, foreign keys and select → string; int and decimal → float64; boolean → bool;
// datetime → "YYYY-MM-DD HH:MM:SS" as the payloads give them (the "T" form is read too); empty
// → nil. Date-times written in RFC 3339 are sent as "YYYY-MM-DDTHH:MM:SS" (UTC), the
// documented input form.
//
// Errors: a right switched off in the studio (403) is a KindConfig error naming the table and
// the studio column (API lecture, API ajout, API MAJ), but a 403 whose body names a field
// (fieldName: that field's own canInsert / canUpdate is off; a 401 too) fails that record only
// (KindInvalid naming the field and the table); 401 after one renewal is KindConfig;
// 429 is KindRateLimited (Retry-After, else 1s); 5xx and transport failures are retryable; a
// 400 on a write fails that record only (KindInvalid naming the field).
package weavy

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
)

// System is the name of this connector.
const System = "weavy"

// Entity names of the weavy REST Data API.
const (
	EntityCustomer        = "customer"
	EntityCustomerContact = "customercontact"
	EntityEntrant         = "marketinginbound"
)

// Id prefixes of the virtual "contact" object.
const (
	PrefixContact = "c:"
	PrefixEntrant = "e:"
)

// Concurrency bounds parallel single-record calls (Get, Create, Update) and the Selects of
// FindByKey.
const Concurrency = 8

// dictTTL bounds how long a dictionary is trusted: custom fields and select options added in
// the studio are seen within it (as the engine's codecs do).
const dictTTL = 15 * time.Minute

// tableLabel is the table name the weavy studio shows.
var tableLabel = map[string]string{
	EntityCustomer:        "Client",
	EntityCustomerContact: "Client / Contact",
	EntityEntrant:         "Marketing / Entrant",
}

// tableName is the studio's name of an entity's table, or the entity itself for a table the
// connector does not sync (one an any-call reaches).
func tableName(entity string) string { return cmp.Or(tableLabel[entity], entity) }

// Rights, by the studio column that switches them on.
const (
	rightRead   = "API lecture"
	rightInsert = "API ajout"
	rightUpdate = "API MAJ"
)

// Config configures a Client.
type Config struct {
	BaseURL  string // e.g. https://api.weavy.divalto.com
	Project  string // project (company) code
	UserName string
	Password string
	// CredentialsHint, when set, ends the error of refused credentials with where they come
	// from, e.g. "check X_ID and X_SECRET (a.credentials of conn.yaml)": names, never values.
	CredentialsHint   string
	RequestsPerSecond float64 // client-side limiter; 0 → 10
	// TimeZone is the zone of the server's srvDate stamps (IANA name; "" → Europe/Paris,
	// where Divalto hosts weavy).
	TimeZone   string
	HTTPClient *http.Client
	// Limiter, when set, replaces the client's own: connectors on one project share it.
	Limiter *rate.Limiter
	// Logger receives warnings (a record read without its code); nil → slog.Default().
	Logger *slog.Logger
	// ContactTables is the setting contact_tables: which weavy tables the "contact" object
	// syncs, "contacts", "entrants" or both, comma-separated ("" → both; see ContactTables).
	ContactTables string
}

// ContactTables are the weavy tables the "contact" object syncs (the Divalto plugin's
// "Sélection des objets synchronisés": contacts and entrants are chosen apart). A table not
// synced is never called: its records are neither listed, looked up, read by id nor written,
// and its rights are not needed. Without entrants, no contact is created (creates make
// entrants); without contacts, a contact is created or updated as an entrant by its e-mail.
type ContactTables struct{ Contacts, Entrants bool }

// The values of contact_tables.
const (
	TableContacts = "contacts"
	TableEntrants = "entrants"
)

// ContactTableNames are the values of contact_tables, contacts first.
func ContactTableNames() []string { return ContactTables{Contacts: true, Entrants: true}.names() }

// ParseContactTables reads contact_tables: "contacts", "entrants", or both, comma-separated,
// in any order; "" (left out) is both. It is the one reading of the setting: config's
// validation calls it too. A value refused is a *ContactTablesError.
func ParseContactTables(s string) (ContactTables, error) {
	if strings.TrimSpace(s) == "" {
		return ContactTables{Contacts: true, Entrants: true}, nil
	}
	var t ContactTables
	for _, v := range strings.Split(s, ",") {
		switch v = strings.TrimSpace(v); v {
		case "":
		case TableContacts:
			t.Contacts = true
		case TableEntrants:
			t.Entrants = true
		default:
			return ContactTables{}, &ContactTablesError{Name: v}
		}
	}
	if !t.Contacts && !t.Entrants {
		return ContactTables{}, &ContactTablesError{}
	}
	return t, nil
}

// ContactTablesError is a contact_tables value refused. Its message names no setting: each
// reader says where the value came from (the connector "contact_tables", validate the file
// and the field).
type ContactTablesError struct {
	Name string // the name that is no contact table; "" when the value names none
}

func (e *ContactTablesError) Error() string {
	if e.Name == "" {
		return `names no table: give contacts, entrants, or both ("contacts, entrants")`
	}
	return fmt.Sprintf("%q is not one of %s", e.Name, strings.Join(ContactTableNames(), ", "))
}

// String is the setting's value for t, as messages show it.
func (t ContactTables) String() string { return strings.Join(t.names(), ", ") }

// names returns the contact_tables names of the tables t syncs, contacts first.
func (t ContactTables) names() []string {
	var out []string
	if t.Contacts {
		out = append(out, TableContacts)
	}
	if t.Entrants {
		out = append(out, TableEntrants)
	}
	return out
}

// Tables returns the weavy tables the object is read from, by their contact_tables names:
// those synced now, and all of them; none for an object of one table. The sync keeps a
// cursor a table with them, so that a table switched off and back on reads what changed in
// it meanwhile (activities: tableSelector).
func (c *Client) Tables(object string) (synced, all []string) {
	if object != connectors.ObjectContact {
		return nil, nil
	}
	return c.tables.names(), ContactTableNames()
}

// DefaultTimeZone is the zone of srvDate unless the connection names another (a hint only:
// the offset is measured on the records read, before the first filtered listing).
const DefaultTimeZone = "Europe/Paris"

// NewLimiter is the client-side limiter of a rate (requests a second; 0 → 10).
func NewLimiter(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		perSecond = 10
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
}

// Client talks to one weavy project. It implements connectors.Connector.
type Client struct {
	http     *resty.Client
	limiter  *rate.Limiter
	project  string
	user     string
	password string
	hint     string         // Config.CredentialsHint
	zone     *time.Location // of srvDate, as configured: a hint until srv has measured it
	tables   ContactTables
	now      func() time.Time
	log      *slog.Logger

	token connectors.Token
	auth  authState
	srv   srvZone
	pages pageSize

	dmu   sync.Mutex
	dicts map[string]dictEntry
}

var _ connectors.Connector = (*Client)(nil)

// New returns a client for the project c.Project at c.BaseURL.
func New(c Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, cfgErr("config", "base_url must be an http(s) URL")
	}
	if strings.TrimSpace(c.Project) == "" || strings.ContainsAny(c.Project, "/?#") {
		return nil, cfgErr("config", "project (the weavy project code) is required")
	}
	if c.UserName == "" || c.Password == "" {
		return nil, cfgErr("config", "user name and password are required")
	}
	zone, err := time.LoadLocation(cmp.Or(strings.TrimSpace(c.TimeZone), DefaultTimeZone))
	if err != nil {
		return nil, cfgErr("config", fmt.Sprintf("time_zone %q is not an IANA time zone such as Europe/Paris", c.TimeZone))
	}
	tables, err := ParseContactTables(c.ContactTables)
	if err != nil {
		return nil, cfgErr("config", "contact_tables: "+err.Error())
	}
	limiter := c.Limiter
	if limiter == nil {
		limiter = NewLimiter(c.RequestsPerSecond)
	}
	hc := connectors.HTTPClient(c.HTTPClient, 60*time.Second)
	rc := resty.NewWithClient(hc).SetBaseURL(base).SetHeader("Accept", "application/json").SetDisableWarn(true)
	cl := &Client{
		http: rc, limiter: limiter,
		project: strings.TrimSpace(c.Project), user: c.UserName, password: c.Password, zone: zone, tables: tables, now: time.Now, hint: c.CredentialsHint,
		log: cmp.Or(c.Logger, slog.Default()), dicts: map[string]dictEntry{},
	}
	cl.token = connectors.Token{System: System, Op: authOp, Margin: 5 * time.Minute, Now: func() time.Time { return cl.now() }}
	return cl, nil
}

// System returns "weavy".
func (c *Client) System() string { return System }

func cfgErr(op, msg string) *connectors.Error {
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: op, Message: msg}
}

// rightsError is the KindConfig error of a right switched off in the studio.
func rightsError(op, entity, right string, status int) *connectors.Error {
	e := cfgErr(op, fmt.Sprintf("weavy: the %s right is off for the table %s: switch it on in the weavy studio", right, tableName(entity)))
	e.Status = status
	return e
}

// ---- token ----------------------------------------------------------------------------------

// currentToken returns a token valid for a while yet, logging in when there is none.
func (c *Client) currentToken(ctx context.Context) (string, error) {
	return c.token.Get(ctx, c.authenticate)
}

// authOp names the login in errors.
const authOp = "POST /v1/Authenticate"

func (c *Client) authenticate(ctx context.Context) (string, time.Time, error) {
	const op = authOp
	if err := connectors.WaitToSend(ctx, c.limiter, System, op); err != nil {
		return "", time.Time{}, err
	}
	start := c.now()
	resp, err := c.http.R().SetContext(ctx).SetHeader("Content-Type", "application/json").
		SetBody(map[string]string{"scope": "API", "projectCode": c.project, "userName": c.user, "password": c.password}).
		Post("/v1/Authenticate")
	if err != nil {
		return "", time.Time{}, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: c.scrub(connectors.TransportReason(ctx, err))}
	}
	if st := resp.StatusCode(); st != http.StatusOK {
		e := c.statusError(op, st, resp)
		if st == http.StatusUnauthorized || st == http.StatusForbidden || st == http.StatusBadRequest {
			e.Kind = connectors.KindConfig
			e.Message = "weavy refused the user name, password or project code"
			e.Message = connectors.WithCredentialsHint(e.Message, c.hint)
		}
		return "", time.Time{}, e
	}
	var body struct {
		AuthToken string  `json:"authToken"`
		ExpiresIn float64 `json:"expiresIn"`
	}
	if err := json.Unmarshal(resp.Body(), &body); err != nil || body.AuthToken == "" {
		return "", time.Time{}, cfgErr(op, "the answer holds no authToken; check base_url")
	}
	c.auth.issued(body.AuthToken, c.now())
	ttl := time.Duration(body.ExpiresIn * float64(time.Second))
	if ttl <= 0 {
		ttl = 12 * time.Hour // the documented lifetime
	}
	return body.AuthToken, start.Add(ttl), nil
}

// ---- requests -------------------------------------------------------------------------------

// call describes one API request.
type call struct {
	method, path string
	op           string // route without codes or values
	entity       string // for rights errors
	right        string
	body         any
}

// do sends one request with the bearer token, renewing the token once on a 401 (see
// authState), and returns
// the body of a 2xx answer or a classified *Error (rights → KindConfig naming the table). A
// short quota wait, and a server error or a lost answer of a call that reads (a Select is a
// POST that reads) or writes the same values again, are tried again within it
// (connectors.Retry).
func (c *Client) do(ctx context.Context, k call) (b []byte, st int, err error) {
	err = connectors.Do(ctx, c.Repeatable(k.method, k.path), func() error {
		b, st, err = c.doOnce(ctx, k)
		return err
	})
	return b, st, err
}

func (c *Client) doOnce(ctx context.Context, k call) ([]byte, int, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.currentToken(ctx)
		if err != nil {
			return nil, 0, err
		}
		if err := connectors.WaitToSend(ctx, c.limiter, System, k.op); err != nil {
			return nil, 0, err
		}
		req := c.http.R().SetContext(ctx).SetAuthToken(tok)
		if k.body != nil {
			req.SetHeader("Content-Type", "application/json").SetBody(k.body)
		}
		resp, err := req.Execute(k.method, k.path)
		if err != nil {
			return nil, 0, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: k.op, Message: c.scrub(connectors.TransportReason(ctx, err))}
		}
		st := resp.StatusCode()
		if st != http.StatusUnauthorized {
			c.auth.accept(tok)
		}
		if (st == http.StatusForbidden || st == http.StatusUnauthorized) && k.entity != "" {
			// a field's own right (weavy may answer a right with 401 as well as 403)
			if fe := c.fieldRefused(k, st, resp); fe != nil {
				return nil, st, fe
			}
		}
		switch {
		case st >= 200 && st < 300:
			return resp.Body(), st, nil
		case st == http.StatusUnauthorized && attempt == 0 && c.auth.mayRenew(tok, k.entity+"/"+k.right, c.now()):
			if c.token.Current() == tok { // not renewed yet by a call refused with it too
				c.auth.dropped()
			}
			c.token.Drop(tok)
			continue
		case st == http.StatusUnauthorized && k.entity != "":
			c.auth.refuse(tok, k.entity+"/"+k.right, c.now())
			return nil, st, rightsError(k.op, k.entity, k.right, st)
		case st == http.StatusUnauthorized:
			e := c.statusError(k.op, st, resp)
			e.Message = "weavy refused a freshly issued token; check the API user's rights"
			return nil, st, e
		case st == http.StatusForbidden && k.entity != "":
			return nil, st, rightsError(k.op, k.entity, k.right, st)
		}
		return nil, st, c.statusError(k.op, st, resp)
	}
}

// apiError is the error body (its shape is undocumented: the simulator's
// {"errorCode","message","fieldName"} and ASP.NET's {"Message"} are read).
type apiError struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"` // matches "Message" too
	FieldName string `json:"fieldName"`
}

// fieldRefused is the error of a 403 whose body names a field: that field's own right
// (canInsert / canUpdate) is off, so the record that carries it is refused, not the table:
// KindInvalid, naming the field and the table. nil when the body names no field.
func (c *Client) fieldRefused(k call, st int, resp *resty.Response) *connectors.Error {
	var b apiError
	if json.Unmarshal(resp.Body(), &b) != nil || strings.TrimSpace(b.FieldName) == "" {
		return nil
	}
	field := strings.TrimSpace(b.FieldName)
	why := cmp.Or(c.scrub(b.Message), http.StatusText(st))
	return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: k.op, Status: st,
		Message: fmt.Sprintf("weavy refused the field %s of the table %s (%s)", field, tableName(k.entity), why),
		Fields:  map[string]string{field: why}}
}

func (c *Client) statusError(op string, st int, resp *resty.Response) *connectors.Error {
	e := &connectors.Error{Kind: connectors.ClassifyStatus(st), System: System, Op: op, Status: st}
	var b apiError
	_ = json.Unmarshal(resp.Body(), &b)
	e.Message = c.scrub(b.Message)
	if e.Message == "" {
		e.Message = http.StatusText(st)
	}
	if b.FieldName != "" && e.Kind == connectors.KindInvalid {
		e.Fields = map[string]string{b.FieldName: e.Message}
	}
	if e.Kind == connectors.KindRateLimited {
		e.RetryAfter = time.Second
		if d, ok := connectors.ParseRetryAfter(resp.Header().Get("Retry-After"), c.now()); ok {
			e.RetryAfter = d
		}
	}
	return e
}

// scrub removes e-mail addresses and the password from a message and bounds its length.
func (c *Client) scrub(s string) string { return connectors.Redact(s, c.password) }

func (c *Client) dataPath(parts ...string) string {
	p := "/v1/Data/" + url.PathEscape(c.project)
	for _, s := range parts {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// authState tells a 401 that means "token dropped" from one that means "right off" (which
// weavy may answer instead of 403). Any token may have been dropped by the server, even one
// never used yet: a 401 is answered with one new login (connectors.Token: one at a time, and
// the calls refused together share it). A 401 to the token of that login (fresh: issued after
// a 401 and not accepted since) is the table's right, and so is a 401 on a table to the token
// it was refused with: that table stays refused with that token, so a refused call does not
// log in each time. A fresh token weavy accepts is an ordinary one again: if weavy drops it
// later, it is renewed. Both hold for refusalTTL only: a 401 to a token weavy dropped since
// (a restart while the connection was paused) would otherwise be taken for the right until
// the token's lifetime ran out, pausing again a connection resumed once the right was on.
type authState struct {
	mu      sync.Mutex
	pending bool                 // a token was dropped after a 401: the next login renews it
	fresh   map[string]time.Time // tokens issued by such a login, not accepted since: when
	refused map[string]refusal   // "entity/right" → the token it was refused with, and when
}

// refusal is a table's right refused with a token, at a time.
type refusal struct {
	tok string
	at  time.Time
}

// refusalTTL is how long a 401 to a fresh token, or to the token a table was refused with,
// is taken for the right without a new login: at most one login a minute per refused table.
const refusalTTL = time.Minute

// maxFresh bounds the fresh set: only the current token matters.
const maxFresh = 8

// dropped notes that a token is dropped after a 401.
func (a *authState) dropped() {
	a.mu.Lock()
	a.pending = true
	a.mu.Unlock()
}

// issued notes the token of a login at now; it is fresh when the login followed a 401.
func (a *authState) issued(tok string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.pending {
		return
	}
	a.pending = false
	if a.fresh == nil || len(a.fresh) >= maxFresh {
		a.fresh = map[string]time.Time{}
	}
	a.fresh[tok] = now
}

// accept notes that weavy answered tok with anything but 401.
func (a *authState) accept(tok string) {
	a.mu.Lock()
	delete(a.fresh, tok)
	a.mu.Unlock()
}

// mayRenew reports whether a 401 to tok on table/right at now is worth a new login: not when
// tok is fresh, nor when that table was refused with it, within refusalTTL.
func (a *authState) mayRenew(tok, table string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if at, ok := a.fresh[tok]; ok && now.Sub(at) < refusalTTL {
		return false
	}
	r, ok := a.refused[table]
	return !ok || r.tok != tok || now.Sub(r.at) >= refusalTTL
}

func (a *authState) refuse(tok, table string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.refused == nil {
		a.refused = map[string]refusal{}
	}
	a.refused[table] = refusal{tok, now}
}
