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

// sellsyToMautic is the type table of the Sellsy ⇄ Automation integration (the plugin's
// documented table first; extras for standard fields after it):
//
//	simpletext → text            (also textarea; standard strings also email, url, tel)
//	richtext   → textarea        (also text, html)
//	numeric    → number
//	amount     → number, text    only Sellsy → Automation
//	unit       → number, text    only Sellsy → Automation
//	radio      → select          (also lookup)
//	select     → select          (also lookup)
//	checkbox   → multiselect
//	date       → date
//	time       → text
//	email      → email           (also text)
//	url        → url             (also text)
//	boolean    → boolean
//	third, item, people, staff → multiselect, select (entity ids as option values)
//	phone (standard) → tel, text; datetime (standard) → datetime
//
// A text field may feed Automation's email, url and tel fields because they all hold strings;
// Automation rejects a malformed value record by record, which quarantines the record.
var sellsyToMautic = map[string]rule{
	"simpletext": {targets: []string{"text", "textarea", "email", "url", "tel"}},
	"richtext":   {targets: []string{"textarea", "text", "html"}},
	"numeric":    {targets: []string{"number"}},
	"amount":     {targets: []string{"number", "text"}, oneWay: true},
	"unit":       {targets: []string{"number", "text"}, oneWay: true},
	"radio":      {targets: []string{"select", "lookup"}},
	"select":     {targets: []string{"select", "lookup"}},
	"checkbox":   {targets: []string{"multiselect"}},
	"date":       {targets: []string{"date"}},
	"datetime":   {targets: []string{"datetime"}},
	"time":       {targets: []string{"text"}},
	"email":      {targets: []string{"email", "text"}},
	"url":        {targets: []string{"url", "text"}},
	"phone":      {targets: []string{"tel", "text"}},
	"boolean":    {targets: []string{"boolean"}},
	"third":      {targets: []string{"multiselect", "select"}},
	"item":       {targets: []string{"multiselect", "select"}},
	"people":     {targets: []string{"multiselect", "select"}},
	"staff":      {targets: []string{"multiselect", "select"}},
}

// SellsyKind returns the kind a Sellsy type name folds to ("simple-text" and "simpletext" give
// "simpletext"), or "" for a type crmsync does not know.
func SellsyKind(t string) string { return sellsyKinds[normType(t)] }

// CheckMapping returns nil when a field of a (system A) may map to b (system B) in direction d,
// else an error naming both fields and listing the allowed target types. It knows the pair
// sellsy/mautic in either order; any other pair of systems has no table and gives nil.
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
	r := sellsyToMautic[kind]
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
		msg += ": allowed: " + strings.Join(r.targets, ", ")
		if r.oneWay {
			msg += fmt.Sprintf("; and only %s (Sellsy → Automation)", fromSellsy)
		}
		return fmt.Errorf("%s", msg)
	}
	return fmt.Errorf("%s in direction %s: %s fields sync only from Sellsy to Automation: set direction: %s", msg, d, kind, fromSellsy)
}
