// Package sim simulates the REST "Data" API of Divalto weavy for the tables "Client"
// (customer), "Client / Contact" (customercontact) and "Marketing / Entrant" (marketinginbound):
// POST /v1/Authenticate (userName or username; bearer token with expiresIn), the field
// dictionary (GET /v1/Dictionary/{project}/{entity}, custom fields included), POST
// /v1/Data/{project}/Select (filterFields GreaterThan / LessThan / equal, offset paging with a
// fixed page size: a short page ends the listing; returnFields: only the fields asked for,
// with {entity}_ID, srvDate and srvDateUTC), GET / POST / PUT of one record, the server change
// stamps srvDate (server-local: Europe/Paris, or the zone of Options.SrvDateZone, since the
// real one is not documented) and srvDateUTC (second resolution, bumped on every write) and
// the studio's per-table rights "API lecture" (read), "API ajout" (insert) and "API MAJ"
// (update).
//
// What the public documentation leaves open is chosen here and configurable where it matters
// (see Options): page size 100; error bodies {"errorCode","message",...}; a right switched off
// answers 403 (or Options.DeniedStatus: the reference allows 401) naming the table and the
// right; an expired or unknown token answers 401; date-times are written "YYYY-MM-DD
// HH:MM:SS" and read in that form or "YYYY-MM-DDTHH:MM:SS"; text comparisons ignore case
// (SQL Server's default collation); a filter with several filterValues is refused (400
// InvalidFilter: that they are ORed is not documented, so a client must not count on it);
// the dictionary spells the customer's code "CodeCustomer" as DIV-API's example does, while
// records carry "codecustomer"; a create answers 200 with the stored record (its
// {entity}_ID is the caller's code, or the server's numbering when none is given); a POST
// of a code that exists is refused (400 DuplicateKey) and creates nothing; a PUT carrying no
// field but the code writes nothing and leaves srvDate as it was; a right switched off is
// answered (403) before the body is looked at. A field's own insert or update right (the
// canInsert / canUpdate of the webhook API's DEFINITION, which the reference calls "the
// per-field counterparts of the table-level API flags") can be switched off too: a write
// carrying that field is answered 403 naming the table, the right and the field (fieldName).
package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Options configures a simulator.
type Options struct {
	UserName, Password string
	Project            string        // project (company) code in the routes; default "crm"
	TokenTTL           time.Duration // token lifetime; default 12h (expiresIn 43200)
	PageSize           int           // Select page size; default 100
	// SelectOrder is the order Select pages in, which weavy does not document: OrderInserted
	// (the default) or OrderModified (srvDateUTC, then insertion).
	SelectOrder string
	// SrvDateZone is the IANA zone srvDate is stamped in, which weavy does not document: ""
	// → Europe/Paris; "UTC" for a server that stamps both in UTC.
	SrvDateZone string
	// IgnoreOffset makes Select answer from the first record whatever its offset, as a server
	// that pages otherwise (or not at all) would.
	IgnoreOffset bool
	// DeniedStatus is the status of a right switched off: 403 (the default) or 401.
	DeniedStatus int
	Seed         uint64
	Now          func() time.Time // default time.Now
}

type rec struct {
	seq    int
	fields map[string]any // every stored field, {entity}_ID, srvDate and srvDateUTC included
}

type table struct {
	recs  map[string]*rec // by lower-cased code
	order []*rec          // insertion order: the order of Select
	seq   int
}

// Select orders.
const (
	OrderInserted = "inserted"
	OrderModified = "modified"
)

// Server is the simulated weavy tenant; it implements http.Handler.
type Server struct {
	opts    Options
	kit     *simkit.Kit
	handler http.Handler
	zone    *time.Location // of srvDate

	mu     sync.RWMutex
	tables map[string]*table
	off    map[string]bool // "table/right" switched off
	// fieldOff: "table/field/right" switched off (field lower-cased)
	fieldOff map[string]bool
	tokens   map[string]time.Time
	logins   int
}

// New returns a simulator with no records and every right on.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Project == "" {
		o.Project = "crm"
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 12 * time.Hour
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	if o.DeniedStatus == 0 {
		o.DeniedStatus = http.StatusForbidden
	}
	s := &Server{opts: o, tokens: map[string]time.Time{}, zone: loadZone(o.SrvDateZone)}
	s.reset()
	s.kit = simkit.New(o.Seed, func(w http.ResponseWriter, status int) {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
			writeError(w, status, "TooManyRequests", "Too many requests", nil)
			return
		}
		writeError(w, status, "InternalError", "An error has occurred.", nil)
	})
	mux := http.NewServeMux()
	s.kit.Register(mux)
	mux.HandleFunc("POST /_sim/seed", s.adminSeed)
	mux.HandleFunc("GET /_sim/dump", func(w http.ResponseWriter, r *http.Request) {
		e := r.URL.Query().Get("entity")
		if _, ok := TableLabel[e]; !ok {
			http.Error(w, "dump: entity must be customer, customercontact or marketinginbound", http.StatusBadRequest)
			return
		}
		simkit.WriteJSON(w, http.StatusOK, s.Dump(e))
	})
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/rights", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Table, Right string
			Field        string // a field's own right ("insert" or "update"), when set
			On           bool
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, "rights: "+err.Error(), http.StatusBadRequest)
			return
		}
		if _, ok := TableLabel[b.Table]; !ok || RightLabel[b.Right] == "" {
			http.Error(w, "rights: table must be customer, customercontact or marketinginbound and right read, insert or update", http.StatusBadRequest)
			return
		}
		if b.Field != "" {
			if _, ok := fieldOf(b.Table, b.Field); !ok || b.Right == RightRead {
				http.Error(w, "rights: field must be a field of the table, and its right insert or update", http.StatusBadRequest)
				return
			}
			s.SetFieldRight(b.Table, b.Field, b.Right, b.On)
		} else {
			s.SetRight(b.Table, b.Right, b.On)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /v1/Authenticate", s.authenticate)
	mux.Handle("GET /v1/Dictionary/{project}/{entity}", s.api(RightRead, s.dictionary))
	mux.Handle("POST /v1/Data/{project}/Select", s.api("", s.selectData))
	mux.Handle("GET /v1/Data/{project}/{entity}/{code}", s.api(RightRead, s.getOne))
	mux.Handle("POST /v1/Data/{project}/{entity}", s.api(RightInsert, s.create))
	mux.Handle("PUT /v1/Data/{project}/{entity}/{code}", s.api(RightUpdate, s.update))
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NotFound", "No HTTP resource was found that matches the request URI.", nil)
	})
	s.handler = s.kit.Wrap(mux)
	return s
}

// ServeHTTP serves the API and the admin routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Kit returns the request counters and fault settings.
func (s *Server) Kit() *simkit.Kit { return s.kit }

// Logins returns the number of successful authentications.
func (s *Server) Logins() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.logins
}

// Reset drops every record and switches every right back on (tokens stay valid).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

func (s *Server) reset() {
	s.tables = map[string]*table{}
	for _, e := range Entities {
		s.tables[e] = &table{recs: map[string]*rec{}}
	}
	s.off = map[string]bool{}
	s.fieldOff = map[string]bool{}
}

// SetRight switches a right ("read", "insert", "update") of a table ("customer",
// "customercontact", "marketinginbound") on or off.
func (s *Server) SetRight(table, right string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		delete(s.off, table+"/"+right)
	} else {
		s.off[table+"/"+right] = true
	}
}

// SetFieldRight switches a field's own right ("insert" or "update") of a table on or off.
func (s *Server) SetFieldRight(table, field, right string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := table + "/" + strings.ToLower(field) + "/" + right
	if on {
		delete(s.fieldOff, k)
	} else {
		s.fieldOff[k] = true
	}
}

// ExpireTokens makes every issued token expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// loadZone returns the zone named ("" → Europe/Paris; a fixed CET when the zone database is
// missing).
func loadZone(name string) *time.Location {
	if name == "" {
		name = "Europe/Paris"
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
}

// stamp sets srvDate (server-local) and srvDateUTC.
func (s *Server) stamp(fields map[string]any, t time.Time) {
	fields["srvDate"] = t.In(s.zone).Format(DateLayout)
	fields["srvDateUTC"] = t.UTC().Format(DateLayout)
}

func (s *Server) insert(entity, code string, fields map[string]any, t time.Time) *rec {
	tb := s.tables[entity]
	tb.seq++
	fields[entity+"_ID"] = code
	s.stamp(fields, t)
	r := &rec{seq: tb.seq, fields: fields}
	tb.recs[strings.ToLower(code)] = r
	tb.order = append(tb.order, r)
	return r
}

// SeedPeople adds a customer for the company of each of people first..first+n-1 (created
// once, code "C" + company index) and a customercontact per person (code "CC" + person index)
// linked to it.
func (s *Server) SeedPeople(first, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for i := first; i < first+n; i++ {
		p := simkit.PersonAt(i)
		c := simkit.CompanyAt(p.Company)
		cc := fmt.Sprintf("C%07d", p.Company)
		if s.tables[Customer].recs[strings.ToLower(cc)] == nil {
			s.insert(Customer, cc, map[string]any{
				"codecustomer": cc, "name": c.Name, "email": c.Email, "phoneNumber": c.Phone, "city": c.City,
				"siretNumber": c.SIRET, "generictype_ID_customerType": "CTC", "generictype_ID_country": "FR",
				"idcrm": nil, "blocked": false,
			}, now)
		}
		pc := fmt.Sprintf("CC%07d", i)
		if s.tables[CustomerContact].recs[strings.ToLower(pc)] != nil {
			continue
		}
		s.insert(CustomerContact, pc, map[string]any{
			"codecustomercontact": pc, "customer_ID": cc, "lastName": p.LastName, "firstName": p.FirstName,
			"email": p.Email, "phoneNumber": p.Phone, "description": p.Position, "city": c.City,
			"mainContact": map[bool]string{true: "1", false: "0"}[i%simkit.PeoplePerCompany == 0],
			"cf_segment":  segments[p.Company%len(segments)], "bouncedEmailDetected": nil,
		}, now)
	}
}

// SeedEntrants adds an entrant (marketinginbound, code "E" + person index, no customer) for
// each of people first..first+n-1.
func (s *Server) SeedEntrants(first, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for i := first; i < first+n; i++ {
		p := simkit.PersonAt(i)
		code := fmt.Sprintf("E%07d", i)
		if s.tables[Marketing].recs[strings.ToLower(code)] != nil {
			continue
		}
		s.insert(Marketing, code, map[string]any{
			"codemarketinginbound": code, "lastName": p.LastName, "firstName": p.FirstName, "email": p.Email,
			"phoneNumber": p.Phone, "companyName": simkit.CompanyAt(p.Company).Name,
		}, now)
	}
}

// selectOrder returns an entity's records in the order Select pages them.
func (s *Server) selectOrder(entity string) []*rec {
	order := s.tables[entity].order
	if s.opts.SelectOrder != OrderModified {
		return order
	}
	sorted := slices.Clone(order)
	slices.SortStableFunc(sorted, func(a, b *rec) int {
		return strings.Compare(fmt.Sprint(a.fields["srvDateUTC"]), fmt.Sprint(b.fields["srvDateUTC"]))
	})
	return sorted
}

// SetPageSize changes Select's page size from the next Select on, as a weavy administrator
// may, or a server capping its answers under load; n <= 0 restores the default, 100.
func (s *Server) SetPageSize(n int) {
	if n <= 0 {
		n = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.PageSize = n
}

// Delete removes a record, as a user of the weavy client would (the API deletes nothing).
func (s *Server) Delete(entity, code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[entity]
	if tb == nil || tb.recs[strings.ToLower(code)] == nil {
		return false
	}
	r := tb.recs[strings.ToLower(code)]
	delete(tb.recs, strings.ToLower(code))
	tb.order = slices.DeleteFunc(tb.order, func(x *rec) bool { return x == r })
	return true
}

// Count returns the number of records of an entity.
func (s *Server) Count(entity string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if tb := s.tables[entity]; tb != nil {
		return len(tb.recs)
	}
	return 0
}

// Dump returns every record of an entity in insertion order, every field included.
func (s *Server) Dump(entity string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	tb := s.tables[entity]
	if tb == nil {
		return nil
	}
	out := make([]map[string]any, 0, len(tb.order))
	for _, r := range tb.order {
		out = append(out, s.shape(entity, r))
	}
	return out
}

// shape returns the read form of a record: every dictionary field.
func (s *Server) shape(entity string, r *rec) map[string]any {
	out := map[string]any{}
	for _, d := range dictionaries[entity] {
		out[d.Name] = r.fields[d.Name]
	}
	return out
}

// selected returns the form a Select answers: the fields asked for (returnFields; unknown
// names are ignored), with {entity}_ID, srvDate and srvDateUTC always.
func selected(entity string, r *rec, only []string) map[string]any {
	out := map[string]any{}
	for _, name := range only {
		if d, ok := fieldOf(entity, name); ok {
			out[d.Name] = r.fields[d.Name]
		}
	}
	for _, k := range []string{entity + "_ID", "srvDate", "srvDateUTC"} {
		out[k] = r.fields[k]
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
	if r.URL.Query().Get("kind") == "entrants" {
		s.SeedEntrants(first, n)
	} else {
		s.SeedPeople(first, n)
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]int{
		Customer: s.Count(Customer), CustomerContact: s.Count(CustomerContact), Marketing: s.Count(Marketing),
	})
}

// ---- errors, auth ---------------------------------------------------------------------------

// ErrorBody is the simulator's error answer (the real shape is undocumented).
type ErrorBody struct {
	ErrorCode  string `json:"errorCode"`
	Message    string `json:"message"`
	EntityName string `json:"entityName,omitempty"`
	FieldName  string `json:"fieldName,omitempty"`
	Right      string `json:"right,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg string, extra *ErrorBody) {
	b := ErrorBody{ErrorCode: code, Message: msg}
	if extra != nil {
		b.EntityName, b.FieldName, b.Right = extra.EntityName, extra.FieldName, extra.Right
	}
	simkit.WriteJSON(w, status, b)
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) {
	var raw map[string]any
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "The request body is not valid JSON.", nil)
		return
	}
	get := func(name string) string { // JSON names match case-insensitively (.NET binding)
		for k, v := range raw {
			if strings.EqualFold(k, name) {
				s, _ := v.(string)
				return s
			}
		}
		return ""
	}
	if get("userName") != s.opts.UserName || get("password") != s.opts.Password || s.opts.UserName == "" ||
		(get("projectCode") != "" && !strings.EqualFold(get("projectCode"), s.opts.Project)) {
		writeError(w, http.StatusUnauthorized, "InvalidCredentials", "Invalid user name, password or project code.", nil)
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "sim." + hex.EncodeToString(b)
	now := s.opts.Now().UTC()
	s.mu.Lock()
	s.tokens[tok] = now.Add(s.opts.TokenTTL)
	s.logins++
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"authToken": tok, "expiresIn": int(s.opts.TokenTTL / time.Second),
		"generatedTimeUTC": now.Format("2006-01-02T15:04:05.0000000Z"), "passwordExpiryUTC": nil,
	})
}

type apiFunc func(w http.ResponseWriter, r *http.Request, entity string)

// api checks the token, the project, the entity and the right before calling h. An empty
// right is checked by h (Select names its entity in the body).
func (s *Server) api(right string, h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.RLock()
		exp, known := s.tokens[strings.TrimSpace(tok)]
		s.mu.RUnlock()
		if !ok || !known || !s.opts.Now().UTC().Before(exp) {
			writeError(w, http.StatusUnauthorized, "Unauthorized", "Authorization has been denied for this request.", nil)
			return
		}
		if !strings.EqualFold(r.PathValue("project"), s.opts.Project) {
			writeError(w, http.StatusNotFound, "UnknownProject", "Unknown project code.", nil)
			return
		}
		entity := strings.ToLower(r.PathValue("entity"))
		if right != "" {
			if _, ok := TableLabel[entity]; !ok {
				writeError(w, http.StatusNotFound, "UnknownEntity", "Unknown entity.", &ErrorBody{EntityName: entity})
				return
			}
			if s.denied(w, entity, right) {
				return
			}
		}
		h(w, r, entity)
	})
}

// denied answers 403 when the right is off for the entity's table.
func (s *Server) denied(w http.ResponseWriter, entity, right string) bool {
	s.mu.RLock()
	off := s.off[entity+"/"+right]
	s.mu.RUnlock()
	if !off {
		return false
	}
	writeError(w, s.opts.DeniedStatus, "ApiAccessDenied",
		fmt.Sprintf("API access denied: the %q right is off for the table %q (%s).", RightLabel[right], TableLabel[entity], entity),
		&ErrorBody{EntityName: entity, Right: RightLabel[right]})
	return true
}

// ---- API ------------------------------------------------------------------------------------

type dictField struct {
	FieldName    string        `json:"fieldName"`
	Translations []translation `json:"translations"`
	FieldType    string        `json:"fieldType"`
	FieldLength  int           `json:"fieldLength,omitempty"`
	Mandatory    bool          `json:"mandatory"`
	ReadOnly     bool          `json:"readOnly"`
	Values       []listValue   `json:"values,omitempty"`
}

type translation struct {
	LanguageCode string `json:"languageCode"`
	Text         string `json:"text"`
}

type listValue struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

func (s *Server) dictionary(w http.ResponseWriter, r *http.Request, entity string) {
	var fields []dictField
	for _, d := range dictionaries[entity] {
		df := dictField{FieldName: d.dictName(), Translations: []translation{{"FR", d.Label}}, FieldType: d.Type,
			FieldLength: d.Length, Mandatory: d.Mandatory, ReadOnly: d.ReadOnly}
		for _, v := range d.Values {
			df.Values = append(df.Values, listValue{Code: v, Label: v})
		}
		fields = append(fields, df)
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"entityName":   entity,
		"translations": []translation{{"FR", TableLabel[entity]}},
		"fields":       fields,
	})
}

type filterField struct {
	FilterKey    string   `json:"filterKey"`
	FieldName    string   `json:"fieldName"`
	Operator     string   `json:"operator"`
	FilterValues []string `json:"filterValues"`
}

type selectBody struct {
	EntityName   string `json:"entityName"`
	Offset       int    `json:"offset"`
	ReturnFields []struct {
		FieldName string `json:"fieldName"`
	} `json:"returnFields"`
	FilterFields []filterField `json:"filterFields"`
}

func (s *Server) selectData(w http.ResponseWriter, r *http.Request, _ string) {
	var b selectBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "The request body is not valid.", nil)
		return
	}
	entity := strings.ToLower(b.EntityName)
	if _, ok := TableLabel[entity]; !ok {
		writeError(w, http.StatusBadRequest, "UnknownEntity", "Unknown entityName.", &ErrorBody{EntityName: b.EntityName})
		return
	}
	if s.denied(w, entity, RightRead) {
		return
	}
	type cond struct {
		def fieldDef
		op  string
		vs  []string
	}
	var conds []cond
	for _, ff := range b.FilterFields {
		d, ok := fieldOf(entity, ff.FieldName)
		op := strings.ToLower(ff.Operator)
		switch {
		case !ok:
			writeError(w, http.StatusBadRequest, "UnknownField", "Unknown filter field.", &ErrorBody{EntityName: entity, FieldName: ff.FieldName})
			return
		case op != "greaterthan" && op != "lessthan" && op != "equal":
			writeError(w, http.StatusBadRequest, "UnknownOperator", "Unknown filter operator "+ff.Operator+".", &ErrorBody{EntityName: entity, FieldName: ff.FieldName})
			return
		case len(ff.FilterValues) == 0:
			writeError(w, http.StatusBadRequest, "MissingFilterValue", "A filter has no value.", &ErrorBody{EntityName: entity, FieldName: ff.FieldName})
			return
		case len(ff.FilterValues) > 1:
			writeError(w, http.StatusBadRequest, "InvalidFilter", "A filter takes a single value.", &ErrorBody{EntityName: entity, FieldName: ff.FieldName})
			return
		}
		conds = append(conds, cond{d, op, ff.FilterValues})
	}
	var only []string
	for _, rf := range b.ReturnFields {
		only = append(only, rf.FieldName)
	}
	match := func(rc *rec) bool {
		for _, c := range conds {
			v := rc.fields[c.def.Name]
			ok := false
			for _, fv := range c.vs {
				n, cmp := compare(c.def.Type, v, fv)
				if c.op == "equal" && fv == "null" && v == nil {
					ok = true
				}
				if cmp && ((c.op == "equal" && n == 0) || (c.op == "greaterthan" && n > 0) || (c.op == "lessthan" && n < 0)) {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}
	out := []map[string]any{}
	s.mu.RLock()
	skip := max(b.Offset, 0)
	if s.opts.IgnoreOffset {
		skip = 0
	}
	for _, rc := range s.selectOrder(entity) {
		if len(out) == s.opts.PageSize { // read under s.mu: SetPageSize may change it
			break
		}
		if !match(rc) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, selected(entity, rc, only))
	}
	s.mu.RUnlock()
	simkit.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) getOne(w http.ResponseWriter, r *http.Request, entity string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rc := s.tables[entity].recs[strings.ToLower(r.PathValue("code"))]
	if rc == nil {
		writeError(w, http.StatusNotFound, "NotFound", "No record with this code.", &ErrorBody{EntityName: entity})
		return
	}
	simkit.WriteJSON(w, http.StatusOK, s.shape(entity, rc))
}

// readBody decodes a write body and checks each field against the dictionary and against its
// own right (insert or update, as right says); it writes the 400 (or 403) answer and returns
// false on the first refused field.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, entity, right string) (map[string]any, map[string]any, bool) {
	var raw map[string]any
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil || raw == nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "The request body is not a JSON object.", nil)
		return nil, nil, false
	}
	out := map[string]any{}
	for k, v := range raw {
		d, ok := fieldOf(entity, k)
		if !ok {
			writeError(w, http.StatusBadRequest, "UnknownField", "Unknown field "+k+".", &ErrorBody{EntityName: entity, FieldName: k})
			return nil, nil, false
		}
		if d.Name == entity+"_ID" || d.Name == "srvDate" || d.Name == "srvDateUTC" {
			continue
		}
		s.mu.RLock()
		off := s.fieldOff[entity+"/"+strings.ToLower(d.Name)+"/"+right]
		s.mu.RUnlock()
		if off {
			writeError(w, s.opts.DeniedStatus, "FieldAccessDenied",
				fmt.Sprintf("API access denied: the %q right is off for the field %s of the table %q (%s).", RightLabel[right], d.Name, TableLabel[entity], entity),
				&ErrorBody{EntityName: entity, FieldName: d.Name, Right: RightLabel[right]})
			return nil, nil, false
		}
		c, err := coerce(d, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "InvalidValue", "Invalid value for field "+d.Name+": "+err.Error()+".", &ErrorBody{EntityName: entity, FieldName: d.Name})
			return nil, nil, false
		}
		out[d.Name] = c
	}
	return raw, out, true
}

// checkLinks refuses a customer_ID that does not exist (caller holds the lock).
func (s *Server) checkLinks(w http.ResponseWriter, entity string, fields map[string]any) bool {
	if id, ok := fields["customer_ID"].(string); ok && id != "" && s.tables[Customer].recs[strings.ToLower(id)] == nil {
		writeError(w, http.StatusBadRequest, "InvalidValue", "Invalid value for field customer_ID: unknown customer.", &ErrorBody{EntityName: entity, FieldName: "customer_ID"})
		return false
	}
	return true
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, entity string) {
	raw, fields, ok := s.readBody(w, r, entity, RightInsert)
	if !ok {
		return
	}
	var code string
	for k, v := range raw {
		if strings.EqualFold(k, entity+"_ID") {
			code, _ = v.(string)
		}
	}
	for _, d := range dictionaries[entity] {
		if d.Mandatory {
			if v, _ := fields[d.Name].(string); strings.TrimSpace(v) == "" {
				writeError(w, http.StatusBadRequest, "MandatoryField", "Field "+d.Name+" is mandatory.", &ErrorBody{EntityName: entity, FieldName: d.Name})
				return
			}
		}
	}
	if entity == Customer && fields["generictype_ID_customerType"] == nil {
		fields["generictype_ID_customerType"] = "CTC"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.checkLinks(w, entity, fields) {
		return
	}
	tb := s.tables[entity]
	if code == "" {
		for n := tb.seq + 1; ; n++ {
			code = fmt.Sprintf("%s-%06d", strings.ToUpper(entity[:3]), n)
			if tb.recs[strings.ToLower(code)] == nil {
				break
			}
		}
	} else if tb.recs[strings.ToLower(code)] != nil {
		writeError(w, http.StatusBadRequest, "DuplicateKey", "A record with this code already exists.", &ErrorBody{EntityName: entity, FieldName: entity + "_ID"})
		return
	}
	if c := "code" + entity; fields[c] == nil {
		fields[c] = code
	}
	rc := s.insert(entity, code, fields, s.now())
	simkit.WriteJSON(w, http.StatusOK, s.shape(entity, rc))
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, entity string) {
	_, fields, ok := s.readBody(w, r, entity, RightUpdate)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := s.tables[entity].recs[strings.ToLower(r.PathValue("code"))]
	if rc == nil {
		writeError(w, http.StatusNotFound, "NotFound", "No record with this code.", &ErrorBody{EntityName: entity})
		return
	}
	if !s.checkLinks(w, entity, fields) {
		return
	}
	if len(fields) == 0 { // only the code: nothing is written, the stamps stay
		simkit.WriteJSON(w, http.StatusOK, s.shape(entity, rc))
		return
	}
	for k, v := range fields {
		rc.fields[k] = v
	}
	s.stamp(rc.fields, s.now())
	simkit.WriteJSON(w, http.StatusOK, s.shape(entity, rc))
}
