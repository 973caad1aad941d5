// Package sim simulates an Altior ERP environment behind the REST contract of
// connectors/altior/API.md. Altior publishes no API: the contract is ours, shaped on Altior's
// functional model (tiers, contacts, value lists, establishments, users, affaires and their
// ordered events, custom fields).
//
// Auth: POST /api/v1/auth/token {"api_key"} → bearer token with expires_in; an expired or
// unknown token answers 401. Listings take changed_since (RFC 3339, updated_at >= it) and
// page / page_size, and the keyset after=<updated_at>,<id>, sorted by (updated_at, id), and
// answer {items, page, page_size, total}.
// Errors are {"error": {"code", "message", "field"}}. Every write bumps updated_at.
package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Options configures a simulator.
type Options struct {
	APIKey   string        // the only accepted API key; default "altior-sim-key"
	TokenTTL time.Duration // token lifetime; default 1h
	PageSize int           // default and maximum page size; default 100
	Seed     uint64
	Now      func() time.Time // default time.Now
}

// Server is the simulated Altior environment; it implements http.Handler.
type Server struct {
	opts    Options
	kit     *simkit.Kit
	handler http.Handler

	mu        sync.RWMutex
	lists     map[string][]ValueItem
	estabs    []Establishment
	users     []User
	events    []EventType
	fields    []CustomField
	tiers     map[string]*Tiers
	contacts  map[string]*Contact
	affaires  map[string]*Affaire
	seq       int
	seeded    map[int]string // company index → tiers id
	tokens    map[string]time.Time
	readOnly  bool
	tokenSeen int
}

// New returns a simulator holding the seeded parameters and no tiers.
func New(o Options) *Server {
	if o.APIKey == "" {
		o.APIKey = "altior-sim-key"
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = time.Hour
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{opts: o, tokens: map[string]time.Time{}}
	s.reset()
	s.kit = simkit.New(o.Seed, func(w http.ResponseWriter, status int) {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
			writeError(w, status, "rate_limited", "too many requests", "")
			return
		}
		writeError(w, status, "internal", "internal server error", "")
	})
	mux := http.NewServeMux()
	s.kit.Register(mux)
	mux.HandleFunc("POST /_sim/seed", func(w http.ResponseWriter, r *http.Request) {
		var b struct{ First, N int }
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.N < 0 {
			http.Error(w, "seed: body must be {\"first\":0,\"n\":10}", http.StatusBadRequest)
			return
		}
		s.SeedTiers(b.First, b.N)
		simkit.WriteJSON(w, http.StatusOK, map[string]int{"tiers": s.Count(ObjectTiers), "contacts": s.Count(ObjectContact)})
	})
	mux.HandleFunc("GET /_sim/dump", func(w http.ResponseWriter, r *http.Request) {
		o := r.URL.Query().Get("object")
		if o != ObjectTiers && o != ObjectContact && o != ObjectAffaire {
			http.Error(w, "dump: object must be tiers, contacts or affaires", http.StatusBadRequest)
			return
		}
		simkit.WriteJSON(w, http.StatusOK, s.Dump(o))
	})
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/readonly", func(w http.ResponseWriter, r *http.Request) {
		s.SetReadOnly(r.URL.Query().Get("on") != "false")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /api/v1/auth/token", s.token)
	api := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.auth(h)) }
	api("GET /api/v1/value-lists/{list}", s.valueList)
	api("GET /api/v1/establishments", func(w http.ResponseWriter, r *http.Request) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": s.estabs})
	})
	api("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": s.users})
	})
	api("GET /api/v1/affaire-event-types", func(w http.ResponseWriter, r *http.Request) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": s.events})
	})
	api("GET /api/v1/custom-fields", s.customFields)
	api("GET /api/v1/tiers", s.listTiers)
	api("GET /api/v1/tiers/{id}", getOne(s, func() map[string]*Tiers { return s.tiers }, "tiers"))
	api("POST /api/v1/tiers", s.writeTiers)
	api("PATCH /api/v1/tiers/{id}", s.writeTiers)
	api("GET /api/v1/tiers/{id}/contacts", s.listContacts)
	api("POST /api/v1/tiers/{id}/contacts", s.writeContact)
	api("GET /api/v1/contacts", s.listContacts)
	api("GET /api/v1/contacts/{id}", getOne(s, func() map[string]*Contact { return s.contacts }, "contact"))
	api("PATCH /api/v1/contacts/{id}", s.writeContact)
	api("GET /api/v1/affaires", s.listAffaires)
	api("GET /api/v1/affaires/{id}", getOne(s, func() map[string]*Affaire { return s.affaires }, "affaire"))
	api("POST /api/v1/affaires", s.writeAffaire)
	api("PATCH /api/v1/affaires/{id}", s.writeAffaire)
	api("POST /api/v1/affaires/{id}/events", s.addEvent)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route", "")
	})
	s.handler = s.kit.Wrap(mux)
	return s
}

// ServeHTTP serves the API and the admin routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Kit returns the request counters and fault settings.
func (s *Server) Kit() *simkit.Kit { return s.kit }

// Reset drops every tiers, contact and affaire and restores the seeded parameters.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

func (s *Server) reset() {
	s.lists = seedLists()
	s.estabs, s.users, s.events, s.fields = seedEstablishments(), seedUsers(), seedEventTypes(), seedCustomFields()
	s.tiers, s.contacts, s.affaires = map[string]*Tiers{}, map[string]*Contact{}, map[string]*Affaire{}
	s.seeded = map[int]string{}
	s.readOnly = false
}

// SetUsers replaces the environment's users (an account deleted, an e-mail moved to another).
func (s *Server) SetUsers(users []User) {
	s.mu.Lock()
	s.users = append([]User(nil), users...)
	s.mu.Unlock()
}

// SetEstablishments replaces the environment's establishments (one added, renamed or deleted).
func (s *Server) SetEstablishments(es []Establishment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.estabs = slices.Clone(es)
}

// SetCustomFields replaces the environment's custom fields (one deleted or renamed since).
func (s *Server) SetCustomFields(fields []CustomField) {
	s.mu.Lock()
	s.fields = append([]CustomField(nil), fields...)
	s.mu.Unlock()
}

// SetEventTypes replaces the environment's affaire event types (one deleted or renamed since).
func (s *Server) SetEventTypes(types []EventType) {
	s.mu.Lock()
	s.events = slices.Clone(types)
	s.mu.Unlock()
}

// SetValueList replaces the entries of a value list (a type deleted or renamed in
// "Paramétrage du tiers" since the setup).
func (s *Server) SetValueList(list string, items []ValueItem) {
	s.mu.Lock()
	s.lists[list] = slices.Clone(items)
	s.mu.Unlock()
}

// SetReadOnly makes every write answer 403 (an API key without write rights).
func (s *Server) SetReadOnly(on bool) {
	s.mu.Lock()
	s.readOnly = on
	s.mu.Unlock()
}

// ExpireTokens makes every issued token expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

// Logins returns the number of tokens issued.
func (s *Server) Logins() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tokenSeen
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%06d", prefix, s.seq)
}

// stampWrite marks a record being written: a new one (empty id) takes an id with the prefix
// and its creation time, and every write takes the next sequence and the current time, which
// changed-since listings page on. It returns the status to answer: 201 for a creation, 200
// for an update.
func (s *Server) stampWrite(id *string, seq *int, created, at *time.Time, prefix string) int {
	status := http.StatusOK
	if *id == "" {
		*id, status = s.nextID(prefix), http.StatusCreated
		*created = s.now()
	}
	s.seq++
	*seq, *at = s.seq, s.now()
	return status
}

// SeedTiers adds a moral tiers (client, with SIRET) for the company of each of people
// first..first+n-1, once per company, and a contact per person.
func (s *Server) SeedTiers(first, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	forms := []string{"SARL", "SAS", "EI", "AS"}
	roles := map[string]string{"Acheteur": "ACHETEUR", "Comptable": "COMPTABLE", "Directeur commercial": "COMMERCIAL"}
	for i := first; i < first+n; i++ {
		p := simkit.PersonAt(i)
		tid, ok := s.seeded[p.Company]
		if !ok {
			c := simkit.CompanyAt(p.Company)
			s.seq++
			tid = fmt.Sprintf("T%06d", s.seq)
			s.seeded[p.Company] = tid
			s.tiers[tid] = &Tiers{
				ID: tid, Kind: "moral", Relation: "client", Name: c.Name, SIRET: c.SIRET,
				LegalForm: forms[p.Company%len(forms)], Phones: []Typed{{"PRINCIPALE", c.Phone}},
				Emails: []Typed{{"PRINCIPAL", c.Email}}, URLs: []Typed{{"WEB", fmt.Sprintf("https://company%05d.example.com", p.Company)}},
				EstablishmentID: "E1", OwnerUserID: "U1", CustomFields: map[string]string{"SECT": c.City}, CreatedAt: now, UpdatedAt: now, seq: s.seq,
			}
		}
		s.seq++
		cid := fmt.Sprintf("C%06d", s.seq)
		civ := "M"
		if i%2 == 0 {
			civ = "MME"
		}
		s.contacts[cid] = &Contact{
			ID: cid, TiersID: tid, Civility: civ, FirstName: p.FirstName, LastName: p.LastName, Role: roles[p.Position],
			Phones: []Typed{{"FIXE", p.Phone}}, Emails: []Typed{{"PRINCIPAL", p.Email}}, CreatedAt: now, UpdatedAt: now, seq: s.seq,
		}
	}
}

// Count returns the number of records of an object: "tiers", "contacts" or "affaires".
func (s *Server) Count(object string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch object {
	case ObjectTiers:
		return len(s.tiers)
	case ObjectContact:
		return len(s.contacts)
	case ObjectAffaire:
		return len(s.affaires)
	}
	return 0
}

// Remove deletes a record as a user does in Altior's screens (the API has no DELETE route):
// a tiers goes with its contacts. It reports whether the record existed.
func (s *Server) Remove(object, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch object {
	case ObjectTiers:
		if _, ok := s.tiers[id]; !ok {
			return false
		}
		delete(s.tiers, id)
		for cid, c := range s.contacts {
			if c.TiersID == id {
				delete(s.contacts, cid)
			}
		}
		return true
	case ObjectContact:
		_, ok := s.contacts[id]
		delete(s.contacts, id)
		return ok
	case ObjectAffaire:
		_, ok := s.affaires[id]
		delete(s.affaires, id)
		return ok
	}
	return false
}

// Dump returns every record of an object as its JSON form, by id.
func (s *Server) Dump(object string) []map[string]any {
	s.mu.RLock()
	var items []any
	switch object {
	case ObjectTiers:
		for _, k := range simkit.SortedKeys(s.tiers) {
			items = append(items, s.tiers[k])
		}
	case ObjectContact:
		for _, k := range simkit.SortedKeys(s.contacts) {
			items = append(items, s.contacts[k])
		}
	case ObjectAffaire:
		for _, k := range simkit.SortedKeys(s.affaires) {
			items = append(items, s.affaires[k])
		}
	}
	raw, _ := json.Marshal(items)
	s.mu.RUnlock()
	out := []map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out
}

// ---- HTTP plumbing --------------------------------------------------------------------------

// ErrorBody is the error answer of every API route.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the failure; Field is the refused field, when there is one.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	simkit.WriteJSON(w, status, ErrorBody{ErrorDetail{code, msg, field}})
}

// invalid is a refused write.
type invalid struct {
	status           int
	code, field, msg string
}

func (e *invalid) write(w http.ResponseWriter) { writeError(w, e.status, e.code, e.msg, e.field) }

func bad(field, format string, a ...any) *invalid {
	return &invalid{http.StatusBadRequest, "invalid", field, field + ": " + fmt.Sprintf(format, a...)}
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var b struct {
		APIKey string `json:"api_key"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.APIKey == "" {
		writeError(w, http.StatusBadRequest, "invalid", "body must be {\"api_key\": \"...\"}", "api_key")
		return
	}
	if b.APIKey != s.opts.APIKey {
		writeError(w, http.StatusUnauthorized, "invalid_api_key", "the API key is not valid", "")
		return
	}
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	tok := hex.EncodeToString(buf)
	s.mu.Lock()
	s.tokens[tok] = s.now().Add(s.opts.TokenTTL)
	s.tokenSeen++
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int(s.opts.TokenTTL / time.Second),
	})
}

func (s *Server) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.RLock()
		exp, known := s.tokens[tok]
		ro := s.readOnly
		s.mu.RUnlock()
		if !ok || !known || !s.now().Before(exp) {
			writeError(w, http.StatusUnauthorized, "invalid_token", "the bearer token is missing, unknown or expired", "")
			return
		}
		if ro && r.Method != http.MethodGet {
			writeError(w, http.StatusForbidden, "forbidden", "the API key has no write right", "")
			return
		}
		h(w, r)
	})
}

// listing is what a collection GET asks: changed_since, page, page_size and after.
type listing struct {
	since      time.Time
	page, size int
	afterAt    time.Time // with afterID: keep what sorts after (afterAt, afterID)
	afterID    string
}

// page reads changed_since, page, page_size and after.
func (s *Server) page(r *http.Request) (l listing, e *invalid) {
	q := r.URL.Query()
	if v := q.Get("changed_since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return l, bad("changed_since", "must be an RFC 3339 date-time")
		}
		l.since = t
	}
	l.page, l.size = 1, s.opts.PageSize
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return l, bad("page", "must be a positive integer")
		}
		l.page = n
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return l, bad("page_size", "must be a positive integer")
		}
		l.size = min(n, s.opts.PageSize)
	}
	if v := q.Get("after"); v != "" {
		at, id, ok := strings.Cut(v, ",")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil || id == "" {
			return l, bad("after", `must be "<updated_at RFC 3339>,<id>"`)
		}
		l.afterAt, l.afterID = t, id
	}
	return l, nil
}

type listed struct {
	id string
	at time.Time
	v  any
}

// before reports whether a sorts before b in a listing: by updated_at, then id.
func before(aAt time.Time, aID string, bAt time.Time, bID string) bool {
	if !aAt.Equal(bAt) {
		return aAt.Before(bAt)
	}
	return aID < bID
}

func writePage(w http.ResponseWriter, all []listed, l listing) {
	if l.afterID != "" {
		all = slices.DeleteFunc(all, func(x listed) bool { return !before(l.afterAt, l.afterID, x.at, x.id) })
	}
	sort.Slice(all, func(i, j int) bool { return before(all[i].at, all[i].id, all[j].at, all[j].id) })
	items := []any{}
	for i := (l.page - 1) * l.size; i < len(all) && i < l.page*l.size; i++ {
		items = append(items, all[i].v)
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "page": l.page, "page_size": l.size, "total": len(all)})
}

func decode(r *http.Request, v any) *invalid {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return &invalid{http.StatusBadRequest, "invalid", "", "the body is not valid JSON for this object"}
	}
	return nil
}

// ---- parameters -----------------------------------------------------------------------------

func (s *Server) valueList(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.lists[r.PathValue("list")]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such value list", "")
		return
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": l})
}

func (s *Server) customFields(w http.ResponseWriter, r *http.Request) {
	o := r.URL.Query().Get("object")
	if o != "" && o != "tiers" && o != "affaire" {
		writeError(w, http.StatusBadRequest, "invalid", "object: must be tiers or affaire", "object")
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []CustomField{}
	for _, f := range s.fields {
		if o == "" || f.Object == o {
			out = append(out, f)
		}
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": out})
}

// ---- validation (callers hold s.mu) ---------------------------------------------------------

func (s *Server) inList(list, code string) bool {
	for _, v := range s.lists[list] {
		if v.Code == code {
			return true
		}
	}
	return false
}

func (s *Server) checkCode(field, list, code string) *invalid {
	if code == "" || s.inList(list, code) {
		return nil
	}
	return &invalid{http.StatusBadRequest, "unknown_value", field, fmt.Sprintf("%s: the code %q is not in the value list %s", field, code, list)}
}

func (s *Server) checkTyped(field, list string, xs []Typed) *invalid {
	for _, x := range xs {
		if x.Type == "" {
			return bad(field, "every entry needs a type")
		}
		if e := s.checkCode(field+".type", list, x.Type); e != nil {
			return e
		}
		if strings.TrimSpace(x.Value) == "" {
			return bad(field, "every entry needs a value")
		}
		if field == "emails" && !strings.Contains(x.Value, "@") {
			return bad(field, "an e-mail address of type %s is malformed", x.Type)
		}
	}
	return nil
}

func (s *Server) checkEstab(field, id string) *invalid {
	if id == "" {
		return nil
	}
	for _, e := range s.estabs {
		if e.ID == id {
			return nil
		}
	}
	return bad(field, "unknown establishment %q", id)
}

func (s *Server) checkUser(id string) *invalid {
	if id == "" {
		return nil
	}
	for _, u := range s.users {
		if u.ID == id {
			return nil
		}
	}
	return bad("owner_user_id", "unknown user %q", id)
}

func (s *Server) checkCustom(object string, cf map[string]*string) *invalid {
	for code := range cf {
		found := false
		for _, f := range s.fields {
			found = found || (f.Object == object && f.Code == code)
		}
		if !found {
			return bad("custom_fields."+code, "no custom field with this code on %s", object)
		}
	}
	return nil
}

// cfFilter is the custom-field conditions of a listing: code → value, each exact.
type cfFilter map[string]string

// customFilter reads the cf.<CODE>=value parameters of a listing; a code that is no custom
// field of the object is refused, so a typo does not silently match nothing. Callers hold s.mu.
func (s *Server) customFilter(object string, q map[string][]string) (cfFilter, *invalid) {
	var out cfFilter
	for k, vs := range q {
		code, ok := strings.CutPrefix(k, "cf.")
		if !ok || len(vs) == 0 {
			continue
		}
		if e := s.checkCustom(object, map[string]*string{code: nil}); e != nil {
			return nil, bad(k, "no custom field with this code on %s", object)
		}
		if out == nil {
			out = cfFilter{}
		}
		out[code] = vs[0]
	}
	return out, nil
}

// holds reports whether custom fields hold every value of the filter.
func (f cfFilter) holds(cf map[string]string) bool {
	for k, v := range f {
		if cf[k] != v {
			return false
		}
	}
	return true
}

func applyCustom(dst map[string]string, cf map[string]*string) map[string]string {
	if dst == nil {
		dst = map[string]string{}
	}
	for k, v := range cf {
		if v == nil || *v == "" {
			delete(dst, k)
		} else {
			dst[k] = *v
		}
	}
	return dst
}

// hasEmail reports whether one of the e-mails is the given one (lower case).
func hasEmail(emails []Typed, email string) bool {
	return slices.ContainsFunc(emails, func(e Typed) bool { return strings.ToLower(e.Value) == email })
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

var siretRe = regexp.MustCompile(`^[0-9]{14}$`)

// ---- tiers ----------------------------------------------------------------------------------

type tiersIn struct {
	Kind            *string            `json:"kind"`
	Relation        *string            `json:"relation"`
	Name            *string            `json:"name"`
	FirstName       *string            `json:"first_name"`
	LastName        *string            `json:"last_name"`
	SIRET           *string            `json:"siret"`
	LegalForm       *string            `json:"legal_form"`
	Civility        *string            `json:"civility"`
	EstablishmentID *string            `json:"establishment_id"`
	OwnerUserID     *string            `json:"owner_user_id"`
	Phones          *[]Typed           `json:"phones"`
	Emails          *[]Typed           `json:"emails"`
	URLs            *[]Typed           `json:"urls"`
	CustomFields    map[string]*string `json:"custom_fields"`
}

// getOne serves GET …/{id} of one kind of record; records gives the current map (Reset
// replaces it).
func getOne[T any](s *Server, records func() map[string]*T, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		rec, ok := records()[r.PathValue("id")]
		if !ok {
			writeError(w, http.StatusNotFound, "not_found", "no such "+what, "")
			return
		}
		simkit.WriteJSON(w, http.StatusOK, rec)
	}
}

func (s *Server) listTiers(w http.ResponseWriter, r *http.Request) {
	l, e := s.page(r)
	if e != nil {
		e.write(w)
		return
	}
	q := r.URL.Query()
	siret, name, email := q.Get("siret"), strings.ToLower(q.Get("name")), strings.ToLower(q.Get("email"))
	s.mu.RLock()
	defer s.mu.RUnlock()
	cf, e := s.customFilter("tiers", q)
	if e != nil {
		e.write(w)
		return
	}
	var all []listed
	for _, t := range s.tiers {
		if t.UpdatedAt.Before(l.since) || (siret != "" && t.SIRET != siret) || (name != "" && strings.ToLower(t.Name) != name) || !cf.holds(t.CustomFields) {
			continue
		}
		if email != "" && !hasEmail(t.Emails, email) {
			continue
		}
		all = append(all, listed{t.ID, t.UpdatedAt, t})
	}
	writePage(w, all, l)
}

func (s *Server) writeTiers(w http.ResponseWriter, r *http.Request) {
	var in tiersIn
	if e := decode(r, &in); e != nil {
		e.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	var t Tiers
	if id != "" {
		old, ok := s.tiers[id]
		if !ok {
			writeError(w, http.StatusNotFound, "not_found", "no such tiers", "")
			return
		}
		t = *old
		t.CustomFields = maps.Clone(old.CustomFields)
	} else {
		t = Tiers{Kind: "moral", Relation: "prospect"}
	}
	set(&t.Kind, in.Kind)
	set(&t.Relation, in.Relation)
	set(&t.Name, in.Name)
	set(&t.FirstName, in.FirstName)
	set(&t.LastName, in.LastName)
	set(&t.SIRET, in.SIRET)
	set(&t.LegalForm, in.LegalForm)
	set(&t.Civility, in.Civility)
	set(&t.EstablishmentID, in.EstablishmentID)
	set(&t.OwnerUserID, in.OwnerUserID)
	set(&t.Phones, in.Phones)
	set(&t.Emails, in.Emails)
	set(&t.URLs, in.URLs)
	if e := s.validTiers(&t, in.CustomFields); e != nil {
		e.write(w)
		return
	}
	t.CustomFields = applyCustom(t.CustomFields, in.CustomFields)
	status := s.stampWrite(&t.ID, &t.seq, &t.CreatedAt, &t.UpdatedAt, "T")
	s.tiers[t.ID] = &t
	simkit.WriteJSON(w, status, &t)
}

func (s *Server) validTiers(t *Tiers, cf map[string]*string) *invalid {
	switch t.Kind {
	case "moral":
		if strings.TrimSpace(t.Name) == "" {
			return bad("name", "required for a moral person")
		}
		if t.Civility != "" {
			return bad("civility", "only a physical person has a civility")
		}
	case "physical":
		if strings.TrimSpace(t.LastName) == "" {
			return bad("last_name", "required for a physical person")
		}
		if t.LegalForm != "" {
			return bad("legal_form", "only a moral person has a legal form")
		}
	default:
		return bad("kind", "must be moral or physical")
	}
	if t.Relation != "client" && t.Relation != "prospect" && t.Relation != "supplier" {
		return bad("relation", "must be client, prospect or supplier")
	}
	if t.SIRET != "" && !siretRe.MatchString(t.SIRET) {
		return bad("siret", "must be 14 digits")
	}
	for _, e := range []*invalid{
		s.checkCode("legal_form", ListLegalForms, t.LegalForm), s.checkCode("civility", ListCivilities, t.Civility),
		s.checkTyped("phones", ListPhoneTypes, t.Phones), s.checkTyped("emails", ListEmailTypes, t.Emails),
		s.checkTyped("urls", ListURLTypes, t.URLs), s.checkEstab("establishment_id", t.EstablishmentID),
		s.checkUser(t.OwnerUserID), s.checkCustom("tiers", cf),
	} {
		if e != nil {
			return e
		}
	}
	return nil
}

// ---- contacts -------------------------------------------------------------------------------

type contactIn struct {
	TiersID   *string  `json:"tiers_id"`
	Civility  *string  `json:"civility"`
	FirstName *string  `json:"first_name"`
	LastName  *string  `json:"last_name"`
	Role      *string  `json:"role"`
	Phones    *[]Typed `json:"phones"`
	Emails    *[]Typed `json:"emails"`
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	l, e := s.page(r)
	if e != nil {
		e.write(w)
		return
	}
	tid := r.PathValue("id")
	email := strings.ToLower(r.URL.Query().Get("email"))
	s.mu.RLock()
	defer s.mu.RUnlock()
	if tid != "" && s.tiers[tid] == nil {
		writeError(w, http.StatusNotFound, "not_found", "no such tiers", "")
		return
	}
	var all []listed
	for _, c := range s.contacts {
		if c.UpdatedAt.Before(l.since) || (tid != "" && c.TiersID != tid) {
			continue
		}
		if email != "" && !hasEmail(c.Emails, email) {
			continue
		}
		all = append(all, listed{c.ID, c.UpdatedAt, c})
	}
	writePage(w, all, l)
}

func (s *Server) writeContact(w http.ResponseWriter, r *http.Request) {
	var in contactIn
	if e := decode(r, &in); e != nil {
		e.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var c Contact
	creating := r.Method == http.MethodPost
	if creating {
		c.TiersID = r.PathValue("id")
		if s.tiers[c.TiersID] == nil {
			writeError(w, http.StatusNotFound, "not_found", "no such tiers", "")
			return
		}
	} else {
		old, ok := s.contacts[r.PathValue("id")]
		if !ok {
			writeError(w, http.StatusNotFound, "not_found", "no such contact", "")
			return
		}
		c = *old
		set(&c.TiersID, in.TiersID)
	}
	set(&c.Civility, in.Civility)
	set(&c.FirstName, in.FirstName)
	set(&c.LastName, in.LastName)
	set(&c.Role, in.Role)
	set(&c.Phones, in.Phones)
	set(&c.Emails, in.Emails)
	var e *invalid
	switch {
	case s.tiers[c.TiersID] == nil:
		e = bad("tiers_id", "unknown tiers %q", c.TiersID)
	case strings.TrimSpace(c.LastName) == "":
		e = bad("last_name", "required")
	default:
		for _, x := range []*invalid{
			s.checkCode("civility", ListCivilities, c.Civility), s.checkCode("role", ListContactRoles, c.Role),
			s.checkTyped("phones", ListPhoneTypes, c.Phones), s.checkTyped("emails", ListEmailTypes, c.Emails),
		} {
			if x != nil && e == nil {
				e = x
			}
		}
	}
	if e != nil {
		e.write(w)
		return
	}
	status := s.stampWrite(&c.ID, &c.seq, &c.CreatedAt, &c.UpdatedAt, "C")
	s.contacts[c.ID] = &c
	simkit.WriteJSON(w, status, &c)
}

// ---- affaires -------------------------------------------------------------------------------

type affaireIn struct {
	TiersID         *string            `json:"tiers_id"`
	Title           *string            `json:"title"`
	EstablishmentID *string            `json:"establishment_id"`
	OwnerUserID     *string            `json:"owner_user_id"`
	CustomFields    map[string]*string `json:"custom_fields"`
	Events          json.RawMessage    `json:"events"`
}

func (s *Server) listAffaires(w http.ResponseWriter, r *http.Request) {
	l, e := s.page(r)
	if e != nil {
		e.write(w)
		return
	}
	tid := r.URL.Query().Get("tiers_id")
	title := strings.ToLower(r.URL.Query().Get("title"))
	s.mu.RLock()
	defer s.mu.RUnlock()
	cf, e := s.customFilter("affaire", r.URL.Query())
	if e != nil {
		e.write(w)
		return
	}
	var all []listed
	for _, a := range s.affaires {
		if a.UpdatedAt.Before(l.since) || (tid != "" && a.TiersID != tid) || (title != "" && strings.ToLower(a.Title) != title) || !cf.holds(a.CustomFields) {
			continue
		}
		all = append(all, listed{a.ID, a.UpdatedAt, a})
	}
	writePage(w, all, l)
}

func (s *Server) writeAffaire(w http.ResponseWriter, r *http.Request) {
	var in affaireIn
	if e := decode(r, &in); e != nil {
		e.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	var a Affaire
	if id != "" {
		old, ok := s.affaires[id]
		if !ok {
			writeError(w, http.StatusNotFound, "not_found", "no such affaire", "")
			return
		}
		a = *old
		a.CustomFields = maps.Clone(old.CustomFields)
	}
	set(&a.TiersID, in.TiersID)
	set(&a.Title, in.Title)
	set(&a.EstablishmentID, in.EstablishmentID)
	set(&a.OwnerUserID, in.OwnerUserID)
	var e *invalid
	switch {
	case len(in.Events) > 0 && string(in.Events) != "null":
		e = bad("events", "read-only: add events with POST /api/v1/affaires/{id}/events")
	case s.tiers[a.TiersID] == nil:
		e = bad("tiers_id", "unknown tiers %q", a.TiersID)
	case strings.TrimSpace(a.Title) == "":
		e = bad("title", "required")
	default:
		e = s.checkEstab("establishment_id", a.EstablishmentID)
		if e == nil {
			e = s.checkUser(a.OwnerUserID)
		}
		if e == nil {
			e = s.checkCustom("affaire", in.CustomFields)
		}
	}
	if e != nil {
		e.write(w)
		return
	}
	a.CustomFields = applyCustom(a.CustomFields, in.CustomFields)
	if a.Events == nil {
		a.Events = []Event{}
	}
	status := s.stampWrite(&a.ID, &a.seq, &a.CreatedAt, &a.UpdatedAt, "A")
	s.affaires[a.ID] = &a
	simkit.WriteJSON(w, status, &a)
}

func (s *Server) addEvent(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Code string `json:"code"`
	}
	if e := decode(r, &in); e != nil {
		e.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.affaires[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such affaire", "")
		return
	}
	var et *EventType
	for i := range s.events {
		if s.events[i].Code == in.Code {
			et = &s.events[i]
		}
	}
	if et == nil {
		writeError(w, http.StatusBadRequest, "unknown_value", fmt.Sprintf("code: %q is not a configured affaire event type", in.Code), "code")
		return
	}
	for _, ev := range old.Events {
		if ev.Code == in.Code {
			writeError(w, http.StatusConflict, "event_exists", "the affaire already has this event", "code")
			return
		}
	}
	a := *old
	now := s.now()
	a.Events = append(append([]Event{}, old.Events...), Event{Code: et.Code, Label: et.Label, At: now})
	s.seq++
	a.seq, a.UpdatedAt = s.seq, now
	s.affaires[a.ID] = &a
	simkit.WriteJSON(w, http.StatusCreated, &a)
}
