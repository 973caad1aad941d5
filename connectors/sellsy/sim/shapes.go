package sim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		if n == float64(int(n)) {
			return int(n), true
		}
	case int:
		return n, true
	}
	return 0, false
}

var companyStringFields = []string{"name", "email", "website", "phone_number", "mobile_number", "fax_number", "capital", "reference", "note", "auxiliary_code"}
var legalFields = []string{"siret", "siren", "vat", "ape_naf_code", "company_type", "rcs_immatriculation"}

// companyIDFields are a company's nullable integer ids on write (business_segment and
// number_of_employees are {id, label} objects on read).
var companyIDFields = []string{"rate_category_id", "accounting_code_id", "accounting_purchase_code_id", "business_segment", "number_of_employees"}

// individualIDFields are an individual's nullable integer ids.
var individualIDFields = []string{"rate_category_id", "accounting_code_id", "accounting_purchase_code_id"}

// applyIDs reads the nullable integer ids keys of body into set: an integer of 1 or more, or
// null to clear it.
func applyIDs(body map[string]any, keys []string, set map[string]any, bad map[string]string) {
	for _, k := range keys {
		v, ok := body[k]
		if !ok {
			continue
		}
		if v == nil {
			set[k] = nil
			continue
		}
		if n, isInt := asInt(v); isInt && n >= 1 {
			set[k] = n
		} else {
			bad[k] = msgInt
		}
	}
}

// Labels of the business segments and numbers of employees the simulator names on read
// (the spec's examples); other ids read with an empty label.
var (
	businessSegments  = map[int]string{3: "Software publisher / Digital services company"}
	numberOfEmployees = map[int]string{1: "From 1 to 5"}
)

// idLabel is the read shape of an id written as an integer: {id, label}, or null.
func idLabel(v any, labels map[int]string) any {
	n, ok := v.(int)
	if !ok {
		return nil
	}
	return map[string]any{"id": n, "label": labels[n]}
}

var contactStringFields = []string{"civility", "first_name", "last_name", "email", "website", "phone_number", "mobile_number", "fax_number", "position", "birth_date", "note"}

type ownerOut struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
}

type socialOut struct {
	Twitter  string `json:"twitter"`
	Facebook string `json:"facebook"`
	Linkedin string `json:"linkedin"`
	Viadeo   string `json:"viadeo"`
}

type embedOut struct {
	CustomFields []map[string]any `json:"custom_fields"`
}

type legalOut struct {
	Siret              any `json:"siret"`
	Siren              any `json:"siren"`
	VAT                any `json:"vat"`
	ApeNafCode         any `json:"ape_naf_code"`
	CompanyType        any `json:"company_type"`
	RcsImmatriculation any `json:"rcs_immatriculation"`
}

// companyOut is the company read shape (spec: CompaniesCreateNewCompanyResponse). Typed
// structs keep list pages cheap to encode.
type companyOut struct {
	ID                       int       `json:"id"`
	Type                     any       `json:"type"`
	Name                     any       `json:"name"`
	Email                    any       `json:"email"`
	Website                  any       `json:"website"`
	PhoneNumber              any       `json:"phone_number"`
	MobileNumber             any       `json:"mobile_number"`
	FaxNumber                any       `json:"fax_number"`
	LegalFrance              legalOut  `json:"legal_france"`
	Capital                  any       `json:"capital"`
	Reference                any       `json:"reference"`
	Note                     any       `json:"note"`
	AuxiliaryCode            any       `json:"auxiliary_code"`
	Social                   socialOut `json:"social"`
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
	BusinessSegment          any       `json:"business_segment"`
	NumberOfEmployees        any       `json:"number_of_employees"`
	MarketingCampaigns       []string  `json:"marketing_campaigns_subscriptions"`
	Embed                    *embedOut `json:"_embed,omitempty"`
}

type syncOut struct {
	Mailchimp  bool `json:"mailchimp"`
	Mailjet    bool `json:"mailjet"`
	Simplemail bool `json:"simplemail"`
}

type rgpdOut struct {
	Email      bool `json:"email"`
	SMS        bool `json:"sms"`
	Phone      bool `json:"phone"`
	PostalMail bool `json:"postal_mail"`
	Custom     bool `json:"custom"`
}

// contactOut is the contact read shape (spec: ContactItem, plus rgpd_consent seen in real
// payloads).
type contactOut struct {
	ID                 int       `json:"id"`
	Civility           any       `json:"civility"`
	FirstName          any       `json:"first_name"`
	LastName           any       `json:"last_name"`
	Email              any       `json:"email"`
	Website            any       `json:"website"`
	PhoneNumber        any       `json:"phone_number"`
	MobileNumber       any       `json:"mobile_number"`
	FaxNumber          any       `json:"fax_number"`
	Position           any       `json:"position"`
	BirthDate          any       `json:"birth_date"`
	Avatar             any       `json:"avatar"`
	Note               any       `json:"note"`
	InvoicingAddressID any       `json:"invoicing_address_id"`
	DeliveryAddressID  any       `json:"delivery_address_id"`
	Social             socialOut `json:"social"`
	Sync               syncOut   `json:"sync"`
	RgpdConsent        rgpdOut   `json:"rgpd_consent"`
	Owner              ownerOut  `json:"owner"`
	Created            string    `json:"created"`
	Updated            string    `json:"updated"`
	IsArchived         bool      `json:"is_archived"`
	MarketingCampaigns []string  `json:"marketing_campaigns_subscriptions"`
	Embed              *embedOut `json:"_embed,omitempty"`
}

func noteOf(r *record) any {
	if n := r.F["note"]; n != nil {
		return n
	}
	return ""
}

func (s *Server) companyJSON(r *record, cf []int) any {
	out := &companyOut{
		ID: r.ID, Type: r.F["type"], Name: r.F["name"], Email: r.F["email"], Website: r.F["website"],
		PhoneNumber: r.F["phone_number"], MobileNumber: r.F["mobile_number"], FaxNumber: r.F["fax_number"],
		LegalFrance: legalOut{Siret: r.Legal["siret"], Siren: r.Legal["siren"], VAT: r.Legal["vat"], ApeNafCode: r.Legal["ape_naf_code"],
			CompanyType: r.Legal["company_type"], RcsImmatriculation: r.Legal["rcs_immatriculation"]},
		Capital: r.F["capital"], Reference: r.F["reference"], Note: noteOf(r), AuxiliaryCode: r.F["auxiliary_code"],
		Owner: ownerOut{1, "staff"}, Created: ts(r.Created), UpdatedAt: ts(r.Updated), IsArchived: r.Archived,
		MarketingCampaigns: r.Subs, InvoicingAddressID: addressID(r), DeliveryAddressID: addressID(r), Social: r.Social,
		RateCategoryID: r.F["rate_category_id"], AccountingCodeID: r.F["accounting_code_id"], AccountingPurchaseCodeID: r.F["accounting_purchase_code_id"],
		BusinessSegment: idLabel(r.F["business_segment"], businessSegments), NumberOfEmployees: idLabel(r.F["number_of_employees"], numberOfEmployees),
	}
	if out.MarketingCampaigns == nil {
		out.MarketingCampaigns = []string{}
	}
	if cf != nil {
		out.Embed = &embedOut{CustomFields: s.embedCFs(r, cf, kindCompanies)}
	}
	return out
}

func (s *Server) contactJSON(r *record, cf []int) any {
	out := &contactOut{
		ID: r.ID, Civility: r.F["civility"], FirstName: r.F["first_name"], LastName: r.F["last_name"], Email: r.F["email"],
		Website: r.F["website"], PhoneNumber: r.F["phone_number"], MobileNumber: r.F["mobile_number"], FaxNumber: r.F["fax_number"],
		Position: r.F["position"], BirthDate: r.F["birth_date"], Note: noteOf(r),
		Owner: ownerOut{1, "staff"}, Created: ts(r.Created), Updated: ts(r.Updated), IsArchived: r.Archived,
		MarketingCampaigns: r.Subs, Social: r.Social, Sync: r.Sync,
		InvoicingAddressID: addressID(r), DeliveryAddressID: addressID(r),
	}
	if out.MarketingCampaigns == nil {
		out.MarketingCampaigns = []string{}
	}
	if cf != nil {
		out.Embed = &embedOut{CustomFields: s.embedCFs(r, cf, kindContacts)}
	}
	return out
}

// pickFields applies the field[] filter: only the named top-level fields (and the id) of a
// read shape are returned.
func pickFields(v any, fields []string) any {
	if len(fields) == 0 {
		return v
	}
	m := toMap(v)
	out := map[string]any{"id": m["id"]}
	for _, f := range fields {
		if x, ok := m[f]; ok {
			out[f] = x
		}
	}
	return out
}

// toMap turns a read shape into the map a client decoding the JSON would see.
func toMap(v any) map[string]any {
	raw, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
var digitsRE = regexp.MustCompile(`^[0-9]+$`)

// subsKey carries marketing_campaigns_subscriptions through applyWrite's set map.
const subsKey = "\x00subs"

const (
	msgMissing = "Ce champ est manquant."
	msgEmail   = "Cette valeur n'est pas une adresse email valide."
	msgString  = "Cette valeur doit être de type string."
	msgNull    = "Cette valeur ne doit pas être nulle."
	msgChoice  = "Cette valeur doit être l'un des choix proposés."
	// msgBadCursor refuses an offset that is neither a number nor a cursor of this list.
	msgBadCursor = "Cette valeur n'est pas un curseur de pagination valide."
)

// applyWrite validates body against the write shape of companies or contacts and, when valid,
// applies it to r. create asks for the create rules (required fields, type, created).
// It returns field → reason for every refused field.
func applyWrite(r *record, body map[string]any, company, create bool, now time.Time) map[string]string {
	bad := map[string]string{}
	strFields := contactStringFields
	if company {
		strFields = companyStringFields
	}
	set := map[string]any{}
	legal := map[string]any{}
	var archived *bool
	var social socialOut
	var sync syncOut
	str := func(key string, v any, max int, nullable bool) {
		if v == nil {
			if !nullable {
				bad[key] = msgNull
			} else {
				set[key] = nil
			}
			return
		}
		sv, ok := v.(string)
		if !ok {
			bad[key] = msgString
			return
		}
		if max > 0 && len([]rune(sv)) > max {
			bad[key] = fmt.Sprintf("Cette chaîne est trop longue. Elle doit avoir au maximum %d caractères.", max)
			return
		}
		if sv == "" && nullable {
			set[key] = nil
			return
		}
		set[key] = sv
	}
	for _, f := range strFields {
		v, ok := body[f]
		if !ok {
			continue
		}
		switch f {
		case "name":
			str(f, v, 250, false)
			if sv, _ := v.(string); sv == "" && bad[f] == "" {
				bad[f] = "Cette valeur ne doit pas être vide."
			}
		case "last_name":
			str(f, v, 200, true)
			if sv, _ := v.(string); sv == "" && bad[f] == "" {
				bad[f] = "Cette valeur ne doit pas être vide."
			}
		case "first_name":
			str(f, v, 200, true)
		case "note":
			str(f, v, 0, true)
			if set["note"] == nil {
				set["note"] = ""
			}
		case "civility":
			str(f, v, 0, true)
			if cv, _ := set[f].(string); cv != "" && cv != "mr" && cv != "mrs" && cv != "ms" {
				bad[f] = "Cette valeur doit être l'un des choix proposés."
			}
		case "email":
			str(f, v, 250, true)
			if ev, _ := set[f].(string); ev != "" && !emailRE.MatchString(ev) {
				bad[f] = msgEmail
			}
		case "birth_date":
			str(f, v, 0, true)
			if bv, _ := set[f].(string); bv != "" {
				if _, err := time.Parse("2006-01-02", bv); err != nil {
					bad[f] = "Cette valeur n'est pas une date valide."
				}
			}
		default:
			str(f, v, 250, true)
		}
	}
	if company {
		if v, ok := body["type"]; ok {
			if create {
				if tv, _ := v.(string); tv != "prospect" && tv != "client" && tv != "supplier" {
					bad["type"] = "Cette valeur doit être l'un des choix proposés."
				} else {
					set["type"] = tv
				}
			} else {
				bad["type"] = "Ce champ n'est pas autorisé."
			}
		} else if create {
			bad["type"] = msgMissing
		}
		if create {
			if _, ok := body["name"]; !ok {
				bad["name"] = msgMissing
			}
		}
		if lv, ok := body["legal_france"]; ok && lv != nil {
			lm, ok := lv.(map[string]any)
			if !ok {
				bad["legal_france"] = "Cette valeur doit être un objet."
			}
			for _, f := range legalFields {
				v, ok := lm[f]
				if !ok {
					continue
				}
				key := "legal_france." + f
				if v == nil {
					legal[f] = nil
					continue
				}
				sv, ok := v.(string)
				if !ok {
					bad[key] = msgString
					continue
				}
				switch {
				case sv == "":
					legal[f] = nil
				case f == "siret" && (len(sv) != 14 || !digitsRE.MatchString(sv)):
					bad[key] = "Le SIRET doit comporter 14 chiffres."
				case f == "siren" && (len(sv) != 9 || !digitsRE.MatchString(sv)):
					bad[key] = "Le SIREN doit comporter 9 chiffres."
				default:
					legal[f] = sv
				}
			}
		}
	} else {
		if _, ok := body["last_name"]; !ok && create {
			bad["last_name"] = msgMissing
		}
	}
	if v, ok := body["marketing_campaigns_subscriptions"]; ok {
		if subs, reason := checkSubscriptions(v); reason != "" {
			bad["marketing_campaigns_subscriptions"] = reason
		} else {
			set[subsKey] = subs
		}
	}
	social, sync = applySocialSync(r, body, bad)
	if _, ok := body["sync"]; ok && company {
		bad["sync"] = "Ce champ n'est pas autorisé."
	}
	if company {
		applyIDs(body, companyIDFields, set, bad)
	}
	if v, ok := body["is_archived"]; ok {
		if b, ok := v.(bool); ok {
			archived = &b
		} else {
			bad["is_archived"] = "Cette valeur doit être un booléen."
		}
	}
	if len(bad) > 0 {
		return bad
	}
	if r.F == nil {
		r.F = map[string]any{}
	}
	if archived != nil {
		r.Archived = *archived
	}
	r.Social, r.Sync = social, sync
	for k, v := range set {
		if k == subsKey {
			r.Subs = v.([]string)
			continue
		}
		r.F[k] = v
	}
	if company {
		if r.Legal == nil {
			r.Legal = map[string]any{}
		}
		for k, v := range legal {
			r.Legal[k] = v
		}
		if sv, _ := r.Legal["siret"].(string); sv != "" && r.Legal["siren"] == nil {
			r.Legal["siren"] = sv[:9]
		}
	}
	if create {
		r.Created = now
		if cv, ok := body["created"].(string); ok {
			if t, err := time.Parse(time.RFC3339, cv); err == nil {
				r.Created = t.Truncate(time.Second)
			}
		}
	}
	r.Updated = now
	return nil
}

// firstBad returns the first refused field in a stable order, for the error message.
func firstBad(bad map[string]string) string {
	best := ""
	for k := range bad {
		if best == "" || k < best {
			best = k
		}
	}
	return best
}

func fold(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }

// msgURL is Sellsy's refusal of a value that is not a URL (a format: url string).
const msgURL = "Cette valeur n'est pas une URL valide."

// isURL reports whether s is an absolute http(s) URL with a host, as a format: url field
// takes.
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\n")
}

// applySocialSync reads a contact's "social" {twitter, facebook, linkedin, viadeo} (URLs,
// the spec's format: url: "@ada" is refused; "" or null empties one) and "sync" {mailchimp,
// mailjet, simplemail} (booleans) over r's current values; keys left out keep their value.
func applySocialSync(r *record, body map[string]any, bad map[string]string) (socialOut, syncOut) {
	social, sync := r.Social, r.Sync
	if v, ok := body["social"]; ok {
		m, isObj := v.(map[string]any)
		if !isObj {
			bad["social"] = "Cette valeur doit être un objet."
		}
		for k, x := range m {
			sv, isStr := x.(string)
			if x != nil && !isStr {
				bad["social."+k] = msgString
				continue
			}
			if sv != "" && !isURL(sv) {
				bad["social."+k] = msgURL
				continue
			}
			switch k {
			case "twitter":
				social.Twitter = sv
			case "facebook":
				social.Facebook = sv
			case "linkedin":
				social.Linkedin = sv
			case "viadeo":
				social.Viadeo = sv
			}
		}
	}
	if v, ok := body["sync"]; ok {
		m, isObj := v.(map[string]any)
		if !isObj {
			bad["sync"] = "Cette valeur doit être un objet."
		}
		for k, x := range m {
			b, isBool := x.(bool)
			if !isBool {
				bad["sync."+k] = "Cette valeur doit être un booléen."
				continue
			}
			switch k {
			case "mailchimp":
				sync.Mailchimp = b
			case "mailjet":
				sync.Mailjet = b
			case "simplemail":
				sync.Simplemail = b
			}
		}
	}
	return social, sync
}
