// Package sim simulates the MiniCRM R3 REST API and the Order API for the UNAS → MiniCRM
// integration: HTTP basic auth (system id, API key); Category (Detailed=1);
// Schema/Project/{id}, Schema/Person, Schema/Business; Contact (Business and Person) search,
// get and PUT; Project search (id-keyed Results, 0-based Page, 100 a page, UpdatedSince in
// Hungarian time), get and PUT (create without id); dropdowns (StatusId, UserId, Enum fields)
// accepted by label or id; /Api/Order List, get, create, update and status actions; 400 with a
// plain-text body; 429 past RequestsPerMinute (sliding minute); and MiniCRM's quirk that an
// unknown owner (UserId) is answered 200 and replaced by a random user.
//
// Choices where the public documentation is silent (see the reference, section 4):
//   - Statuses and users are exposed in Schema/Project/{id} as enums "StatusId" and "UserId"
//     ({id: label}); the R3 docs list no users endpoint. A module's UserId lists only the
//     users with access to it (Category.Users: 103 has no access to Webshop); a card given
//     another owner gets a random one of them, as MiniCRM does.
//   - Searches compare text (Name, ReferenceId, custom fields) without case, as MiniCRM's
//     database does (an assumption: the documentation does not say).
//   - Project search results carry Id, Name, Url, CategoryId, ContactId, BusinessId, StatusId,
//     UserId (ids), Deleted and UpdatedAt; custom fields only on Project/{id}, where StatusId
//     and UserId are returned as names (as documented).
//   - Schema/Person and Schema/Business type Tags "Array" (the docs show only Tags[] on
//     GET /Contact/{id}); PUT /Contact takes Tags as that list (null or [] clears it; any
//     other value is a 400) and creates new tags. Contact/{id} answers enums by label, as
//     Project/{id} does, Booleans as 1/0 and Tags as a list ([] when none).
//   - A card field of type "Array" (AddField; the seeded modules have none) is a list, as
//     contacts' Tags: PUT takes a list and GET answers one, [] when empty. A "File" field
//     (AddField) answers an object {"Url","Name"}; PUT takes such an object, its JSON text,
//     or a URL (named by its last path segment). The API's way of uploading a file is not
//     documented: this stands for a file attached in MiniCRM.
//   - A DateTime field takes Hungarian wall time, "2006-01-02 15:04:05" or a day, and answers
//     it in the first form; a Date field (a type the documentation does not show) takes and
//     answers "2006-01-02". Anything else, RFC 3339 included, is a 400 "Invalid value".
//   - 429 carries no Retry-After header; rejected requests do not count in the window.
//   - Order List answers {"Count","Results":{id:order}} like R3 searches; order status actions
//     are accepted on GET and POST.
package sim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Budapest on hosts without zoneinfo

	"github.com/crmsync/crmsync/connectors/simkit"
)

// PageSize is MiniCRM's fixed page size.
const PageSize = 100

// TimeLayout is MiniCRM's date-time format, in Hungarian time.
const TimeLayout = "2006-01-02 15:04:05"

// Budapest is MiniCRM's time zone.
var Budapest = mustZone("Europe/Budapest")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Options configures a simulator.
type Options struct {
	SystemID, APIKey  string
	RequestsPerMinute int // 0 → 60; negative → unlimited
	Seed              uint64
	Now               func() time.Time
}

// User is a MiniCRM user (a card owner).
type User struct {
	ID    int    `json:"Id"`
	Name  string `json:"Name"`
	Email string `json:"Email"`
}

// Status is a status of a module.
type Status struct {
	ID   int
	Name string
}

// Category is a module (Orders, Webshop).
type Category struct {
	ID       int
	Name     string
	Type     string
	Statuses []Status
	// Fields maps a custom field to its type ("Text(255)", "Url", "Int", "DateTime",
	// "Boolean") or, for an Enum field, to its options (id → label).
	Fields map[string]any
	// Users are the ids of the users with access to the module (nil: every user); only they
	// are its UserId options.
	Users []int
}

// Seeded modules and ids.
const (
	OrdersID  = 20
	WebshopID = 21
)

func seedUsers() []User {
	return []User{
		{ID: 101, Name: "Ana Popescu", Email: "ana.popescu@example.com"},
		{ID: 102, Name: "Bence Kovács", Email: "bence.kovacs@example.com"},
		{ID: 103, Name: "Ioana Ionescu", Email: "ioana.ionescu@example.com"},
	}
}

func seedCategories() []*Category {
	return []*Category{
		{ID: OrdersID, Name: "Orders", Type: "Generic",
			Statuses: []Status{{2001, "New"}, {2002, "In progress"}, {2003, "Shipped"}, {2004, "Closed"}, {2005, "Cancelled"}},
			Fields: map[string]any{
				"Url1201":      "Url",       // Link: the order's PDF
				"Text1202":     "Text(255)", // UNAS Status
				"Text1203":     "Text(64)",  // UNAS order key (external reference)
				"Enum1204":     map[string]string{"3001": "Card", "3002": "Bank transfer", "3003": "Cash on delivery"},
				"Int1205":      "Int",        // order total
				"DateTime1206": "DateTime",   // e.g. when the order was placed
				"Date1207":     "Date",       // e.g. the day it is due
				"Text1208":     "Text(1024)", // the order's items, one text
				"Text1209":     "Text(3)",    // the order's currency
				"Float1210":    "Float",      // order total with decimals (RON, EUR)
			}},
		{ID: WebshopID, Name: "Webshop", Type: "Generic",
			Statuses: []Status{{2101, "Registered"}, {2102, "Buyer"}, {2103, "Returning buyer"}, {2104, "Inactive"}},
			Users:    []int{101, 102}, // Ioana Ionescu (103) handles orders only
			Fields: map[string]any{
				"Url1301":                 "Url",
				"Text1302":                "Text(255)",
				"Text1303":                "Text(64)", // UNAS customer id
				"Enum1304":                map[string]string{"3101": "Private", "3102": "Company"},
				"WebshopRegistrationDate": "DateTime",
				"WebshopDisabled":         "Boolean",
			}},
	}
}

// Server is the simulated MiniCRM system.
type Server struct {
	opts    Options
	kit     *simkit.Kit
	handler http.Handler
	users   []User
	cats    []*Category

	mu       sync.Mutex
	rng      *rand.Rand
	contacts map[int]map[string]any
	projects map[int]map[string]any
	orders   map[int]map[string]any
	nextID   int
	window   []time.Time
}

// New returns a simulator with the seeded users and modules and no records.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RequestsPerMinute == 0 {
		o.RequestsPerMinute = 60
	}
	s := &Server{opts: o, users: seedUsers(), cats: seedCategories()}
	s.Reset()
	s.kit = simkit.New(o.Seed, func(w http.ResponseWriter, status int) {
		msg := "Internal Server Error"
		if status == http.StatusTooManyRequests {
			msg = "Too Many Requests"
		}
		plain(w, status, msg)
	})
	mux := http.NewServeMux()
	s.kit.Register(mux)
	mux.HandleFunc("GET /_sim/dump", func(w http.ResponseWriter, r *http.Request) {
		simkit.WriteJSON(w, http.StatusOK, s.Dump(r.URL.Query().Get("kind")))
	})
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("GET /Api/R3/Category", s.api(s.category))
	mux.Handle("GET /Api/R3/Schema/Project/{id}", s.api(s.schemaProject))
	mux.Handle("GET /Api/R3/Schema/{type}", s.api(s.schemaContact))
	mux.Handle("GET /Api/R3/Contact", s.api(s.contactSearch))
	mux.Handle("GET /Api/R3/Contact/{id}", s.api(s.contactGet))
	mux.Handle("PUT /Api/R3/Contact", s.api(s.contactPut))
	mux.Handle("PUT /Api/R3/Contact/{id}", s.api(s.contactPut))
	mux.Handle("GET /Api/R3/Project", s.api(s.projectSearch))
	mux.Handle("GET /Api/R3/Project/{id}", s.api(s.projectGet))
	mux.Handle("PUT /Api/R3/Project", s.api(s.projectPut))
	mux.Handle("PUT /Api/R3/Project/{id}", s.api(s.projectPut))
	mux.Handle("GET /Api/Order/List", s.api(s.orderList))
	mux.Handle("GET /Api/Order/{id}", s.api(s.orderGet))
	mux.Handle("POST /Api/Order", s.api(s.orderPost))
	mux.Handle("POST /Api/Order/{id}", s.api(s.orderPost))
	mux.Handle("GET /Api/Order/{id}/{action}", s.api(s.orderAction))
	mux.Handle("POST /Api/Order/{id}/{action}", s.api(s.orderAction))
	mux.Handle("/Api/", s.api(func(w http.ResponseWriter, r *http.Request) {
		plain(w, http.StatusNotFound, "Not found: "+r.URL.Path)
	}))
	s.handler = s.kit.Wrap(mux)
	return s
}

// ServeHTTP serves the API and the /_sim/ admin routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Kit returns the request counters and fault settings.
func (s *Server) Kit() *simkit.Kit { return s.kit }

// Users returns the seeded users.
func (s *Server) Users() []User { return append([]User(nil), s.users...) }

// Categories returns the seeded modules.
func (s *Server) Categories() []Category {
	out := make([]Category, 0, len(s.cats))
	for _, c := range s.cats {
		out = append(out, *c)
	}
	return out
}

// SetAccess gives access to a module to these users only (none: every user), as an admin does
// in MiniCRM's settings.
func (s *Server) SetAccess(module string, userIDs ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.catByName(module); c != nil {
		c.Users = userIDs
	}
}

// AddField adds a custom field to a module's cards, as an admin does in MiniCRM's settings:
// typ is a schema type ("Text(255)", "Int", …), "Array" for a list (answered as a JSON list,
// [] when empty, as contacts' Tags), "File" for a file (answered as an object {"Url","Name"}),
// or options (id → label) for an Enum. The module's cards get it empty.
func (s *Server) AddField(module, field string, typ any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.catByName(module)
	if c == nil {
		return
	}
	fields := make(map[string]any, len(c.Fields)+1)
	for k, v := range c.Fields {
		fields[k] = v
	}
	fields[field] = typ
	c.Fields = fields // a copy: Categories' copies keep theirs
	for _, p := range s.projects {
		if p["CategoryId"] == c.ID {
			p[field] = emptyValue(typ)
		}
	}
}

// emptyValue is what a new card holds in a field of typ: [] for a list, else null.
func emptyValue(typ any) any {
	if typ == "Array" {
		return []string{}
	}
	return nil
}

// Reset drops every contact, card and order and the rate-limit window; users and modules stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts, s.projects, s.orders = map[int]map[string]any{}, map[int]map[string]any{}, map[int]map[string]any{}
	s.nextID = 5000
	s.window = nil
	s.rng = rand.New(rand.NewPCG(s.opts.Seed, s.opts.Seed^0x5851f42d4c957f2d))
}

func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// Count returns the number of records of a kind: "contact", "person", "business", "project",
// "order", or a module name ("Orders", "Webshop").
func (s *Server) Count(kind string) int { return len(s.Dump(kind)) }

// Dump returns the stored records of a kind (see Count), ordered by id, with times in UTC.
func (s *Server) Dump(kind string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var src map[int]map[string]any
	keep := func(map[string]any) bool { return true }
	switch kind {
	case "contact", "contacts":
		src = s.contacts
	case "person", "business":
		src = s.contacts
		typ := map[string]string{"person": "Person", "business": "Business"}[kind]
		keep = func(m map[string]any) bool { return m["Type"] == typ }
	case "project", "projects":
		src = s.projects
	case "order", "orders":
		src = s.orders
	default:
		c := s.catByName(kind)
		if c == nil {
			return nil
		}
		src = s.projects
		keep = func(m map[string]any) bool { return m["CategoryId"] == c.ID }
	}
	var out []map[string]any
	for _, id := range sortedIDs(src) {
		if keep(src[id]) {
			out = append(out, clone(src[id]))
		}
	}
	return out
}

func (s *Server) catByName(name string) *Category {
	for _, c := range s.cats {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (s *Server) cat(id int) *Category {
	for _, c := range s.cats {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// api wraps a handler with basic auth and the per-minute limit.
func (s *Server) api(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.SystemID)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.APIKey)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="MiniCRM"`)
			plain(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		if lim := s.opts.RequestsPerMinute; lim > 0 {
			now := s.opts.Now()
			s.mu.Lock()
			cut := 0
			for cut < len(s.window) && now.Sub(s.window[cut]) >= time.Minute {
				cut++
			}
			s.window = s.window[cut:]
			full := len(s.window) >= lim
			if !full {
				s.window = append(s.window, now)
			}
			s.mu.Unlock()
			if full {
				plain(w, http.StatusTooManyRequests, fmt.Sprintf("Too many requests: the limit is %d requests a minute", lim))
				return
			}
		}
		h(w, r)
	})
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

func sortedIDs(m map[int]map[string]any) []int {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339)
		}
		out[k] = v
	}
	return out
}

func fmtTime(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.In(Budapest).Format(TimeLayout)
	}
	return v
}

// parseSince reads "yyyy-mm-dd hh:mm:ss" or "yyyy-mm-dd" in Hungarian time.
func parseSince(v string) (time.Time, bool) {
	for _, l := range []string{TimeLayout, "2006-01-02"} {
		if t, err := time.ParseInLocation(l, strings.TrimSpace(v), Budapest); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func pathID(r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	return id, err == nil
}

func pageOf(q url.Values) (int, bool) {
	v := q.Get("Page")
	if v == "" {
		return 0, true
	}
	p, err := strconv.Atoi(v)
	return p, err == nil && p >= 0
}

// results writes {"Count":N,"Results":{id:…}} for page p (0-based) of ids.
func results(w http.ResponseWriter, ids []int, page int, shape func(int) map[string]any) {
	res := map[string]any{}
	for i := page * PageSize; i < len(ids) && i < (page+1)*PageSize; i++ {
		res[strconv.Itoa(ids[i])] = shape(ids[i])
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"Count": len(ids), "Results": res})
}

func decodeBody(r *http.Request) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

func (s *Server) newID() int {
	s.nextID++
	return s.nextID
}
