package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// writeError writes the V2 error body: {"error":{"code","message","details","context"}}.
// Details is an empty array when there are none, as in the real 404 fixture.
func writeError(w http.ResponseWriter, status int, message string, details map[string]string) {
	var d any = []any{}
	if len(details) > 0 {
		d = details
	}
	simkit.WriteJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "message": message, "details": d, "context": nil,
	}})
}

func notFound(w http.ResponseWriter) { writeError(w, http.StatusNotFound, "Not Found", nil) }

func invalid(w http.ResponseWriter, bad map[string]string) {
	f := firstBad(bad)
	writeError(w, http.StatusBadRequest,
		fmt.Sprintf("Le contenu de la requête est invalide: le champ '%s' est invalide: %s", f, bad[f]), bad)
}

func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /oauth2/access-tokens", s.token)
	s.agendaRoutes(mux)

	mux.HandleFunc("GET /v2/companies", s.api(s.listKind(kindCompanies, false)))
	mux.HandleFunc("POST /v2/companies/search", s.api(s.listKind(kindCompanies, true)))
	mux.HandleFunc("POST /v2/companies", s.api(s.writeRecord(s.companyOrContact(true), true)))
	mux.HandleFunc("GET /v2/companies/{id}", s.api(s.getKind(kindCompanies)))
	mux.HandleFunc("PUT /v2/companies/{id}", s.api(s.writeRecord(s.companyOrContact(true), false)))
	mux.HandleFunc("DELETE /v2/companies/{id}", s.api(s.delete(true)))
	mux.HandleFunc("GET /v2/companies/{id}/contacts", s.api(s.linked(true)))
	mux.HandleFunc("POST /v2/companies/{companyId}/contacts/{contactId}", s.api(s.link))
	mux.HandleFunc("DELETE /v2/companies/{companyId}/contacts/{contactId}", s.api(s.unlink))
	mux.HandleFunc("GET /v2/companies/{id}/custom-fields", s.api(s.getCF(kindCompanies)))
	mux.HandleFunc("PUT /v2/companies/{id}/custom-fields", s.api(s.putCF(kindCompanies)))

	mux.HandleFunc("GET /v2/contacts", s.api(s.listKind(kindContacts, false)))
	mux.HandleFunc("POST /v2/contacts/search", s.api(s.listKind(kindContacts, true)))
	mux.HandleFunc("POST /v2/contacts", s.api(s.writeRecord(s.companyOrContact(false), true)))
	mux.HandleFunc("GET /v2/contacts/{id}", s.api(s.getKind(kindContacts)))
	mux.HandleFunc("PUT /v2/contacts/{id}", s.api(s.writeRecord(s.companyOrContact(false), false)))
	mux.HandleFunc("DELETE /v2/contacts/{id}", s.api(s.delete(false)))
	mux.HandleFunc("GET /v2/contacts/{id}/companies", s.api(s.linked(false)))
	mux.HandleFunc("GET /v2/contacts/{id}/custom-fields", s.api(s.getCF(kindContacts)))
	mux.HandleFunc("PUT /v2/contacts/{id}/custom-fields", s.api(s.putCF(kindContacts)))

	mux.HandleFunc("GET /v2/custom-fields", s.api(s.listCFDefs))
	mux.HandleFunc("GET /v2/staffs", s.api(listFixed(Staffs, func(st Staff) int { return st.ID }, staffJSON)))
	mux.HandleFunc("GET /v2/items", s.api(listFixed(Items, func(it Item) int { return it.ID }, itemJSON)))

	s.crmRoutes(mux)
	s.webhookRoutes(mux)

	mux.HandleFunc("POST /_sim/seed", func(w http.ResponseWriter, r *http.Request) {
		first, err1 := strconv.Atoi(r.URL.Query().Get("first"))
		n, err2 := strconv.Atoi(r.URL.Query().Get("n"))
		if err1 != nil || err2 != nil || n < 0 {
			http.Error(w, "seed: first and n must be integers", http.StatusBadRequest)
			return
		}
		s.SeedPeople(first, n)
		simkit.WriteJSON(w, http.StatusOK, map[string]int{"companies": s.Count("companies"), "contacts": s.Count("contacts")})
	})
	mux.HandleFunc("GET /_sim/dump", func(w http.ResponseWriter, r *http.Request) {
		obj := r.URL.Query().Get("object")
		if s.storeOf(obj) == nil {
			http.Error(w, "dump: object must be companies, contacts, individuals or opportunities", http.StatusBadRequest)
			return
		}
		simkit.WriteJSON(w, http.StatusOK, s.Dump(obj))
	})
	mux.HandleFunc("POST /_sim/favourite-filters", s.favouriteAdmin)
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
}

// ---- auth and quotas ----

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var grant, id, secret string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var b struct {
			GrantType    string `json:"grant_type"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "malformed JSON body"})
			return
		}
		grant, id, secret = b.GrantType, b.ClientID, b.ClientSecret
	} else {
		if err := r.ParseForm(); err != nil {
			simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "malformed form body"})
			return
		}
		grant, id, secret = r.PostForm.Get("grant_type"), r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if u, p, ok := r.BasicAuth(); ok && id == "" {
		id, secret = u, p
		if uu, err := url.QueryUnescape(u); err == nil {
			id = uu
		}
		if pp, err := url.QueryUnescape(p); err == nil {
			secret = pp
		}
	}
	if grant != "client_credentials" {
		simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "The authorization grant type is not supported by the authorization server."})
		return
	}
	if id != s.opt.ClientID || secret != s.opt.ClientSecret {
		simkit.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed"})
		return
	}
	tok := newToken()
	s.mu.Lock()
	now := s.opt.Now()
	for t, exp := range s.tokens {
		if now.After(exp) {
			delete(s.tokens, t)
		}
	}
	s.tokens[tok] = now.Add(s.opt.TokenTTL)
	s.mu.Unlock()
	resp := map[string]any{
		"token_type": "Bearer", "expires_in": int(s.opt.TokenTTL / time.Second), "access_token": tok,
	}
	if len(s.opt.Scopes) > 0 && !s.opt.ScopesNotInToken {
		resp["scope"] = strings.Join(s.opt.Scopes, " ")
	}
	simkit.WriteJSON(w, http.StatusOK, resp)
}

const unlimited = 1_000_000

// quota counts the request in every window and writes the X-Quota-Remaining-* headers; it
// reports false (after writing the 429 with Sellsy's error body) when any window is spent, as
// Sellsy documents. Requests are counted even when they fail. Windows are UTC seconds,
// minutes, days and calendar months.
func (s *Server) quota(w http.ResponseWriter) bool {
	now := s.opt.Now().UTC()
	windows := [len(quotaHeaders)]int64{now.Unix(), now.Unix() / 60, now.Unix() / 86400, int64(now.Year())*12 + int64(now.Month())}
	limits := [len(quotaHeaders)]int{s.opt.RequestsPerSecond, s.opt.RequestsPerMinute, s.opt.RequestsPerDay, s.opt.RequestsPerMonth}
	var remain [len(quotaHeaders)]int
	over := false
	s.qmu.Lock()
	for i := range s.qWin {
		q := &s.qWin[i]
		if q.at != windows[i] {
			q.at, q.n = windows[i], 0
		}
		q.n++
		remain[i] = unlimited
		if limits[i] > 0 {
			remain[i] = max(limits[i]-q.n, 0)
			over = over || q.n > limits[i]
		}
	}
	s.qmu.Unlock()
	for i, name := range quotaHeaders {
		w.Header().Set(name, strconv.Itoa(remain[i]))
	}
	if over {
		writeError(w, http.StatusTooManyRequests, "Too Many Requests: request quota exceeded", nil)
		return false
	}
	return true
}

// quotaHeaders are the quota windows' headers, in the order of Server.qWin.
var quotaHeaders = [...]string{"X-Quota-Remaining-By-Second", "X-Quota-Remaining-By-Minute", "X-Quota-Remaining-By-Day", "X-Quota-Remaining-By-Month"}

// api wraps an API handler with the quota and the bearer-token check.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.quota(w) {
			return
		}
		auth := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			writeError(w, http.StatusUnauthorized, "Unauthorized: missing access token", nil)
			return
		}
		s.mu.RLock()
		exp, known := s.tokens[tok]
		s.mu.RUnlock()
		if !known || s.opt.Now().After(exp) {
			writeError(w, http.StatusUnauthorized, "Unauthorized: the access token is invalid or expired", nil)
			return
		}
		for _, need := range scopesOf(r) {
			if len(s.opt.Scopes) > 0 && !slices.Contains(s.opt.Scopes, need) {
				writeError(w, http.StatusForbidden, "Forbidden: the scope "+need+" is missing", nil)
				return
			}
		}
		h(w, r)
	}
}

// ---- pagination ----

type page struct {
	limit   int
	numeric bool
	offset  int // numeric mode: rows to skip
	after   int // seek mode: last id returned (0: start)
	cursor  string
	// afterKey is, in seek mode, the sort key of the last record returned, when the cursor
	// carries one (keyed: a list in another order than id's).
	afterKey string
	keyed    bool
	desc     bool
	order    string // the order query parameter, as given ("": the endpoint's default)
	cf       []int
}

func encodeCursor(id int) string {
	b, _ := json.Marshal([]string{strconv.Itoa(id)})
	return base64.StdEncoding.EncodeToString(b)
}

// encodeKeyedCursor is the seek cursor of a list in another order than id's: the sort key
// and the id of the last record returned, as Sellsy's ("WzIwMTQtMDEtMDEsNTk4XQ==").
func encodeKeyedCursor(key string, id int) string {
	b, _ := json.Marshal([]string{key, strconv.Itoa(id)})
	return base64.StdEncoding.EncodeToString(b)
}

func parsePage(q url.Values) (page, map[string]string) {
	p := page{limit: 25}
	bad := map[string]string{}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			bad["limit"] = "Cette valeur doit être un entier."
		case n < 0 || n > 100:
			bad["limit"] = "Cette valeur doit être comprise entre 0 et 100."
		default:
			p.limit = n
		}
	}
	if v := q.Get("offset"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			if n < 0 {
				bad["offset"] = "Cette valeur doit être positive."
			} else if n >= 100000 {
				bad["offset"] = "Le mode de pagination numérique est limité aux 100000 premiers résultats."
			}
			p.numeric, p.offset = true, n
		} else {
			raw, err := base64.StdEncoding.DecodeString(v)
			var keys []string
			if err == nil {
				err = json.Unmarshal(raw, &keys)
			}
			var id int
			switch {
			case err != nil:
			case len(keys) == 1:
				id, err = strconv.Atoi(keys[0])
			case len(keys) == 2:
				id, err = strconv.Atoi(keys[1])
				p.afterKey, p.keyed = keys[0], true
			default:
				err = fmt.Errorf("bad cursor")
			}
			if err != nil {
				bad["offset"] = msgBadCursor
			}
			p.after, p.cursor = id, v
		}
	}
	switch q.Get("direction") {
	case "", "asc":
	case "desc":
		p.desc = true
	default:
		bad["direction"] = "Cette valeur doit être l'un des choix proposés."
	}
	// Each endpoint checks its own orders (see orderKey for the CRM lists).
	p.order = q.Get("order")
	for _, e := range append(q["embed[]"], q["embed"]...) {
		if id, ok := strings.CutPrefix(e, "cf."); ok {
			n, err := strconv.Atoi(id)
			if err != nil {
				bad["embed"] = "Cet embed n'existe pas."
				continue
			}
			p.cf = append(p.cf, n)
		}
	}
	if p.cf == nil && (len(q["embed[]"]) > 0 || len(q["embed"]) > 0) {
		p.cf = []int{}
	}
	if len(bad) > 0 {
		return p, bad
	}
	return p, nil
}

// paginate selects one page from ids (ascending) among those whose index in ids matches keep.
func (p page) paginate(ids []int, keep func(idx int) bool) (out []int, total int, offset any) {
	n := len(ids)
	index := func(i int) int {
		if p.desc {
			return n - 1 - i
		}
		return i
	}
	at := func(i int) int { return ids[index(i)] }
	start := 0
	if !p.numeric && p.after != 0 {
		if p.desc {
			start = n - sort.SearchInts(ids, p.after)
		} else {
			start = sort.SearchInts(ids, p.after+1)
		}
	}
	if keep == nil {
		total = n
		lo := start
		if p.numeric {
			lo = min(p.offset, n)
		}
		for i := lo; i < n && len(out) < p.limit; i++ {
			out = append(out, at(i))
		}
	} else {
		skip := p.offset
		for i := 0; i < n; i++ {
			if !keep(index(i)) {
				continue
			}
			id := at(i)
			total++
			if i < start {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(out) < p.limit {
				out = append(out, id)
			}
		}
	}
	if p.numeric {
		return out, total, p.offset
	}
	if len(out) > 0 {
		return out, total, encodeCursor(out[len(out)-1])
	}
	return out, total, p.cursor
}

// orderedPage selects one page of recs, those keep accepts (nil: all), sorted on key then
// id — both reversed with direction=desc — and seeks after the cursor's key and id, so that a
// record whose key changes between pages is neither read twice nor skipped unless it moves
// across the cursor.
func (p page) orderedPage(recs []*record, key func(*record) string, keep func(*record) bool) (out []int, total int, offset any) {
	type entry struct {
		key string
		id  int
	}
	cmpAsc := func(a, b entry) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return a.id - b.id
	}
	order := func(a, b entry) int {
		if p.desc {
			return cmpAsc(b, a)
		}
		return cmpAsc(a, b)
	}
	es := make([]entry, 0, len(recs))
	for _, r := range recs {
		if keep == nil || keep(r) {
			es = append(es, entry{key(r), r.ID})
		}
	}
	slices.SortFunc(es, order)
	total = len(es)
	start := 0
	switch {
	case p.numeric:
		start = min(p.offset, total)
	case p.cursor != "":
		after := entry{p.afterKey, p.after}
		start = sort.Search(total, func(i int) bool { return order(es[i], after) > 0 })
	}
	for i := start; i < total && len(out) < p.limit; i++ {
		out = append(out, es[i].id)
	}
	switch {
	case p.numeric:
		return out, total, p.offset
	case len(out) > 0:
		last := es[start+len(out)-1]
		return out, total, encodeKeyedCursor(last.key, last.id)
	}
	return out, total, p.cursor
}

func respondPage[T any](w http.ResponseWriter, p page, data []T, total int, offset any) {
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"data":       data,
		"pagination": map[string]any{"limit": p.limit, "count": len(data), "total": total, "offset": offset},
	})
}

// ---- filters ----

type rng struct {
	start, end time.Time
}

func (r rng) has(t time.Time) bool {
	if !r.start.IsZero() && t.Before(r.start) {
		return false
	}
	return r.end.IsZero() || !t.After(r.end)
}

func parseRange(v any, key string, bad map[string]string) *rng {
	m, ok := v.(map[string]any)
	if !ok {
		bad["filters."+key] = "Cette valeur doit être un objet {start, end}."
		return nil
	}
	var r rng
	for k, dst := range map[string]*time.Time{"start": &r.start, "end": &r.end} {
		sv, ok := m[k]
		if !ok || sv == nil {
			continue
		}
		str, _ := sv.(string)
		t, err := time.Parse(time.RFC3339, str)
		if err != nil {
			bad["filters."+key+"."+k] = "Cette valeur n'est pas une date-heure ISO 8601 valide."
			continue
		}
		*dst = t
	}
	return &r
}

func intList(v any, key string, bad map[string]string) map[int]bool {
	arr, ok := v.([]any)
	if !ok {
		bad["filters."+key] = "Cette valeur doit être une liste d'entiers."
		return nil
	}
	set := map[int]bool{}
	for _, x := range arr {
		n, ok := asInt(x)
		if !ok {
			bad["filters."+key] = "Cette valeur doit être une liste d'entiers."
			return nil
		}
		set[n] = true
	}
	return set
}

// buildFilter compiles the search filters of companies or contacts (every filter of the spec's
// CompaniesSearchCompaniesRequest and ContactFilters; favourite_filter is applied by
// filterOf). Unknown filter names are refused. Text filters are exact matches that ignore
// case (Sellsy's MySQL collation); country_code and postal_code match the record's address
// (see SetAddress), birth_date a contact's birth date, both ends included.
func (s *Server) buildFilter(filters map[string]any, company bool) (func(*record) bool, map[string]string) {
	bad := map[string]string{}
	var preds []func(*record) bool
	updatedKey := "updated"
	if company {
		updatedKey = "updated_at"
	}
	for key, v := range filters {
		switch {
		case key == "created" || key == updatedKey:
			r := parseRange(v, key, bad)
			if r == nil {
				continue
			}
			if key == "created" {
				preds = append(preds, func(x *record) bool { return r.has(x.Created) })
			} else {
				preds = append(preds, func(x *record) bool { return r.has(x.Updated) })
			}
		case key == "id":
			set := intList(v, key, bad)
			preds = append(preds, func(x *record) bool { return set[x.ID] })
		case key == "email" || (company && key == "name") || (!company && (key == "last_name" || key == "phone_number" || key == "mobile_number")):
			want, ok := v.(string)
			if !ok {
				bad["filters."+key] = msgString
				continue
			}
			preds = append(preds, func(x *record) bool { got, _ := x.F[key].(string); return got != "" && fold(got, want) })
		case company && key == "siret":
			want, ok := v.(string)
			if !ok {
				bad["filters."+key] = msgString
				continue
			}
			preds = append(preds, func(x *record) bool {
				got, _ := x.Legal["siret"].(string)
				return got != "" && got == strings.ReplaceAll(want, " ", "")
			})
		case company && key == "type":
			set := map[string]bool{}
			switch tv := v.(type) {
			case string:
				set[tv] = true
			case []any:
				for _, t := range tv {
					ts, _ := t.(string)
					set[ts] = true
				}
			default:
				bad["filters.type"] = "Cette valeur doit être l'un des choix proposés."
			}
			preds = append(preds, func(x *record) bool { t, _ := x.F["type"].(string); return set[t] })
		case key == "is_archived":
			b, ok := v.(bool)
			if !ok {
				bad["filters."+key] = "Cette valeur doit être un booléen."
				continue
			}
			preds = append(preds, func(x *record) bool { return x.Archived == b })
		case (company && key == "contacts") || (!company && key == "companies"):
			preds = append(preds, linkedPred(v, key, func(x *record) []int { return x.Links }, bad))
		case !company && key == "is_linked":
			b, ok := v.(bool)
			if !ok {
				bad["filters."+key] = "Cette valeur doit être un booléen."
				continue
			}
			// "linked to a company or an individual" (spec)
			preds = append(preds, func(x *record) bool { return (len(x.Links)+len(x.ILinks) > 0) == b })
		case !company && key == "individuals":
			preds = append(preds, linkedPred(v, key, func(x *record) []int { return x.ILinks }, bad))
		case !company && key == "birth_date":
			preds = append(preds, birthDatePred(v, bad))
		case key == "country_code":
			preds = append(preds, countryPred(v, bad))
		case key == "postal_code":
			preds = append(preds, postalPred(v, bad))
		default:
			bad["filters."+key] = "Ce champ n'est pas autorisé."
		}
	}
	return andPreds(preds, bad)
}

// readBody decodes a JSON object body; nil body → nil map.
func readBody(r *http.Request) (map[string]any, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func badJSON(w http.ResponseWriter) {
	writeError(w, http.StatusBadRequest, "Le contenu de la requête n'est pas un JSON valide.", nil)
}

// ---- handlers ----

func pathID(r *http.Request, name string) (int, bool) {
	n, err := strconv.Atoi(r.PathValue(name))
	return n, err == nil && n > 0
}

func objName(company bool) string {
	if company {
		return "companies"
	}
	return "contacts"
}

func verify(r *http.Request) bool { return r.URL.Query().Get("verify") == "true" }

// recordWriter says how one kind of record is written by writeRecord.
type recordWriter struct {
	kind string
	// clone copies a stored record for an update to be applied to, so that a refused write
	// changes nothing.
	clone func(*record) *record
	// apply validates body onto rec: nil, or the refused fields with their reasons.
	apply func(rec *record, body map[string]any, create bool) map[string]string
	// added, when set, completes a created record once it has its id.
	added func(*record)
}

// writeRecord serves a creation (POST) or an update (PUT …/{id}) of one kind of record: a
// body that is not JSON (400), an unknown id (404), refused fields (400), verify=true (204,
// nothing stored); else the record is stored, its change announced to the webhooks, and
// answered in its read shape.
func (s *Server) writeRecord(wr recordWriter, create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil || body == nil {
			badJSON(w)
			return
		}
		p, _ := parsePage(r.URL.Query())
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.storeOf(wr.kind)
		rec := &record{}
		if !create {
			id, ok := pathID(r, "id")
			cur := st.byID[id]
			if !ok || cur == nil {
				notFound(w)
				return
			}
			rec = wr.clone(cur)
		}
		if bad := wr.apply(rec, body, create); bad != nil {
			invalid(w, bad)
			return
		}
		if verify(r) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		status, event := http.StatusOK, "updated"
		if create {
			st.add(rec)
			if wr.added != nil {
				wr.added(rec)
			}
			status, event = http.StatusCreated, "created"
		} else {
			*st.byID[rec.ID] = *rec
		}
		s.emit(event, wr.kind, rec.ID)
		simkit.WriteJSON(w, status, s.shapeKind(st.byID[rec.ID], wr.kind, p.cf))
	}
}

// companyOrContact writes companies or contacts.
func (s *Server) companyOrContact(company bool) recordWriter {
	return recordWriter{kind: objName(company), clone: cloneRecord,
		apply: func(rec *record, body map[string]any, create bool) map[string]string {
			return applyWrite(rec, body, company, create, s.now())
		}}
}

func cloneRecord(r *record) *record {
	c := *r
	c.F = make(map[string]any, len(r.F))
	for k, v := range r.F {
		c.F[k] = v
	}
	c.Legal = make(map[string]any, len(r.Legal))
	for k, v := range r.Legal {
		c.Legal[k] = v
	}
	return &c
}

func (s *Server) delete(company bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.storeOf(objName(company))
		rec := st.byID[id]
		if !ok || rec == nil {
			notFound(w)
			return
		}
		for _, other := range append([]int{}, rec.Links...) {
			if company {
				s.unlinkLocked(id, other)
			} else {
				s.unlinkLocked(other, id)
			}
		}
		if !company {
			for _, in := range append([]int{}, rec.ILinks...) {
				s.unlinkIndividualLocked(in, id)
			}
		}
		st.remove(id)
		s.emit("deleted", objName(company), id)
		w.WriteHeader(http.StatusNoContent)
	}
}

// linked serves GET /companies/{id}/contacts and GET /contacts/{id}/companies.
func (s *Server) linked(company bool) http.HandlerFunc {
	return s.readRecord(objName(company), func(w http.ResponseWriter, r *http.Request, p page, rec *record) {
		ids := append([]int{}, rec.Links...)
		sort.Ints(ids)
		page, total, off := p.paginate(ids, nil)
		fields := r.URL.Query()["field[]"]
		data := make([]any, len(page))
		for i, lid := range page {
			if len(fields) == 1 && fields[0] == "id" {
				data[i] = map[string]int{"id": lid} // the common case, without building the shape
				continue
			}
			if company {
				data[i] = pickFields(s.contactJSON(s.contacts.byID[lid], p.cf), fields)
			} else {
				data[i] = pickFields(s.companyJSON(s.companies.byID[lid], p.cf), fields)
			}
		}
		respondPage(w, p, data, total, off)
	})
}

func (s *Server) link(w http.ResponseWriter, r *http.Request) {
	co, ok1 := pathID(r, "companyId")
	ct, ok2 := pathID(r, "contactId")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok1 || !ok2 || s.companies.byID[co] == nil || s.contacts.byID[ct] == nil {
		notFound(w)
		return
	}
	if s.linkLocked(co, ct) {
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) unlink(w http.ResponseWriter, r *http.Request) {
	co, ok1 := pathID(r, "companyId")
	ct, ok2 := pathID(r, "contactId")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok1 || !ok2 || s.companies.byID[co] == nil || s.contacts.byID[ct] == nil || !s.unlinkLocked(co, ct) {
		notFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listCFDefs(w http.ResponseWriter, r *http.Request) {
	p, bad := parsePage(r.URL.Query())
	if bad != nil {
		invalid(w, bad)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]int, len(s.cfDefs))
	for i, d := range s.cfDefs {
		ids[i] = d.ID
	}
	page, total, off := p.paginate(ids, nil)
	data := make([]any, len(page))
	for i, id := range page {
		data[i] = s.cfByID(id).defJSON()
	}
	respondPage(w, p, data, total, off)
}

func (s *Server) cfValues(rec *record, kind string) []map[string]any {
	var ids []int
	for _, d := range s.cfDefs {
		ids = append(ids, d.ID)
	}
	return s.embedCF(rec, ids, kind)
}

func (s *Server) getCF(kind string) http.HandlerFunc {
	return s.readRecord(kind, func(w http.ResponseWriter, _ *http.Request, p page, rec *record) {
		vals := s.cfValues(rec, kind)
		respondPage(w, page{limit: p.limit, numeric: true}, vals, len(vals), 0)
	})
}

// putCF writes custom-field values: body [{"id":cfId,"value":v}]. A value write bumps the
// record's update timestamp (whether Sellsy does is unconfirmed; bumping keeps syncs correct).
func (s *Server) putCF(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var items []map[string]any
		if err == nil {
			err = json.Unmarshal(raw, &items)
		}
		if err != nil {
			badJSON(w)
			return
		}
		id, ok := pathID(r, "id")
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.storeOf(kind).byID[id]
		if !ok || rec == nil {
			notFound(w)
			return
		}
		bad := map[string]string{}
		vals := map[int]any{}
		for i, it := range items {
			cid, ok := asInt(it["id"])
			if !ok {
				bad[fmt.Sprintf("%d.id", i)] = msgMissing
				continue
			}
			v, has := it["value"]
			if !has {
				bad[fmt.Sprintf("%d.value", i)] = msgMissing
				continue
			}
			d := s.cfByID(cid)
			if d == nil || !d.appliesToKind(kind) {
				bad[fmt.Sprintf("%d.id", i)] = "Ce champ personnalisé n'existe pas pour cet objet."
				continue
			}
			cv, reason := s.checkValue(d, v)
			if reason != "" {
				bad[fmt.Sprintf("cf.%d", cid)] = fmt.Sprintf("%s (%s)", reason, d.Code)
				continue
			}
			vals[cid] = cv
		}
		// A mandatory field left empty by this write is refused too.
		for i := range s.cfDefs {
			d := &s.cfDefs[i]
			if _, written := vals[d.ID]; !d.Mandatory || written || !d.appliesToKind(kind) || rec.CF[d.ID] != nil {
				continue
			}
			if key := fmt.Sprintf("cf.%d", d.ID); bad[key] == "" {
				bad[key] = fmt.Sprintf("Ce champ est obligatoire. (%s)", d.Code)
			}
		}
		if len(bad) > 0 {
			invalid(w, bad)
			return
		}
		if verify(r) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if rec.CF == nil {
			rec.CF = map[int]any{}
		}
		s.emit("updated", kind, rec.ID)
		for k, v := range vals {
			rec.CF[k] = v
		}
		rec.Updated = s.now()
		vs := s.cfValues(rec, kind)
		respondPage(w, page{limit: 100, numeric: true}, vs, len(vs), 0)
	}
}

// listFixed serves a fixed list (staff, items) with the usual pagination.
func listFixed[T any](all []T, id func(T) int, shape func(T) map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, bad := parsePage(r.URL.Query())
		if bad != nil {
			invalid(w, bad)
			return
		}
		ids := make([]int, len(all))
		byID := map[int]T{}
		for i, x := range all {
			ids[i] = id(x)
			byID[ids[i]] = x
		}
		page, total, off := p.paginate(ids, nil)
		data := make([]map[string]any, len(page))
		for i, n := range page {
			data[i] = shape(byID[n])
		}
		respondPage(w, p, data, total, off)
	}
}
