package sellsy

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// Custom-field values. Read shapes (reference §1.9, spec CompaniesGetCustomFieldsListResponse)
// and the connector's normalised forms:
//
//	simple-text, rich-text, email, url  "…"                         → string
//	time                                "HH:MM"                     → string "HH:MM"
//	date                                "YYYY-MM-DD"                → string "YYYY-MM-DD"
//	numeric                             "15.2" (a string)           → float64 (*)
//	amount                              {amount:"15.2",currency}    → float64 (the amount) (*)
//	numeric-with-unit                   {number:"15.2",unit_id}     → float64 (the number) (*)
//	boolean                             bool                        → bool
//	select, radio                       choice id                   → string (the choice label)
//	checkbox                            [choice id]                 → []string (choice labels)
//	company-individual                  [{type,id}] (write: [id])   → []string (ids)
//	contact, staff, item                [id]                        → []string (ids)
//
// Unset values (null, "", []) are nil. (*) A number a float64 would not give back exactly
// (more than about 15 significant digits) is its decimal string instead, written back as it
// is. An update writes an amount in the currency the record's value has (see keepCurrencies),
// a new value in the definition's currency (else EUR).

// units lists numeric-with-unit units in the order whose position+1 is taken as unit_id.
// Sellsy documents the unit names of a definition (parameters.unit) but not the ids its
// values carry; this numbering is the simulator's and is UNCONFIRMED against the real API.
var units = []string{"unit", "package", "m2", "m3", "ton", "kg", "g", "metres", "days", "hour", "minutes"}

func unitID(unit string) int {
	for i, u := range units {
		if u == unit {
			return i + 1
		}
	}
	return 0
}

func (d *cfDef) label(id any) any {
	n, ok := id.(float64)
	if !ok {
		return normalise(id)
	}
	s := strconv.Itoa(int(n))
	for _, it := range d.Items {
		if it.Value == s {
			return it.Label
		}
	}
	return s
}

func isEntity(typ string) bool {
	return typ == "company-individual" || typ == "contact" || typ == "staff" || typ == "item"
}

// fromAPI normalises a custom-field value read from Sellsy.
func (d *cfDef) fromAPI(v any) any {
	if v == nil {
		return nil
	}
	num := func(x any) any {
		switch n := x.(type) {
		case float64:
			return n
		case string:
			return decimal(n)
		}
		return nil
	}
	switch d.Type {
	case "radio", "select":
		return d.label(v)
	case "checkbox":
		arr, _ := v.([]any)
		if len(arr) == 0 {
			return nil
		}
		out := make([]string, 0, len(arr))
		for _, x := range arr {
			out = append(out, fmt.Sprint(d.label(x)))
		}
		return out
	case "numeric":
		return num(v)
	case "amount":
		if m, ok := v.(map[string]any); ok {
			return num(m["amount"])
		}
		return nil
	case "numeric-with-unit":
		if m, ok := v.(map[string]any); ok {
			return num(m["number"])
		}
		return nil
	case "time":
		if s, ok := v.(string); ok && len(s) > 5 {
			return s[:5] // HH:MM:SS → HH:MM
		}
	case "date":
		if s, ok := v.(string); ok && len(s) > 10 {
			return s[:10]
		}
	}
	if isEntity(d.Type) {
		arr, _ := v.([]any)
		var out []string
		for _, x := range arr {
			if m, ok := x.(map[string]any); ok { // company-individual: {type, id}
				x = m["id"]
			}
			if id := idString(x); id != "" {
				out = append(out, id)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return normalise(v)
}

// decimal is a number Sellsy gives as a decimal string: a float64 when the float gives the
// same number back, else the string itself (trimmed), so that no digit is lost (a float64
// holds 15 to 17 significant digits: "12345678901234567890" would read back
// "12345678901234567000"); nil when it is no number.
func decimal(s string) any {
	s = strings.TrimSpace(s)
	f, err := connectors.ParseNumber(s)
	if err != nil {
		return nil
	}
	exact, ok := new(big.Rat).SetString(s)
	if !ok {
		return f // hexadecimal: nothing more to keep
	}
	if back, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64)); ok && back.Cmp(exact) == 0 {
		return f
	}
	return s
}

var (
	cfEmailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	cfTimeRE  = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$`)
)

// toAPI converts a normalised value to the API write shape. reason is set when the value does
// not fit the field; a nil result clears the value.
func (d *cfDef) toAPI(v any) (out any, reason string) {
	if v == nil {
		return nil, ""
	}
	text := func() (string, bool) {
		switch x := v.(type) {
		case string:
			return x, true
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), true
		case int:
			return strconv.Itoa(x), true
		case int64:
			return strconv.FormatInt(x, 10), true
		}
		return "", false
	}
	number := func() (string, string) {
		switch x := v.(type) {
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), ""
		case int:
			return strconv.Itoa(x), ""
		case int64:
			return strconv.FormatInt(x, 10), ""
		case string:
			s := strings.TrimSpace(x)
			if s == "" {
				return "", ""
			}
			// Not "NaN" nor "Inf": read back, it is no number (decimal), and would be
			// written again at every pass.
			if _, err := connectors.ParseNumber(s); err == nil {
				return s, ""
			}
		}
		return "", "not a number"
	}
	list := func() ([]string, bool) {
		switch x := v.(type) {
		case []string:
			return x, true
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				out = append(out, strings.TrimSpace(connectors.Text(e)))
			}
			return out, true
		case string:
			if strings.TrimSpace(x) == "" {
				return nil, true
			}
			return []string{x}, true
		case float64, int, int64:
			return []string{connectors.Text(x)}, true
		}
		return nil, false
	}
	// choice finds a choice by label, as read and as the engine writes it back, and only when
	// no label matches by id (a caller that holds ids): choice ids are small integers, so a
	// label such as "10" may also be another choice's id.
	choice := func(x string) (int, bool) {
		s := strings.TrimSpace(x)
		for _, byLabel := range []bool{true, false} {
			for _, it := range d.Items {
				if (byLabel && strings.EqualFold(it.Label, s)) || (!byLabel && it.Value == s) {
					n, err := strconv.Atoi(it.Value)
					return n, err == nil
				}
			}
		}
		return 0, false
	}
	switch d.Type {
	case "simple-text", "rich-text":
		s, ok := text()
		if !ok {
			return nil, "not a text"
		}
		if s == "" {
			return nil, ""
		}
		if d.Type == "simple-text" && len([]rune(s)) > 250 {
			return nil, "longer than 250 characters"
		}
		return s, ""
	case "email":
		s, ok := v.(string)
		if s = strings.TrimSpace(s); !ok || (s != "" && !cfEmailRE.MatchString(s)) {
			return nil, "not an e-mail address"
		}
		if s == "" {
			return nil, ""
		}
		return s, ""
	case "url":
		s, ok := v.(string)
		if s = strings.TrimSpace(s); !ok {
			return nil, "not a URL"
		}
		if s == "" {
			return nil, ""
		}
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, "not an http(s) URL"
		}
		return s, ""
	case "date":
		switch x := v.(type) {
		case time.Time:
			return x.Format("2006-01-02"), ""
		case string:
			s := strings.TrimSpace(x)
			if s == "" {
				return nil, ""
			}
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				return t.Format("2006-01-02"), ""
			}
			if _, err := time.Parse("2006-01-02", s); err == nil {
				return s, ""
			}
		}
		return nil, "not a date (YYYY-MM-DD)"
	case "time":
		s, ok := v.(string)
		if s = strings.TrimSpace(s); ok && s == "" {
			return nil, ""
		}
		if !ok || !cfTimeRE.MatchString(s) {
			return nil, "not a time (HH:MM)"
		}
		return s[:5], ""
	case "numeric", "amount", "numeric-with-unit":
		n, why := number()
		if why != "" {
			return nil, why
		}
		if n == "" {
			return nil, ""
		}
		switch d.Type {
		case "amount":
			cur := d.Currency
			if cur == "" {
				cur = "EUR"
			}
			return map[string]any{"amount": n, "currency": cur}, ""
		case "numeric-with-unit":
			u := unitID(d.Unit)
			if u == 0 {
				u = 1
			}
			return map[string]any{"number": n, "unit_id": u}, ""
		}
		return n, ""
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, ""
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b, ""
			}
		}
		return nil, "not a boolean"
	case "radio", "select":
		s, ok := text()
		if !ok {
			return nil, "not a choice"
		}
		if strings.TrimSpace(s) == "" {
			return nil, ""
		}
		n, ok := choice(s)
		if !ok {
			return nil, "not one of the choices"
		}
		return n, ""
	case "checkbox":
		l, ok := list()
		if !ok {
			return nil, "not a list of choices"
		}
		out := []int{}
		for _, s := range l {
			n, ok := choice(s)
			if !ok {
				return nil, "not one of the choices"
			}
			out = append(out, n)
		}
		if len(out) == 0 {
			return nil, ""
		}
		return out, ""
	}
	if isEntity(d.Type) {
		l, ok := list()
		if !ok {
			return nil, "not a list of Sellsy ids"
		}
		if len(l) == 1 && strings.Contains(l[0], ",") {
			l = strings.Split(l[0], ",")
		}
		out := []int{}
		for _, s := range l {
			n, ok := ParseID(s)
			if !ok {
				return nil, "not a list of Sellsy ids"
			}
			out = append(out, n)
		}
		if len(out) == 0 {
			return nil, ""
		}
		return out, ""
	}
	return v, ""
}

// ---- contacts: marketing consent ----

// consentChannels maps the connector's consent fields to marketing_campaigns_subscriptions
// channels. A field is true when the channel is NOT in the list (the person does not want it).
var consentChannels = []struct{ field, channel, label string }{
	{"unsubscribed.email", "email", "Unsubscribed from e-mail campaigns"},
	{"unsubscribed.sms", "sms", "Unsubscribed from SMS campaigns"},
	{"unsubscribed.phone", "phone", "Unsubscribed from phone campaigns"},
	{"unsubscribed.postal", "postal_mail", "Unsubscribed from postal mail campaigns"},
}

// allChannels is the spec's channel order.
var allChannels = []string{"email", "sms", "phone", "postal_mail", "custom"}

func consentChannel(field string) string {
	for _, c := range consentChannels {
		if c.field == field {
			return c.channel
		}
	}
	return ""
}

// consentFields sets the unsubscribed.* fields from marketing_campaigns_subscriptions. When
// the answer has no such list (missing, null, not an array) the contact's consent is unknown:
// the fields are left out and returned, for Record.Absent, so that the merge takes the other
// side's value rather than read them as emptied (which a do-not-contact there would take
// for a re-subscription).
func consentFields(m map[string]any, fields map[string]any) (absent []string) {
	arr, ok := m["marketing_campaigns_subscriptions"].([]any)
	if !ok {
		for _, c := range consentChannels {
			absent = append(absent, c.field)
		}
		return absent
	}
	subscribed := map[string]bool{}
	for _, x := range arr {
		if s, ok := x.(string); ok {
			subscribed[s] = true
		}
	}
	for _, c := range consentChannels {
		fields[c.field] = !subscribed[c.channel]
	}
	return nil
}

// applyConsent returns current (a marketing_campaigns_subscriptions list) with the changes
// (channel → unsubscribed) applied, in the spec's channel order; other channels (custom) are
// kept.
func applyConsent(current []any, changes map[string]bool) []string {
	set := map[string]bool{}
	for _, x := range current {
		if s, ok := x.(string); ok {
			set[s] = true
		}
	}
	for ch, unsub := range changes {
		set[ch] = !unsub
	}
	out := []string{}
	for _, ch := range allChannels {
		if set[ch] {
			out = append(out, ch)
		}
	}
	return out
}

// keepCurrencies sets, in the amount values of cfs about to be written to the existing record
// at path ("/contacts/12"), the currency of the record's current values: an amount's value
// carries its own currency, and the definition's (which toAPI writes, else EUR) is only a new
// value's. The connector reads an amount as its number alone, so an update would otherwise
// turn 100 USD into 100 EUR. It costs one GET of the record, embedding only those fields, for
// an update that writes an amount; none otherwise. A value not set yet keeps the
// definition's currency.
func (c *Client) keepCurrencies(ctx context.Context, path, op string, cfs []map[string]any, defs []cfDef, rec recordCall) error {
	amounts := map[int]map[string]any{}
	q := url.Values{}
	for _, cf := range cfs {
		id, _ := cf["id"].(int)
		v, ok := cf["value"].(map[string]any)
		if d := findDef(defs, id); d == nil || d.Type != "amount" || !ok {
			continue
		}
		amounts[id] = v
		q.Add("embed[]", "cf."+strconv.Itoa(id))
	}
	if len(amounts) == 0 {
		return nil
	}
	var m map[string]any
	if _, err := c.do(ctx, call{method: http.MethodGet, path: path, op: op, query: q, rec: rec}, &m); err != nil {
		return err
	}
	emb, _ := m["_embed"].(map[string]any)
	read, _ := emb["custom_fields"].([]any)
	for _, x := range read {
		cm, _ := x.(map[string]any)
		id, _ := cm["id"].(float64)
		v, ok := amounts[int(id)]
		if !ok {
			continue
		}
		cur, _ := cm["value"].(map[string]any)
		if s, _ := cur["currency"].(string); strings.TrimSpace(s) != "" {
			v["currency"] = strings.TrimSpace(s)
		}
	}
	return nil
}
