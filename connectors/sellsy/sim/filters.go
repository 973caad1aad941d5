package sim

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// address is the one address the simulator keeps per company, contact or individual: it is
// both the invoicing and the delivery address of the read shape (invoicing_address_id,
// delivery_address_id), and what the country_code and postal_code search filters match.
type address struct {
	ID          int
	City        string
	PostalCode  string
	CountryCode string // ISO 3166-1 alpha-2, upper case
}

// Address is an address given to SetAddress.
type Address struct {
	City, PostalCode, CountryCode string
}

const firstAddressID = 6001

// cityPostalCodes gives seeded records the postal code of their company's city.
var cityPostalCodes = map[string]string{
	"Paris": "75001", "Lyon": "69001", "Nantes": "44000", "Lille": "59000",
	"Bordeaux": "33000", "Toulouse": "31000", "Rennes": "35000", "Strasbourg": "67000",
}

var countryCodeRE = regexp.MustCompile(`^[A-Za-z]{2}$`)

// SetAddress gives the record id of object ("companies", "contacts" or "individuals") its
// address, replacing any it had (Sellsy's /{object}/{id}/addresses routes, which crmsync does
// not use, are not simulated). It returns an error naming the object, record and field when
// the record does not exist or the address is not valid.
func (s *Server) SetAddress(object string, id int, a Address) error {
	if !countryCodeRE.MatchString(a.CountryCode) {
		return fmt.Errorf("sellsy sim: %s %d: address country_code %q is not a two-letter ISO code", object, id, a.CountryCode)
	}
	if len(a.City) < 2 {
		return fmt.Errorf("sellsy sim: %s %d: address city %q needs at least 2 characters", object, id, a.City)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.storeOf(object)
	if st == nil || st == &s.opportunities {
		return fmt.Errorf("sellsy sim: object %q has no addresses (companies, contacts or individuals)", object)
	}
	r := st.byID[id]
	if r == nil {
		return fmt.Errorf("sellsy sim: %s %d: no such record", object, id)
	}
	s.setAddressLocked(r, a)
	r.Updated = s.now()
	return nil
}

func (s *Server) setAddressLocked(r *record, a Address) {
	if s.nextAddr == 0 {
		s.nextAddr = firstAddressID
	}
	r.Addr = &address{ID: s.nextAddr, City: a.City, PostalCode: a.PostalCode, CountryCode: strings.ToUpper(a.CountryCode)}
	s.nextAddr++
}

// addressID is the read shape's invoicing_address_id and delivery_address_id: null without
// an address.
func addressID(r *record) any {
	if r.Addr == nil {
		return nil
	}
	return r.Addr.ID
}

// seedAddress gives a seeded record the address of its company's city.
func (s *Server) seedAddress(r *record, company int) {
	city := simkit.CompanyAt(company).City
	s.setAddressLocked(r, Address{City: city, PostalCode: cityPostalCodes[city], CountryCode: "FR"})
}

// ---- favourite filters ----

// favourite is a saved search ("filtre favori") of one kind of record.
type favourite struct {
	ID      int
	Kind    string
	Name    string
	Filters map[string]any
}

const firstFavouriteID = 10

// AddFavouriteFilter saves a favourite filter of object ("companies", "contacts",
// "individuals" or "opportunities") and returns its id. In Sellsy favourite filters are
// saved searches made in the web app, which the API only reads; here they are defined with
// this method (or POST /_sim/favourite-filters) and a search with {"favourite_filter": id}
// applies the saved filters together with the search's own. The filters are checked as a
// search's would be; one may not name another favourite filter.
func (s *Server) AddFavouriteFilter(object, name string, filters map[string]any) (int, error) {
	kind := kindOfObject(object)
	if kind == "" {
		return 0, fmt.Errorf("sellsy sim: favourite filter %q: object %q is not companies, contacts, individuals or opportunities", name, object)
	}
	if _, nested := filters["favourite_filter"]; nested {
		return 0, fmt.Errorf("sellsy sim: favourite filter %q: filters.favourite_filter: a favourite filter cannot name another", name)
	}
	if _, bad := s.filterOf(kind, filters); bad != nil {
		f := firstBad(bad)
		return 0, fmt.Errorf("sellsy sim: favourite filter %q: %s: %s", name, f, bad[f])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nextFav == 0 {
		s.nextFav = firstFavouriteID
	}
	if s.favourites == nil {
		s.favourites = map[int]favourite{}
	}
	id := s.nextFav
	s.nextFav++
	s.favourites[id] = favourite{ID: id, Kind: kind, Name: name, Filters: filters}
	return id, nil
}

func kindOfObject(object string) string {
	switch object {
	case "companies", "company":
		return kindCompanies
	case "contacts", "contact":
		return kindContacts
	case kindIndividuals, "individual":
		return kindIndividuals
	case kindOpportunities, "opportunity":
		return kindOpportunities
	}
	return ""
}

// favouritePred compiles the favourite filter v names for kind.
func (s *Server) favouritePred(kind string, v any, bad map[string]string) func(*record) bool {
	id, ok := asInt(v)
	if !ok {
		bad["filters.favourite_filter"] = "Cette valeur doit être un entier."
		return nil
	}
	s.mu.RLock()
	fav, found := s.favourites[id]
	s.mu.RUnlock()
	if !found || fav.Kind != kind {
		bad["filters.favourite_filter"] = "Ce filtre favori n'existe pas."
		return nil
	}
	keep, fbad := s.filterOf(kind, fav.Filters)
	if fbad != nil { // the definitions changed since it was saved (e.g. a reset)
		bad["filters.favourite_filter"] = "Ce filtre favori n'est plus valide."
		return nil
	}
	return keep
}

// favouriteAdmin serves POST /_sim/favourite-filters {"object","name","filters"} → {"id"}.
func (s *Server) favouriteAdmin(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil || body == nil {
		http.Error(w, "favourite-filters: the body must be a JSON object {object, name, filters}", http.StatusBadRequest)
		return
	}
	object, _ := body["object"].(string)
	name, _ := body["name"].(string)
	filters, ok := body["filters"].(map[string]any)
	if !ok {
		http.Error(w, "favourite-filters: filters must be an object", http.StatusBadRequest)
		return
	}
	id, err := s.AddFavouriteFilter(object, name, filters)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	simkit.WriteJSON(w, http.StatusCreated, map[string]int{"id": id})
}

// ---- address and date filters ----

// countryPred matches records whose address is in the country code v.
func countryPred(v any, bad map[string]string) func(*record) bool {
	want, ok := v.(string)
	if !ok {
		bad["filters.country_code"] = msgString
		return nil
	}
	return func(x *record) bool { return x.Addr != nil && strings.EqualFold(x.Addr.CountryCode, want) }
}

// postalPred matches records whose address has one of the postal codes v lists.
func postalPred(v any, bad map[string]string) func(*record) bool {
	arr, ok := v.([]any)
	if !ok {
		bad["filters.postal_code"] = "Cette valeur doit être une liste de chaînes de caractères."
		return nil
	}
	set := map[string]bool{}
	for _, x := range arr {
		s, ok := x.(string)
		if !ok {
			bad["filters.postal_code"] = "Cette valeur doit être une liste de chaînes de caractères."
			return nil
		}
		set[strings.ReplaceAll(s, " ", "")] = true
	}
	return func(x *record) bool { return x.Addr != nil && set[strings.ReplaceAll(x.Addr.PostalCode, " ", "")] }
}

// birthDatePred matches contacts born within {start, end} (dates, YYYY-MM-DD, both ends
// included); a contact without a birth date never matches.
func birthDatePred(v any, bad map[string]string) func(*record) bool {
	m, ok := v.(map[string]any)
	if !ok {
		bad["filters.birth_date"] = "Cette valeur doit être un objet {start, end}."
		return nil
	}
	var start, end string
	for k, dst := range map[string]*string{"start": &start, "end": &end} {
		sv, has := m[k]
		if !has || sv == nil {
			continue
		}
		str, _ := sv.(string)
		if !dateRE.MatchString(str) {
			bad["filters.birth_date."+k] = "Cette valeur n'est pas une date valide (AAAA-MM-JJ)."
			continue
		}
		*dst = str
	}
	return func(x *record) bool {
		d, _ := x.F["birth_date"].(string)
		return d != "" && (start == "" || d >= start) && (end == "" || d <= end)
	}
}

var dateRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`)

// linkedPred matches records linked to one of the ids listed in v (links picks the links).
func linkedPred(v any, key string, links func(*record) []int, bad map[string]string) func(*record) bool {
	set := intList(v, key, bad)
	return func(x *record) bool {
		for _, l := range links(x) {
			if set[l] {
				return true
			}
		}
		return false
	}
}
