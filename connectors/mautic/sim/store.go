package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmsync/crmsync/connectors/mautic/internal/phptext"
)

// rec is one contact or company.
type rec struct {
	id       int
	fields   map[string]any // alias → string, float64 (number) or nil
	added    time.Time
	modified *time.Time // nil until the first edit, as in Mautic
	// identified is when a contact first had a name, a company or an e-mail (dateIdentified);
	// nil for an anonymous visitor. Companies: when added.
	identified *time.Time
	company    int                    // contacts: primary company id, 0 for none
	links      []companyLink          // contacts: every company they are in, oldest link first
	dnc        []dncEntry             // contacts: do-not-contact entries, one per channel
	json       atomic.Pointer[[]byte] // cached read shape; nil after any change
}

// store holds one object's records with an index by id and by lower-cased unique key.
type store struct {
	object       string // "contacts" | "companies"
	single       string // "contact" | "company"
	apiObject    string // "lead" | "company" (fields API)
	keyField     string // "email" | "companyname"
	fields       []fieldDef
	groups       []string
	fieldByAlias map[string]fieldDef
	recs         map[int]*rec
	ids          []int  // sorted ascending
	sorted       []*rec // the records in ids order
	byKey        map[string][]int
	nextID       int
	nextDNC      int
	loc          *time.Location // the timezone dates are shown in (Options.Location)

	fragOnce   sync.Once
	frags      [][]byte       // per field: `"alias":{...,"value":`
	fieldIndex map[string]int // alias → index in fields
}

func newStore(object string, loc *time.Location) *store {
	s := &store{object: object, loc: loc}
	if object == "contacts" {
		s.single, s.apiObject, s.keyField, s.fields, s.groups = "contact", "lead", "email", slices.Clone(contactFields), contactGroups
	} else {
		s.single, s.apiObject, s.keyField, s.fields, s.groups = "company", "company", "companyname", slices.Clone(companyFields), companyGroups
	}
	s.fieldByAlias = map[string]fieldDef{}
	for _, f := range s.fields {
		s.fieldByAlias[f.Alias] = f
	}
	s.reset()
	return s
}

// addField appends a field definition; the caller holds the server's write lock. Cached read
// shapes are dropped, since every record gains the field.
func (s *store) addField(f fieldDef) {
	s.fields = append(s.fields, f)
	s.fieldByAlias[f.Alias] = f
	s.fragOnce = sync.Once{}
	for _, r := range s.recs {
		if _, ok := r.fields[f.Alias]; !ok {
			r.fields[f.Alias] = f.Default
		}
		r.json.Store(nil)
	}
}

func (s *store) reset() {
	s.recs = map[int]*rec{}
	s.ids, s.sorted = nil, nil
	s.byKey = map[string][]int{}
	s.nextID = 1
	s.nextDNC = 1
}

func keyOf(v any) string {
	x, _ := v.(string)
	return strings.ToLower(strings.TrimSpace(x))
}

func (s *store) index(r *rec) {
	if k := keyOf(r.fields[s.keyField]); k != "" {
		s.byKey[k] = append(s.byKey[k], r.id)
	}
}

func (s *store) unindex(r *rec) {
	k := keyOf(r.fields[s.keyField])
	ids := s.byKey[k]
	for i, id := range ids {
		if id == r.id {
			ids = append(ids[:i], ids[i+1:]...)
			break
		}
	}
	if len(ids) == 0 {
		delete(s.byKey, k)
	} else {
		s.byKey[k] = ids
	}
}

// findByKey returns the oldest record with this unique key, or nil.
func (s *store) findByKey(v any) *rec {
	if ids := s.byKey[keyOf(v)]; len(ids) > 0 {
		return s.recs[ids[0]]
	}
	return nil
}

func (s *store) insert(fields map[string]any, now time.Time) *rec {
	r := &rec{id: s.nextID, fields: fields, added: now}
	s.nextID++
	for _, f := range s.fields {
		if _, ok := r.fields[f.Alias]; !ok {
			r.fields[f.Alias] = f.Default
		}
	}
	s.identify(r, now)
	s.recs[r.id] = r
	s.ids = append(s.ids, r.id) // ids only grow, so the slice stays sorted
	s.sorted = append(s.sorted, r)
	s.index(r)
	return r
}

// identify sets when r was identified, once it has what makes a contact known
// (Lead::isAnonymous: a name, a company or an e-mail). A company is identified when added.
func (s *store) identify(r *rec, now time.Time) {
	if r.identified != nil {
		return
	}
	if s.object == "contacts" {
		known := false
		for _, k := range []string{"firstname", "lastname", "company", "email"} {
			if v, _ := r.fields[k].(string); strings.TrimSpace(v) != "" {
				known = true
			}
		}
		if !known {
			return
		}
	}
	r.identified = &now
}

func (s *store) remove(id int) {
	r := s.recs[id]
	if r == nil {
		return
	}
	s.unindex(r)
	delete(s.recs, id)
	i := sort.SearchInts(s.ids, id)
	if i < len(s.ids) && s.ids[i] == id {
		s.ids = append(s.ids[:i], s.ids[i+1:]...)
		s.sorted = append(s.sorted[:i], s.sorted[i+1:]...)
	}
}

// validationError is a form error on one field; others are the form's errors on other
// fields, reported with it (a form is validated whole).
type validationError struct {
	field, reason string
	others        []*validationError
}

// Error is the message getFormErrorMessage builds: "alias: reason, alias: reason".
func (e *validationError) Error() string {
	msg := e.field + ": " + e.reason
	for _, o := range e.others {
		msg += ", " + o.field + ": " + o.reason
	}
	return msg
}

// details are the errors by field, as getFormErrorMessages gives them.
func (e *validationError) details() map[string]any {
	out := map[string]any{e.field: []string{e.reason}}
	for _, o := range e.others {
		out[o.field] = []string{o.reason}
	}
	return out
}

// writeMode says how blanks and absent fields are treated.
type writeMode int

const (
	modeCreate writeMode = iota // POST new: blanks ignored unless overwriteWithBlank
	modePatch                   // PATCH edit: same
	modePut                     // PUT edit: full replacement, blanks overwrite
)

// prepare validates body and returns the field values to set. It never changes r.
func (s *store) prepare(body map[string]any, mode writeMode) (map[string]any, error) {
	overwriteBlank := mode == modePut
	if b, ok := body["overwriteWithBlank"].(bool); ok && b {
		overwriteBlank = true
	}
	out := map[string]any{}
	var bad []*validationError
	for alias, raw := range body {
		f, ok := s.fieldByAlias[alias]
		if !ok {
			continue // unknown keys (ipAddress, tags, owner, id, ...) are not fields
		}
		v, err := normaliseInput(f, raw)
		if err != nil {
			bad = append(bad, err.(*validationError))
			continue
		}
		if v == nil && !overwriteBlank {
			continue
		}
		if mode != modePut && dropsAsZero(f, v) {
			continue // "assume 0 was not meant to overwrite"
		}
		out[alias] = v
	}
	if len(bad) > 0 { // every refused field, in the fields' order
		sort.Slice(bad, func(i, j int) bool { return s.fieldByAlias[bad[i].field].ID < s.fieldByAlias[bad[j].field].ID })
		bad[0].others = bad[1:]
		return nil, bad[0]
	}
	return out, nil
}

// phpNumeric matches the strings PHP 8's is_numeric accepts (whitespace around, a sign,
// decimals, an exponent; no hex).
var phpNumeric = regexp.MustCompile(`^[ \t\n\r\v\f]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\r\v\f]*$`)

// dropsAsZero reports whether POST and PATCH drop a field's value (v as normalised):
// CustomFieldsApiControllerTrait::setCustomFieldValues filters out every form value that
// is_numeric and whose (int) is 0 — 0, "0", 0.5, "-0.3" — of numbers and texts alike
// (#15030, #16590). A boolean is exempt: RequestTrait::prepareParametersFromRequest reads it
// with filter_var(FILTER_VALIDATE_BOOLEAN) and sets it through the entity's setter, past the
// filter, so 0, "0" and false all set No. A multiselect's value is an array: kept.
func dropsAsZero(f fieldDef, v any) bool {
	if f.Type == "multiselect" || f.Type == "boolean" {
		return false
	}
	switch x := v.(type) {
	case float64:
		return math.Abs(x) < 1
	case string:
		if !phpNumeric.MatchString(x) {
			return false
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return err == nil && math.Abs(n) < 1
	}
	return false
}

func normaliseInput(f fieldDef, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch f.Type {
	case "number":
		switch x := raw.(type) {
		case float64:
			return x, nil
		case bool:
			if x {
				return float64(1), nil
			}
			return float64(0), nil
		case string:
			if strings.TrimSpace(x) == "" {
				return nil, nil
			}
			n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, &validationError{field: f.Alias, reason: "This value is not valid."}
			}
			return n, nil
		}
		return nil, &validationError{field: f.Alias, reason: "This value is not valid."}
	case "boolean":
		switch x := raw.(type) {
		case bool:
			return boolNum(x), nil
		case float64:
			if x == 0 || x == 1 {
				return x, nil
			}
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "":
				return nil, nil
			case "1", "true", "yes", "on":
				return float64(1), nil
			case "0", "false", "no", "off":
				return float64(0), nil
			}
		}
		return nil, &validationError{field: f.Alias, reason: "This value is not valid."}
	case "multiselect":
		var vals []string
		switch x := raw.(type) {
		case []any:
			for _, v := range x {
				vals = append(vals, fmt.Sprint(v))
			}
		case string:
			if x != "" {
				vals = strings.Split(x, "|")
			}
		default:
			return nil, &validationError{field: f.Alias, reason: "This value is not valid."}
		}
		if len(vals) == 0 {
			return nil, nil
		}
		for _, v := range vals {
			if !inList(f.List, v) {
				return nil, &validationError{field: f.Alias, reason: "One or more of the given values is invalid."}
			}
		}
		return strings.Join(vals, "|"), nil
	}
	var s string
	switch x := raw.(type) {
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		s = "0"
		if x {
			s = "1"
		}
	default:
		return nil, &validationError{field: f.Alias, reason: "This value is not valid."}
	}
	sent := s
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	switch f.Type {
	case "email":
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s || !strings.Contains(s[strings.IndexByte(s, '@'):], ".") {
			return nil, &validationError{field: f.Alias, reason: "This value is not a valid email address."}
		}
	case "select":
		if !inList(f.List, s) {
			return nil, &validationError{field: f.Alias, reason: "The value you selected is not a valid choice."}
		}
	case "date":
		d, ok := parseDateValue(s)
		if !ok {
			return nil, &validationError{field: f.Alias, reason: "This value is not a valid date."}
		}
		return d, nil
	}
	if !f.holdsRaw() {
		// Cleaned before the form trims it: a control character at either end of a value
		// that is not blank is an entity by then, and stays.
		return strings.TrimSpace(phptext.SpecialChars(sent)), nil
	}
	return s, nil
}

func boolNum(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// parseDateValue accepts "Y-m-d", "Y-m-d H:i:s" or RFC 3339 and returns "Y-m-d".
func parseDateValue(s string) (string, bool) {
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

func inList(l []option, v string) bool {
	for _, o := range l {
		if o.Value == v {
			return true
		}
	}
	return false
}

// apply sets prepared values on r (PUT clears every field not given).
func (s *store) apply(r *rec, vals map[string]any, mode writeMode) {
	r.json.Store(nil)
	s.unindex(r)
	if mode == modePut {
		for _, f := range s.fields {
			if _, ok := vals[f.Alias]; !ok {
				r.fields[f.Alias] = f.Default
			}
		}
	}
	for k, v := range vals {
		r.fields[k] = v
	}
	s.index(r)
}

// checkRequired reports the first required field left empty.
func (s *store) checkRequired(vals map[string]any, r *rec) error {
	for _, f := range s.fields {
		if !f.Required {
			continue
		}
		v, ok := vals[f.Alias]
		if !ok && r != nil {
			v = r.fields[f.Alias]
		}
		if v == nil || v == "" {
			return &validationError{field: f.Alias, reason: "A value is required."}
		}
	}
	return nil
}

const dateLayout = "2006-01-02T15:04:05-07:00" // PHP format('c')

// fmtDate shows a date as the API does: in the API user's timezone (s.loc), with its offset.
func (s *store) fmtDate(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.In(s.loc).Format(dateLayout)
}

// readValue is a field value as fields.all shows it: numbers cast to int (or float with a scale).
func readValue(f fieldDef, v any) any {
	if f.Type == "boolean" && v != nil {
		return int64(toFloat(v)) // tinyint: 0 or 1
	}
	if f.Type == "number" && v != nil {
		x := toFloat(v)
		if f.Scale == 0 {
			return int64(x)
		}
		return x
	}
	return v
}

// shapeJSON returns the marshalled read shape (the same document as shape), cached until the
// record changes. It is written by hand from per-field fragments built once, because
// marshalling the nested maps of 60,000 contacts is too slow for a listing.
func (s *store) shapeJSON(r *rec) []byte {
	if c := r.json.Load(); c != nil {
		return *c
	}
	scratch := shapeBuffers.Get().(*[]byte)
	defer shapeBuffers.Put(scratch)
	*scratch = s.appendShape((*scratch)[:0], r)
	// The cache keeps an exact copy: hundreds of thousands of records may stay cached.
	out := slices.Clone(*scratch)
	r.json.Store(&out)
	return out
}

// appendShape appends r's read shape to b: shapeJSON without the cache, for an answer that
// shows a record once (a write's).
func (s *store) appendShape(b []byte, r *rec) []byte {
	if c := r.json.Load(); c != nil {
		return append(b, *c...)
	}
	s.fragOnce.Do(s.buildFragments)
	vals := make([][]byte, len(s.fields))
	for i, f := range s.fields {
		vals[i], _ = json.Marshal(readValue(f, r.fields[f.Alias]))
	}
	added := r.added
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(r.id), 10)
	for _, kv := range []struct {
		k string
		v any
	}{{"dateAdded", s.fmtDate(&added)}, {"dateModified", s.fmtDate(r.modified)}} {
		b = append(b, `,"`+kv.k+`":`...)
		j, _ := json.Marshal(kv.v)
		b = append(b, j...)
	}
	if r.modified != nil {
		b = append(b, `,"modifiedBy":1,"modifiedByUser":"API"`...)
	} else {
		b = append(b, `,"modifiedBy":null,"modifiedByUser":null`...)
	}
	b = append(b, `,"isPublished":true,"createdBy":1,"createdByUser":"API"`...)
	if s.object == "contacts" {
		b = append(b, `,"owner":null,"points":`...)
		b = append(b, vals[s.fieldIndex["points"]]...)
		b = append(b, `,"color":null,"lastActive":null,"dateIdentified":`...)
		j, _ := json.Marshal(s.fmtDate(r.identified))
		b = append(b, j...)
		b = append(b, `,"ipAddresses":[],"tags":[],"utmtags":[],"stage":null,"preferredProfileImage":"gravatar","doNotContact":`...)
		j, _ = json.Marshal(s.dncShape(r.dnc))
		b = append(b, j...)
		b = append(b, `,"frequencyRules":[]`...)
	} else {
		b = append(b, `,"score":0`...)
	}
	b = append(b, `,"fields":{`...)
	for gi, g := range s.groups {
		if gi > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, g...)
		b = append(b, `":`...)
		n := 0
		for i, f := range s.fields {
			if f.Group != g {
				continue
			}
			if n == 0 {
				b = append(b, '{')
			} else {
				b = append(b, ',')
			}
			n++
			b = append(b, s.frags[i]...)
			if string(vals[i]) == "null" {
				b = append(b, "null"...)
			} else {
				j, _ := json.Marshal(fmt.Sprint(readValue(f, r.fields[f.Alias])))
				b = append(b, j...)
			}
			b = append(b, '}')
		}
		if n == 0 {
			b = append(b, "[]"...)
		} else {
			b = append(b, '}')
		}
	}
	b = append(b, `,"all":{"id":`...)
	b = strconv.AppendInt(b, int64(r.id), 10)
	for i, f := range s.fields {
		b = append(b, `,"`...)
		b = append(b, f.Alias...)
		b = append(b, `":`...)
		b = append(b, vals[i]...)
	}
	return append(b, "}}}"...)
}

// shapeBuffers holds the buffers records' JSON is built in: an answer of 200 records is a
// megabyte, which a fresh allocation would page in and clear each time.
var shapeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 8192); return &b }}

// buildFragments prepares, per field, the group entry up to its value.
func (s *store) buildFragments() {
	s.frags = make([][]byte, len(s.fields))
	s.fieldIndex = map[string]int{}
	for i, f := range s.fields {
		s.fieldIndex[f.Alias] = i
		meta, _ := json.Marshal(map[string]any{
			"id": strconv.Itoa(f.ID), "label": f.Label, "alias": f.Alias, "type": f.Type, "group": f.Group,
			"object": s.apiObject, "is_fixed": boolStr(f.Fixed), "properties": f.properties(),
			"default_value": f.Default,
		})
		key, _ := json.Marshal(f.Alias)
		frag := append(key, ':')
		frag = append(frag, meta[:len(meta)-1]...) // drop the closing brace
		frag = append(frag, `,"value":`...)
		s.frags[i] = frag
	}
}

// shape is the read shape of a record (contactDetails / companyDetails).
func (s *store) shape(r *rec) map[string]any {
	all := map[string]any{"id": r.id}
	groups := map[string]any{}
	for _, g := range s.groups {
		gm := map[string]any{}
		for _, f := range s.fields {
			if f.Group != g {
				continue
			}
			v := readValue(f, r.fields[f.Alias])
			all[f.Alias] = v
			var sv any
			if v != nil {
				sv = fmt.Sprint(v)
			}
			gm[f.Alias] = map[string]any{
				"id": strconv.Itoa(f.ID), "label": f.Label, "alias": f.Alias, "type": f.Type, "group": f.Group,
				"object": s.apiObject, "is_fixed": boolStr(f.Fixed), "properties": f.properties(),
				"default_value": f.Default, "value": sv,
			}
		}
		if len(gm) == 0 {
			groups[g] = []any{} // empty groups serialise as []
		} else {
			groups[g] = gm
		}
	}
	groups["all"] = all
	added := r.added
	out := map[string]any{
		"id":             r.id,
		"isPublished":    true,
		"dateAdded":      s.fmtDate(&added),
		"dateModified":   s.fmtDate(r.modified),
		"createdBy":      1,
		"createdByUser":  "API",
		"modifiedBy":     nil,
		"modifiedByUser": nil,
		"fields":         groups,
	}
	if r.modified != nil {
		out["modifiedBy"], out["modifiedByUser"] = 1, "API"
	}
	if s.object == "contacts" {
		out["owner"] = nil
		out["points"] = readValue(s.fieldByAlias["points"], r.fields["points"])
		out["color"] = nil
		out["lastActive"] = nil
		out["dateIdentified"] = s.fmtDate(r.identified)
		out["ipAddresses"] = []any{}
		out["tags"] = []any{}
		out["utmtags"] = []any{}
		out["stage"] = nil
		out["preferredProfileImage"] = "gravatar"
		out["doNotContact"] = s.dncShape(r.dnc)
		out["frequencyRules"] = []any{}
	} else {
		out["score"] = 0
	}
	return out
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// indexed returns the records, in id order, a top-level "eq" or "in" clause on id or on the unique key
// can match, found through the indexes; ok is false when no such clause exists.
func (s *store) indexed(cs []clause) ([]*rec, bool) {
	for _, c := range cs {
		if c.col != "id" && c.col != s.keyField {
			continue
		}
		var vals []string
		switch c.expr {
		case "eq":
			vals = []string{c.val}
		case "in":
			vals = c.vals
		default:
			continue
		}
		set := map[int]bool{}
		for _, v := range vals {
			if c.col == "id" {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s.recs[n] != nil {
					set[n] = true
				}
				continue
			}
			for _, id := range s.byKey[keyOf(v)] {
				set[id] = true
			}
		}
		ids := make([]int, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		recs := make([]*rec, len(ids))
		for i, id := range ids {
			recs[i] = s.recs[id]
		}
		return recs, true
	}
	return nil, false
}
