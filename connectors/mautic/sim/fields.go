package sim

import (
	"cmp"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// fieldDef is one contact or company field, as GET /api/fields/{object} describes it.
type fieldDef struct {
	ID         int
	Alias      string
	Label      string
	Type       string
	Group      string
	Required   bool
	Fixed      bool
	Unique     bool
	List       []option // select, multiselect, lookup
	Scale      int      // number: decimals (properties.scale); 0 → int
	AllowHTML  bool     // textarea: properties.allowHtml, the value keeps its markup (see holdsRaw)
	Default    any
	Properties map[string]any
}

type option struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

var contactGroups = []string{"core", "social", "personal", "professional"}
var companyGroups = []string{"core", "professional", "other"}

func opts(vals ...string) []option {
	out := make([]option, len(vals))
	for i, v := range vals {
		out[i] = option{Label: v, Value: v}
	}
	return out
}

// contactFields mirrors Mautic 5's fixed lead fields (a subset) plus one custom multiselect.
// The "personal" group is left empty on purpose: Mautic serialises empty groups as [].
var contactFields = []fieldDef{
	{ID: 1, Alias: "title", Label: "Title", Type: "lookup", Group: "core", Fixed: true, List: opts("Mr", "Mrs", "Miss")},
	{ID: 2, Alias: "firstname", Label: "First Name", Type: "text", Group: "core", Fixed: true},
	{ID: 3, Alias: "lastname", Label: "Last Name", Type: "text", Group: "core", Fixed: true},
	{ID: 4, Alias: "company", Label: "Primary company", Type: "text", Group: "core", Fixed: true},
	{ID: 5, Alias: "position", Label: "Position", Type: "text", Group: "core", Fixed: true},
	{ID: 6, Alias: "email", Label: "Email", Type: "email", Group: "core", Fixed: true, Unique: true},
	{ID: 7, Alias: "mobile", Label: "Mobile", Type: "tel", Group: "core", Fixed: true},
	{ID: 8, Alias: "phone", Label: "Phone", Type: "tel", Group: "core", Fixed: true},
	{ID: 9, Alias: "points", Label: "Points", Type: "number", Group: "core", Fixed: true, Default: 0},
	{ID: 10, Alias: "fax", Label: "Fax", Type: "tel", Group: "core"},
	{ID: 11, Alias: "address1", Label: "Address Line 1", Type: "text", Group: "core", Fixed: true},
	{ID: 12, Alias: "address2", Label: "Address Line 2", Type: "text", Group: "core", Fixed: true},
	{ID: 13, Alias: "city", Label: "City", Type: "text", Group: "core", Fixed: true},
	{ID: 14, Alias: "state", Label: "State", Type: "region", Group: "core", Fixed: true},
	{ID: 15, Alias: "zipcode", Label: "Zip Code", Type: "text", Group: "core", Fixed: true},
	{ID: 16, Alias: "country", Label: "Country", Type: "country", Group: "core", Fixed: true},
	{ID: 17, Alias: "preferred_locale", Label: "Preferred Locale", Type: "locale", Group: "core", Fixed: true},
	{ID: 18, Alias: "website", Label: "Website", Type: "url", Group: "core"},
	{ID: 19, Alias: "facebook", Label: "Facebook", Type: "text", Group: "social"},
	{ID: 20, Alias: "linkedin", Label: "LinkedIn", Type: "text", Group: "social"},
	{ID: 21, Alias: "twitter", Label: "Twitter", Type: "text", Group: "social"},
	{ID: 22, Alias: "interests", Label: "Interests", Type: "multiselect", Group: "professional", List: opts("CRM", "ERP", "Marketing")},
	// Custom fields, one per type the Sellsy pairing needs. Seeded people leave them empty.
	{ID: 23, Alias: "cf_text", Label: "CF Text", Type: "text", Group: "professional"},
	{ID: 24, Alias: "cf_textarea", Label: "CF Textarea", Type: "textarea", Group: "professional"},
	{ID: 25, Alias: "cf_number", Label: "CF Number", Type: "number", Group: "professional", Scale: 2},
	{ID: 26, Alias: "cf_select", Label: "CF Select", Type: "select", Group: "professional", List: opts("gold", "silver", "bronze")},
	{ID: 27, Alias: "cf_multiselect", Label: "CF Multiselect", Type: "multiselect", Group: "professional", List: opts("a", "b", "c")},
	{ID: 28, Alias: "cf_entities", Label: "CF Entities", Type: "multiselect", Group: "professional", List: opts("1", "2", "3", "4")},
	{ID: 29, Alias: "cf_date", Label: "CF Date", Type: "date", Group: "professional"},
	{ID: 30, Alias: "cf_time_text", Label: "CF Time (text)", Type: "text", Group: "professional"},
	{ID: 31, Alias: "cf_email", Label: "CF Email", Type: "email", Group: "professional"},
	{ID: 32, Alias: "cf_url", Label: "CF URL", Type: "url", Group: "professional"},
	{ID: 33, Alias: "cf_bool", Label: "CF Boolean", Type: "boolean", Group: "professional"},
	{ID: 34, Alias: "cf_tel", Label: "CF Phone", Type: "tel", Group: "professional"},
}

// companyFields mirrors Mautic 5's fixed company fields plus the custom "siret" field.
var companyFields = []fieldDef{
	{ID: 101, Alias: "companyname", Label: "Company Name", Type: "text", Group: "core", Fixed: true, Required: true, Unique: true},
	{ID: 102, Alias: "companyemail", Label: "Company Email", Type: "email", Group: "core", Fixed: true},
	{ID: 103, Alias: "companyaddress1", Label: "Address 1", Type: "text", Group: "core", Fixed: true},
	{ID: 104, Alias: "companyaddress2", Label: "Address 2", Type: "text", Group: "core", Fixed: true},
	{ID: 105, Alias: "companyphone", Label: "Phone", Type: "tel", Group: "core", Fixed: true},
	{ID: 106, Alias: "companycity", Label: "City", Type: "text", Group: "core", Fixed: true},
	{ID: 107, Alias: "companystate", Label: "State", Type: "region", Group: "core", Fixed: true},
	{ID: 108, Alias: "companyzipcode", Label: "Zip Code", Type: "text", Group: "core", Fixed: true},
	{ID: 109, Alias: "companycountry", Label: "Country", Type: "country", Group: "core", Fixed: true},
	{ID: 110, Alias: "companywebsite", Label: "Website", Type: "url", Group: "core", Fixed: true},
	{ID: 111, Alias: "companyindustry", Label: "Industry", Type: "select", Group: "professional", Fixed: true,
		List: opts("Agriculture", "Construction", "Consulting", "Logistics", "Printing", "Retail", "Technology", "Transportation")},
	{ID: 112, Alias: "companynumber_of_employees", Label: "Number of Employees", Type: "number", Group: "professional", Fixed: true},
	{ID: 113, Alias: "companyannual_revenue", Label: "Annual Revenue", Type: "number", Group: "professional", Fixed: true, Scale: 2},
	{ID: 114, Alias: "companydescription", Label: "Description", Type: "textarea", Group: "professional", Fixed: true},
	{ID: 115, Alias: "siret", Label: "SIRET", Type: "text", Group: "other"},
}

func (f fieldDef) properties() any {
	if f.Properties != nil {
		return f.Properties
	}
	switch {
	case f.Type == "boolean":
		return map[string]any{"no": "No", "yes": "Yes"}
	case f.Type == "date":
		return map[string]any{"format": "Y-m-d"}
	case f.List != nil:
		return map[string]any{"list": f.List}
	case f.Type == "number":
		return map[string]any{"roundmode": 4, "scale": f.Scale}
	case f.AllowHTML:
		return map[string]any{"allowHtml": true}
	}
	return []any{}
}

// holdsRaw reports whether a text value of the field is stored as sent rather than cleaned
// with InputHelper::clean (PHP's FILTER_SANITIZE_SPECIAL_CHARS: ' " < > & and the characters
// below 32 HTML-encoded as &#39; &#34; &#60; &#62; &#38; &#10; …; mautic/mautic#4234,
// #13092). The form Mautic binds API writes through (EntityFieldsBuildFormTrait) gives an html
// field, and a textarea with allowHtml (Mautic 3 and 4), the 'html' mask, which keeps the
// markup (the simulator keeps the value whole); a select or multiselect with a list the 'raw'
// one, its value being one of the options; the contact's e-mail the 'email' one, which drops
// what an address cannot hold and encodes nothing (the simulator refuses such an address).
// Every other text is cleaned.
func (f fieldDef) holdsRaw() bool {
	switch f.Type {
	case "html", "select", "multiselect", "email":
		return true
	case "textarea":
		return f.AllowHTML
	}
	return false
}

// apiShape is the field as the fields API returns it (list and detail properties).
func (f fieldDef) apiShape(object string) map[string]any {
	return map[string]any{
		"id":                  f.ID,
		"isPublished":         true,
		"label":               f.Label,
		"alias":               f.Alias,
		"type":                f.Type,
		"group":               f.Group,
		"order":               f.ID,
		"object":              object,
		"defaultValue":        f.Default,
		"description":         nil,
		"isRequired":          f.Required,
		"isFixed":             f.Fixed,
		"isListable":          true,
		"isVisible":           true,
		"isShortVisible":      f.Group == "core",
		"isUniqueIdentifier":  f.Unique,
		"isPubliclyUpdatable": false,
		"properties":          f.properties(),
	}
}

// FieldDef describes a custom field for AddField, as POST /api/fields/{object}/new takes it.
type FieldDef struct {
	Alias      string
	Label      string
	Type       string   // text, textarea, number, select, multiselect, boolean, date, datetime, time, email, tel, url, ...
	Group      string   // "" → "core"
	IsRequired bool     // enforced on create (400 naming the field)
	Options    []string // properties.list of select, multiselect and lookup: the values
	Scale      int      // number: decimals (properties.scale); 0 → int
	AllowHTML  bool     // textarea: properties.allowHtml (Mautic 3 and 4), the value keeps its markup
	Default    any
	// OptionLabels gives the label of an option whose label is not its value (value → label):
	// records hold the value, Automation's screens show the label.
	OptionLabels map[string]string
	// YesLabel and NoLabel are a boolean's properties yes and no ("" → Yes, No).
	YesLabel, NoLabel string
}

// fieldTypes are Mautic's field types (FormFieldHelper); listTypes need properties.list.
var fieldTypes = map[string]bool{"text": true, "textarea": true, "multiselect": true, "select": true,
	"boolean": true, "lookup": true, "date": true, "datetime": true, "time": true, "timezone": true,
	"email": true, "html": true, "number": true, "tel": true, "url": true, "country": true,
	"region": true, "locale": true}

var listTypes = map[string]bool{"select": true, "multiselect": true, "lookup": true}

var aliasRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// AddField adds a custom field to "contact" or "company" (plural names accepted too). The
// alias must be new; select, multiselect and lookup need options.
func (s *Server) AddField(object string, f FieldDef) error {
	_, err := s.addField(object, f)
	return err
}

func (s *Server) addField(object string, f FieldDef) (fieldDef, error) {
	st := s.store(object)
	if st == nil {
		return fieldDef{}, &validationError{field: "object", reason: "Unknown object."}
	}
	if f.Alias == "" {
		f.Alias = aliasFromLabel(f.Label)
	}
	if f.Label == "" {
		f.Label = f.Alias
	}
	if !aliasRe.MatchString(f.Alias) {
		return fieldDef{}, &validationError{field: "alias", reason: "The alias must be lower-case letters, digits and underscores."}
	}
	if !fieldTypes[f.Type] {
		return fieldDef{}, &validationError{field: "type", reason: "mautic.lead.field.typenotrecognized"}
	}
	if listTypes[f.Type] && len(f.Options) == 0 {
		return fieldDef{}, &validationError{field: "properties", reason: "A list of options is required."}
	}
	group := f.Group
	if group == "" {
		group = "core"
	}
	if !slices.Contains(st.groups, group) {
		return fieldDef{}, &validationError{field: "group", reason: "The value you selected is not a valid choice."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := st.fieldByAlias[f.Alias]; dup {
		return fieldDef{}, &validationError{field: "alias", reason: "Another field already uses this alias."}
	}
	id := 0
	for _, st2 := range []*store{s.contacts, s.companies} {
		for _, x := range st2.fields {
			id = max(id, x.ID)
		}
	}
	d := fieldDef{ID: id + 1, Alias: f.Alias, Label: f.Label, Type: f.Type, Group: group,
		Required: f.IsRequired, Scale: f.Scale, Default: f.Default, AllowHTML: f.AllowHTML && f.Type == "textarea"}
	if len(f.Options) > 0 {
		d.List = opts(f.Options...)
		for i := range d.List {
			if l := f.OptionLabels[d.List[i].Value]; l != "" {
				d.List[i].Label = l
			}
		}
	}
	if f.Type == "boolean" && (f.YesLabel != "" || f.NoLabel != "") {
		d.Properties = map[string]any{"no": cmp.Or(f.NoLabel, "No"), "yes": cmp.Or(f.YesLabel, "Yes")}
	}
	st.addField(d)
	return d, nil
}

func aliasFromLabel(label string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(label) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '_' || r == '-':
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "_")
}

// fieldNew serves POST /api/fields/{object}/new: {label, alias, type, group, isRequired,
// defaultValue, properties{list:[{label,value}]|"a|b", scale}} → 201 {"field": {...}}.
func (s *Server) fieldNew(_ *store, w http.ResponseWriter, r *http.Request) {
	var body struct {
		Label        string         `json:"label"`
		Alias        string         `json:"alias"`
		Type         string         `json:"type"`
		Group        string         `json:"group"`
		IsRequired   any            `json:"isRequired"`
		DefaultValue any            `json:"defaultValue"`
		Properties   map[string]any `json:"properties"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, "Request body is not valid JSON.", nil, nil)
		return
	}
	object := r.PathValue("object")
	if s.store(object) == nil {
		notFound(w)
		return
	}
	if body.Type == "" {
		body.Type = "text"
	}
	f := FieldDef{Alias: body.Alias, Label: body.Label, Type: body.Type, Group: body.Group, Default: body.DefaultValue}
	switch x := body.IsRequired.(type) {
	case bool:
		f.IsRequired = x
	case float64:
		f.IsRequired = x != 0
	case string:
		f.IsRequired = x == "1" || x == "true"
	}
	if sc, ok := body.Properties["scale"].(float64); ok {
		f.Scale = int(sc)
	}
	switch x := body.Properties["allowHtml"].(type) {
	case bool:
		f.AllowHTML = x
	case float64:
		f.AllowHTML = x != 0
	case string:
		f.AllowHTML = x == "1" || x == "true"
	}
	switch l := body.Properties["list"].(type) {
	case []any:
		for _, o := range l {
			m, ok := o.(map[string]any)
			if !ok {
				f.Options = append(f.Options, fmt.Sprint(o))
				continue
			}
			v := fmt.Sprint(m["value"])
			f.Options = append(f.Options, v)
			if label, ok := m["label"].(string); ok && label != v {
				if f.OptionLabels == nil {
					f.OptionLabels = map[string]string{}
				}
				f.OptionLabels[v] = label
			}
		}
	case string:
		f.Options = strings.Split(l, "|")
	}
	f.YesLabel, _ = body.Properties["yes"].(string)
	f.NoLabel, _ = body.Properties["no"].(string)
	d, err := s.addField(object, f)
	if err != nil {
		writeValidation(w, err)
		return
	}
	st := s.store(object)
	simkit.WriteJSON(w, http.StatusCreated, map[string]any{"field": d.apiShape(st.apiObject)})
}
