package engine

import (
	"fmt"
	"strings"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// FieldSpec is one side of a mapping as the system describes it.
type FieldSpec struct {
	System, Name, Type string
	Options            []connectors.Option
	Required, ReadOnly bool
	CreateOnly         bool // set at creation only: the update API leaves it as it is
	// Scale is how many decimals a number field keeps (connectors.Field.Scale); nil: any.
	Scale *int
}

// SpecOf returns the FieldSpec of a described field of a system.
func SpecOf(system string, f connectors.Field) FieldSpec {
	return FieldSpec{System: system, Name: f.Name, Type: f.Type, Options: f.Options, Required: f.Required, ReadOnly: f.ReadOnly, CreateOnly: f.CreateOnly, Scale: f.Scale}
}

func (s FieldSpec) String() string { return fmt.Sprintf("%s field %s (%s)", s.System, s.Name, s.Type) }

// normType lowers a type name and drops "-", "_" and spaces, so that Sellsy's V1 and V2
// spellings ("simpletext", "simple-text") and any casing compare equal.
func normType(t string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(t)))
}

// sellsyKinds folds every Sellsy type name onto one kind: the V1 custom-field names
// (simpletext, richtext, numeric, amount, unit, radio, select, checkbox, date, time, email, url,
// boolean, third, item, people, staff), their V2 spellings (simple-text, rich-text,
// numeric-with-unit, company-individual, contact) and the plain types the connector gives
// standard fields (string, text, phone, email, url, select, datetime).
var sellsyKinds = map[string]string{
	"simpletext": "simpletext", "string": "simpletext",
	"richtext": "richtext", "text": "richtext", // standard "text" fields are notes: long text
	"numeric": "numeric", "number": "numeric",
	"amount": "amount",
	"unit":   "unit", "numericwithunit": "unit",
	"radio":    "radio",
	"select":   "select",
	"checkbox": "checkbox", "multiplechoice": "checkbox",
	"date":     "date",
	"datetime": "datetime",
	"time":     "time",
	"email":    "email",
	"url":      "url",
	"phone":    "phone", "tel": "phone",
	"boolean": "boolean", "yesno": "boolean",
	"third": "third", "companyindividual": "third",
	"item":   "item",
	"people": "people", "contact": "people",
	"staff": "staff",
}

// mauticTypes are the field types Mautic (Webmecanik Automation) knows.
var mauticTypes = map[string]bool{
	"text": true, "textarea": true, "html": true, "number": true, "boolean": true, "select": true,
	"multiselect": true, "lookup": true, "date": true, "datetime": true, "time": true, "email": true,
	"url": true, "tel": true, "country": true, "region": true, "locale": true, "timezone": true,
}

// rule says which Automation types a Sellsy kind may map to, and whether it syncs only from
// Sellsy to Automation.
type rule struct {
	targets []string
	oneWay  bool
}

// sellsyCustomToMautic is the type table of Sellsy custom fields (cf.<code>) in the
// Automation "Sellsy" plugin's documentation, and nothing more:
//
//	simpletext → text
//	richtext   → textarea
//	numeric    → number
//	amount     → number          only Sellsy → Automation
//	unit       → number          only Sellsy → Automation
//	radio      → select
//	select     → select
//	checkbox   → multiselect
//	date       → date
//	time       → text
//	email      → email
//	url        → url
//	boolean    → boolean
//	third, item, people, staff → multiselect, select (entity ids as option values)
//
// The table marks amount and unit "Unsupported", and its prose lets them sync from Sellsy to
// Automation only; the connector reads both as a bare number (the currency and the unit left
// out), which an Automation number field holds at its decimals: number is their one target,
// as it is numeric's. The prose names "single and multiple choice drop-down lists" for the
// entity types, hence select besides multiselect. The table's row for email is blank; email,
// like url, maps to the Automation type of its name.
//
// Wider targets fail in production: an Automation text field holds 191 characters, a Sellsy
// simple text 250 and a rich text more, and Automation refuses a malformed e-mail, URL or
// phone number record by record.
var sellsyCustomToMautic = map[string]rule{
	"simpletext": {targets: []string{"text"}},
	"richtext":   {targets: []string{"textarea"}},
	"numeric":    {targets: []string{"number"}},
	"amount":     {targets: []string{"number"}, oneWay: true},
	"unit":       {targets: []string{"number"}, oneWay: true},
	"radio":      {targets: []string{"select"}},
	"select":     {targets: []string{"select"}},
	"checkbox":   {targets: []string{"multiselect"}},
	"date":       {targets: []string{"date"}},
	"time":       {targets: []string{"text"}},
	"email":      {targets: []string{"email"}},
	"url":        {targets: []string{"url"}},
	"boolean":    {targets: []string{"boolean"}},
	"third":      {targets: []string{"multiselect", "select"}},
	"item":       {targets: []string{"multiselect", "select"}},
	"people":     {targets: []string{"multiselect", "select"}},
	"staff":      {targets: []string{"multiselect", "select"}},
}

// sellsyStandardTypes are the type names the Sellsy connector gives its standard fields
// (first_name, phone_number, note, civility…), normalised (normType).
var sellsyStandardTypes = map[string]bool{
	"string": true, "text": true, "number": true, "select": true, "date": true, "datetime": true,
	"email": true, "url": true, "phone": true, "tel": true, "boolean": true,
}

// sellsyStandardToMautic is what Sellsy's standard fields, which the plugin's table does not
// cover, may map to: the Automation fields that hold such values (a civility → the title
// lookup, a phone → tel or text, a note → textarea, text or html):
//
//	string (simpletext) → text, textarea, email, url, tel
//	text (richtext)     → textarea, text, html
//	number (numeric)    → number
//	select              → select, lookup
//	date → date; datetime → datetime; boolean → boolean
//	email → email, text; url → url, text; phone → tel, text
//
// A string may feed Automation's email, url and tel fields because they all hold strings;
// Automation rejects a malformed value record by record, which quarantines the record.
var sellsyStandardToMautic = map[string]rule{
	"simpletext": {targets: []string{"text", "textarea", "email", "url", "tel"}},
	"richtext":   {targets: []string{"textarea", "text", "html"}},
	"numeric":    {targets: []string{"number"}},
	"select":     {targets: []string{"select", "lookup"}},
	"date":       {targets: []string{"date"}},
	"datetime":   {targets: []string{"datetime"}},
	"email":      {targets: []string{"email", "text"}},
	"url":        {targets: []string{"url", "text"}},
	"phone":      {targets: []string{"tel", "text"}},
	"boolean":    {targets: []string{"boolean"}},
}

// isSellsyCustom reports whether a described Sellsy field is a custom field: named cf.<code>
// (or cf.<id>), as the connector names them, or of a type only custom fields have
// (simple-text, checkbox, staff…).
func isSellsyCustom(s FieldSpec) bool {
	return strings.HasPrefix(s.Name, "cf.") || !sellsyStandardTypes[normType(s.Type)]
}

// sellsyRule is the rule of a Sellsy field of kind kind: the plugin's table for a custom
// field, the wider one for a standard field. ok is false for a kind the field's table lacks
// (a custom field of a standard-only kind, phone or datetime).
func sellsyRule(s FieldSpec, kind string) (r rule, custom, ok bool) {
	custom = isSellsyCustom(s)
	if custom {
		r, ok = sellsyCustomToMautic[kind]
	} else {
		r, ok = sellsyStandardToMautic[kind]
	}
	return r, custom, ok
}

// SellsyKind returns the kind a Sellsy type name folds to ("simple-text" and "simpletext" give
// "simpletext"), or "" for a type crmsync does not know.
func SellsyKind(t string) string { return sellsyKinds[normType(t)] }

// CheckMapping returns nil when a field of a (system A) may map to b (system B) in direction d,
// else an error naming both fields and listing the allowed target types. It knows the pair
// sellsy/mautic in either order: a Sellsy custom field maps exactly as the plugin's type table
// says (sellsyCustomToMautic), a standard field as sellsyStandardToMautic allows. Any other
// pair of systems has no table and gives nil.
//
// It also refuses a mapping that would write a read-only field.
func CheckMapping(a, b FieldSpec, d config.Direction) error {
	if d == "" {
		d = config.Both
	}
	if b.ReadOnly && d != config.BToA {
		return fmt.Errorf("%s is read-only: it cannot receive %s (use direction b_to_a)", b, a)
	}
	if a.ReadOnly && d != config.AToB {
		return fmt.Errorf("%s is read-only: it cannot receive %s (use direction a_to_b)", a, b)
	}
	var sellsy, mautic FieldSpec
	var fromSellsy config.Direction // the direction that reads "from Sellsy"
	switch {
	case a.System == "sellsy" && b.System == "mautic":
		sellsy, mautic, fromSellsy = a, b, config.AToB
	case a.System == "mautic" && b.System == "sellsy":
		sellsy, mautic, fromSellsy = b, a, config.BToA
	default:
		return nil
	}
	kind := SellsyKind(sellsy.Type)
	if kind == "" {
		return fmt.Errorf("%s: crmsync does not know this Sellsy type", sellsy)
	}
	mt := normType(mautic.Type)
	if !mauticTypes[mt] {
		return fmt.Errorf("%s: crmsync does not know this Automation type", mautic)
	}
	r, custom, ok := sellsyRule(sellsy, kind)
	if !ok {
		return fmt.Errorf("%s: a Sellsy custom field has no type %s in the type table of the Automation plugin", sellsy, sellsy.Type)
	}
	typeOK := false
	for _, t := range r.targets {
		if t == mt {
			typeOK = true
		}
	}
	dirOK := !r.oneWay || d == fromSellsy
	if typeOK && dirOK {
		return nil
	}
	msg := fmt.Sprintf("%s cannot map to %s", a, b)
	if !typeOK {
		allowed := ": allowed: "
		if custom {
			allowed = ": allowed for a Sellsy custom field: "
		}
		msg += allowed + strings.Join(r.targets, ", ")
		if r.oneWay {
			msg += fmt.Sprintf("; and only %s (Sellsy → Automation)", fromSellsy)
		}
		return fmt.Errorf("%s", msg)
	}
	return fmt.Errorf("%s in direction %s: %s fields sync only from Sellsy to Automation: set direction: %s", msg, d, kind, fromSellsy)
}
