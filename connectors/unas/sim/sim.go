// Package sim simulates the UNAS webshop API (api.unas.eu/shop/{function}) for the calls the
// UNAS → MiniCRM pair needs: login (API key → token with Expire, ShopId, Subscription and
// Permissions), getOrder (TimeModStart / TimeModEnd, TimeStart / TimeEnd, LimitNum ≤ 500,
// LimitStart, Key, Status / StatusName / StatusID, Email) and getOrderStatus. Every call is a
// POST with an XML <Params> body; answers are XML with text in CDATA; the token travels as
// "Authorization: Bearer <Token>". Options.Encoding, UnsplitCDATA and BareTexts write them as
// a shop may instead: in ISO-8859-2, with a "]]>" left inside a CDATA text, or with texts
// bare and unescaped.
//
// Limits are counted per function per rolling hour, per package (see DefaultLimits), plus the
// global per-hour total and the 20-consecutive-failures rule. Breaking one bans that function
// for BanDuration (1 hour) and answers, then and until the ban ends,
//
//	<Error>Too much getOrder query, IP is banned till MM.DD.YYYY HH:MM:SS</Error>
//
// with or without a trailing "!" (Options.Ban).
//
// Choices where the reference is unconfirmed: errors are HTTP 400 (Options.ErrorStatus may make
// it 429) with <Error>text</Error>; a missing, unknown or expired token is answered in that
// shape, 400 <Error>Invalid token</Error> (Options.TokenStatus may make it 401);
// a function missing from the key's permissions is 403; date-times (Date, DateMod, Expire, the
// ban time) are in shop time, Europe/Budapest; TimeStart and TimeEnd (when the order was
// placed) and TimeModStart and TimeModEnd (when it was last modified) are inclusive;
// getOrder answers orders ascending by DateMod then Id, <Orders/> when none match; LimitStart
// without LimitNum is refused; an order has no invoice Number or Url until it reaches a status
// that bills it (OrderStatus.InvoiceStatus "billed": Szállítás alatt and Teljesítve by default);
// a ban is per function (the simulator stands for one shop and one IP). The "no response for 2
// hours" ban of unidentifiable shops is not simulated; five failed logins an hour ban login.
package sim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Budapest everywhere

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Limit names: functions, plus the pseudo-functions below.
const (
	LimitTotal          = "total"        // every call, per IP per hour
	LimitLogin          = "login"        // successful logins
	LimitLoginFailed    = "loginFailed"  // failed logins
	LimitGetOrder       = "getOrder"     // getOrder returning several orders
	LimitGetOrderSingle = "getOrder:key" // getOrder by Key
	LimitGetOrderStatus = "getOrderStatus"
)

// DefaultLimits are the hourly limits per package, from the UNAS documentation.
var DefaultLimits = map[string]map[string]int{
	"PREMIUM": {LimitTotal: 2000, LimitLogin: 2000, LimitLoginFailed: 5, LimitGetOrder: 30, LimitGetOrderSingle: 1000, LimitGetOrderStatus: 30},
	"VIP":     {LimitTotal: 6000, LimitLogin: 6000, LimitLoginFailed: 5, LimitGetOrder: 90, LimitGetOrderSingle: 3000, LimitGetOrderStatus: 90},
}

// Ban message styles.
const (
	BanAlternate = ""      // alternate between the two spellings, ban after ban (first: no "!")
	BanPlain     = "plain" // "... till 02.28.2022 10:00:00"
	BanBang      = "bang"  // "... till 02.28.2022 10:00:00!"
)

// MaxFailures is how many failed calls in a row an endpoint tolerates.
const MaxFailures = 20

// Options configures a simulator.
type Options struct {
	APIKey      string
	Package     string         // "PREMIUM" (default) or "VIP"
	Limits      map[string]int // overrides DefaultLimits[Package], per limit name, per hour
	TokenTTL    time.Duration  // default 2h
	BanDuration time.Duration  // default 1h
	Ban         string         // BanAlternate, BanPlain or BanBang
	ErrorStatus int            // HTTP status of <Error> answers; default 400
	// TokenStatus is the HTTP status of the <Error>Invalid token</Error> answering a missing,
	// unknown or expired token; default 400, UNAS's one error shape (400 + <Error>). 401
	// answers it as other APIs do.
	TokenStatus int
	ShopID      string        // default "12345"
	Statuses    []OrderStatus // default DefaultStatuses
	Permissions []string      // default every function the simulator knows
	Seed        uint64
	Now         func() time.Time // default time.Now

	// Encoding, when set ("ISO-8859-2"), writes the answers of getOrder and getOrderStatus in
	// that encoding (ISO-8859-1, ISO-8859-2, Windows-1250 or Windows-1252), as declared in
	// their XML declaration; a character it lacks goes out as "?".
	Encoding string
	// UnsplitCDATA writes a text holding "]]>" in one CDATA section, as UNAS does: its "]]>"
	// ends the section early and the order's XML is ill-formed ("Kovács ]]> Kft").
	UnsplitCDATA bool
	// BareTexts writes getOrder's texts without CDATA and unescaped, as UNAS writes some: a
	// "<" or "&" in one goes out as it is ("A < B Kft").
	BareTexts bool
}

// Server is the simulated shop; it implements http.Handler.
type Server struct {
	opts    Options
	limits  map[string]int
	kit     *simkit.Kit
	handler http.Handler
	loc     *time.Location

	mu     sync.Mutex
	orders map[string]*Order // live orders by Key

	hookURL, hookSecret string // the automatism's webhook (SetWebhook)
	delivered           int
	seq                 int
	invoices            int // invoice numbers issued
	nextKey             int
	tokens              map[string]time.Time
	logins              int
	calls               map[string][]time.Time // per limit name, within the last hour
	failures            map[string]int         // consecutive failures per function
	bans                map[string]time.Time   // function → banned till
	banCount            int
}

// New returns a simulator with no orders.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Package == "" {
		o.Package = "PREMIUM"
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 2 * time.Hour
	}
	if o.BanDuration <= 0 {
		o.BanDuration = time.Hour
	}
	if o.ErrorStatus == 0 {
		o.ErrorStatus = http.StatusBadRequest
	}
	if o.TokenStatus == 0 {
		o.TokenStatus = http.StatusBadRequest
	}
	if o.ShopID == "" {
		o.ShopID = "12345"
	}
	if len(o.Statuses) == 0 {
		o.Statuses = DefaultStatuses
	}
	if o.Permissions == nil {
		o.Permissions = []string{"getOrder", "setOrder", "getOrderStatus", "getCustomer"}
	}
	s := &Server{opts: o, limits: map[string]int{}}
	for k, v := range DefaultLimits[strings.ToUpper(o.Package)] {
		s.limits[k] = v
	}
	if len(s.limits) == 0 {
		for k, v := range DefaultLimits["PREMIUM"] {
			s.limits[k] = v
		}
	}
	for k, v := range o.Limits {
		s.limits[k] = v
	}
	s.loc, _ = time.LoadLocation("Europe/Budapest")
	s.reset()
	s.kit = simkit.New(o.Seed, func(w http.ResponseWriter, status int) {
		writeError(w, status, "Internal error")
	})
	mux := http.NewServeMux()
	s.kit.Register(mux)
	mux.HandleFunc("POST /_sim/seed", s.adminSeed)
	mux.HandleFunc("GET /_sim/dump", func(w http.ResponseWriter, r *http.Request) { simkit.WriteJSON(w, http.StatusOK, s.Dump()) })
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/ban", s.adminBan)
	mux.HandleFunc("POST /_sim/webhook", s.adminWebhook)
	mux.HandleFunc("POST /_sim/status", s.adminStatus)
	mux.HandleFunc("POST /shop/login", s.login)
	mux.HandleFunc("POST /shop/getOrder", s.api("getOrder", s.getOrder))
	mux.HandleFunc("POST /shop/getOrderStatus", s.api("getOrderStatus", s.getOrderStatus))
	mux.HandleFunc("/shop/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, s.opts.ErrorStatus, "Unknown function")
	})
	s.handler = s.kit.Wrap(mux)
	return s
}

// ServeHTTP serves the API under /shop/ and the admin routes under /_sim/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Kit returns the request counter and fault injector.
func (s *Server) Kit() *simkit.Kit { return s.kit }

// Location is the shop's time zone (Europe/Budapest).
func (s *Server) Location() *time.Location { return s.loc }

// Logins returns how many successful logins the simulator answered.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Reset forgets orders, tokens, counters and bans.
func (s *Server) Reset() {
	s.mu.Lock()
	s.reset()
	s.mu.Unlock()
	if s.kit != nil {
		s.kit.ResetCounts()
	}
}

func (s *Server) reset() {
	s.orders = map[string]*Order{}
	s.seq, s.invoices, s.nextKey, s.logins, s.banCount = 0, 0, 250000, 0, 0
	s.tokens = map[string]time.Time{}
	s.calls = map[string][]time.Time{}
	s.failures = map[string]int{}
	s.bans = map[string]time.Time{}
}

// ExpireTokens makes every token unknown, as after the 2 hours.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

func (s *Server) now() time.Time { return s.opts.Now().Truncate(time.Second) }

// SeedOrders adds the orders of people first..first+n-1 (every third one a company's), placed
// seven minutes apart from `from` and modified one to ten minutes after, with statuses taken
// in turn from the shop's list.
func (s *Server) SeedOrders(first, n int, from time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := 0; k < n; k++ {
		i := first + k
		created := from.Add(time.Duration(k) * 7 * time.Minute).Truncate(time.Second)
		s.nextKey++
		o := s.newOrder(strconv.Itoa(s.nextKey), i, created)
		o.Modified = created.Add(time.Duration(1+i%10) * time.Minute)
		s.orders[o.Key] = o
	}
}

// SetStatus changes an order's status by name or id; DateMod becomes now.
func (s *Server) SetStatus(key, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[key]
	if o == nil {
		return
	}
	for _, st := range s.opts.Statuses {
		if string(st.Name) == status || strconv.Itoa(st.ID) == status {
			o.Status, o.StatusID = st.Name, st.ID
			o.Modified = s.later(o.Modified)
			s.invoice(o, st, o.Modified)
			s.emitLocked("order_status_modify", o)
			return
		}
	}
}

// EditOrder changes an order as the shop's back office does (an address corrected, a name
// retyped); DateMod becomes now. A Date set here is written as is instead of the placement
// time, like a shop whose date cannot be read. No webhook is called.
func (s *Server) EditOrder(key string, edit func(o *Order)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[key]
	if o == nil {
		return
	}
	edit(o)
	o.Modified = s.later(o.Modified)
}

// later returns now, or one second after prev when now is not after it (DateMod always moves).
func (s *Server) later(prev time.Time) time.Time {
	t := s.now()
	if !t.After(prev) {
		t = prev.Add(time.Second)
	}
	return t
}

// DeleteOrder deletes an order; its key becomes free.
func (s *Server) DeleteOrder(key string) {
	s.mu.Lock()
	delete(s.orders, key)
	s.mu.Unlock()
}

// ReuseKey creates a new order (another person, placed now) under a key, as UNAS may do with
// the key of a deleted order. An order still holding the key is replaced.
func (s *Server) ReuseKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	o := s.newOrder(key, 7000+s.seq, now)
	if old := s.orders[key]; old != nil && !now.After(old.Created) {
		o.Created = old.Created.Add(time.Second)
	}
	o.Modified = o.Created
	s.orders[key] = o
}

// Count returns the number of live orders.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orders)
}

// Dump returns copies of the live orders, in getOrder's order.
func (s *Server) Dump() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.sorted() {
		out = append(out, s.render(o))
	}
	return out
}

func (s *Server) sorted() []*Order {
	out := make([]*Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Modified.Equal(out[j].Modified) {
			return out[i].Modified.Before(out[j].Modified)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// DateLayout is the layout of UNAS date-times.
const DateLayout = "2006.01.02 15:04:05"

// BanLayout is the layout of the time in a ban message.
const BanLayout = "01.02.2006 15:04:05"

func (s *Server) render(o *Order) Order {
	c := *o
	c.Items = append([]Item(nil), o.Items...)
	if c.Date == "" {
		c.Date = o.Created.In(s.loc).Format(DateLayout)
	}
	c.DateMod = o.Modified.In(s.loc).Format(DateLayout)
	return c
}

// Spent returns the calls counted against a limit (LimitGetOrder, …) in the last hour.
func (s *Server) Spent(limit string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, n := s.now(), 0
	for _, t := range s.calls[limit] {
		if now.Sub(t) < time.Hour {
			n++
		}
	}
	return n
}

// Bans returns how many bans the shop has handed out.
func (s *Server) Bans() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.banCount
}

// Ban bans a function (e.g. "getOrder") for d from now.
func (s *Server) Ban(function string, d time.Duration) {
	s.mu.Lock()
	s.banCount++
	s.bans[function] = s.now().Add(d)
	s.mu.Unlock()
}

// ---- admin -------------------------------------------------------------------------------

func (s *Server) adminSeed(w http.ResponseWriter, r *http.Request) {
	var b struct {
		First int       `json:"first"`
		N     int       `json:"n"`
		From  time.Time `json:"from"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.N < 0 || b.N > 100000 {
		http.Error(w, `seed: body must be {"first":0,"n":100,"from":"2026-01-01T00:00:00Z"}`, http.StatusBadRequest)
		return
	}
	if b.From.IsZero() {
		b.From = s.now().Add(-time.Duration(b.N) * 7 * time.Minute)
	}
	s.SeedOrders(b.First, b.N, b.From)
	simkit.WriteJSON(w, http.StatusOK, map[string]int{"orders": s.Count()})
}

func (s *Server) adminBan(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Function string `json:"function"`
		Minutes  int    `json:"minutes"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		http.Error(w, `ban: body must be {"function":"getOrder","minutes":60}`, http.StatusBadRequest)
		return
	}
	if b.Function == "" {
		b.Function = "getOrder"
	}
	d := time.Duration(b.Minutes) * time.Minute
	if d <= 0 {
		d = s.opts.BanDuration
	}
	s.Ban(b.Function, d)
	w.WriteHeader(http.StatusNoContent)
}

// ---- API ---------------------------------------------------------------------------------

// cdataSection is one CDATA section of an answer, as encoding/xml writes it.
var cdataSection = regexp.MustCompile(`(?s)<!\[CDATA\[(.*?)\]\]>`)

// writeAnswer writes a getOrder or getOrderStatus answer as Options says UNAS does.
func (s *Server) writeAnswer(w http.ResponseWriter, v any) {
	out, err := xmlAnswer(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal error")
		return
	}
	if s.opts.BareTexts {
		// encoding/xml splits a "]]>" over two sections: joined again, as it was.
		out = cdataSection.ReplaceAll(out, []byte("$1"))
	} else if s.opts.UnsplitCDATA {
		out = bytes.ReplaceAll(out, []byte("]]]]><![CDATA[>"), []byte("]]>"))
	}
	charset := "UTF-8"
	if enc, ok := encodings[strings.ToUpper(s.opts.Encoding)]; ok {
		charset = strings.ToUpper(s.opts.Encoding)
		out = bytes.Replace(out, []byte(`encoding="UTF-8"`), []byte(`encoding="`+charset+`"`), 1)
		if b, err := encoding.ReplaceUnsupported(enc.NewEncoder()).Bytes(out); err == nil {
			out = b
		}
	}
	w.Header().Set("Content-Type", "application/xml; charset="+charset)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// encodings are those Options.Encoding may name.
var encodings = map[string]encoding.Encoding{"ISO-8859-1": charmap.ISO8859_1, "ISO-8859-2": charmap.ISO8859_2,
	"WINDOWS-1250": charmap.Windows1250, "WINDOWS-1252": charmap.Windows1252}

func writeXML(w http.ResponseWriter, status int, v any) {
	out, err := xmlAnswer(v)
	if err != nil {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// xmlAnswer is v as an answer's XML, after a declaration saying UTF-8.
func xmlAnswer(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8" ?>` + "\n")
	err := xml.NewEncoder(&buf).Encode(v)
	return buf.Bytes(), err
}

type errorBody struct {
	XMLName xml.Name `xml:"Error"`
	Text    string   `xml:",chardata"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeXML(w, status, errorBody{Text: msg})
}

// banned answers the ban message when function is banned (mu held).
func (s *Server) bannedLocked(function string) (string, bool) {
	until, ok := s.bans[function]
	if !ok || !s.now().Before(until) {
		return "", false
	}
	msg := fmt.Sprintf("Too much %s query, IP is banned till %s", function, until.In(s.loc).Format(BanLayout))
	switch s.opts.Ban {
	case BanBang:
		msg += "!"
	case BanPlain:
	default:
		if s.banCount%2 == 0 {
			msg += "!"
		}
	}
	return msg, true
}

// spend counts one call against limit; false (and a ban of function) when it breaks it (mu held).
func (s *Server) spendLocked(limit, function string) bool {
	now := s.now()
	max, ok := s.limits[limit]
	if !ok {
		return true
	}
	kept := s.calls[limit][:0]
	for _, t := range s.calls[limit] {
		if now.Sub(t) < time.Hour {
			kept = append(kept, t)
		}
	}
	s.calls[limit] = append(kept, now)
	if len(s.calls[limit]) > max {
		s.banLocked(function)
		return false
	}
	return true
}

func (s *Server) banLocked(function string) {
	s.banCount++ // alternating spellings: odd bans without "!", even bans with it
	s.bans[function] = s.now().Add(s.opts.BanDuration)
}

func readParams(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return xml.Unmarshal(b, v)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var p struct {
		XMLName     xml.Name `xml:"Params"`
		APIKey      string   `xml:"ApiKey"`
		WebshopInfo string   `xml:"WebshopInfo"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg, ok := s.bannedLocked("login"); ok {
		writeError(w, s.opts.ErrorStatus, msg)
		return
	}
	if !s.spendLocked(LimitTotal, "login") {
		msg, _ := s.bannedLocked("login")
		writeError(w, s.opts.ErrorStatus, msg)
		return
	}
	if err := readParams(r, &p); err != nil || strings.TrimSpace(p.APIKey) == "" || p.APIKey != s.opts.APIKey {
		if !s.spendLocked(LimitLoginFailed, "login") {
			msg, _ := s.bannedLocked("login")
			writeError(w, s.opts.ErrorStatus, msg)
			return
		}
		writeError(w, s.opts.ErrorStatus, "Invalid ApiKey")
		return
	}
	if !s.spendLocked(LimitLogin, "login") {
		msg, _ := s.bannedLocked("login")
		writeError(w, s.opts.ErrorStatus, msg)
		return
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	tok := hex.EncodeToString(raw[:])
	exp := s.now().Add(s.opts.TokenTTL)
	s.tokens[tok] = exp
	s.logins++
	type perms struct {
		P []string `xml:"Permission"`
	}
	writeXML(w, http.StatusOK, struct {
		XMLName      xml.Name `xml:"Login"`
		Token        string   `xml:"Token"`
		Expire       string   `xml:"Expire"`
		ShopID       string   `xml:"ShopId"`
		Subscription string   `xml:"Subscription"`
		Permissions  perms    `xml:"Permissions"`
		Status       string   `xml:"Status"`
	}{Token: tok, Expire: exp.In(s.loc).Format(DateLayout), ShopID: s.opts.ShopID, Subscription: strings.ToUpper(s.opts.Package),
		Permissions: perms{s.opts.Permissions}, Status: "ok"})
}

// api authenticates a call to function, applies bans, permissions and the total limit, then
// runs h with the lock held. h returns the limit name to spend and whether the call failed.
func (s *Server) api(function string, h func(w http.ResponseWriter, body []byte) (ok bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		s.mu.Lock()
		defer s.mu.Unlock()
		if msg, ok := s.bannedLocked(function); ok {
			writeError(w, s.opts.ErrorStatus, msg)
			return
		}
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		exp, ok := s.tokens[strings.TrimSpace(tok)]
		if !ok || !s.now().Before(exp) {
			writeError(w, s.opts.TokenStatus, "Invalid token")
			return
		}
		if !s.permittedLocked(function) {
			writeError(w, http.StatusForbidden, "No permission for "+function)
			return
		}
		if !s.spendLocked(LimitTotal, function) {
			msg, _ := s.bannedLocked(function)
			writeError(w, s.opts.ErrorStatus, msg)
			return
		}
		if h(w, body) {
			s.failures[function] = 0
			return
		}
		s.failures[function]++
		if s.failures[function] > MaxFailures {
			s.failures[function] = 0
			s.banLocked(function)
		}
	}
}

func (s *Server) permittedLocked(function string) bool {
	for _, p := range s.opts.Permissions {
		if p == function {
			return true
		}
	}
	return false
}

type orderParams struct {
	XMLName      xml.Name `xml:"Params"`
	Key          string   `xml:"Key"`
	Status       string   `xml:"Status"`
	StatusName   string   `xml:"StatusName"`
	StatusID     string   `xml:"StatusID"`
	Email        string   `xml:"Email"`
	TimeStart    string   `xml:"TimeStart"`
	TimeEnd      string   `xml:"TimeEnd"`
	TimeModStart string   `xml:"TimeModStart"`
	TimeModEnd   string   `xml:"TimeModEnd"`
	LimitNum     string   `xml:"LimitNum"`
	LimitStart   string   `xml:"LimitStart"`
}

func unixParam(v string) (time.Time, bool, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, err
	}
	return time.Unix(n, 0), true, nil
}

func (s *Server) getOrder(w http.ResponseWriter, body []byte) bool {
	var p orderParams
	if len(bytes.TrimSpace(body)) > 0 {
		if err := xml.Unmarshal(body, &p); err != nil {
			writeError(w, s.opts.ErrorStatus, "Invalid XML")
			return false
		}
	}
	limit, function := LimitGetOrder, "getOrder"
	if strings.TrimSpace(p.Key) != "" {
		limit = LimitGetOrderSingle
	}
	if !s.spendLocked(limit, function) {
		msg, _ := s.bannedLocked(function)
		writeError(w, s.opts.ErrorStatus, msg)
		return false
	}
	num, start := 500, 0
	if v := strings.TrimSpace(p.LimitNum); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			writeError(w, s.opts.ErrorStatus, "LimitNum must be between 1 and 500")
			return false
		}
		num = n
	}
	if v := strings.TrimSpace(p.LimitStart); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || strings.TrimSpace(p.LimitNum) == "" {
			writeError(w, s.opts.ErrorStatus, "LimitStart is only valid with LimitNum")
			return false
		}
		start = n
	}
	var bounds [4]time.Time
	var has [4]bool
	for i, v := range []string{p.TimeStart, p.TimeEnd, p.TimeModStart, p.TimeModEnd} {
		t, ok, err := unixParam(v)
		if err != nil {
			writeError(w, s.opts.ErrorStatus, "Invalid time filter: "+v)
			return false
		}
		bounds[i], has[i] = t, ok
	}
	statusOK, err := s.statusFilter(p)
	if err != nil {
		writeError(w, s.opts.ErrorStatus, err.Error())
		return false
	}
	var match []*Order
	for _, o := range s.sorted() {
		switch {
		case p.Key != "" && o.Key != strings.TrimSpace(p.Key),
			p.Email != "" && !strings.EqualFold(string(o.Customer.Email), strings.TrimSpace(p.Email)),
			has[0] && o.Created.Before(bounds[0]), has[1] && o.Created.After(bounds[1]),
			has[2] && o.Modified.Before(bounds[2]), has[3] && o.Modified.After(bounds[3]),
			!statusOK(o):
			continue
		}
		match = append(match, o)
	}
	if start > len(match) {
		start = len(match)
	}
	match = match[start:min(len(match), start+num)]
	out := struct {
		XMLName xml.Name `xml:"Orders"`
		Orders  []Order  `xml:"Order"`
	}{}
	for _, o := range match {
		out.Orders = append(out.Orders, s.render(o))
	}
	s.writeAnswer(w, out)
	return true
}

func (s *Server) statusFilter(p orderParams) (func(*Order) bool, error) {
	var fs []func(*Order) bool
	if v := strings.TrimSpace(p.Status); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			fs = append(fs, func(o *Order) bool { return o.StatusID == n })
		} else {
			types := map[int]string{}
			for _, st := range s.opts.Statuses {
				types[st.ID] = st.Type
			}
			switch v {
			case "open_normal", "open_prepare", "close_ok", "close_fault":
			default:
				//lint:ignore ST1005 UNAS's own message, reproduced verbatim
				return nil, fmt.Errorf("Invalid Status: %s", v)
			}
			fs = append(fs, func(o *Order) bool { return types[o.StatusID] == v })
		}
	}
	if v := strings.TrimSpace(p.StatusName); v != "" {
		names := map[string]bool{}
		for _, n := range strings.Split(v, "|") {
			names[strings.TrimSpace(n)] = true
		}
		fs = append(fs, func(o *Order) bool { return names[string(o.Status)] })
	}
	if v := strings.TrimSpace(p.StatusID); v != "" {
		ids := map[int]bool{}
		for _, n := range strings.Split(v, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil {
				//lint:ignore ST1005 UNAS's own message, reproduced verbatim
				return nil, fmt.Errorf("Invalid StatusID: %s", v)
			}
			ids[id] = true
		}
		fs = append(fs, func(o *Order) bool { return ids[o.StatusID] })
	}
	return func(o *Order) bool {
		for _, f := range fs {
			if !f(o) {
				return false
			}
		}
		return true
	}, nil
}

func (s *Server) getOrderStatus(w http.ResponseWriter, body []byte) bool {
	var p struct {
		XMLName xml.Name `xml:"Params"`
		ID      string   `xml:"Id"`
		Type    string   `xml:"Type"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := xml.Unmarshal(body, &p); err != nil {
			writeError(w, s.opts.ErrorStatus, "Invalid XML")
			return false
		}
	}
	if !s.spendLocked(LimitGetOrderStatus, "getOrderStatus") {
		msg, _ := s.bannedLocked("getOrderStatus")
		writeError(w, s.opts.ErrorStatus, msg)
		return false
	}
	out := struct {
		XMLName  xml.Name      `xml:"OrderStatuses"`
		Statuses []OrderStatus `xml:"OrderStatus"`
	}{}
	for _, st := range s.opts.Statuses {
		if (p.ID == "" || strconv.Itoa(st.ID) == strings.TrimSpace(p.ID)) && (p.Type == "" || st.Type == strings.TrimSpace(p.Type)) {
			out.Statuses = append(out.Statuses, st)
		}
	}
	s.writeAnswer(w, out)
	return true
}
