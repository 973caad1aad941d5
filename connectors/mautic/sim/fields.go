package sim

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
	switch {
	case f.List != nil:
		return map[string]any{"list": f.List}
	case f.Type == "number":
		return map[string]any{"roundmode": 4, "scale": f.Scale}
	}
	return []any{}
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
