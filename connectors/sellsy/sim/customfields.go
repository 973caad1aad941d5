package sim

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CustomField is a custom-field definition given to AddCustomField.
type CustomField struct {
	ID        int      // 0: the next free id
	Name      string   // default: Code
	Code      string   // machine name
	Type      string   // V2 type: simple-text, rich-text, email, url, numeric, date, time, amount, numeric-with-unit, radio, select, checkbox, boolean, company-individual, contact, staff, item
	Related   []string // contact, client, prospect, supplier; default: all four
	Items     []string // choice labels of radio, select and checkbox (ids are assigned)
	Mandatory bool     // a write that leaves the value empty is refused
	Currency  string   // amount; default EUR
	Unit      string   // numeric-with-unit, one of Units; default unit
	MaxValues int      // entity types: parameters.number_of_values; default 5
}

// Units are the units a numeric-with-unit field may have (spec enum). The value's unit_id is
// the unit's index in this list plus one: Sellsy's real unit ids are per account and are not
// documented, so this numbering is the simulator's own.
var Units = []string{"unit", "package", "m2", "m3", "ton", "kg", "g", "metres", "days", "hour", "minutes"}

// UnitID returns the simulator's unit_id of a unit name (0 when unknown).
func UnitID(unit string) int {
	for i, u := range Units {
		if u == unit {
			return i + 1
		}
	}
	return 0
}

// cfDef is a custom-field definition.
type cfDef struct {
	ID        int
	Name      string
	Code      string
	Type      string
	Related   []string
	Items     []cfItem // radio, select, checkbox
	Mandatory bool
	Currency  string
	Unit      string
	MaxValues int
}

type cfItem struct {
	ID    int
	Label string
}

var thirdParties = []string{"client", "prospect", "supplier"}

var cfTypes = map[string]bool{
	"simple-text": true, "rich-text": true, "email": true, "url": true, "numeric": true, "date": true, "time": true,
	"amount": true, "numeric-with-unit": true, "radio": true, "select": true, "checkbox": true, "boolean": true,
	"company-individual": true, "contact": true, "staff": true, "item": true,
}

// defaultCustomFields: the three historical definitions, then one definition of every V2 type
// (codes cf_text … cf_staff), all on contacts and companies, none mandatory.
func defaultCustomFields() []cfDef {
	defs := []cfDef{
		{ID: 101, Name: "Segment", Code: "segment", Type: "simple-text", Related: append([]string{"contact"}, thirdParties...)},
		{ID: 102, Name: "Secteur", Code: "secteur", Type: "select", Related: thirdParties,
			Items: []cfItem{{1021, "Industrie"}, {1022, "Services"}, {1023, "Commerce"}}},
		{ID: 103, Name: "Newsletter", Code: "newsletter", Type: "boolean", Related: []string{"contact", "client", "prospect", "supplier"}},
	}
	for _, cf := range DefaultCustomFields() {
		defs = append(defs, newDef(cf, defs))
	}
	return defs
}

// DefaultCustomFields returns the definitions of every V2 type that New seeds (ids 104–120).
func DefaultCustomFields() []CustomField {
	return []CustomField{
		{ID: 104, Name: "Texte", Code: "cf_text", Type: "simple-text"},
		{ID: 105, Name: "Texte riche", Code: "cf_rich", Type: "rich-text"},
		{ID: 106, Name: "Nombre", Code: "cf_num", Type: "numeric"},
		{ID: 107, Name: "Montant", Code: "cf_amount", Type: "amount", Currency: "EUR"},
		{ID: 108, Name: "Poids", Code: "cf_unit", Type: "numeric-with-unit", Unit: "kg"},
		{ID: 109, Name: "Niveau", Code: "cf_select", Type: "select", Items: []string{"Bronze", "Argent", "Or"}},
		{ID: 110, Name: "Priorité", Code: "cf_radio", Type: "radio", Items: []string{"Basse", "Moyenne", "Haute"}},
		{ID: 111, Name: "Origines", Code: "cf_checkbox", Type: "checkbox", Items: []string{"Web", "Salon", "Partenaire"}},
		{ID: 112, Name: "Date", Code: "cf_date", Type: "date"},
		{ID: 113, Name: "Heure", Code: "cf_time", Type: "time"},
		{ID: 114, Name: "E-mail secondaire", Code: "cf_email", Type: "email"},
		{ID: 115, Name: "Site", Code: "cf_url", Type: "url"},
		{ID: 116, Name: "Oui/Non", Code: "cf_bool", Type: "boolean"},
		{ID: 117, Name: "Tiers", Code: "cf_third", Type: "company-individual"},
		{ID: 118, Name: "Produits", Code: "cf_item", Type: "item"},
		{ID: 119, Name: "Contacts liés", Code: "cf_people", Type: "contact"},
		{ID: 120, Name: "Commercial", Code: "cf_staff", Type: "staff"},
		// The yes/no field of the Altior connector's guide (seed 003): only records at yes
		// go down to Altior.
		{ID: 121, Name: "Synchronisation Altior", Code: "SA", Type: "boolean"},
	}
}

func newDef(cf CustomField, existing []cfDef) cfDef {
	d := cfDef{ID: cf.ID, Name: cf.Name, Code: cf.Code, Type: cf.Type, Related: cf.Related, Mandatory: cf.Mandatory,
		Currency: cf.Currency, Unit: cf.Unit, MaxValues: cf.MaxValues}
	if d.ID == 0 {
		d.ID = 101
		for _, e := range existing {
			d.ID = max(d.ID, e.ID+1)
		}
	}
	if d.Name == "" {
		d.Name = d.Code
	}
	if len(d.Related) == 0 {
		d.Related = append([]string{"contact"}, thirdParties...)
	}
	if d.Currency == "" {
		d.Currency = "EUR"
	}
	if UnitID(d.Unit) == 0 {
		d.Unit = "unit"
	}
	if d.MaxValues <= 0 {
		d.MaxValues = 5
	}
	for i, l := range cf.Items {
		d.Items = append(d.Items, cfItem{ID: d.ID*100 + i + 1, Label: l})
	}
	return d
}

// AddCustomField adds a definition and returns its id. It panics on an unknown type or a
// duplicate id (a test bug).
func (s *Server) AddCustomField(cf CustomField) int {
	if !cfTypes[cf.Type] {
		panic(fmt.Sprintf("sim: unknown custom-field type %q", cf.Type))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cf.ID != 0 && s.cfByID(cf.ID) != nil {
		panic(fmt.Sprintf("sim: custom field %d exists", cf.ID))
	}
	d := newDef(cf, s.cfDefs)
	s.cfDefs = append(s.cfDefs, d)
	return d.ID
}

// ChoiceID returns the id of a choice of a radio, select or checkbox definition (0: none).
func (s *Server) ChoiceID(cfID int, label string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.cfByID(cfID); d != nil {
		for _, it := range d.Items {
			if it.Label == label {
				return it.ID
			}
		}
	}
	return 0
}

func (s *Server) cfByID(id int) *cfDef {
	for i := range s.cfDefs {
		if s.cfDefs[i].ID == id {
			return &s.cfDefs[i]
		}
	}
	return nil
}

// appliesToKind reports whether a definition is usable on a kind of record: companies and
// individuals take the third-party definitions (client, prospect, supplier), contacts the
// contact ones, opportunities the opportunity ones.
func (d *cfDef) appliesToKind(kind string) bool {
	company := kind == kindCompanies || kind == kindIndividuals
	for _, r := range d.Related {
		if kind == kindOpportunities {
			if r == "opportunity" {
				return true
			}
			continue
		}
		if company && (r == "client" || r == "prospect" || r == "supplier") {
			return true
		}
		if !company && r == "contact" {
			return true
		}
	}
	return false
}

// defJSON is a definition as GET /custom-fields returns it. The spec names the list
// "related_object"; the real API answers "related_objects" (and show_on_pdf): both are sent.
// Parameters follow the spec's per-type parameter objects.
func (d *cfDef) defJSON() map[string]any {
	var params map[string]any
	items := func() []map[string]any {
		out := make([]map[string]any, len(d.Items))
		for i, it := range d.Items {
			out[i] = map[string]any{"id": it.ID, "label": it.Label, "checked": false, "rank": i}
		}
		return out
	}
	switch d.Type {
	case "simple-text":
		params = map[string]any{"default_value": nil, "char_min": 0, "char_max": 250}
	case "rich-text":
		params = map[string]any{"default_value": nil, "char_min": 0, "char_max": 65000}
	case "email", "url":
		params = map[string]any{"default_value": nil}
	case "numeric":
		params = map[string]any{"default_value": nil, "min_value": nil, "max_value": nil}
	case "date":
		params = map[string]any{"min_date": nil, "max_date": nil}
	case "time":
		params = map[string]any{"min_hour": nil, "max_hour": nil}
	case "amount":
		params = map[string]any{"default_value": nil, "min_value": nil, "max_value": nil, "currency": d.Currency}
	case "numeric-with-unit":
		params = map[string]any{"default_value": nil, "min_value": nil, "max_value": nil, "unit": d.Unit}
	case "radio", "select":
		params = map[string]any{"items": items()}
	case "checkbox":
		params = map[string]any{"min": nil, "max": nil, "items": items()}
	case "boolean":
		params = map[string]any{"default_value": false}
	case "company-individual":
		params = map[string]any{"number_of_values": d.MaxValues, "client": true, "prospect": true, "supplier": true,
			"address_on_pdf": false, "email_on_pdf": false, "phone_on_pdf": false, "mobile_on_pdf": false}
	case "contact":
		params = map[string]any{"number_of_values": d.MaxValues, "email_on_pdf": false, "phone_on_pdf": false, "mobile_on_pdf": false}
	case "staff":
		params = map[string]any{"number_of_values": d.MaxValues, "email_on_pdf": false, "phone_on_pdf": false, "mobile_on_pdf": false}
	case "item":
		params = map[string]any{"number_of_values": d.MaxValues, "product": true, "service": true}
	default:
		params = map[string]any{}
	}
	return map[string]any{
		"id": d.ID, "name": d.Name, "code": d.Code, "description": "", "type": d.Type,
		"mandatory": d.Mandatory, "rank": d.ID, "show_on_pdf": false,
		"related_object": d.Related, "related_objects": d.Related,
		"customfield_group": map[string]any{"id": 1, "name": "Général", "code": "general", "open_by_default": true},
		"parameters":        params,
	}
}

var (
	timeRE     = regexp.MustCompile(`^(0[0-9]|1[0-9]|2[0-3]):[0-5][0-9]$`)
	currencyRE = regexp.MustCompile(`^[A-Za-z *]{2,5}$`)
)

const (
	msgCFString = "Cette valeur doit être une chaîne de caractères."
	msgCFLong   = "Cette chaîne est trop longue."
	msgCFChoice = "Le choix sélectionné est invalide."
	msgCFNumber = "Cette valeur doit être un nombre (chaîne)."
	msgCFList   = "Cette valeur doit être une liste d'identifiants."
)

// checkValue validates a value written with PUT /{object}/{id}/custom-fields and returns the
// value as it is stored and read back (the read shape), or a reason. Empty strings and empty
// lists clear the value.
func (s *Server) checkValue(d *cfDef, v any) (any, string) {
	out, reason := s.checkRaw(d, v)
	if reason == "" && out == nil && d.Mandatory {
		return nil, "Ce champ est obligatoire."
	}
	return out, reason
}

func (s *Server) checkRaw(d *cfDef, v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	str := func(max int) (any, string) {
		sv, ok := v.(string)
		if !ok {
			return nil, msgCFString
		}
		if sv == "" {
			return nil, ""
		}
		if len([]rune(sv)) > max {
			return nil, msgCFLong
		}
		return sv, ""
	}
	number := func(x any) (string, bool) {
		sv, ok := x.(string)
		if !ok {
			return "", false
		}
		sv = strings.TrimSpace(sv)
		_, err := strconv.ParseFloat(sv, 64)
		return sv, err == nil
	}
	ids := func(exists func(int) bool) ([]int, string) {
		arr, ok := v.([]any)
		if !ok {
			return nil, msgCFList
		}
		var out []int
		seen := map[int]bool{}
		for _, x := range arr {
			n, ok := asInt(x)
			if !ok || n <= 0 {
				return nil, msgCFList
			}
			if !exists(n) {
				return nil, fmt.Sprintf("L'identifiant %d n'existe pas.", n)
			}
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
		if len(out) > d.MaxValues {
			return nil, fmt.Sprintf("Au plus %d valeurs sont autorisées.", d.MaxValues)
		}
		return out, ""
	}
	switch d.Type {
	case "simple-text":
		return str(250)
	case "rich-text":
		return str(65000)
	case "email":
		out, reason := str(250)
		if sv, _ := out.(string); sv != "" && !emailRE.MatchString(sv) {
			return nil, msgEmail
		}
		return out, reason
	case "url":
		out, reason := str(250)
		if sv, _ := out.(string); sv != "" {
			u, err := url.Parse(sv)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, "Cette valeur n'est pas une URL valide."
			}
		}
		return out, reason
	case "numeric":
		if sv, ok := v.(string); ok && sv == "" {
			return nil, ""
		}
		n, ok := number(v)
		if !ok {
			return nil, msgCFNumber
		}
		return n, ""
	case "date":
		out, reason := str(10)
		if sv, _ := out.(string); sv != "" {
			if _, err := time.Parse("2006-01-02", sv); err != nil {
				return nil, "Cette valeur n'est pas une date valide (AAAA-MM-JJ)."
			}
		}
		if reason == msgCFLong {
			reason = "Cette valeur n'est pas une date valide (AAAA-MM-JJ)."
		}
		return out, reason
	case "time":
		out, reason := str(5)
		if sv, _ := out.(string); (sv != "" && !timeRE.MatchString(sv)) || reason == msgCFLong {
			return nil, "Cette valeur n'est pas une heure valide (HH:MM)."
		}
		return out, reason
	case "amount":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, "Cette valeur doit être un objet {amount, currency}."
		}
		a, ok := number(m["amount"])
		if !ok {
			return nil, "amount: " + msgCFNumber
		}
		cur, ok := m["currency"].(string)
		if !ok || !currencyRE.MatchString(cur) {
			return nil, "currency: Cette valeur n'est pas une devise valide."
		}
		return map[string]any{"amount": a, "currency": strings.ToUpper(cur)}, ""
	case "numeric-with-unit":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, "Cette valeur doit être un objet {number, unit_id}."
		}
		n, ok := number(m["number"])
		if !ok {
			return nil, "number: " + msgCFNumber
		}
		u, ok := asInt(m["unit_id"])
		if !ok || u < 1 || u > len(Units) {
			return nil, "unit_id: Cette unité n'existe pas."
		}
		return map[string]any{"number": n, "unit_id": u}, ""
	case "radio", "select":
		n, ok := asInt(v)
		if !ok {
			return nil, "Cette valeur doit être un identifiant de choix."
		}
		if !d.hasItem(n) {
			return nil, msgCFChoice
		}
		return n, ""
	case "checkbox":
		out, reason := ids(func(n int) bool { return d.hasItem(n) })
		if reason != "" {
			return nil, strings.Replace(reason, "L'identifiant", "Le choix", 1)
		}
		if len(out) == 0 {
			return nil, ""
		}
		return out, ""
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, "Cette valeur doit être un booléen."
		}
		return b, ""
	case "company-individual":
		// Written as a list of ids, read back as [{type, id}] (individuals are not simulated).
		out, reason := ids(func(n int) bool { return s.companies.byID[n] != nil })
		if reason != "" || len(out) == 0 {
			return nil, reason
		}
		refs := make([]map[string]any, len(out))
		for i, n := range out {
			refs[i] = map[string]any{"type": "company", "id": n}
		}
		return refs, ""
	case "contact", "staff", "item":
		exists := func(n int) bool { return s.contacts.byID[n] != nil }
		switch d.Type {
		case "staff":
			exists = func(n int) bool { return staffByID(n) != nil }
		case "item":
			exists = func(n int) bool { return itemByID(n) != nil }
		}
		out, reason := ids(exists)
		if reason != "" || len(out) == 0 {
			return nil, reason
		}
		return out, ""
	}
	return v, ""
}

func (d *cfDef) hasItem(id int) bool {
	for _, it := range d.Items {
		if it.ID == id {
			return true
		}
	}
	return false
}

// embedCFs is the custom_fields embed of a read shape: null when the API client lacks
// custom-fields.read, as Sellsy answers an embed its scopes do not allow (reference §1.5).
func (s *Server) embedCFs(r *record, ids []int, kind string) []map[string]any {
	if len(s.opt.Scopes) > 0 && !slices.Contains(s.opt.Scopes, "custom-fields.read") {
		return nil
	}
	return s.embedCF(r, ids, kind)
}

// embedCF builds _embed.custom_fields for the requested definition ids.
func (s *Server) embedCF(r *record, ids []int, kind string) []map[string]any {
	out := []map[string]any{}
	for _, id := range ids {
		d := s.cfByID(id)
		if d == nil || !d.appliesToKind(kind) {
			continue
		}
		m := d.defJSON()
		m["value"] = r.CF[id]
		out = append(out, m)
	}
	return out
}

// ---- staff and items (targets of the staff and item custom fields) ----

// Staff is a seeded staff member (GET /v2/staffs).
type Staff struct {
	ID                         int
	FirstName, LastName, Email string
}

// Item is a seeded catalogue item (GET /v2/items).
type Item struct {
	ID              int
	Type, Name, Ref string
}

// Staffs and Items are the fixed staff and catalogue of every simulator.
var (
	Staffs = []Staff{
		{1, "Claire", "Martin", "claire.martin@example.com"},
		{2, "Hugo", "Bernard", "hugo.bernard@example.com"},
		{3, "Inès", "Petit", "ines.petit@example.com"},
	}
	Items = []Item{
		{1, "product", "Licence annuelle", "LIC-1Y"},
		{2, "service", "Formation (jour)", "FORM-1D"},
		{3, "product", "Support premium", "SUP-PREM"},
	}
)

func staffByID(id int) *Staff {
	for i := range Staffs {
		if Staffs[i].ID == id {
			return &Staffs[i]
		}
	}
	return nil
}

func itemByID(id int) *Item {
	for i := range Items {
		if Items[i].ID == id {
			return &Items[i]
		}
	}
	return nil
}

func staffJSON(st Staff) map[string]any {
	return map[string]any{"id": st.ID, "firstname": st.FirstName, "lastname": st.LastName, "email": st.Email, "is_active": true}
}

func itemJSON(it Item) map[string]any {
	return map[string]any{"id": it.ID, "type": it.Type, "name": it.Name, "reference": it.Ref}
}

// ---- contacts: marketing campaign subscriptions ----

// campaignChannels is the spec enum of marketing_campaigns_subscriptions, in the order the
// simulator answers it.
var campaignChannels = []string{"email", "sms", "phone", "postal_mail", "custom"}

// checkSubscriptions validates marketing_campaigns_subscriptions: a list of channels, each at
// most once (the spec says uniqueItems). It returns the list in canonical order.
func checkSubscriptions(v any) ([]string, string) {
	arr, ok := v.([]any)
	if !ok {
		return nil, "Cette valeur doit être une liste."
	}
	set := map[string]bool{}
	for _, x := range arr {
		sv, _ := x.(string)
		known := false
		for _, c := range campaignChannels {
			known = known || c == sv
		}
		if !known {
			return nil, "Cette valeur doit être l'un des choix proposés (email, sms, phone, postal_mail, custom)."
		}
		if set[sv] {
			return nil, "Cette collection ne doit pas contenir de doublons."
		}
		set[sv] = true
	}
	out := []string{}
	for _, c := range campaignChannels {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, ""
}
