package sim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Individuals, opportunities, pipelines, steps and sources (reference §1.6 and §1.8; spec
// schemas IndividualsCreateNewIndividualRequest, OpportunityCreate, OpportunityUpdate,
// OpportunityItem, OpportunityFilters, OpportunityPipelineCollectionItem,
// OpportunityRankUpdate).
//
// Routes:
//
//	GET|POST /v2/individuals, POST /v2/individuals/search, GET|PUT|DELETE /v2/individuals/{id}
//	GET /v2/individuals/{id}/contacts, POST|DELETE /v2/individuals/{individualId}/contacts/{contactId}
//	GET|PUT /v2/individuals/{id}/custom-fields
//	GET|POST /v2/opportunities, POST /v2/opportunities/search, GET|PUT|DELETE /v2/opportunities/{id}
//	PATCH /v2/opportunities/{id}/step-rank, GET|PUT /v2/opportunities/{id}/custom-fields
//	GET /v2/opportunities/pipelines, GET /v2/opportunities/pipelines/{pipelineId}/steps
//	GET /v2/opportunities/sources
//	POST /_sim/webhook {url}, POST /_sim/seed-opportunities?n=

const (
	kindCompanies     = "companies"
	kindContacts      = "contacts"
	kindIndividuals   = "individuals"
	kindOpportunities = "opportunities"

	firstIndividualID  = 2_000_001
	firstOpportunityID = 3_000_001
)

// Pipeline is a seeded opportunity pipeline. The spec's pipeline has no establishment or
// owner, so the simulator has none either.
type Pipeline struct {
	ID        int
	Name      string
	IsDefault bool
	Rank      int
	Steps     []Step
}

// Step is a pipeline step. Step ids are unique across pipelines.
type Step struct {
	ID          int
	Name        string
	Probability int
	Rank        int
}

// Source is an opportunity source.
type Source struct {
	ID        int
	Name      string
	IsDefault bool
}

// Pipelines are the fixed pipelines of every simulator. Their id order is not their rank
// order, and neither are the step ids of a pipeline, so that a client that orders by id is
// caught.
var Pipelines = []Pipeline{
	{ID: 1, Name: "Ventes", IsDefault: true, Rank: 1, Steps: []Step{
		{11, "Découverte", 10, 1}, {12, "Négociation", 70, 3}, {13, "Signature", 90, 4}, {14, "Proposition", 40, 2}}},
	{ID: 2, Name: "Partenariats", Rank: 3, Steps: []Step{
		{21, "Contact", 20, 1}, {22, "Accord", 80, 3}, {23, "Qualification", 50, 2}}},
	{ID: 3, Name: "Grands comptes", Rank: 2, Steps: []Step{
		{31, "Qualification", 25, 1}, {32, "Soutenance", 60, 2}, {33, "Gagné", 100, 3}}},
}

// Sources are the fixed opportunity sources.
var Sources = []Source{{1, "Interne", true}, {2, "Salon", false}, {3, "Site web", false}}

func pipelineByID(id int) *Pipeline {
	for i := range Pipelines {
		if Pipelines[i].ID == id {
			return &Pipelines[i]
		}
	}
	return nil
}

func stepIn(p *Pipeline, id int) *Step {
	if p == nil {
		return nil
	}
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}

// stepsByRank returns the steps of p in rank order.
func stepsByRank(p *Pipeline) []Step {
	out := append([]Step{}, p.Steps...)
	sort.Slice(out, func(i, j int) bool { return out[i].Rank < out[j].Rank })
	return out
}

func sourceByID(id int) *Source {
	for i := range Sources {
		if Sources[i].ID == id {
			return &Sources[i]
		}
	}
	return nil
}

func (s *Server) crmRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v2/individuals", s.api(s.listKind(kindIndividuals, false)))
	mux.HandleFunc("POST /v2/individuals/search", s.api(s.listKind(kindIndividuals, true)))
	mux.HandleFunc("POST /v2/individuals", s.api(s.writeRecord(recordWriter{kind: kindIndividuals, clone: cloneRecord, apply: s.applyIndividual}, true)))
	mux.HandleFunc("GET /v2/individuals/{id}", s.api(s.getKind(kindIndividuals)))
	mux.HandleFunc("PUT /v2/individuals/{id}", s.api(s.writeRecord(recordWriter{kind: kindIndividuals, clone: cloneRecord, apply: s.applyIndividual}, false)))
	mux.HandleFunc("DELETE /v2/individuals/{id}", s.api(s.deleteKind(kindIndividuals)))
	mux.HandleFunc("GET /v2/individuals/{id}/contacts", s.api(s.individualContacts))
	mux.HandleFunc("POST /v2/individuals/{individualId}/contacts/{contactId}", s.api(s.linkIndividual(true)))
	mux.HandleFunc("DELETE /v2/individuals/{individualId}/contacts/{contactId}", s.api(s.linkIndividual(false)))
	mux.HandleFunc("GET /v2/individuals/{id}/custom-fields", s.api(s.getCF(kindIndividuals)))
	mux.HandleFunc("PUT /v2/individuals/{id}/custom-fields", s.api(s.putCF(kindIndividuals)))

	mux.HandleFunc("GET /v2/opportunities/pipelines", s.api(s.listPipelines))
	mux.HandleFunc("GET /v2/opportunities/pipelines/{pipelineId}/steps", s.api(s.listSteps))
	mux.HandleFunc("GET /v2/opportunities/sources", s.api(listFixed(Sources, func(x Source) int { return x.ID }, sourceJSON)))
	mux.HandleFunc("GET /v2/opportunities", s.api(s.listKind(kindOpportunities, false)))
	mux.HandleFunc("POST /v2/opportunities/search", s.api(s.listKind(kindOpportunities, true)))
	mux.HandleFunc("POST /v2/opportunities", s.api(s.writeRecord(s.opportunityWriter(), true)))
	mux.HandleFunc("GET /v2/opportunities/{id}", s.api(s.getKind(kindOpportunities)))
	mux.HandleFunc("PUT /v2/opportunities/{id}", s.api(s.writeRecord(s.opportunityWriter(), false)))
	mux.HandleFunc("DELETE /v2/opportunities/{id}", s.api(s.deleteKind(kindOpportunities)))
	mux.HandleFunc("PATCH /v2/opportunities/{id}/step-rank", s.api(s.stepRank))
	mux.HandleFunc("GET /v2/opportunities/{id}/custom-fields", s.api(s.getCF(kindOpportunities)))
	mux.HandleFunc("PUT /v2/opportunities/{id}/custom-fields", s.api(s.putCF(kindOpportunities)))

	mux.HandleFunc("POST /_sim/webhook", s.webhookAdmin)
	mux.HandleFunc("POST /_sim/seed-opportunities", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 {
			http.Error(w, "seed-opportunities: n must be a non-negative integer", http.StatusBadRequest)
			return
		}
		s.SeedOpportunities(n)
		simkit.WriteJSON(w, http.StatusOK, map[string]int{"opportunities": s.Count(kindOpportunities)})
	})
}

// scopesOf is the scopes a request needs: its path's resource's (scopeOf), and for a link or
// a record's custom fields the other resource's too, as the spec's security lists them
// (Contacts_getCompanies, Companies_getContacts, Companies_linkContact,
// Companies_unlinkContact, Companies_getCustomFieldsList).
func scopesOf(r *http.Request) []string {
	need := scopeOf(r)
	if need == "" {
		return nil
	}
	return append([]string{need}, alsoNeeded[r.Pattern]...)
}

// alsoNeeded are the scopes of the routes that need another resource's besides their own.
var alsoNeeded = map[string][]string{
	"GET /v2/contacts/{id}/companies":                       {"companies.read"},
	"GET /v2/companies/{id}/contacts":                       {"contacts.read"},
	"POST /v2/companies/{companyId}/contacts/{contactId}":   {"contacts.read"},
	"DELETE /v2/companies/{companyId}/contacts/{contactId}": {"contacts.read"},
	"GET /v2/companies/{id}/custom-fields":                  {"custom-fields.read"},
}

// scopeOf is the scope of a request's path's resource ("" when none is checked).
func scopeOf(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	if !ok {
		return ""
	}
	res, _, _ := strings.Cut(rest, "/")
	switch res {
	case "companies", "contacts", "individuals", "opportunities", "custom-fields", "staffs", "tasks", "comments", "webhooks":
	case "calendar-events":
		res = "calendars" // the spec's scopes: calendars.read, calendars.write
	default:
		return ""
	}
	if r.Method == http.MethodGet || (r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/search")) {
		return res + ".read"
	}
	return res + ".write"
}

// ---- shapes ----

// individualOut is the individual read shape (spec: SaleEmbed…individual).
type individualOut struct {
	ID                       int       `json:"id"`
	Type                     any       `json:"type"`
	Civility                 any       `json:"civility"`
	FirstName                any       `json:"first_name"`
	LastName                 any       `json:"last_name"`
	Email                    any       `json:"email"`
	Website                  any       `json:"website"`
	PhoneNumber              any       `json:"phone_number"`
	MobileNumber             any       `json:"mobile_number"`
	FaxNumber                any       `json:"fax_number"`
	Reference                any       `json:"reference"`
	Note                     any       `json:"note"`
	AuxiliaryCode            any       `json:"auxiliary_code"`
	Social                   socialOut `json:"social"`
	Sync                     syncOut   `json:"sync"`
	RateCategoryID           any       `json:"rate_category_id"`
	MainContactID            any       `json:"main_contact_id"`
	DunningContactID         any       `json:"dunning_contact_id"`
	InvoicingContactID       any       `json:"invoicing_contact_id"`
	InvoicingAddressID       any       `json:"invoicing_address_id"`
	DeliveryAddressID        any       `json:"delivery_address_id"`
	AccountingCodeID         any       `json:"accounting_code_id"`
	AccountingPurchaseCodeID any       `json:"accounting_purchase_code_id"`
	Owner                    ownerOut  `json:"owner"`
	Created                  string    `json:"created"`
	UpdatedAt                string    `json:"updated_at"`
	IsArchived               bool      `json:"is_archived"`
	MarketingCampaigns       []string  `json:"marketing_campaigns_subscriptions"`
	Embed                    *embedOut `json:"_embed,omitempty"`
}

func (s *Server) individualJSON(r *record, cf []int) any {
	out := &individualOut{
		ID: r.ID, Type: r.F["type"], Civility: r.F["civility"], FirstName: r.F["first_name"], LastName: r.F["last_name"],
		Email: r.F["email"], Website: r.F["website"], PhoneNumber: r.F["phone_number"], MobileNumber: r.F["mobile_number"],
		FaxNumber: r.F["fax_number"], Reference: r.F["reference"], Note: noteOf(r), AuxiliaryCode: r.F["auxiliary_code"],
		Owner: ownerOut{1, "staff"}, Created: ts(r.Created), UpdatedAt: ts(r.Updated), IsArchived: r.Archived,
		MarketingCampaigns: r.Subs, InvoicingAddressID: addressID(r), DeliveryAddressID: addressID(r), Social: r.Social, Sync: r.Sync,
		RateCategoryID: r.F["rate_category_id"], AccountingCodeID: r.F["accounting_code_id"], AccountingPurchaseCodeID: r.F["accounting_purchase_code_id"],
	}
	if len(r.Links) > 0 {
		out.MainContactID = r.Links[0]
	}
	if out.MarketingCampaigns == nil {
		out.MarketingCampaigns = []string{}
	}
	if cf != nil {
		out.Embed = &embedOut{CustomFields: s.embedCFs(r, cf, kindIndividuals)}
	}
	return out
}

type idName struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type amountOut struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

type relatedOut struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
}

// oppOut is the opportunity read shape (spec: OpportunityItem). It has no update timestamp.
type oppOut struct {
	ID               int          `json:"id"`
	Number           string       `json:"number"`
	Name             any          `json:"name"`
	Source           idName       `json:"source"`
	DueDate          any          `json:"due_date"`
	Created          string       `json:"created"`
	UpdatedStatus    any          `json:"updated_status"`
	Status           any          `json:"status"`
	Amount           amountOut    `json:"amount"`
	Pipeline         idName       `json:"pipeline"`
	Step             idName       `json:"step"`
	Probability      int          `json:"probability"`
	Note             any          `json:"note"`
	Owner            ownerOut     `json:"owner"`
	AssignedStaffIDs []int        `json:"assigned_staff_ids"`
	ContactIDs       []int        `json:"contact_ids"`
	CompanyID        any          `json:"company_id"`
	IndividualID     any          `json:"individual_id"`
	MainDocID        any          `json:"main_doc_id"`
	Related          []relatedOut `json:"related"`
	Embed            *embedOut    `json:"_embed,omitempty"`
}

// opportunity fields in record.F: name, number, status, amount (string), probability (int),
// due_date, note, pipeline (int), step (int), source (int), company (int), individual (int),
// contacts ([]int), staffs ([]int), owner (int), updated_status (time.Time).

func fInt(r *record, k string) int { n, _ := r.F[k].(int); return n }

func fInts(r *record, k string) []int {
	v, _ := r.F[k].([]int)
	return append([]int{}, v...)
}

func (s *Server) oppJSON(r *record, cf []int) any {
	p := pipelineByID(fInt(r, "pipeline"))
	st := stepIn(p, fInt(r, "step"))
	src := sourceByID(fInt(r, "source"))
	out := &oppOut{
		ID: r.ID, Number: fmt.Sprint(r.F["number"]), Name: r.F["name"], DueDate: r.F["due_date"], Created: ts(r.Created),
		Status: r.F["status"], Amount: amountOut{Value: fmt.Sprint(r.F["amount"]), Currency: "EUR"},
		Probability: fInt(r, "probability"), Note: noteOf(r), Owner: ownerOut{max(fInt(r, "owner"), 1), "staff"},
		AssignedStaffIDs: fInts(r, "staffs"), ContactIDs: fInts(r, "contacts"), Related: []relatedOut{},
	}
	if p != nil {
		out.Pipeline = idName{p.ID, p.Name}
	}
	if st != nil {
		out.Step = idName{st.ID, st.Name}
	}
	if src != nil {
		out.Source = idName{src.ID, src.Name}
	}
	if t, ok := r.F["updated_status"].(time.Time); ok {
		out.UpdatedStatus = ts(t)
	}
	if c := fInt(r, "company"); c != 0 {
		out.CompanyID = c
		out.Related = append(out.Related, relatedOut{c, "company"})
	}
	if i := fInt(r, "individual"); i != 0 {
		out.IndividualID = i
		out.Related = append(out.Related, relatedOut{i, "individual"})
	}
	for _, c := range out.ContactIDs {
		out.Related = append(out.Related, relatedOut{c, "contact"})
	}
	if cf != nil {
		out.Embed = &embedOut{CustomFields: s.embedCFs(r, cf, kindOpportunities)}
	}
	return out
}

func (s *Server) shapeKind(r *record, kind string, cf []int) any {
	switch kind {
	case kindCompanies:
		return s.companyJSON(r, cf)
	case kindContacts:
		return s.contactJSON(r, cf)
	case kindIndividuals:
		return s.individualJSON(r, cf)
	}
	return s.oppJSON(r, cf)
}

func sourceJSON(x Source) map[string]any {
	return map[string]any{"id": x.ID, "name": x.Name, "is_default": x.IsDefault, "is_hidden": false, "category_id": 1, "rank": x.ID}
}

// ---- generic handlers ----

// filterOf builds the search filter of kind from a search body's filters. favourite_filter,
// which every kind has, applies a saved favourite filter (see AddFavouriteFilter) on top of
// the other filters.
func (s *Server) filterOf(kind string, fm map[string]any) (func(*record) bool, map[string]string) {
	fav, hasFav := fm["favourite_filter"]
	if hasFav {
		rest := make(map[string]any, len(fm))
		for k, v := range fm {
			if k != "favourite_filter" {
				rest[k] = v
			}
		}
		fm = rest
	}
	var keep func(*record) bool
	var bad map[string]string
	switch kind {
	case kindCompanies, kindContacts:
		keep, bad = s.buildFilter(fm, kind == kindCompanies)
	case kindOpportunities:
		keep, bad = oppFilter(fm)
	default:
		keep, bad = individualFilter(fm)
	}
	if !hasFav {
		return keep, bad
	}
	if bad == nil {
		bad = map[string]string{}
	}
	saved := s.favouritePred(kind, fav, bad)
	return andPreds([]func(*record) bool{keep, saved}, bad)
}

// listOrders are the orders the spec allows on the list and search of each kind
// (Companies_getList/searchCompanies, contactOrders, Individuals_getList/searchResults,
// opportunityOrder); id is every kind's default.
var listOrders = map[string][]string{
	kindCompanies:     {"name", "id", "created_at", "updated_at"},
	kindContacts:      {"id", "name", "created_at"},
	kindIndividuals:   {"name", "id", "created_at", "updated_at"},
	kindOpportunities: {"id", "created", "step_rank", "due_date"},
}

// sortTime is a time as a sort key: fixed width, so that keys compare as the times do.
func sortTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000") }

// orderKey returns the sort key of a list of kind in order (nil: id order, the stores' own),
// or the refused query parameters. Names sort without regard to case (Sellsy's MySQL
// collation), a contact's or an individual's by last then first name; a missing due date
// sorts first (MySQL's NULL); step_rank is the rank of the opportunity's step in its
// pipeline (the simulator keeps no rank inside a step: ties go by id).
func orderKey(kind string, p page) (func(*record) string, map[string]string) {
	if p.order != "" && !slices.Contains(listOrders[kind], p.order) {
		return nil, map[string]string{"order": msgChoice}
	}
	name := func(r *record) string {
		last, _ := r.F["last_name"].(string)
		first, _ := r.F["first_name"].(string)
		return strings.ToLower(last) + "\x00" + strings.ToLower(first)
	}
	if kind == kindCompanies {
		name = func(r *record) string { n, _ := r.F["name"].(string); return strings.ToLower(n) }
	}
	var key func(*record) string
	switch p.order {
	case "name":
		key = name
	case "created_at", "created":
		key = func(r *record) string { return sortTime(r.Created) }
	case "updated_at":
		key = func(r *record) string { return sortTime(r.Updated) }
	case "due_date":
		key = func(r *record) string { d, _ := r.F["due_date"].(string); return d }
	case "step_rank":
		key = func(r *record) string {
			rank := 0
			if st := stepIn(pipelineByID(fInt(r, "pipeline")), fInt(r, "step")); st != nil {
				rank = st.Rank
			}
			return fmt.Sprintf("%06d", rank)
		}
	}
	// A cursor carries the key of the order it was made in: one of another order is refused.
	if p.cursor != "" && !p.numeric && p.keyed != (key != nil) {
		return nil, map[string]string{"offset": msgBadCursor}
	}
	return key, nil
}

func (s *Server) listKind(kind string, search bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, bad := parsePage(r.URL.Query())
		if bad != nil {
			invalid(w, bad)
			return
		}
		key, bad := orderKey(kind, p)
		if bad != nil {
			invalid(w, bad)
			return
		}
		var keep func(*record) bool
		if search {
			body, err := readBody(r)
			if err != nil {
				badJSON(w)
				return
			}
			fv, ok := body["filters"]
			if !ok {
				writeError(w, http.StatusBadRequest, "Le contenu de la requête est invalide: le champ 'filters' est manquant.",
					map[string]string{"filters": msgMissing})
				return
			}
			fm, ok := fv.(map[string]any)
			if !ok {
				if arr, isArr := fv.([]any); isArr && len(arr) == 0 { // PHP clients send [] for {}
					fm = map[string]any{}
				} else {
					invalid(w, map[string]string{"filters": "Cette valeur doit être un objet."})
					return
				}
			}
			keep, bad = s.filterOf(kind, fm)
			if bad != nil {
				invalid(w, bad)
				return
			}
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		st := s.storeOf(kind)
		var ids []int
		var total int
		var off any
		if key != nil {
			ids, total, off = p.orderedPage(st.recs, key, keep)
		} else {
			var keepID func(int) bool
			if keep != nil {
				keepID = func(i int) bool { return keep(st.recs[i]) }
			}
			ids, total, off = p.paginate(st.ids, keepID)
		}
		data := make([]any, len(ids))
		for i, id := range ids {
			data[i] = s.shapeKind(st.byID[id], kind, p.cf)
		}
		respondPage(w, p, data, total, off)
	}
}

// readRecord serves a GET on one record of kind ({id} in the path): it answers a bad page
// parameter (400) and an unknown id (404) itself, and else calls serve under the read lock.
func (s *Server) readRecord(kind string, serve func(w http.ResponseWriter, r *http.Request, p page, rec *record)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, bad := parsePage(r.URL.Query())
		if bad != nil {
			invalid(w, bad)
			return
		}
		id, ok := pathID(r, "id")
		s.mu.RLock()
		defer s.mu.RUnlock()
		rec := s.storeOf(kind).byID[id]
		if !ok || rec == nil {
			notFound(w)
			return
		}
		serve(w, r, p, rec)
	}
}

func (s *Server) getKind(kind string) http.HandlerFunc {
	return s.readRecord(kind, func(w http.ResponseWriter, _ *http.Request, p page, rec *record) {
		simkit.WriteJSON(w, http.StatusOK, s.shapeKind(rec, kind, p.cf))
	})
}

func (s *Server) deleteKind(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		s.mu.Lock()
		defer s.mu.Unlock()
		st := s.storeOf(kind)
		rec := st.byID[id]
		if !ok || rec == nil {
			notFound(w)
			return
		}
		if kind == kindIndividuals {
			for _, ct := range append([]int{}, rec.Links...) {
				s.unlinkIndividualLocked(id, ct)
			}
		}
		st.remove(id)
		s.emit("deleted", kind, id)
		w.WriteHeader(http.StatusNoContent)
	}
}

// ---- individuals ----

func (s *Server) applyIndividual(rec *record, body map[string]any, create bool) map[string]string {
	cp := make(map[string]any, len(body))
	for k, v := range body {
		cp[k] = v
	}
	bad := map[string]string{}
	var typ string
	if v, ok := cp["type"]; ok {
		tv, _ := v.(string)
		if tv != "prospect" && tv != "client" && tv != "supplier" {
			bad["type"] = "Cette valeur doit être l'un des choix proposés."
		} else if !create {
			bad["type"] = "Ce champ n'est pas autorisé."
		}
		typ = tv
		delete(cp, "type")
	} else if create {
		bad["type"] = msgMissing
	}
	extra := map[string]any{}
	for _, k := range []string{"reference", "auxiliary_code"} {
		if v, ok := cp[k]; ok {
			if v != nil {
				if _, isStr := v.(string); !isStr {
					bad[k] = msgString
				}
			}
			extra[k] = v
			delete(cp, k)
		}
	}
	for _, k := range []string{"position", "birth_date"} { // contact fields an individual has not
		if _, ok := cp[k]; ok {
			bad[k] = "Ce champ n'est pas autorisé."
		}
	}
	applyIDs(cp, individualIDFields, extra, bad)
	for _, k := range individualIDFields {
		delete(cp, k)
	}
	if len(bad) > 0 {
		return bad
	}
	if b := applyWrite(rec, cp, false, create, s.now()); b != nil {
		return b
	}
	if typ != "" {
		rec.F["type"] = typ
	}
	for k, v := range extra {
		if v == "" {
			v = nil
		}
		rec.F[k] = v
	}
	return nil
}

func individualFilter(filters map[string]any) (func(*record) bool, map[string]string) {
	bad := map[string]string{}
	var preds []func(*record) bool
	for key, v := range filters {
		switch key {
		case "created", "updated_at":
			r := parseRange(v, key, bad)
			if r == nil {
				continue
			}
			if key == "created" {
				preds = append(preds, func(x *record) bool { return r.has(x.Created) })
			} else {
				preds = append(preds, func(x *record) bool { return r.has(x.Updated) })
			}
		case "id":
			set := intList(v, key, bad)
			preds = append(preds, func(x *record) bool { return set[x.ID] })
		case "email", "name":
			want, ok := v.(string)
			if !ok {
				bad["filters."+key] = msgString
				continue
			}
			field := key
			if key == "name" { // an individual's name is its last name
				field = "last_name"
			}
			preds = append(preds, func(x *record) bool { got, _ := x.F[field].(string); return got != "" && fold(got, want) })
		case "type":
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
		case "is_archived":
			b, ok := v.(bool)
			if !ok {
				bad["filters."+key] = "Cette valeur doit être un booléen."
				continue
			}
			preds = append(preds, func(x *record) bool { return x.Archived == b })
		default:
			bad["filters."+key] = "Ce champ n'est pas autorisé."
		}
	}
	return andPreds(preds, bad)
}

func andPreds(preds []func(*record) bool, bad map[string]string) (func(*record) bool, map[string]string) {
	if len(bad) > 0 {
		return nil, bad
	}
	return func(x *record) bool {
		for _, p := range preds {
			if !p(x) {
				return false
			}
		}
		return true
	}, nil
}

func (s *Server) individualContacts(w http.ResponseWriter, r *http.Request) {
	p, bad := parsePage(r.URL.Query())
	if bad != nil {
		invalid(w, bad)
		return
	}
	id, ok := pathID(r, "id")
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.individuals.byID[id]
	if !ok || rec == nil {
		notFound(w)
		return
	}
	ids := append([]int{}, rec.Links...)
	sort.Ints(ids)
	page, total, off := p.paginate(ids, nil)
	data := make([]any, len(page))
	for i, lid := range page {
		data[i] = s.contactJSON(s.contacts.byID[lid], p.cf)
	}
	respondPage(w, p, data, total, off)
}

func (s *Server) linkIndividual(link bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, ok1 := pathID(r, "individualId")
		ct, ok2 := pathID(r, "contactId")
		s.mu.Lock()
		defer s.mu.Unlock()
		ind, c := s.individuals.byID[in], s.contacts.byID[ct]
		if !ok1 || !ok2 || ind == nil || c == nil {
			notFound(w)
			return
		}
		if !link {
			if !s.unlinkIndividualLocked(in, ct) {
				notFound(w)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		for _, x := range ind.Links {
			if x == ct {
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		ind.Links = append(ind.Links, ct)
		c.ILinks = append(c.ILinks, in)
		w.WriteHeader(http.StatusCreated)
	}
}

func (s *Server) unlinkIndividualLocked(in, ct int) bool {
	found := false
	if ind := s.individuals.byID[in]; ind != nil {
		ind.Links, found = without(ind.Links, ct)
	}
	if c := s.contacts.byID[ct]; c != nil {
		c.ILinks, _ = without(c.ILinks, in)
	}
	return found
}

// ---- pipelines and steps ----

func pipelineJSON(p Pipeline) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "is_default": p.IsDefault, "step": len(p.Steps), "rank": p.Rank}
}

// listPipelines serves the pipelines in rank order (the spec's default), or id order with
// order=id.
func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) {
	p, bad := parsePage(r.URL.Query())
	if bad != nil {
		invalid(w, bad)
		return
	}
	all := append([]Pipeline{}, Pipelines...)
	if r.URL.Query().Get("order") != "id" {
		sort.Slice(all, func(i, j int) bool { return all[i].Rank < all[j].Rank })
	}
	data := []map[string]any{}
	for i, x := range all {
		if i >= p.offset && len(data) < p.limit {
			data = append(data, pipelineJSON(x))
		}
	}
	respondPage(w, page{limit: p.limit, numeric: true}, data, len(all), p.offset)
}

// listSteps serves the steps of a pipeline in rank order (default), id or probability order.
func (s *Server) listSteps(w http.ResponseWriter, r *http.Request) {
	p, bad := parsePage(r.URL.Query())
	if bad != nil {
		invalid(w, bad)
		return
	}
	id, ok := pathID(r, "pipelineId")
	pl := pipelineByID(id)
	if !ok || pl == nil {
		notFound(w)
		return
	}
	steps := stepsByRank(pl)
	switch r.URL.Query().Get("order") {
	case "id":
		sort.Slice(steps, func(i, j int) bool { return steps[i].ID < steps[j].ID })
	case "probability":
		sort.SliceStable(steps, func(i, j int) bool { return steps[i].Probability < steps[j].Probability })
	}
	if p.desc {
		for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
			steps[i], steps[j] = steps[j], steps[i]
		}
	}
	data := []map[string]any{}
	for i, st := range steps {
		if i >= p.offset && len(data) < p.limit {
			data = append(data, map[string]any{"id": st.ID, "name": st.Name, "probability": st.Probability, "rank": st.Rank})
		}
	}
	respondPage(w, page{limit: p.limit, numeric: true}, data, len(steps), p.offset)
}

// ---- opportunities ----

var oppStatuses = map[string]bool{"open": true, "won": true, "lost": true, "cancelled": true, "closed": true, "late": true}

const msgInt = "Cette valeur doit être un entier."

// applyOpp validates an OpportunityCreate / OpportunityUpdate body and applies it to rec. The
// update has no number nor created (the spec's OpportunityUpdate): either is refused there.
func (s *Server) applyOpp(rec *record, body map[string]any, create bool) map[string]string {
	bad := map[string]string{}
	set := map[string]any{}
	intField := func(k string) (int, bool) {
		v, ok := body[k]
		if !ok {
			return 0, false
		}
		n, isInt := asInt(v)
		if !isInt {
			bad[k] = msgInt
			return 0, false
		}
		return n, true
	}
	if v, ok := body["name"]; ok {
		sv, isStr := v.(string)
		switch {
		case !isStr:
			bad["name"] = msgString
		case strings.TrimSpace(sv) == "":
			bad["name"] = "Cette valeur ne doit pas être vide."
		default:
			set["name"] = sv
		}
	} else if create {
		bad["name"] = msgMissing
	}
	pid, hasP := intField("pipeline")
	sid, hasS := intField("step")
	if create && !hasP && bad["pipeline"] == "" {
		bad["pipeline"] = msgMissing
	}
	if create && !hasS && bad["step"] == "" {
		bad["step"] = msgMissing
	}
	if !hasP {
		pid = fInt(rec, "pipeline")
	}
	if !hasS {
		sid = fInt(rec, "step")
	}
	pl := pipelineByID(pid)
	if hasP && pl == nil {
		bad["pipeline"] = "Ce pipeline n'existe pas."
	}
	var step *Step
	if pl != nil && (hasP || hasS) {
		if step = stepIn(pl, sid); step == nil && bad["step"] == "" {
			bad["step"] = "Cette étape n'existe pas dans ce pipeline."
		}
	}
	if v, ok := body["amount"]; ok {
		sv, isStr := v.(string)
		f, err := strconv.ParseFloat(strings.TrimSpace(sv), 64)
		switch {
		case v == nil:
			set["amount"] = "0.00"
		case !isStr:
			bad["amount"] = msgString
		case err != nil:
			bad["amount"] = "Cette valeur doit être un montant (par exemple \"72000.99\")."
		default:
			set["amount"] = strconv.FormatFloat(f, 'f', 2, 64)
		}
	}
	if n, ok := intField("probability"); ok {
		if n < 0 || n > 100 {
			bad["probability"] = "Cette valeur doit être comprise entre 0 et 100."
		} else {
			set["probability"] = n
		}
	}
	if v, ok := body["status"]; ok {
		sv, _ := v.(string)
		if !oppStatuses[sv] {
			bad["status"] = "Cette valeur doit être l'un des choix proposés."
		} else {
			set["status"] = sv
		}
	}
	if v, ok := body["due_date"]; ok {
		sv, _ := v.(string)
		if v == nil || sv == "" {
			set["due_date"] = nil
		} else if _, err := time.Parse("2006-01-02", sv); err != nil {
			bad["due_date"] = "Cette valeur n'est pas une date valide."
		} else {
			set["due_date"] = sv
		}
	}
	if v, ok := body["note"]; ok {
		sv, isStr := v.(string)
		if v != nil && !isStr {
			bad["note"] = msgString
		} else {
			set["note"] = sv
		}
	}
	if v, ok := body["number"]; ok {
		sv, isStr := v.(string)
		switch {
		case !create: // OpportunityUpdate has no number: it is set at creation
			bad["number"] = "Ce champ n'est pas autorisé."
		case isStr && sv != "":
			set["number"] = sv
		default:
			bad["number"] = msgString
		}
	}
	if _, ok := body["created"]; ok && !create { // nor a creation date
		bad["created"] = "Ce champ n'est pas autorisé."
	}
	if n, ok := intField("source"); ok {
		if sourceByID(n) == nil {
			bad["source"] = "Cette source n'existe pas."
		} else {
			set["source"] = n
		}
	}
	if n, ok := intField("owner_id"); ok {
		if staffByID(n) == nil {
			bad["owner_id"] = "Ce collaborateur n'existe pas."
		} else {
			set["owner"] = n
		}
	}
	idList := func(k string) ([]int, bool) {
		v, ok := body[k]
		if !ok {
			return nil, false
		}
		if v == nil {
			return []int{}, true
		}
		arr, isArr := v.([]any)
		if !isArr {
			bad[k] = "Cette valeur doit être une liste d'entiers."
			return nil, false
		}
		out := []int{}
		for _, x := range arr {
			n, isInt := asInt(x)
			if !isInt {
				bad[k] = "Cette valeur doit être une liste d'entiers."
				return nil, false
			}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		return out, true
	}
	if ids, ok := idList("assigned_staff_ids"); ok {
		for _, n := range ids {
			if staffByID(n) == nil {
				bad["assigned_staff_ids"] = "Ce collaborateur n'existe pas."
			}
		}
		set["staffs"] = ids
	}
	company, individual := fInt(rec, "company"), fInt(rec, "individual")
	contacts := fInts(rec, "contacts")
	if ids, ok := idList("contact_ids"); ok {
		contacts = ids
		set["contacts"] = ids
	}
	if v, ok := body["related"]; ok {
		arr, isArr := v.([]any)
		if !isArr || len(arr) == 0 {
			bad["related"] = "Cette collection doit contenir au moins un élément."
		} else {
			company, individual = 0, 0
			var rc []int
			for i, x := range arr {
				m, _ := x.(map[string]any)
				id, okID := asInt(m["id"])
				typ, _ := m["type"].(string)
				key := fmt.Sprintf("related.%d", i)
				switch {
				case !okID:
					bad[key+".id"] = msgMissing
				case typ == "company":
					if company != 0 || individual != 0 {
						bad["related"] = "Une seule société ou un seul particulier à la fois."
					} else if s.companies.byID[id] == nil {
						bad[key+".id"] = "Cette société n'existe pas."
					}
					company = id
				case typ == "individual":
					if company != 0 || individual != 0 {
						bad["related"] = "Une seule société ou un seul particulier à la fois."
					} else if s.individuals.byID[id] == nil {
						bad[key+".id"] = "Ce particulier n'existe pas."
					}
					individual = id
				case typ == "contact":
					rc = append(rc, id)
				default:
					bad[key+".type"] = "Cette valeur doit être l'un des choix proposés."
				}
			}
			if company == 0 && individual == 0 && bad["related"] == "" {
				bad["related"] = "Une société ou un particulier est requis."
			}
			if rc != nil {
				for _, c := range rc {
					if !slices.Contains(contacts, c) {
						contacts = append(contacts, c)
					}
				}
				set["contacts"] = contacts
			}
			set["company"], set["individual"] = company, individual
		}
	} else if create {
		bad["related"] = msgMissing
	}
	for _, c := range contacts {
		ct := s.contacts.byID[c]
		switch {
		case ct == nil:
			bad["contact_ids"] = "Ce contact n'existe pas."
		case company != 0 && !slices.Contains(ct.Links, company), individual != 0 && !slices.Contains(ct.ILinks, individual):
			bad["contact_ids"] = "Le contact doit être lié à la société ou au particulier de l'opportunité."
		}
	}
	if len(bad) > 0 {
		return bad
	}
	now := s.now()
	if rec.F == nil {
		rec.F = map[string]any{"status": "open", "amount": "0.00", "note": "", "source": 1, "owner": 1, "due_date": nil}
	}
	oldStatus := rec.F["status"]
	for k, v := range set {
		rec.F[k] = v
	}
	if hasP {
		rec.F["pipeline"] = pid
	}
	if hasS || hasP {
		if fInt(rec, "step") != sid || create {
			if _, given := set["probability"]; !given {
				rec.F["probability"] = step.Probability // a step sets its probability
			}
		}
		rec.F["step"] = sid
	}
	if !create && rec.F["status"] != oldStatus {
		rec.F["updated_status"] = now
	}
	if create {
		rec.Created = now
		if cv, ok := body["created"].(string); ok {
			if t, err := time.Parse(time.RFC3339, cv); err == nil {
				rec.Created = t.Truncate(time.Second)
			}
		}
	}
	return nil
}

func cloneOpp(r *record) *record {
	c := cloneRecord(r)
	c.CF = r.CF
	return c
}

// opportunityWriter writes opportunities; a created one is numbered as Sellsy does.
func (s *Server) opportunityWriter() recordWriter {
	return recordWriter{kind: kindOpportunities, clone: cloneOpp, apply: s.applyOpp,
		added: func(rec *record) {
			if rec.F["number"] == nil {
				rec.F["number"] = fmt.Sprintf("OPP-%d", rec.ID-firstOpportunityID+1)
			}
		}}
}

// stepRank serves PATCH /opportunities/{id}/step-rank {step, before_sibling}: moves the
// opportunity to a step of its pipeline (its probability becomes the step's) → 204.
func (s *Server) stepRank(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil || body == nil {
		badJSON(w)
		return
	}
	id, ok := pathID(r, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.opportunities.byID[id]
	if !ok || rec == nil {
		notFound(w)
		return
	}
	v, has := body["step"]
	if !has {
		writeError(w, http.StatusBadRequest, "Le contenu de la requête est invalide: le champ 'step' est manquant.",
			map[string]string{"step": msgMissing})
		return
	}
	sid, isInt := asInt(v)
	if !isInt {
		invalid(w, map[string]string{"step": msgInt})
		return
	}
	st := stepIn(pipelineByID(fInt(rec, "pipeline")), sid)
	if st == nil {
		invalid(w, map[string]string{"step": "Cette étape n'existe pas dans ce pipeline."})
		return
	}
	if bv, ok := body["before_sibling"]; ok && bv != nil {
		b, isInt := asInt(bv)
		sib := s.opportunities.byID[b]
		if !isInt || sib == nil || fInt(sib, "step") != sid {
			invalid(w, map[string]string{"before_sibling": "Cette opportunité n'est pas dans cette étape."})
			return
		}
	}
	if fInt(rec, "step") != sid {
		rec.F["step"] = sid
		rec.F["probability"] = st.Probability
		s.emit("updated", kindOpportunities, rec.ID)
	}
	w.WriteHeader(http.StatusNoContent)
}

// oppFilter compiles OpportunityFilters. The spec has no id filter.
func oppFilter(filters map[string]any) (func(*record) bool, map[string]string) {
	bad := map[string]string{}
	var preds []func(*record) bool
	for key, v := range filters {
		switch key {
		case "created", "updated_status", "due_date":
			r := parseRange(v, key, bad)
			if r == nil {
				continue
			}
			switch key {
			case "created":
				preds = append(preds, func(x *record) bool { return r.has(x.Created) })
			case "updated_status":
				preds = append(preds, func(x *record) bool {
					t, ok := x.F["updated_status"].(time.Time)
					return ok && r.has(t)
				})
			default:
				preds = append(preds, func(x *record) bool {
					d, _ := x.F["due_date"].(string)
					t, err := time.Parse("2006-01-02", d)
					return err == nil && r.has(t)
				})
			}
		case "pipeline", "step", "assigned_staffs":
			set := intList(v, key, bad)
			field := map[string]string{"pipeline": "pipeline", "step": "step", "assigned_staffs": "staffs"}[key]
			preds = append(preds, func(x *record) bool {
				if field == "staffs" {
					for _, n := range fInts(x, field) {
						if set[n] {
							return true
						}
					}
					return false
				}
				return set[fInt(x, field)]
			})
		case "name":
			want, ok := v.(string)
			if !ok {
				bad["filters.name"] = msgString
				continue
			}
			preds = append(preds, func(x *record) bool { got, _ := x.F["name"].(string); return fold(got, want) })
		case "statuses":
			arr, ok := v.([]any)
			if !ok || len(arr) == 0 {
				bad["filters.statuses"] = "Cette valeur doit être une liste non vide de statuts."
				continue
			}
			set := map[string]bool{}
			for _, x := range arr {
				sv, _ := x.(string)
				if !oppStatuses[sv] {
					bad["filters.statuses"] = "Cette valeur doit être l'un des choix proposés."
				}
				set[sv] = true
			}
			preds = append(preds, func(x *record) bool { st, _ := x.F["status"].(string); return set[st] })
		case "amount":
			m, ok := v.(map[string]any)
			if !ok {
				bad["filters.amount"] = "Cette valeur doit être un objet {min, max}."
				continue
			}
			lo, hasLo := m["min"].(float64)
			hi, hasHi := m["max"].(float64)
			preds = append(preds, func(x *record) bool {
				f, _ := strconv.ParseFloat(fmt.Sprint(x.F["amount"]), 64)
				return (!hasLo || f >= lo) && (!hasHi || f <= hi)
			})
		case "related_objects":
			arr, ok := v.([]any)
			if !ok {
				bad["filters.related_objects"] = "Cette valeur doit être une liste."
				continue
			}
			type ref struct {
				typ string
				id  int
			}
			var refs []ref
			for _, x := range arr {
				m, _ := x.(map[string]any)
				id, okID := asInt(m["id"])
				typ, _ := m["type"].(string)
				if !okID || (typ != "company" && typ != "individual") {
					bad["filters.related_objects"] = "Chaque objet doit avoir un type (company, individual) et un id."
					continue
				}
				refs = append(refs, ref{typ, id})
			}
			preds = append(preds, func(x *record) bool {
				for _, rf := range refs {
					if fInt(x, rf.typ) == rf.id {
						return true
					}
				}
				return false
			})
		default:
			bad["filters."+key] = "Ce champ n'est pas autorisé."
		}
	}
	return andPreds(preds, bad)
}

// SeedOpportunities creates n opportunities spread over the pipelines (round robin) and
// their steps, each related to a company (seeding people 1..n first when there is no
// company) and to that company's first contact. Seeding sends no webhook.
func (s *Server) SeedOpportunities(n int) {
	if s.Count(kindCompanies) == 0 && n > 0 {
		s.SeedPeople(1, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	cos := s.companies.ids
	for i := 0; i < n; i++ {
		pl := &Pipelines[i%len(Pipelines)]
		steps := stepsByRank(pl)
		st := steps[(i/len(Pipelines))%len(steps)]
		co := s.companies.byID[cos[i%len(cos)]]
		contacts := []int{}
		if len(co.Links) > 0 {
			contacts = append(contacts, co.Links[0])
		}
		rec := &record{F: map[string]any{
			"name": fmt.Sprintf("Opportunité %d", s.opportunities.next-firstOpportunityID+1), "status": "open",
			"amount": fmt.Sprintf("%d.50", 1000*(i%17+1)), "probability": st.Probability, "due_date": nil, "note": "",
			"pipeline": pl.ID, "step": st.ID, "source": 1, "owner": 1, "company": co.ID, "contacts": contacts,
		}, Created: now, Updated: now}
		s.opportunities.add(rec)
		rec.F["number"] = fmt.Sprintf("OPP-%d", rec.ID-firstOpportunityID+1)
	}
}
