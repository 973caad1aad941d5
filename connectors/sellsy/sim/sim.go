// Package sim is an in-memory simulator of the Sellsy API V2 subset crmsync uses: the OAuth2
// client_credentials token endpoint, companies, contacts, company⇄contact links, individuals,
// opportunities with their pipelines, steps and step moves, custom-field definitions and
// values, search with filters, both pagination modes, quota headers and 429s, webhooks, and
// the V2 error body (routes of the newer objects: see crm.go and webhook.go). Shapes follow Sellsy's OpenAPI spec (v2.128.0) and real fixtures
// quoted from Sellsy's API documentation.
//
// Routes:
//
//	POST /oauth2/access-tokens                       client_credentials (JSON, form, or basic auth)
//	GET|POST /v2/companies, POST /v2/companies/search, GET|PUT|DELETE /v2/companies/{id}
//	GET|POST /v2/contacts,  POST /v2/contacts/search,  GET|PUT|DELETE /v2/contacts/{id}
//	GET /v2/companies/{id}/contacts, GET /v2/contacts/{id}/companies
//	POST|DELETE /v2/companies/{companyId}/contacts/{contactId}
//	GET /v2/custom-fields, GET|PUT /v2/{companies|contacts}/{id}/custom-fields
//	GET /v2/staffs, GET /v2/items (fixed lists: targets of staff and item custom fields)
//	/_sim/stats, /_sim/faults (simkit), POST /_sim/seed?first=&n=, GET /_sim/dump?object=, POST /_sim/reset
//	POST /_sim/favourite-filters {"object","name","filters"} → {"id"}
//
// Searches accept every filter the spec documents for their object. Addresses: each company,
// contact or individual keeps one address (seeded people and companies get one in their
// company's city; SetAddress sets others), which the country_code and postal_code filters
// match. Favourite filters ("filtres favoris") are saved searches made in Sellsy's web app,
// which the API can only name: the simulator keeps them as saved filter sets of one object,
// defined with AddFavouriteFilter or POST /_sim/favourite-filters, and a search with
// {"favourite_filter": id} applies that set together with its own filters; an id unknown, or
// saved for another object, is refused with 400 on filters.favourite_filter.
package sim

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Options configures a Server.
type Options struct {
	ClientID, ClientSecret string
	TokenTTL               time.Duration // default 1h
	RequestsPerSecond      int           // quota per second window; 0 → 5 (Sellsy default); <0 → unlimited
	RequestsPerMinute      int           // 0 → unlimited (Sellsy was observed at about 149)
	// RequestsPerDay and RequestsPerMonth are the day and month windows (UTC days and
	// months: Sellsy does not say where its windows start). 0 → 432,000 a day (V1's
	// documented quota) and 31 times that a month, or unlimited when RequestsPerSecond is
	// negative (benchmarks); <0 → unlimited.
	RequestsPerDay, RequestsPerMonth int
	Seed                             uint64 // for fault randomness
	// Scopes, when set, are the API client's only scopes, enforced: a request whose scope
	// (<resource>.read for GET and searches, .write otherwise, verify=true included) is
	// missing gets a 403, and so does a link request or a company's custom-field list
	// without the other resource's scope the spec also lists (see scopesOf). They are also returned space-separated in the token response's
	// "scope" (a simulator extension: Sellsy's token response names none) unless
	// ScopesNotInToken is set, which is how Sellsy behaves.
	Scopes           []string
	ScopesNotInToken bool
	Now              func() time.Time
	// WebhookWithoutTimestamp makes webhook notifications carry only the keys the reference
	// confirms (event, relatedtype, relatedid): no timestamp, ownertype nor ownerid, as
	// Sellsy may send them. Then two changes of a record notify with the same body.
	WebhookWithoutTimestamp bool
	// V1ConsumerToken, V1ConsumerSecret, V1UserToken and V1UserSecret are the API V1
	// (POST /0/) OAuth 1.0a PLAINTEXT credentials; a V2 bearer token is accepted as well.
	V1ConsumerToken, V1ConsumerSecret, V1UserToken, V1UserSecret string
}

// DefaultRequestsPerDay is the day window when Options sets none: the 432,000 requests a day
// Sellsy documents for API V1 (reference §1.4).
const DefaultRequestsPerDay = 432_000

// First ids handed out. Companies and contacts use separate sequences, as in Sellsy; the
// contact sequence starts far away so that an id used on the wrong object is caught.
const (
	firstCompanyID = 1
	firstContactID = 1_000_001
)

// Server is the simulator; it implements http.Handler.
type Server struct {
	opt     Options
	kit     *simkit.Kit
	handler http.Handler

	mu            sync.RWMutex
	companies     store
	contacts      store
	individuals   store
	opportunities store
	cfDefs        []cfDef
	agenda        *agenda
	tokens        map[string]time.Time
	seededP       map[int]int // person index → contact id
	seededC       map[int]int // company index → company id
	nextAddr      int         // next address id (0: firstAddressID)
	favourites    map[int]favourite
	nextFav       int // next favourite filter id (0: firstFavouriteID)

	hookMu   sync.Mutex
	hookURL  string
	hooks    []registeredHook // registered through the webhook management API
	hookSeq  int
	hookCh   chan hookMsg
	hookDrop int
	hookSent int

	qmu  sync.Mutex
	qWin [len(quotaHeaders)]quotaCount // second, minute, day, month
}

// quotaCount counts the requests of one quota window: n requests in window number at.
type quotaCount struct {
	at int64
	n  int
}

// record is one company or contact. Scalar fields live in F (nil or absent = null).
type record struct {
	ID       int
	F        map[string]any
	Legal    map[string]any // companies: legal_france
	Created  time.Time
	Updated  time.Time
	Archived bool
	CF       map[int]any // custom-field values in their read shape
	Links    []int       // contact: company ids; company and individual: contact ids (link order)
	ILinks   []int       // contact: individual ids (link order)
	Subs     []string    // contacts: marketing_campaigns_subscriptions (canonical order)
	Addr     *address    // companies, contacts, individuals: see SetAddress
	Social   socialOut   // contacts: social URLs
	Sync     syncOut     // contacts: newsletter tool synchronisations
}

// store keeps records in id order so that seek pagination is a binary search.
type store struct {
	next int
	ids  []int     // ascending
	recs []*record // recs[i].ID == ids[i]
	byID map[int]*record
}

func newStore(first int) store { return store{next: first, byID: map[int]*record{}} }

func (s *store) add(r *record) {
	r.ID = s.next
	s.next++
	s.ids = append(s.ids, r.ID)
	s.recs = append(s.recs, r)
	s.byID[r.ID] = r
}

func (s *store) remove(id int) {
	delete(s.byID, id)
	i := sort.SearchInts(s.ids, id)
	if i < len(s.ids) && s.ids[i] == id {
		s.ids = append(s.ids[:i], s.ids[i+1:]...)
		s.recs = append(s.recs[:i], s.recs[i+1:]...)
	}
}

// New returns a simulator with the default custom-field definitions and no records.
func New(o Options) *Server {
	if o.TokenTTL == 0 {
		o.TokenTTL = time.Hour
	}
	if o.RequestsPerSecond == 0 {
		o.RequestsPerSecond = 5
	}
	if o.RequestsPerDay == 0 && o.RequestsPerSecond > 0 {
		o.RequestsPerDay = DefaultRequestsPerDay
	}
	if o.RequestsPerMonth == 0 && o.RequestsPerSecond > 0 {
		o.RequestsPerMonth = 31 * DefaultRequestsPerDay
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{opt: o, tokens: map[string]time.Time{}}
	s.resetLocked()
	s.kit = simkit.New(o.Seed, func(w http.ResponseWriter, status int) {
		msg := "Internal Server Error"
		if status == http.StatusTooManyRequests {
			// As Sellsy answers when another client spent the account's second: the
			// headers say which window, and it refills at that second's end.
			msg = "Too Many Requests"
			w.Header().Set(quotaHeaders[0], "0")
		}
		writeError(w, status, msg, nil)
	})
	mux := http.NewServeMux()
	s.routes(mux)
	s.kit.Register(mux)
	s.handler = s.kit.Wrap(mux)
	return s
}

func (s *Server) resetLocked() {
	s.companies = newStore(firstCompanyID)
	s.contacts = newStore(firstContactID)
	s.individuals = newStore(firstIndividualID)
	s.opportunities = newStore(firstOpportunityID)
	s.cfDefs = defaultCustomFields()
	s.agenda = newAgenda()
	s.seededP = map[int]int{}
	s.seededC = map[int]int{}
	s.nextAddr, s.favourites, s.nextFav = 0, map[int]favourite{}, 0
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Kit returns the request counter and fault injector.
func (s *Server) Kit() *simkit.Kit { return s.kit }

// Reset empties all data (custom-field definitions are restored to the defaults).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

// Count returns the number of "companies" or "contacts".
func (s *Server) Count(object string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if st := s.storeOf(object); st != nil {
		return len(st.ids)
	}
	return 0
}

func (s *Server) storeOf(object string) *store {
	switch object {
	case "companies", "company":
		return &s.companies
	case "contacts", "contact":
		return &s.contacts
	case kindIndividuals, "individual":
		return &s.individuals
	case kindOpportunities, "opportunity":
		return &s.opportunities
	}
	return nil
}

// Dump returns the read shape of every record of object ("companies", "contacts",
// "individuals" or "opportunities"), by id
// ascending. Each record also carries every custom-field value under
// _embed.custom_fields, and a "_sim" key with the linked ids ("company_ids" on contacts,
// "contact_ids" on companies), which the real API does not have.
func (s *Server) Dump(object string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.storeOf(object)
	if st == nil {
		return nil
	}
	isCompany := st == &s.companies
	isIndividual, isOpp := st == &s.individuals, st == &s.opportunities
	out := make([]map[string]any, 0, len(st.ids))
	for _, id := range st.ids {
		r := st.byID[id]
		var m map[string]any
		cfIDs := []int{}
		for cf := range r.CF {
			cfIDs = append(cfIDs, cf)
		}
		sort.Ints(cfIDs)
		if isIndividual {
			m = toMap(s.individualJSON(r, cfIDs))
			m["_sim"] = map[string]any{"contact_ids": append([]int{}, r.Links...)}
		} else if isOpp {
			m = toMap(s.oppJSON(r, cfIDs))
		} else if isCompany {
			m = toMap(s.companyJSON(r, cfIDs))
			m["_sim"] = map[string]any{"contact_ids": append([]int{}, r.Links...)}
		} else {
			m = toMap(s.contactJSON(r, cfIDs))
			m["_sim"] = map[string]any{"company_ids": append([]int{}, r.Links...)}
		}
		out = append(out, m)
	}
	return out
}

// seededSubscriptions is the marketing_campaigns_subscriptions of seeded contacts: every
// channel but custom (a base that accepts marketing). Contacts created through the API
// without the key subscribe to nothing.
var seededSubscriptions = []string{"email", "sms", "phone", "postal_mail"}

// SeedPeople creates people first..first+n-1 (simkit.PersonAt) as contacts (subscribed to
// e-mail, SMS, phone and postal campaigns), their companies (simkit.CompanyAt(CompanyOf(i)),
// created once, type prospect) and the contact⇄company link. Each gets an address in FR,
// in its company's city (postal codes: cityPostalCodes).
// A person or company already seeded is not created again.
func (s *Server) SeedPeople(first, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for i := first; i < first+n; i++ {
		if _, ok := s.seededP[i]; ok {
			continue
		}
		p := simkit.PersonAt(i)
		cid, ok := s.seededC[p.Company]
		if !ok {
			c := simkit.CompanyAt(p.Company)
			r := &record{
				F: map[string]any{
					"type": "prospect", "name": c.Name, "email": c.Email, "phone_number": c.Phone, "note": "",
				},
				Legal:   map[string]any{"siret": c.SIRET, "siren": c.SIRET[:9]},
				Created: now, Updated: now,
			}
			s.seedAddress(r, p.Company)
			s.companies.add(r)
			cid = r.ID
			s.seededC[p.Company] = cid
		}
		r := &record{
			F: map[string]any{
				"first_name": p.FirstName, "last_name": p.LastName, "email": p.Email,
				"phone_number": p.Phone, "position": p.Position, "note": "",
			},
			Subs:    seededSubscriptions,
			Created: now, Updated: now,
		}
		s.seedAddress(r, p.Company)
		s.contacts.add(r)
		s.seededP[i] = r.ID
		s.linkLocked(cid, r.ID)
	}
}

// linkLocked links contact ct to company co; it reports false when they were already linked.
func (s *Server) linkLocked(co, ct int) bool {
	c, p := s.companies.byID[co], s.contacts.byID[ct]
	for _, id := range p.Links {
		if id == co {
			return false
		}
	}
	p.Links = append(p.Links, co)
	c.Links = append(c.Links, ct)
	return true
}

func (s *Server) unlinkLocked(co, ct int) bool {
	c, p := s.companies.byID[co], s.contacts.byID[ct]
	found := false
	if p != nil {
		p.Links, found = without(p.Links, co)
	}
	if c != nil {
		c.Links, _ = without(c.Links, ct)
	}
	return found
}

func without(ids []int, id int) ([]int, bool) {
	for i, v := range ids {
		if v == id {
			return append(ids[:i:i], ids[i+1:]...), true
		}
	}
	return ids, false
}

// now is Options.Now at second resolution, like Sellsy's timestamps.
func (s *Server) now() time.Time { return s.opt.Now().Truncate(time.Second) }

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

const tsLayout = "2006-01-02T15:04:05-07:00"

func ts(t time.Time) string { return t.Format(tsLayout) }
