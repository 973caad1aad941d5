// Package altior is the connector for Altior ERP, through the REST contract of API.md. Altior
// publishes no API: that contract is ours (see API.md), implemented by connectors/altior/sim,
// and must be confirmed with Altior before a real environment is connected.
//
// Objects:
//   - "company" is a tiers (moral or physical person; client, prospect or supplier). Fields:
//     kind, relation, name, first_name, last_name, siret, legal_form, civility, phone.<TYPE>,
//     email.<TYPE>, url.<TYPE> (one value per value-list type code), establishment_id,
//     owner_user_id and cf.<CODE> for custom fields.
//   - "contact" is a contact of a tiers: civility, first_name, last_name, role, email (its
//     email.PRINCIPAL, read and written, nil without one), phone.<TYPE>, email.<TYPE>; Links["company"]
//     is its tiers id (required on create). A typed field is the first entry of its type:
//     writing it changes that entry only, keeping every other (a second FIXE too).
//   - "affaire": title, establishment_id, cf.<CODE> (PIPE, ETAP, SLSY, …) and events, the
//     codes of its events in order ([]string, read-only: use AddEvent); Links["company"] is
//     its tiers. FindByKey finds it by cf.SLSY, the Sellsy opportunity id it was made from.
//   - Every record's CreatedAt is its created_at. RequiredLinks says that contacts and
//     affaires need their tiers to be created.
//   - Deletes are refused (KindConfig): the contract has none.
//
// Auth: POST /api/v1/auth/token with the API key; the bearer token is reused, renewed before
// its expires_in runs out and once on a 401; one login at a time.
//
// Paging: changed_since (updated_at >= Since) with page_size; the cursor is a keyset,
// after:<updated_at>,<id> of the last record of the page, read or not (see List); the
// answer's total ends the listing.
//
// Records are read field by field and leniently (decode.go): a number or true/false where
// text is expected is read as text (a custom field's value too, [] or null being none;
// custom_fields: [] is none), and an empty date-time is none. A record that still cannot be
// read fails alone, named with the field and why (never its values): a listing names it in
// Page.Unreadable (the sync quarantines it) and reads the others, Get and Update fail it
// with KindInvalid, FindByKey leaves it out (logged).
//
// Errors: 401 after one renewal and 403 → KindConfig; 429 → KindRateLimited (Retry-After,
// else 1s); 5xx and transport failures → KindRetryable; 400/404/409 on a write fail that
// record only (KindInvalid naming the field), except a 400 on an establishment_id that names
// no establishment, on a custom field the object does not have or on a phone, e-mail or URL
// type the record writes that its value list does not have, and no user for the
// reference user's e-mail → KindConfig naming the setting. Messages never hold the API key, the token or an e-mail address.
package altior

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
)

// System is the name of this connector.
const System = "altior"

// ObjectAffaire is Altior's deal object.
const ObjectAffaire = "affaire"

// Value list names (GET /api/v1/value-lists/{list}).
const (
	ListLegalForms   = "legal_forms"
	ListCivilities   = "civilities"
	ListPhoneTypes   = "phone_types"
	ListEmailTypes   = "email_types"
	ListURLTypes     = "url_types"
	ListStaffRoles   = "staff_roles"
	ListContactRoles = "contact_roles"
)

// NewLimiter is the client-side limiter of a rate (requests a second; 0 → 10).
func NewLimiter(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		perSecond = 10
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
}

// Config configures a Client.
type Config struct {
	BaseURL string // e.g. https://altior.example.com (the /api/v1 prefix is added)
	APIKey  string // exchanged for a bearer token
	// CredentialsHint, when set, ends the error of refused credentials with where they come
	// from, e.g. "check X_ID and X_SECRET (a.credentials of conn.yaml)": names, never values.
	CredentialsHint   string
	RequestsPerSecond float64 // client-side limiter; 0 → 10
	HTTPClient        *http.Client
	// Limiter, when set, replaces the client's own: connectors on one environment share it.
	Limiter *rate.Limiter
	// ReferenceUserEmail names the Altior user records are created as (their owner), and
	// Establishment the establishment id they are created in, when a record names none.
	ReferenceUserEmail string
	Establishment      string
	// Logger receives what the records cannot say (a listed record that cannot be read,
	// quarantined; a search hit that cannot be read); nil: slog.Default().
	Logger *slog.Logger
}

// Client talks to one Altior environment. It implements connectors.Connector.
type Client struct {
	http    *resty.Client
	limiter *rate.Limiter
	apiKey  string
	now     func() time.Time
	cfg     Config

	token connectors.Token

	// refUser is the reference user's id once looked up (see referenceUser); estabs the
	// establishments once read (see establishments).
	refMu   sync.Mutex
	refUser string
	estabs  []Establishment
}

var _ connectors.Connector = (*Client)(nil)

// logger is Config.Logger, or slog.Default() without one.
func (c *Client) logger() *slog.Logger {
	if c.cfg.Logger != nil {
		return c.cfg.Logger
	}
	return slog.Default()
}

// New returns a client for the environment at c.BaseURL.
func New(c Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, cfgErr("config", "base_url must be an http(s) URL")
	}
	if strings.TrimSpace(c.APIKey) == "" {
		return nil, cfgErr("config", "api_key is required")
	}
	limiter := c.Limiter
	if limiter == nil {
		limiter = NewLimiter(c.RequestsPerSecond)
	}
	hc := connectors.HTTPClient(c.HTTPClient, 60*time.Second)
	rc := resty.NewWithClient(hc).SetBaseURL(base+"/api/v1").SetHeader("Accept", "application/json").SetDisableWarn(true)
	cl := &Client{http: rc, limiter: limiter, apiKey: c.APIKey, now: time.Now, cfg: c}
	cl.token = connectors.Token{System: System, Op: tokenOp, Margin: time.Minute, Now: func() time.Time { return cl.now() }}
	return cl, nil
}

// System returns "altior".
func (c *Client) System() string { return System }

func cfgErr(op, msg string) *connectors.Error {
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: op, Message: msg}
}

func invalidErr(op, field, msg string) *connectors.Error {
	e := &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: msg}
	if field != "" {
		e.Fields = map[string]string{field: msg}
	}
	return e
}

// ---- token ----------------------------------------------------------------------------------

const tokenOp = "POST /auth/token"

// currentToken returns a token valid for a while yet, logging in when there is none.
func (c *Client) currentToken(ctx context.Context) (string, error) {
	return c.token.Get(ctx, c.authenticate)
}

func (c *Client) authenticate(ctx context.Context) (string, time.Time, error) {
	if err := connectors.WaitToSend(ctx, c.limiter, System, tokenOp); err != nil {
		return "", time.Time{}, err
	}
	start := c.now()
	resp, err := c.http.R().SetContext(ctx).SetHeader("Content-Type", "application/json").
		SetBody(map[string]string{"api_key": c.apiKey}).Post("/auth/token")
	if err != nil {
		return "", time.Time{}, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: tokenOp, Message: c.scrub(connectors.TransportReason(ctx, err))}
	}
	if st := resp.StatusCode(); st != http.StatusOK {
		e := c.statusError(tokenOp, st, resp)
		if st == http.StatusUnauthorized || st == http.StatusForbidden || st == http.StatusBadRequest || st == http.StatusNotFound {
			e.Kind, e.Fields = connectors.KindConfig, nil
			e.Message = "altior refused the API key (or base_url is wrong)"
			e.Message = connectors.WithCredentialsHint(e.Message, c.cfg.CredentialsHint)
		}
		return "", time.Time{}, e
	}
	var body struct {
		AccessToken string  `json:"access_token"`
		ExpiresIn   float64 `json:"expires_in"`
	}
	if err := json.Unmarshal(resp.Body(), &body); err != nil || body.AccessToken == "" {
		return "", time.Time{}, cfgErr(tokenOp, "the answer holds no access_token; check base_url")
	}
	ttl := time.Duration(body.ExpiresIn * float64(time.Second))
	if ttl <= 0 {
		ttl = time.Hour
	}
	return body.AccessToken, start.Add(ttl), nil
}

// ---- requests -------------------------------------------------------------------------------

// call describes one API request; op is the route without ids or values.
type call struct {
	method, path, op string
	query            url.Values
	body             any
	status           *int    // when set, receives the answer's status (Call)
	raw              *[]byte // when set, receives the answer's body, 2xx or not (Call)
	// sent, when set, says whether a request that may have written left: false when the call
	// failed before (no token, the rate limiter's wait refused or cancelled) or was answered
	// 401, which writes nothing (Create).
	sent *bool
}

// do sends one request with the bearer token, renewing the token once on a 401, and returns
// the body of a 2xx answer or a classified *Error. A short quota wait, and a server error or
// a lost answer of a call that reads or writes the same values again, are tried again within
// it (connectors.Retry).
func (c *Client) do(ctx context.Context, k call) (b []byte, err error) {
	err = connectors.Do(ctx, c.Repeatable(k.method, k.path), func() error {
		b, err = c.doOnce(ctx, k)
		return err
	})
	return b, err
}

func (c *Client) doOnce(ctx context.Context, k call) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.currentToken(ctx)
		if err != nil {
			return nil, err
		}
		if err := connectors.WaitToSend(ctx, c.limiter, System, k.op); err != nil {
			return nil, err
		}
		req := c.http.R().SetContext(ctx).SetAuthToken(tok)
		if k.query != nil {
			req.SetQueryParamsFromValues(k.query)
		}
		if k.body != nil {
			req.SetHeader("Content-Type", "application/json").SetBody(k.body)
		}
		if k.sent != nil {
			*k.sent = true
		}
		resp, err := req.Execute(k.method, k.path)
		if err != nil {
			return nil, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: k.op, Message: c.scrub(connectors.TransportReason(ctx, err))}
		}
		st := resp.StatusCode()
		if k.status != nil {
			*k.status = st
		}
		if k.raw != nil {
			*k.raw = resp.Body()
		}
		switch {
		case st >= 200 && st < 300:
			return resp.Body(), nil
		case st == http.StatusUnauthorized && attempt == 0:
			if k.sent != nil {
				*k.sent = false // refused: nothing written
			}
			c.token.Drop(tok)
			continue
		case st == http.StatusUnauthorized:
			e := c.statusError(k.op, st, resp)
			e.Message = "altior refused a freshly issued token; check the API key's rights"
			return nil, e
		case st == http.StatusForbidden:
			e := c.statusError(k.op, st, resp)
			e.Message = "altior refused the call (403): " + e.Message + "; check the API key's rights"
			return nil, e
		}
		return nil, c.statusError(k.op, st, resp)
	}
}

// apiError is the error body of the contract.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func (c *Client) statusError(op string, st int, resp *resty.Response) *connectors.Error {
	e := &connectors.Error{Kind: connectors.ClassifyStatus(st), System: System, Op: op, Status: st}
	var b apiError
	_ = json.Unmarshal(resp.Body(), &b)
	e.Message = c.scrub(b.Error.Message)
	if e.Message == "" {
		e.Message = http.StatusText(st)
	}
	if b.Error.Field != "" && e.Kind == connectors.KindInvalid {
		e.Fields = map[string]string{b.Error.Field: e.Message}
	}
	if e.Kind == connectors.KindRateLimited {
		e.RetryAfter = retryAfterOr1s(resp.Header().Get("Retry-After"), c.now())
	}
	return e
}

// scrub removes e-mail addresses, the API key and the token from a message and bounds it.
func (c *Client) scrub(s string) string {
	return connectors.Redact(s, c.apiKey, c.token.Current())
}

// getJSON GETs path and decodes the answer into out.
func (c *Client) getJSON(ctx context.Context, path, op string, q url.Values, out any) error {
	b, err := c.do(ctx, call{method: http.MethodGet, path: path, op: op, query: q})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: "unreadable answer: " + c.scrub(err.Error())}
	}
	return nil
}

// CheckSettings checks, without writing, what the connection's settings name: the reference
// user (by e-mail) and the establishment records are created in. Each problem is named.
func (c *Client) CheckSettings(ctx context.Context) error {
	var errs []error
	if c.cfg.ReferenceUserEmail != "" {
		users, err := c.Users(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, u := range users {
			found = found || strings.EqualFold(u.Email, c.cfg.ReferenceUserEmail)
		}
		if !found {
			errs = append(errs, cfgErr("settings.reference_user_email", "no Altior user has this e-mail"))
		}
	}
	if c.cfg.Establishment != "" {
		if err := c.CheckEstablishment(ctx, "settings.establishment", c.cfg.Establishment); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CheckEstablishment checks that v names an establishment, by its id or by its name (the
// guide asks for the establishment's name); setting names the setting that holds it, for the
// message.
func (c *Client) CheckEstablishment(ctx context.Context, setting, v string) error {
	es, err := c.establishments(ctx, true)
	if err != nil {
		return err
	}
	id, shared := findEstablishment(es, v)
	if id != "" {
		return nil
	}
	if len(shared) > 1 {
		return sharedErr(setting, v, shared)
	}
	return cfgErr(setting, fmt.Sprintf("%q is not an Altior establishment (establishments: %s)", v, listEstablishments(es)))
}

// sharedErr says that a name two establishments share names neither.
func sharedErr(setting, v string, shared []Establishment) error {
	return cfgErr(setting, fmt.Sprintf("%q names several Altior establishments: %s: write the id of the one meant", v, listEstablishments(shared)))
}

// findEstablishment returns the id of the establishment v names, by id or else by name
// (case, spaces and how accents were typed aside); "" when none, or when several share the
// name, which it then returns too.
func findEstablishment(es []Establishment, v string) (id string, shared []Establishment) {
	for _, e := range es {
		if e.ID == v {
			return e.ID, nil
		}
	}
	name := establishmentName(v)
	if name == "" {
		return "", nil
	}
	for _, e := range es {
		if establishmentName(e.Name) == name {
			shared = append(shared, e)
		}
	}
	if len(shared) == 1 {
		return shared[0].ID, nil
	}
	return "", shared
}

// establishmentName is an establishment's name as compared: lower case, spaces collapsed,
// accents composed (a name copied from a PDF or on macOS writes "è" as "e" and a combining
// mark).
func establishmentName(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(s))), " ")
}

// listEstablishments writes the establishments for a message: "E1 (Siège Lyon), E2 (…)".
func listEstablishments(es []Establishment) string {
	return listCodes(es, func(e Establishment) (string, string) { return e.ID, e.Name })
}

// establishments returns the establishments, read once and kept on the client; fresh reads
// them again (an establishment added since).
func (c *Client) establishments(ctx context.Context, fresh bool) ([]Establishment, error) {
	c.refMu.Lock()
	es := c.estabs
	c.refMu.Unlock()
	if es != nil && !fresh {
		return es, nil
	}
	es, err := c.Establishments(ctx)
	if err != nil {
		return nil, err
	}
	c.refMu.Lock()
	c.estabs = es
	c.refMu.Unlock()
	return es, nil
}

// withEstablishmentID writes the establishment a record names by its name (a setting or a
// pipeline's establishment: "Siège Lyon") as its id, which the API takes. An id, or a value
// that names none (refused by the API, see establishmentErr), is sent as it is.
func (c *Client) withEstablishmentID(ctx context.Context, r connectors.Record) (connectors.Record, error) {
	v, ok := r.Fields["establishment_id"].(string)
	if !ok || v == "" {
		return r, nil
	}
	es, err := c.establishments(ctx, false)
	if err != nil {
		return r, err
	}
	id, shared := findEstablishment(es, v)
	if id == "" {
		if es, err = c.establishments(ctx, true); err != nil {
			return r, err
		}
		id, shared = findEstablishment(es, v)
	}
	if len(shared) > 1 {
		// The name comes from the connection file: every record would be refused alike.
		return r, sharedErr("establishment", v, shared)
	}
	if id == "" || id == v {
		return r, nil
	}
	r.Fields = maps.Clone(r.Fields) // the caller's record stays as it is
	r.Fields["establishment_id"] = id
	return r, nil
}

var _ connectors.EventEmitter = (*Client)(nil)

// EventOrder implements connectors.EventCatalog: the affaire event codes in rank order.
// Every object shares the affaire event types: only affaires take events (AddEvent).
func (c *Client) EventOrder(ctx context.Context, _ string) ([]string, error) {
	types, err := c.EventTypes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = t.Code
	}
	return out, nil
}

var _ connectors.EventCatalog = (*Client)(nil)

// retryAfterOr1s reads Retry-After, else waits a second.
func retryAfterOr1s(v string, now time.Time) time.Duration {
	if d, ok := connectors.ParseRetryAfter(v, now); ok {
		return d
	}
	return time.Second
}
