// Package sim simulates the Mautic 5 REST API (as served by Webmecanik Automation) for
// contacts, companies and fields: HTTP basic auth, id-keyed listings with where[] filters and
// a few search commands (is:anonymous for website visitors: AddVisitors), upserting /new and
// batch/new (contacts on email; companies on their name by a single /new without force only),
// POST and PATCH dropping the values of number and text fields that read as a number between
// -1 and 1 (Mautic's setCustomFieldValues; a boolean's 0 and false are kept alike), text cleaned as
// InputHelper::clean does (' " < > & and control characters stored as &#39; … entities, but
// for html fields, textareas with allowHtml, select options and e-mails), batch routes (up to
// api_batch_max_limit items: Options.BatchMax, SetBatchMax, /_sim/config), company links, the hourly rate limit and Mautic's
// error bodies, custom fields of every type (AddField, POST /api/fields/{object}/new),
// do-not-contact (POST /api/contacts/{id}/dnc/{channel}/add|remove) and signed contact
// webhooks (mautic.lead_post_delete, mautic.lead_post_save_update; SetWebhook, /_sim/webhook).
// It keeps everything in memory and stays fast at tens of thousands of records.
package sim

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Options configures a simulator.
type Options struct {
	Username, Password string
	RequestsPerHour    int // 0 → unlimited; when set, 429 past it
	Seed               uint64
	Now                func() time.Time // default time.Now
	// Location is the API user's timezone, in which the API shows dates (Mautic stores
	// them in UTC, and the serializer writes them in the timezone PHP runs in, the
	// user's: "2026-03-01T12:00:00+01:00"); where[] dates are compared in UTC all the
	// same. nil: UTC.
	Location *time.Location
	// WebhookURL, when set, receives contact events (mautic.lead_post_delete,
	// mautic.lead_post_save_update) signed with WebhookSecret; see SetWebhook.
	WebhookURL, WebhookSecret string
	// BatchMax is Mautic's api_batch_max_limit, which an administrator may lower; 0: Mautic's
	// default, BatchMax (200). SetBatchMax sets it, 0 included, on a running simulator.
	BatchMax int
}

// Server is the simulated Mautic instance; it implements http.Handler for /api/... and /_sim/...
type Server struct {
	opts    Options
	kit     *simkit.Kit
	handler http.Handler

	mu        sync.RWMutex
	contacts  *store
	companies *store
	locked    map[int]bool // contacts the API user may not edit (see LockContacts)

	rlMu    sync.Mutex
	rlStart time.Time
	rlCount int

	whMu            sync.Mutex
	whURL, whSecret string
	whOK, whFailed  atomic.Int64
	whWG            sync.WaitGroup

	batchMax atomic.Int64 // api_batch_max_limit
}

// MaxLimit caps the page size of a listing (Mautic has no documented cap; this keeps the
// simulator's answers bounded).
const MaxLimit = 1000

// BatchMax is the default of Mautic's api_batch_max_limit (ApiBundle's config.php).
const BatchMax = 200

// New returns a simulator with no records.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	s := &Server{opts: o, contacts: newStore("contacts", o.Location), companies: newStore("companies", o.Location),
		whURL: o.WebhookURL, whSecret: o.WebhookSecret}
	s.batchMax.Store(int64(cmp.Or(o.BatchMax, BatchMax)))
	s.kit = simkit.New(o.Seed, func(w http.ResponseWriter, status int) {
		msg := "Internal Server Error"
		if status == http.StatusTooManyRequests {
			msg = "You exceeded the rate limit of API calls per hour."
		}
		writeError(w, status, msg, nil, nil)
	})
	mux := http.NewServeMux()
	s.kit.Register(mux)
	mux.HandleFunc("POST /_sim/seed", s.adminSeed)
	mux.HandleFunc("GET /_sim/dump", s.adminDump)
	mux.HandleFunc("POST /_sim/webhook", s.adminWebhook)
	mux.HandleFunc("GET /_sim/webhook", s.adminWebhook)
	mux.HandleFunc("GET /_sim/config", s.adminConfig)
	mux.HandleFunc("POST /_sim/config", s.adminConfig)
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	for _, st := range []*store{s.contacts, s.companies} {
		base := "/api/" + st.object
		mux.Handle("GET "+base, s.api(st, s.list))
		mux.Handle("GET "+base+"/{id}", s.api(st, s.getOne))
		mux.Handle("POST "+base+"/new", s.api(st, s.newOne))
		mux.Handle("POST "+base+"/batch/new", s.api(st, s.batchNew))
		mux.Handle("PATCH "+base+"/batch/edit", s.api(st, s.batchEdit))
		mux.Handle("PUT "+base+"/batch/edit", s.api(st, s.batchEdit))
		mux.Handle("DELETE "+base+"/batch/delete", s.api(st, s.batchDelete))
		mux.Handle("PATCH "+base+"/{id}/edit", s.api(st, s.editOne))
		mux.Handle("PUT "+base+"/{id}/edit", s.api(st, s.editOne))
		mux.Handle("DELETE "+base+"/{id}/delete", s.api(st, s.deleteOne))
	}
	for _, action := range []string{"add", "remove"} {
		mux.Handle("POST /api/companies/{companyId}/contact/{contactId}/"+action, s.api(s.companies, s.companyContact))
	}
	mux.Handle("GET /api/contacts/{id}/companies", s.api(s.contacts, s.contactCompanies))
	mux.Handle("POST /api/contacts/{id}/dnc/{channel}/{action}", s.api(s.contacts, s.contactDNC))
	mux.Handle("GET /api/fields/{object}", s.api(nil, s.fieldsList))
	mux.Handle("POST /api/fields/{object}/new", s.api(nil, s.fieldNew))
	mux.Handle("/api/", s.api(nil, func(_ *store, w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Requested URL not found: "+r.URL.Path, "not_found", nil)
	}))
	s.handler = s.kit.Wrap(mux)
	return s
}

// ServeHTTP serves the API and the admin routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Kit returns the request counters and fault settings.
func (s *Server) Kit() *simkit.Kit { return s.kit }

// Reset drops every record and the rate-limit window.
func (s *Server) Reset() {
	s.mu.Lock()
	s.contacts.reset()
	s.companies.reset()
	s.locked = nil
	s.mu.Unlock()
	s.rlMu.Lock()
	s.rlCount, s.rlStart = 0, time.Time{}
	s.rlMu.Unlock()
}

func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// SeedPeople adds contacts for people first..first+n-1, their companies (each created once,
// found by name) and the contact⇄company links. Seeded records were never edited:
// dateModified is null.
func (s *Server) SeedPeople(first, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for i := first; i < first+n; i++ {
		p := simkit.PersonAt(i)
		c := simkit.CompanyAt(p.Company)
		comp := s.companies.findByKey(c.Name)
		if comp == nil {
			comp = s.companies.insert(map[string]any{
				"companyname": c.Name, "companyemail": c.Email, "companyphone": c.Phone,
				"companycity": c.City, "companycountry": "France", "siret": c.SIRET,
			}, now)
		}
		if s.contacts.findByKey(p.Email) != nil {
			continue
		}
		contact := s.contacts.insert(map[string]any{
			"firstname": p.FirstName, "lastname": p.LastName, "email": p.Email,
			"phone": p.Phone, "position": p.Position,
		}, now)
		s.addLinks(contact, []*rec{comp}, now)
	}
}

// AddVisitors adds n anonymous contacts, as the tracking script makes of website visitors:
// no name, company or e-mail, dateIdentified null. It returns their ids.
func (s *Server) AddVisitors(n int) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ids := make([]int, n)
	for i := range ids {
		ids[i] = s.contacts.insert(map[string]any{"city": "Lyon"}, now).id
	}
	return ids
}

func (s *Server) store(object string) *store {
	switch object {
	case "contacts", "contact":
		return s.contacts
	case "companies", "company":
		return s.companies
	}
	return nil
}

// Count returns the number of "contacts" or "companies".
func (s *Server) Count(object string) int {
	st := s.store(object)
	if st == nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(st.recs)
}

// Dump returns the read shape of every record of "contacts" or "companies", by id.
func (s *Server) Dump(object string) []map[string]any {
	st := s.store(object)
	if st == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]map[string]any, 0, len(st.ids))
	for _, rc := range st.sorted {
		out = append(out, st.shape(rc))
	}
	return out
}

func (s *Server) adminSeed(w http.ResponseWriter, r *http.Request) {
	first, err1 := strconv.Atoi(r.URL.Query().Get("first"))
	n, err2 := strconv.Atoi(r.URL.Query().Get("n"))
	if err1 != nil || err2 != nil || n < 0 {
		http.Error(w, "seed: first and n must be integers", http.StatusBadRequest)
		return
	}
	s.SeedPeople(first, n)
	simkit.WriteJSON(w, http.StatusOK, map[string]int{"contacts": s.Count("contacts"), "companies": s.Count("companies")})
}

func (s *Server) adminDump(w http.ResponseWriter, r *http.Request) {
	obj := r.URL.Query().Get("object")
	if s.store(obj) == nil {
		http.Error(w, "dump: object must be contacts or companies", http.StatusBadRequest)
		return
	}
	simkit.WriteJSON(w, http.StatusOK, s.Dump(obj))
}

// SetBatchMax sets api_batch_max_limit, as an administrator does in Mautic's configuration:
// batches of more items are refused from the next request on; 0 refuses every batch, as
// Mautic does. Reset leaves it as it is.
func (s *Server) SetBatchMax(n int) { s.batchMax.Store(int64(n)) }

// adminConfig reads (GET) or sets (POST {"api_batch_max_limit": n}, n >= 0) the simulated
// instance's configuration parameters; only api_batch_max_limit is simulated.
func (s *Server) adminConfig(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var body struct {
			Limit *int `json:"api_batch_max_limit"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil || body.Limit == nil || *body.Limit < 0 {
			http.Error(w, "config: body must be {\"api_batch_max_limit\": n} with n >= 0", http.StatusBadRequest)
			return
		}
		s.SetBatchMax(*body.Limit)
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]int64{"api_batch_max_limit": s.batchMax.Load()})
}

// ---- plumbing -----------------------------------------------------------------------------

type handlerFunc func(st *store, w http.ResponseWriter, r *http.Request)

// api wraps a handler with Mautic's auth and hourly rate limit.
func (s *Server) api(st *store, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Mautic-Version", "5.1.0")
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.Username)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) != 1 {
			writeError(w, http.StatusUnauthorized, "API authorization denied.", "unauthorized", nil)
			return
		}
		if lim := s.opts.RequestsPerHour; lim > 0 {
			now := s.opts.Now()
			s.rlMu.Lock()
			if s.rlStart.IsZero() || now.Sub(s.rlStart) >= time.Hour {
				s.rlStart, s.rlCount = now, 0
			}
			s.rlCount++
			count, reset := s.rlCount, s.rlStart.Add(time.Hour)
			s.rlMu.Unlock()
			remaining := max(lim-count, 0)
			w.Header().Set("X-RateLimit-Limit", strconv.Itoa(lim))
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
			w.Header().Set("Date", now.UTC().Format(http.TimeFormat)) // the simulated clock
			if count > lim {
				writeError(w, http.StatusTooManyRequests,
					fmt.Sprintf("You exceeded the rate limit of %d API calls per hour.", lim), nil, []any{})
				return
			}
		}
		h(st, w, r)
	})
}

// writeError writes Mautic's error body {"errors":[{"message","code","type","details"}]};
// details are [] when there are none (FetchCommonApiController::returnError).
func writeError(w http.ResponseWriter, status int, msg string, typ any, details any) {
	if details == nil {
		details = []any{}
	}
	e := map[string]any{"message": msg, "code": status, "type": typ, "details": details}
	simkit.WriteJSON(w, status, map[string]any{"errors": []any{e}})
}

func writeValidation(w http.ResponseWriter, err error) {
	if ve, ok := err.(*validationError); ok {
		writeError(w, http.StatusBadRequest, ve.Error(), nil, ve.details())
		return
	}
	writeError(w, http.StatusBadRequest, err.Error(), nil, nil)
}

// errAccessDenied is Mautic's mautic.core.error.accessdenied, answered 403.
//
//lint:ignore ST1005 Mautic's own message, reproduced verbatim
var errAccessDenied = errors.New("You do not have access to the requested area/action.")

func accessDenied(w http.ResponseWriter) {
	writeError(w, http.StatusForbidden, errAccessDenied.Error(), nil, nil)
}

// LockContacts makes contacts the API user may see but not edit, as a role with "edit own"
// rights only sees those other users own: their edits (single or batch item), do-not-contact
// changes and company links are answered 403 (CommonApiController::checkEntityAccess).
func (s *Server) LockContacts(ids ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked == nil {
		s.locked = map[int]bool{}
	}
	for _, id := range ids {
		s.locked[id] = true
	}
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "Item was not found.", nil, nil)
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 32<<20))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		//lint:ignore ST1005 Mautic's own message, reproduced verbatim
		return errors.New("Request body is not valid JSON.")
	}
	raw = fromNumbers(raw)
	b, _ := json.Marshal(raw)
	return json.Unmarshal(b, v)
}

func fromNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = fromNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fromNumbers(e)
		}
	}
	return v
}

func pathID(r *http.Request, name string) (int, bool) {
	id, err := strconv.Atoi(r.PathValue(name))
	return id, err == nil && id > 0
}

// ---- listing ------------------------------------------------------------------------------

func (s *Server) list(st *store, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("start"))
	start = max(start, 0)
	limit := 30
	if v := q.Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			limit = n
		}
	}
	limit = min(limit, MaxLimit)
	orderBy := strings.TrimPrefix(strings.TrimPrefix(q.Get("orderBy"), "l."), "comp.")
	if orderBy == "" {
		orderBy = "id"
	}
	desc := strings.EqualFold(q.Get("orderByDir"), "desc")

	s.mu.RLock()
	defer s.mu.RUnlock()
	clauses, err := st.buildClauses(parseBracketed(q, "where"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil, nil)
		return
	}
	if _, ok := st.colKind(orderBy); !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("orderBy: unknown column %q", orderBy), nil, nil)
		return
	}
	search := s.searchFilter(st, q.Get("search"))

	// Keyset fast path: a top-level "id gt|gte N" clause lets the scan start by binary search.
	from := 0
	for _, c := range clauses {
		if c.col == "id" && (c.expr == "gt" || c.expr == "gte") {
			n := int(c.num)
			if c.expr == "gt" {
				n++
			}
			from = max(from, sort.SearchInts(st.ids, n))
		}
	}
	candidates := st.sorted[from:]
	if recs, ok := st.indexed(clauses); ok {
		candidates = recs // an eq/in on id or on the unique key: look up, do not scan
	}
	var matched []*rec
	for _, rc := range candidates {
		if st.match(rc, clauses) && (search == nil || search(rc)) {
			matched = append(matched, rc)
		}
	}
	if orderBy != "id" || desc {
		sort.SliceStable(matched, func(i, j int) bool {
			d := cmpAny(st.colValue(matched[i], orderBy), st.colValue(matched[j], orderBy))
			if d == 0 {
				d = matched[i].id - matched[j].id
			}
			if desc {
				return d > 0
			}
			return d < 0
		})
	}
	total := len(matched)
	page := matched[min(start, total):min(start+limit, total)]

	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{"total":"%d","%s":{`, total, st.object)
	for i, rc := range page {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `"%d":`, rc.id)
		buf.Write(st.shapeJSON(rc))
	}
	buf.WriteString("}}\n")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// cmpAny orders values with NULL first, as MySQL does ascending.
func cmpAny(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok {
			return cmpFloat(x, y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	}
	return strings.Compare(strings.ToLower(fmt.Sprint(a)), strings.ToLower(fmt.Sprint(b)))
}

// searchFilter implements a small part of Mautic's search: "ids:1,2,3", "email:x", "name:x",
// "company:x", "is:anonymous" (contacts never identified: dateIdentified null), free text
// matched against the main text fields, and "!" before any of them to exclude.
func (s *Server) searchFilter(st *store, search string) func(*rec) bool {
	search = strings.TrimSpace(search)
	if search == "" {
		return nil
	}
	if rest, ok := strings.CutPrefix(search, "!"); ok {
		if f := s.searchFilter(st, rest); f != nil {
			return func(r *rec) bool { return !f(r) }
		}
		return nil
	}
	cmd, arg, hasCmd := strings.Cut(search, ":")
	contains := func(v any, needle string) bool {
		x, _ := v.(string)
		return strings.Contains(strings.ToLower(x), strings.ToLower(strings.Trim(needle, `"%`)))
	}
	if hasCmd {
		switch cmd {
		case "is":
			if arg == "anonymous" && st == s.contacts {
				return func(r *rec) bool { return r.identified == nil }
			}
		case "ids":
			set := map[int]bool{}
			for _, p := range strings.Split(arg, ",") {
				if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
					set[n] = true
				}
			}
			return func(r *rec) bool { return set[r.id] }
		case "email":
			return func(r *rec) bool { return contains(r.fields["email"], arg) }
		case "company":
			return func(r *rec) bool { return contains(r.fields["company"], arg) || contains(r.fields["companyname"], arg) }
		case "name":
			return func(r *rec) bool {
				return contains(r.fields["firstname"], arg) || contains(r.fields["lastname"], arg) || contains(r.fields["companyname"], arg)
			}
		}
	}
	keys := []string{"firstname", "lastname", "email", "company", "companyname", "companyemail", "companycity"}
	return func(r *rec) bool {
		for _, k := range keys {
			if contains(r.fields[k], search) {
				return true
			}
		}
		return false
	}
}

// ---- single-record routes -----------------------------------------------------------------

func (s *Server) getOne(st *store, w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	s.mu.RLock()
	defer s.mu.RUnlock()
	rc := st.recs[id]
	if !ok || rc == nil {
		notFound(w)
		return
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{st.single: st.shape(rc)})
}

// itemError is an error for one record: status and message.
type itemError struct {
	status int
	err    error
}

// create runs POST /new (mode modeCreate) or a PUT of a missing id (modePut) for one body.
// With dedupe, contacts merge into the one with their email (LeadApiController::getNewEntity,
// /new and every batch/new item) and companies into the one with their companyname
// (CompanyApiController::newEntityAction without force; its batch/new creates every item).
func (s *Server) create(st *store, body map[string]any, dedupe bool, mode writeMode) (*rec, int, *itemError) {
	vals, err := st.prepare(body, mode)
	if err != nil {
		return nil, 0, &itemError{http.StatusBadRequest, err}
	}
	if dedupe {
		if ex := st.findByKey(vals[st.keyField]); ex != nil {
			if st == s.contacts && s.locked[ex.id] {
				return nil, 0, &itemError{http.StatusForbidden, errAccessDenied} // the merge edits it
			}
			if ie := s.update(st, ex, body, vals, modePatch); ie != nil {
				return nil, 0, ie
			}
			return ex, http.StatusOK, nil
		}
	}
	if err := st.checkRequired(vals, nil); err != nil {
		return nil, 0, &itemError{http.StatusBadRequest, err}
	}
	links, ie := s.companiesParam(st, body)
	if ie != nil {
		return nil, 0, ie
	}
	rc := st.insert(vals, s.now())
	s.applyLinks(st, rc, links)
	s.applyInlineDNC(st, rc, body)
	return rc, http.StatusCreated, nil
}

// update applies prepared values to an existing record and sets dateModified when that
// changed it: a save without changes keeps its date (CommonModel::setTimestamps).
func (s *Server) update(st *store, rc *rec, body, vals map[string]any, mode writeMode) *itemError {
	if err := st.checkRequired(vals, rc); mode == modePut && err != nil {
		return &itemError{http.StatusBadRequest, err}
	}
	links, ie := s.companiesParam(st, body)
	if ie != nil {
		return ie
	}
	fields, company, linked := maps.Clone(rc.fields), rc.company, slices.Clone(rc.links)
	st.apply(rc, vals, mode)
	s.applyLinks(st, rc, links)
	dnc := s.applyInlineDNC(st, rc, body)
	now := s.now()
	st.identify(rc, now)
	if dnc || rc.company != company || !maps.EqualFunc(rc.fields, fields, sameValue) ||
		!slices.EqualFunc(rc.links, linked, func(a, b companyLink) bool { return a.company == b.company }) {
		rc.modified = &now
	}
	rc.json.Store(nil)
	s.emitUpdate(st, rc)
	return nil
}

// sameValue reports whether two stored field values are one (a number is held as float64,
// or as an int default).
func sameValue(a, b any) bool {
	switch a.(type) {
	case int, float64:
		switch b.(type) {
		case int, float64:
			return toFloat(a) == toFloat(b)
		}
	}
	return reflect.DeepEqual(a, b) // a default value may be of any JSON kind
}

// companiesParam reads "companies" (company ids) from a contact body; nil when absent.
func (s *Server) companiesParam(st *store, body map[string]any) ([]int, *itemError) {
	raw, ok := body["companies"]
	if st != s.contacts || !ok {
		return nil, nil
	}
	var list []any
	switch x := raw.(type) {
	case []any:
		list = x
	case nil:
	default:
		list = []any{x}
	}
	ids := []int{}
	for _, v := range list {
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
		if err != nil || s.companies.recs[n] == nil {
			return nil, &itemError{http.StatusBadRequest, &validationError{field: "companies", reason: "The company does not exist."}}
		}
		ids = append(ids, n)
	}
	return ids, nil
}

// applyLinks sets the companies of a contact written with "companies" (LeadModel::
// modifyCompanies): it leaves those not listed, then joins the listed ones it was not in, the
// first of them becoming its primary company. An empty list takes it out of every company.
func (s *Server) applyLinks(st *store, rc *rec, ids []int) {
	if ids == nil || st != s.contacts {
		return
	}
	now := s.now()
	for _, l := range slices.Clone(rc.links) {
		if !slices.Contains(ids, l.company) {
			s.removeLink(rc, l.company, now)
		}
	}
	var add []*rec
	for _, id := range ids {
		if comp := s.companies.recs[id]; comp != nil && !rc.linkedTo(id) && !slices.Contains(add, comp) {
			add = append(add, comp)
		}
	}
	s.addLinks(rc, add, now)
}
func (s *Server) newOne(st *store, w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := decodeBody(r, &body); err != nil || body == nil {
		writeError(w, http.StatusBadRequest, "Request body is not valid JSON.", nil, nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rc, status, ie := s.create(st, body, !forced(r, body), modeCreate)
	if ie != nil {
		if ie.status == http.StatusForbidden {
			accessDenied(w)
		} else {
			writeValidation(w, ie.err)
		}
		return
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", fmt.Sprintf("/api/%s/%d", st.object, rc.id))
	}
	simkit.WriteJSON(w, status, map[string]any{st.single: st.shape(rc)})
}

// forced reports whether a /new asks to create even when the record exists: force in the
// body (Mautic reads it there), a non-empty value PHP does not take for false; the query is
// accepted too.
func forced(r *http.Request, body map[string]any) bool {
	if r.URL.Query().Get("force") == "1" {
		return true
	}
	switch x := body["force"].(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != "" && x != "0"
	}
	return false
}

// edit runs PATCH/PUT /{id}/edit for one body: PATCH 404s on a missing id, PUT creates it.
func (s *Server) edit(st *store, id int, body map[string]any, put bool) (*rec, int, *itemError) {
	mode := modePatch
	if put {
		mode = modePut
	}
	rc := st.recs[id]
	if rc == nil {
		if !put || id <= 0 {
			//lint:ignore ST1005 Mautic's own message, reproduced verbatim
			return nil, 0, &itemError{http.StatusNotFound, errors.New("Item was not found.")}
		}
		rc, status, ie := s.create(st, body, false, modePut)
		return rc, status, ie
	}
	if st == s.contacts && s.locked[id] {
		return nil, 0, &itemError{http.StatusForbidden, errAccessDenied}
	}
	vals, err := st.prepare(body, mode)
	if err != nil {
		return nil, 0, &itemError{http.StatusBadRequest, err}
	}
	var loser *rec // the contact that holds the e-mail the edit gives, merged into rc
	if st == s.contacts {
		if v, ok := vals[st.keyField]; ok {
			if h := st.findByKey(v); h != nil && h != rc {
				loser = h
			}
		}
	}
	if ie := s.update(st, rc, body, vals, mode); ie != nil {
		return nil, 0, ie
	}
	if loser != nil {
		s.mergeContact(st, rc, loser)
	}
	return rc, http.StatusOK, nil
}

// mergeContact merges loser into winner, as an edit giving winner the e-mail loser holds does
// (LeadApiController::preSaveEntity: ContactMerger::merge): winner keeps its values and takes
// loser's where it has none, joins loser's companies and takes its do-not-contact entries on
// the channels it has none; loser is deleted (its delete webhook sent).
func (s *Server) mergeContact(st *store, winner, loser *rec) {
	for k, v := range loser.fields {
		if w := winner.fields[k]; (w == nil || w == "") && v != nil && v != "" && k != "points" {
			winner.fields[k] = v
		}
	}
	var join []*rec
	for _, l := range loser.links {
		if comp := s.companies.recs[l.company]; comp != nil && !winner.linkedTo(l.company) {
			join = append(join, comp)
		}
	}
	primary := winner.company
	s.addLinks(winner, join, s.now())
	if primary != 0 && len(join) > 0 { // joining does not take the primary company's place
		winner.company, winner.fields["company"] = primary, s.companies.recs[primary].fields["companyname"]
	}
	for _, d := range loser.dnc {
		if !slices.ContainsFunc(winner.dnc, func(w dncEntry) bool { return w.channel == d.channel }) {
			winner.dnc = append(winner.dnc, d)
		}
	}
	winner.json.Store(nil)
	s.deleteRec(st, loser.id)
}

func (s *Server) editOne(st *store, w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	var body map[string]any
	if err := decodeBody(r, &body); err != nil || body == nil {
		writeError(w, http.StatusBadRequest, "Request body is not valid JSON.", nil, nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rc, status, ie := s.edit(st, id, body, r.Method == http.MethodPut)
	if ie != nil {
		if ie.status == http.StatusNotFound {
			notFound(w)
		} else if ie.status == http.StatusForbidden {
			accessDenied(w)
		} else {
			writeValidation(w, ie.err)
		}
		return
	}
	simkit.WriteJSON(w, status, map[string]any{st.single: st.shape(rc)})
}

func (s *Server) deleteOne(st *store, w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := st.recs[id]
	if rc == nil {
		notFound(w)
		return
	}
	shape := st.shape(rc)
	s.deleteRec(st, id)
	simkit.WriteJSON(w, http.StatusOK, map[string]any{st.single: shape})
}

func (s *Server) deleteRec(st *store, id int) {
	if rc := st.recs[id]; rc != nil {
		s.emitDelete(st, rc)
	}
	st.remove(id)
	if st == s.companies {
		// Its contacts leave it; those for which it was the primary company get another
		// (CompanyModel::changePrimaryCompanyToLatest).
		now := s.now()
		for _, c := range s.contacts.recs {
			s.removeLink(c, id, now)
		}
	}
}

// ---- batch routes -------------------------------------------------------------------------

func (s *Server) decodeBatch(w http.ResponseWriter, r *http.Request) ([]map[string]any, bool) {
	var items []map[string]any
	if err := decodeBody(r, &items); err != nil {
		writeError(w, http.StatusBadRequest, "Request body must be a JSON array of objects.", nil, nil)
		return nil, false
	}
	if !s.batchAllowed(w, len(items)) {
		return nil, false
	}
	return items, true
}

// batchAllowed is FetchCommonApiController::validateBatchPayload: past api_batch_max_limit,
// before anything is written, returnError with its default status, 500, and the en_US text
// of mautic.api.call.batch_exception. n is the count of the request's parameters: a batch
// body's items, but a batch delete's query parameters (?ids=1,2,3 is one).
func (s *Server) batchAllowed(w http.ResponseWriter, n int) bool {
	limit := s.batchMax.Load()
	if int64(n) <= limit {
		return true
	}
	writeError(w, http.StatusInternalServerError, fmt.Sprintf("A max of %d entities are supported at a time.", limit), nil, nil)
	return false
}

// writeBatchResponse answers a batch as Mautic does: the entities written, keyed by request
// index, a failed item's key left out (FetchCommonApiController::setBatchError unsets it) —
// an array when the failures all come last, else an object keyed by index, as PHP encodes an
// array with gaps —, the status code of every item, and "errors" keyed by item index when
// any failed. The entities are written from their cached JSON: marshalling 200 shapes costs
// the simulator more than the writes themselves.
func writeBatchResponse(w http.ResponseWriter, status int, st *store, recs []*rec, codes []int, errs map[string]any) {
	buf := shapeBuffers.Get().(*[]byte)
	defer shapeBuffers.Put(buf)
	list := true // PHP encodes the array as a list when its keys are 0…n-1
	for i, seenGap := 0, false; i < len(recs); i++ {
		if recs[i] == nil {
			seenGap = true
		} else if seenGap {
			list = false
		}
	}
	open, close := byte('['), byte(']')
	if !list {
		open, close = '{', '}'
	}
	b := fmt.Appendf((*buf)[:0], `{"%s":%c`, st.object, open)
	n := 0
	for i, rc := range recs {
		if rc == nil {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		if !list {
			b = fmt.Appendf(b, `"%d":`, i)
		}
		b = st.appendShape(b, rc)
	}
	b = append(b, close)
	b = append(b, `,"statusCodes":`...)
	c, _ := json.Marshal(codes)
	b = append(b, c...)
	if len(errs) > 0 {
		b = append(b, `,"errors":`...)
		e, _ := json.Marshal(errs)
		b = append(b, e...)
	}
	b = append(b, "}\n"...)
	*buf = b
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// batchItemError is the error of one batch item: a form error as returnError builds it in
// batch mode ({code, message, details, type: null}), any other refusal (not found, access
// denied, no id) as setBatchError does ({message, code, type: "api"}).
func batchItemError(ie *itemError) map[string]any {
	if ve, ok := ie.err.(*validationError); ok && ve.field != "id" {
		return map[string]any{"code": ie.status, "message": ve.Error(), "details": ve.details(), "type": nil}
	}
	return map[string]any{"message": ie.err.Error(), "code": ie.status, "type": "api"}
}

func (s *Server) batchNew(st *store, w http.ResponseWriter, r *http.Request) {
	items, ok := s.decodeBatch(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, codes, errs := make([]*rec, len(items)), make([]int, len(items)), map[string]any{}
	for i, body := range items {
		// A contact merges into the one with its e-mail (LeadApiController::getNewEntity); a
		// company is created whatever its name: CompanyApiController has no getNewEntity of
		// its own, and only its single /new looks the name up.
		rc, status, ie := s.create(st, body, st == s.contacts, modeCreate)
		if ie != nil {
			codes[i], errs[strconv.Itoa(i)] = ie.status, batchItemError(ie)
			continue
		}
		recs[i], codes[i] = rc, status
	}
	writeBatchResponse(w, http.StatusCreated, st, recs, codes, errs)
}

func (s *Server) batchEdit(st *store, w http.ResponseWriter, r *http.Request) {
	items, ok := s.decodeBatch(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, codes, errs := make([]*rec, len(items)), make([]int, len(items)), map[string]any{}
	for i, body := range items {
		id, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(body["id"])))
		if err != nil {
			ie := &itemError{http.StatusBadRequest, &validationError{field: "id", reason: "An id is required."}}
			codes[i], errs[strconv.Itoa(i)] = ie.status, batchItemError(ie)
			continue
		}
		rc, status, ie := s.edit(st, id, body, r.Method == http.MethodPut)
		if ie != nil {
			codes[i], errs[strconv.Itoa(i)] = ie.status, batchItemError(ie)
			if _, form := ie.err.(*validationError); form {
				// A form error is returned, not set with setBatchError: the record
				// getBatchEntities loaded stays in the answer, as stored.
				recs[i] = st.recs[id]
			}
			continue
		}
		recs[i], codes[i] = rc, status
	}
	writeBatchResponse(w, http.StatusOK, st, recs, codes, errs)
}

func (s *Server) batchDelete(st *store, w http.ResponseWriter, r *http.Request) {
	// deleteEntitiesAction validates $request->query->all(): the query's parameters, not its ids.
	if !s.batchAllowed(w, len(r.URL.Query())) {
		return
	}
	parts := strings.Split(r.URL.Query().Get("ids"), ",")
	s.mu.Lock()
	defer s.mu.Unlock()
	ents, errs := []any{}, map[string]any{}
	for i, p := range parts {
		id, _ := strconv.Atoi(strings.TrimSpace(p))
		rc := st.recs[id]
		if rc == nil {
			errs[strconv.Itoa(i)] = map[string]any{"message": "Item was not found.", "code": 404, "type": "api"}
			continue
		}
		ents = append(ents, st.shape(rc))
		s.deleteRec(st, id)
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{st.object: ents, "errors": errs})
}

// ---- company links and fields -------------------------------------------------------------

func (s *Server) companyContact(_ *store, w http.ResponseWriter, r *http.Request) {
	compID, _ := pathID(r, "companyId")
	contactID, _ := pathID(r, "contactId")
	action := path.Base(r.URL.Path)
	s.mu.Lock()
	defer s.mu.Unlock()
	comp, contact := s.companies.recs[compID], s.contacts.recs[contactID]
	if comp == nil || contact == nil {
		notFound(w)
		return
	}
	if s.locked[contactID] {
		accessDenied(w)
		return
	}
	// The contact is saved, and modified, only when its primary company changes: joining a
	// company makes it the primary one (CompanyModel::addLeadToCompany), leaving the primary
	// one promotes the oldest other (removeLeadFromCompany); joining a company it is in, or
	// leaving one it is not in, changes nothing.
	now := s.now()
	before := contact.company
	if action == "add" {
		if !contact.linkedTo(compID) {
			s.addLinks(contact, []*rec{comp}, now)
		}
	} else {
		s.removeLink(contact, compID, now)
	}
	if contact.company != before {
		contact.modified = &now
		s.emitUpdate(s.contacts, contact)
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"success": 1})
}

// contactCompanies serves GET /api/contacts/{id}/companies (LeadModel::getCompanies): the
// rows of companies_leads joined to companies, as DBAL returns them (numbers as strings).
func (s *Server) contactCompanies(st *store, w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := st.recs[id]
	if rc == nil {
		notFound(w)
		return
	}
	rows := []map[string]any{}
	for _, l := range rc.links {
		comp := s.companies.recs[l.company]
		if comp == nil {
			continue
		}
		row := map[string]any{}
		for k, v := range comp.fields {
			if v != nil {
				row[k] = fmt.Sprint(v)
			} else {
				row[k] = nil
			}
		}
		primary := "0"
		if l.company == rc.company {
			primary = "1"
		}
		row["id"] = strconv.Itoa(comp.id)
		row["company_id"] = strconv.Itoa(comp.id)
		row["date_associated"] = l.added.Format(time.DateTime)
		row["is_primary"] = primary
		rows = append(rows, row)
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"total": len(rows), "companies": rows})
}

func (s *Server) fieldsList(_ *store, w http.ResponseWriter, r *http.Request) {
	st := s.store(r.PathValue("object"))
	if st == nil {
		notFound(w)
		return
	}
	list := make([]any, len(st.fields))
	for i, f := range st.fields {
		list[i] = f.apiShape(st.apiObject)
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"total": len(list), "fields": list})
}
