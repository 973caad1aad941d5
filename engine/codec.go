package engine

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// Codec converts one mapped field's values between the two sides' representations.
//
// Values are the normalised values of connectors.Record (string, float64, bool, []string or
// nil). The zero Codec converts nothing: it is the identity.
type Codec struct {
	a, b     FieldSpec
	toB, toA map[string]string
}

// NewCodec returns the codec of a mapping from a (side A) to b (side B). values is the
// mapping's explicit value map, A value → B value, for list fields (select, radio, checkbox,
// multiselect); BToA uses it reversed, a B value several A values share going back to the
// least of them, as config.Field.Reversed has it (not to whichever the map's order gave last,
// which changed from one codec to the next).
func NewCodec(a, b FieldSpec, values map[string]string) Codec {
	c := Codec{a: a, b: b}
	if len(values) > 0 {
		c.toB, c.toA = make(map[string]string, len(values)), make(map[string]string, len(values))
		for _, k := range slices.Sorted(maps.Keys(values)) {
			v := values[k]
			c.toB[k] = v
			if _, taken := c.toA[v]; !taken {
				c.toA[v] = k
			}
		}
	}
	return c
}

// WithBack returns the codec with the value map of the way back, B value → A value, when it
// is not simply values reversed (config.Field.Reversed: several A values to one B value).
func (c Codec) WithBack(back map[string]string) Codec {
	if len(back) > 0 {
		c.toA = back
	}
	return c
}

// AToB converts a value read on side A to side B's representation.
func (c Codec) AToB(v any) (any, error) { return convert(v, c.a, c.b, c.toB) }

// BToA converts a value read on side B to side A's representation.
func (c Codec) BToA(v any) (any, error) { return convert(v, c.b, c.a, c.toA) }

// MergeA returns a value read on side A in merge space, side B's representation (AToB), for
// a field mapped in direction d; it is also the value side B is written with. When B's values
// travel to A (both, b_to_a), the value is first taken to the form A's class is converted to,
// the form B's values reach A in (MergeB): a weavy date-time read "2026-03-01 10:00:00" and
// an Automation text that gives it, "2026-03-01T10:00:00Z", are one value, which, the first
// converted to text as read, would never compare equal.
func (c Codec) MergeA(v any, d config.Direction) (any, error) {
	if d != config.AToB {
		if n, err := convert(v, c.a, c.a, nil); err == nil {
			v = n
		}
	}
	return c.AToB(v)
}

// MergeB returns a value read on side B in merge space, the form the merge compares it in
// with side A's value (MergeA) and with the snapshot, for a field mapped in direction d. A
// field whose B values travel to A (both, b_to_a) takes B's value as A would store it and
// give it back: AToB(BToA(v)). Compared as read, a value A keeps in another form (text "9:05"
// in a time field, "09:05"; "oui" in a yes/no field; "1 200" in a number field) never
// equalled A's and A was written again at every pass; a date-time kept in a date field lost
// its time of day to A's midnight. Differences A cannot hold (a time of day, decimals beyond
// its scale) are no change to carry: B keeps them until A's value changes, which is written
// to B as A has it (a new day on A, a date-time at midnight). A value A cannot take is
// returned as NormalB gives it: its write to A fails and reports why. A field that only
// receives B values (a_to_b) keeps B's value as read, in B's form (NormalB): it is
// overwritten when it differs from A's.
func (c Codec) MergeB(v any, d config.Direction) any {
	if d != config.AToB {
		if back, err := c.BToA(v); err == nil {
			if n, err := c.AToB(back); err == nil {
				return n
			}
		}
	}
	return c.NormalB(v)
}

// NormalB returns a value read on side B in the form a side-A value converted to B takes
// (AToB), for the classes whose form a system may change on its way back: a date-time
// written "2026-03-01T10:00:00Z" that Automation gives back "2026-03-01 10:00:00", a time
// "10:00:00" for "10:00", an option written by its value and read back by its label
// (MiniCRM's Enum 3001 answered "Card"). Compared as read, it never equalled the snapshot:
// each pass took it for a change on B, and an edit on A lost to it. Other values, and values
// that do not parse, are returned as they are. A number is not taken to side A's scale here:
// B's 15.9 is 15 for A only when it travels there (MergeB); the target of A's 15 keeps 15.9
// otherwise, and is never brought back to A's value.
func (c Codec) NormalB(v any) any {
	switch classOf(c.b) {
	case classDate, classDateTime, classTime, classSingle, classList:
		if n, err := convert(v, c.b, c.b, nil); err == nil {
			return n
		}
	}
	return v
}

// roundScale returns f at the precision of a number field that keeps scale decimals, as the
// field reads it back: Automation reads a field without a scale (0) as a whole number,
// dropping the decimals as PHP's (int) does (15.9 → 15, -2.7 → -2); with a scale, f is
// rounded half away from zero (the value is written so rounded, so the field's own rounding
// mode never applies). nil keeps f as it is. Comparing and writing values at that precision
// keeps a value the field cannot hold from looking changed on every pass.
func roundScale(f float64, scale *int) float64 {
	if scale == nil || *scale < 0 || *scale > 15 {
		return f
	}
	if *scale == 0 {
		f = math.Trunc(f)
	} else {
		p := math.Pow10(*scale)
		if r := math.Round(f*p) / p; !math.IsInf(r, 0) {
			f = r
		}
	}
	if f == 0 {
		return 0 // not -0
	}
	return f
}

// Value classes: the Go shape a field's values take.
const (
	classAny      = iota // unknown type: values pass unchanged
	classString          // texts, email, url, tel, …
	classTime            // "HH:MM"
	classNumber          // float64
	classBool            // bool
	classDate            // "YYYY-MM-DD"
	classDateTime        // RFC 3339
	classSingle          // one option value (select, radio, lookup)
	classList            // option values or entity ids (checkbox, multiselect, entity fields)
)

func classOf(s FieldSpec) int {
	t := normType(s.Type)
	if s.System == "sellsy" {
		t = SellsyKind(s.Type)
	}
	switch t {
	case "simpletext", "richtext", "string", "text", "textarea", "html", "email", "url", "tel", "phone",
		"country", "region", "locale", "timezone":
		return classString
	case "time":
		return classTime
	case "numeric", "number", "amount", "unit", "numericwithunit":
		return classNumber
	case "boolean":
		return classBool
	case "date":
		return classDate
	case "datetime":
		return classDateTime
	case "select", "radio", "lookup":
		return classSingle
	case "checkbox", "multiselect", "third", "item", "people", "staff":
		return classList
	}
	return classAny
}

func convert(v any, from, to FieldSpec, values map[string]string) (any, error) {
	if from.Type == "" && to.Type == "" {
		return v, nil
	}
	if IsEmpty(v) {
		return nil, nil
	}
	fail := func(format string, args ...any) (any, error) {
		return nil, fmt.Errorf("value %s of %s cannot be written to %s: %s", show(v), from.label(), to.label(), fmt.Sprintf(format, args...))
	}
	switch classOf(to) {
	case classString:
		s, ok := asText(v)
		if !ok {
			return fail("not a text")
		}
		return s, nil
	case classTime:
		s, ok := asText(v)
		if !ok {
			return fail("not a time")
		}
		t, ok := parseTime(s)
		if !ok {
			return fail("not a time (HH:MM)")
		}
		return t, nil
	case classNumber:
		f, ok := asNumber(v)
		if !ok {
			return fail("not a number")
		}
		return roundScale(f, to.Scale), nil
	case classBool:
		b, ok := asBool(v)
		if !ok {
			return fail("not a yes/no value")
		}
		return b, nil
	case classDate:
		s, ok := asText(v)
		if !ok {
			return fail("not a date")
		}
		d, ok := parseDate(s)
		if !ok {
			return fail("not a date (YYYY-MM-DD, DD/MM/YYYY or RFC 3339)")
		}
		return d.Format(time.DateOnly), nil
	case classDateTime:
		s, ok := asText(v)
		if !ok {
			return fail("not a date-time")
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC().Format(time.RFC3339), nil
		}
		// weavy's date-times carry no zone ("2026-03-01 10:00:00", read and written in UTC):
		// their time of day must survive, not fall to midnight as a date would.
		for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.Format(time.RFC3339), nil
			}
		}
		d, ok := parseDate(s)
		if !ok {
			return fail("not a date-time (RFC 3339)")
		}
		return d.Format(time.RFC3339), nil
	case classSingle:
		list, ok := asList(v)
		if !ok {
			return fail("not an option value")
		}
		if len(list) > 1 {
			return fail("%s holds a single value", to.label())
		}
		out, err := mapOptions(list, from, to, values)
		if err != nil || len(out) == 0 {
			return nil, err
		}
		return out[0], nil
	case classList:
		list, ok := asList(v)
		if !ok {
			return fail("not a list of values")
		}
		return mapOptions(list, from, to, values)
	}
	return v, nil
}

func (s FieldSpec) label() string { return s.System + " field " + s.Name }

func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v", v)
}

// mapOptions maps each value of from to an option value of to: through the value map first
// (explicit entries win), else to the option of to that names the same choice (counterpart),
// or kept as it is when to has no known options. A value with no counterpart is an error.
//
// Matching is the same both ways: the Sellsy choice "Gold" finds the Automation option
// {value: gold, label: Gold} by its label and writes gold, and that option's value gold,
// read back, finds "Gold" through its own label. Names compare as sameName says.
func mapOptions(list []string, from, to FieldSpec, values map[string]string) ([]string, error) {
	out := make([]string, 0, len(list))
	for _, e := range list {
		// A value map may name options by their label (a MiniCRM status "New" whose
		// value is its id 2001), by any of them when an option has several (an Altior
		// civility MME: "Madame" and its abbreviation "Mme").
		if m, ok := mapped(from, e, values); ok {
			out = append(out, optionValue(to, m))
			continue
		}
		if len(to.Options) == 0 {
			out = append(out, e)
			continue
		}
		if m, ok := counterpart(from, to, e); ok {
			out = append(out, m)
			continue
		}
		opts := make([]string, len(to.Options))
		for i, o := range to.Options {
			opts[i] = o.Value
		}
		return nil, fmt.Errorf("value %q of %s has no counterpart in %s (options: %s) and no value map entry", e, from.label(), to.label(), strings.Join(opts, ", "))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// sameName reports whether two option names (values or labels) name one choice: equal once
// composed (Unicode NFC), so that an accent written as a letter and a combining mark (as
// macOS and some PDFs copy text) matches the one typed on a keyboard. Case counts, on both
// sides alike: Automation checks a select's value exactly, and "Or" and "or" may be two
// choices.
func sameName(x, y string) bool {
	return x == y || (x != "" && y != "" && norm.NFC.String(x) == norm.NFC.String(y))
}

// names returns the names a value v of field s goes by, in the order they are tried: v
// itself, then the labels of the options whose value it is, then the values of the options
// whose label it is. An Automation select's value gold goes by Gold too when its option is
// {value: gold, label: Gold}.
func names(s FieldSpec, v string) []string {
	out := []string{v}
	add := func(n string) {
		if n != "" && !slices.ContainsFunc(out, func(m string) bool { return sameName(m, n) }) {
			out = append(out, n)
		}
	}
	for _, o := range s.Options {
		if sameName(o.Value, v) {
			add(o.Label)
		}
	}
	for _, o := range s.Options {
		if o.Label != "" && sameName(o.Label, v) {
			add(o.Value)
		}
	}
	return out
}

// counterpart returns the value of the option of to that names the choice v of from names:
// for each name of v in turn (names), an option whose value is that name, else one whose
// label is. The relation is symmetric: an option of from and one of to are counterparts when
// a value or label of the one is a value or label of the other.
func counterpart(from, to FieldSpec, v string) (string, bool) {
	for _, n := range names(from, v) {
		if m, ok := findOption(to, n); ok {
			return m, true
		}
	}
	return "", false
}

// findOption returns the value of the option of s whose value is v, else of the first whose
// label is.
func findOption(s FieldSpec, v string) (string, bool) {
	for _, o := range s.Options {
		if sameName(o.Value, v) {
			return o.Value, true
		}
	}
	for _, o := range s.Options {
		if o.Label != "" && sameName(o.Label, v) {
			return o.Value, true
		}
	}
	return "", false
}

// optionValue returns the value of the option whose value or label is v (v itself when the
// field has no such option), so that values compare the way the system reads them back.
func optionValue(s FieldSpec, v string) string {
	if m, ok := findOption(s, v); ok {
		return m
	}
	return v
}

// mapped looks v of field s up in the value map values: by each of its names in turn
// (names: v, the labels of its option, …), each key compared as sameName says.
func mapped(s FieldSpec, v string, values map[string]string) (string, bool) {
	if len(values) == 0 {
		return "", false
	}
	ns := names(s, v)
	for _, n := range ns {
		if m, ok := values[n]; ok {
			return m, true
		}
	}
	// A key written with decomposed accents, or a value read so: the least such key, for a
	// stable answer.
	for _, n := range ns {
		best, found := "", false
		for k := range values {
			if (!found || k < best) && sameName(k, n) {
				best, found = k, true
			}
		}
		if found {
			return values[best], true
		}
	}
	return "", false
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func asText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), true
	case float64:
		return formatNumber(x), true
	case int:
		return strconv.Itoa(x), true
	case bool:
		return strconv.FormatBool(x), true
	case []string:
		if len(x) == 1 {
			return strings.TrimSpace(x[0]), true
		}
	case []any:
		if len(x) == 1 {
			return asText(x[0])
		}
	}
	return "", false
}

func asNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		// Thousands apart by a space, a no-break space or the narrow one French formatting
		// uses (1 200, 1\u202f200); a lone comma is the decimal mark (1,5). The rest is read
		// as every connector reads a number (no NaN or Inf).
		s := thousandsSpaces.Replace(strings.TrimSpace(x))
		if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
			s = strings.Replace(s, ",", ".", 1)
		}
		f, err := connectors.ParseNumber(s)
		return f, err == nil
	}
	return 0, false
}

// thousandsSpaces drops the spaces that group a number's thousands (asNumber); built once,
// as Equal reads a text compared with a number through it.
var thousandsSpaces = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "")

func asBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case float64:
		return x != 0, x == 0 || x == 1
	case int:
		return x != 0, x == 0 || x == 1
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "1", "yes", "y", "true", "oui":
			return true, true
		case "0", "no", "n", "false", "non":
			return false, true
		}
	}
	return false, false
}

func asList(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{strings.TrimSpace(x)}, true
	case float64:
		return []string{formatNumber(x)}, true
	case int:
		return []string{strconv.Itoa(x)}, true
	case []string:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
		return out, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := asText(e)
			if !ok {
				return nil, false
			}
			if s != "" {
				out = append(out, s)
			}
		}
		return out, true
	}
	return nil, false
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.DateOnly, "02/01/2006", time.RFC3339, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// parseTime reads a time of day as HH:MM: "9:05", "09:05:30", and the French "9h05", "14h",
// "14 h 05" that users of Sellsy and Automation type in a text field.
func parseTime(s string) (string, bool) {
	if f := strings.Join(strings.Fields(strings.ToLower(s)), ""); strings.Count(f, "h") == 1 {
		hour, minute, _ := strings.Cut(f, "h")
		if hour == "" || strings.Contains(hour, ":") || strings.Contains(minute, ":") {
			return "", false
		}
		s = hour + ":" + cmp.Or(minute, "00")
	}
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("15:04"), true
		}
	}
	return "", false
}
