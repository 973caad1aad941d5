package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Entity names of the REST Data API and the studio table names they belong to.
const (
	Customer        = "customer"
	CustomerContact = "customercontact"
	Marketing       = "marketinginbound"
)

// Entities lists the simulated entities.
var Entities = []string{Customer, CustomerContact, Marketing}

// TableLabel is the name the weavy studio shows for each entity's table.
var TableLabel = map[string]string{
	Customer:        "Client",
	CustomerContact: "Client / Contact",
	Marketing:       "Marketing / Entrant",
}

// Rights and the studio column that holds each.
const (
	RightRead   = "read"
	RightInsert = "insert"
	RightUpdate = "update"
)

// RightLabel is the studio column of each right.
var RightLabel = map[string]string{RightRead: "API lecture", RightInsert: "API ajout", RightUpdate: "API MAJ"}

// Field types of the dictionary.
const (
	TText    = "text"
	TFK      = "text(foreignkey)"
	TInt     = "int"
	TDecimal = "decimal"
	TBool    = "boolean"
	TDate    = "datetime"
	TSelect  = "select"
)

// DateLayout is how the simulator writes date-times (the entity payload form); it reads this
// and the DIV-API form "2006-01-02T15:04:05".
const DateLayout = "2006-01-02 15:04:05"

type fieldDef struct {
	Name      string
	Label     string
	Type      string
	Length    int
	Mandatory bool
	ReadOnly  bool // the server sets it (code, srvDate*)
	Values    []string
	// Spelled is the name the dictionary gives when its case differs from the records' (Name).
	Spelled string
}

func f(name, label, typ string) fieldDef {
	d := fieldDef{Name: name, Label: label, Type: typ}
	if typ == TText || typ == TFK {
		d.Length = 255
	}
	return d
}

func mandatory(d fieldDef) fieldDef { d.Mandatory = true; return d }
func readOnly(d fieldDef) fieldDef  { d.ReadOnly = true; return d }

// spelled makes the dictionary spell a field as DIV-API's example does ("CodeCustomer"),
// unlike the payloads ("codecustomer").
func spelled(d fieldDef, name string) fieldDef { d.Spelled = name; return d }

// dictName is the name the dictionary gives a field.
func (d fieldDef) dictName() string {
	if d.Spelled != "" {
		return d.Spelled
	}
	return d.Name
}

var segments = []string{"PME", "ETI", "GE", "PARTICULIER"}

func selectOf(name, label string, values []string) fieldDef {
	d := f(name, label, TSelect)
	d.Length = 50
	d.Values = values
	return d
}

func common(entity string) []fieldDef {
	return []fieldDef{
		readOnly(f(entity+"_ID", "Code", TText)),
	}
}

func tail() []fieldDef {
	return []fieldDef{readOnly(f("srvDate", "Date serveur", TDate)), readOnly(f("srvDateUTC", "Date serveur UTC", TDate))}
}

// dictionaries are the fields of each entity, custom fields (cf_segment, idcrm) included. A
// bounced e-mail (NPAI) is customercontact's bouncedEmailDetected, a date-time (DIV-API's
// entity page); the entrant's field list is not public, so it has none.
var dictionaries = map[string][]fieldDef{
	Customer: append(append(common(Customer),
		spelled(f("codecustomer", "Code client", TText), "CodeCustomer"),
		mandatory(f("name", "Raison sociale", TText)),
		f("address1", "Adresse 1", TText), f("address2", "Adresse 2", TText), f("address3", "Adresse 3", TText),
		f("postalCode", "Code postal", TText), f("city", "Ville", TText),
		f("phoneNumber", "Téléphone", TText), f("email", "E-mail", TText), f("website", "Site web", TText),
		f("siretNumber", "SIRET", TText), f("vatIntra", "TVA intracommunautaire", TText),
		f("generictype_ID_customerType", "Type de tiers", TFK), f("generictype_ID_country", "Pays", TFK),
		f("baseuser_ID", "Propriétaire", TFK),
		f("comment", "Commentaire", TText), f("workforce", "Effectif", TInt), f("authorizedCredit", "Encours autorisé", TDecimal),
		f("blocked", "Bloqué", TBool),
		f("idcrm", "ID CRM", TText),
	), tail()...),
	CustomerContact: append(append(common(CustomerContact),
		f("codecustomercontact", "Code contact", TText),
		f("customer_ID", "Client", TFK),
		mandatory(f("lastName", "Nom", TText)), f("firstName", "Prénom", TText),
		f("generictype_ID_civility", "Civilité", TFK),
		f("email", "E-mail", TText), f("phoneNumber", "Téléphone", TText), f("mobilePhoneNumber", "Portable", TText),
		f("address1", "Adresse 1", TText), f("postalCode", "Code postal", TText), f("city", "Ville", TText),
		f("description", "Fonction", TText), f("birthday", "Date de naissance", TDate),
		f("mainContact", "Contact principal", TText), f("bouncedEmailDetected", "E-mail en erreur", TDate),
		selectOf("cf_segment", "Segment", segments),
	), tail()...),
	Marketing: append(append(common(Marketing),
		f("codemarketinginbound", "Code entrant", TText),
		f("lastName", "Nom", TText), f("firstName", "Prénom", TText),
		mandatory(f("email", "E-mail", TText)), f("phoneNumber", "Téléphone", TText),
		f("companyName", "Société", TText), f("postalCode", "Code postal", TText), f("city", "Ville", TText),
		f("description", "Description", TText),
		selectOf("cf_segment", "Segment", segments),
	), tail()...),
}

func fieldOf(entity, name string) (fieldDef, bool) {
	for _, d := range dictionaries[entity] {
		if strings.EqualFold(d.Name, name) {
			return d, true
		}
	}
	return fieldDef{}, false
}

// parseDate reads both date-time forms of the API.
func parseDate(s string) (time.Time, bool) {
	for _, l := range []string{DateLayout, "2006-01-02T15:04:05", time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// coerce checks a written value against its field and returns the stored value.
func coerce(d fieldDef, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch d.Type {
	case TText, TFK:
		switch x := v.(type) {
		case string:
			if d.Length > 0 && len([]rune(x)) > d.Length {
				return nil, fmt.Errorf("value longer than %d characters", d.Length)
			}
			return x, nil
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		}
		return nil, fmt.Errorf("a string is expected")
	case TSelect:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("a string is expected")
		}
		if s == "" {
			return nil, nil
		}
		for _, o := range d.Values {
			if o == s {
				return s, nil
			}
		}
		return nil, fmt.Errorf("value is not in the list")
	case TInt, TDecimal:
		var n float64
		switch x := v.(type) {
		case float64:
			n = x
		case string:
			p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, fmt.Errorf("a number is expected")
			}
			n = p
		default:
			return nil, fmt.Errorf("a number is expected")
		}
		if d.Type == TInt && n != math.Trunc(n) {
			return nil, fmt.Errorf("an integer is expected")
		}
		return n, nil
	case TBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case float64:
			return x != 0, nil
		}
		return nil, fmt.Errorf("true or false is expected")
	case TDate:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("a date-time YYYY-MM-DDTHH:MM:SS is expected")
		}
		if s == "" {
			return nil, nil
		}
		t, ok := parseDate(s)
		if !ok {
			return nil, fmt.Errorf("a date-time YYYY-MM-DDTHH:MM:SS is expected")
		}
		return t.Format(DateLayout), nil
	}
	return v, nil
}

// compare returns -1, 0, 1 comparing a stored value with a filter value, and false when they
// cannot be compared.
func compare(typ string, stored any, filter string) (int, bool) {
	if stored == nil {
		return 0, false
	}
	switch typ {
	case TDate:
		a, ok1 := parseDate(fmt.Sprint(stored))
		b, ok2 := parseDate(filter)
		if !ok1 || !ok2 {
			return 0, false
		}
		return a.Compare(b), true
	case TInt, TDecimal:
		a, ok := stored.(float64)
		b, err := strconv.ParseFloat(filter, 64)
		if !ok || err != nil {
			return 0, false
		}
		switch {
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		}
		return 0, true
	case TBool:
		a, _ := stored.(bool)
		b := filter == "1" || strings.EqualFold(filter, "true")
		if a == b {
			return 0, true
		}
		if !a {
			return -1, true
		}
		return 1, true
	}
	// Text compares case-insensitively, as SQL Server's default collation does.
	return strings.Compare(strings.ToLower(fmt.Sprint(stored)), strings.ToLower(filter)), true
}
