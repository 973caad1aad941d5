package altior

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// Reading an answer's records.
//
// The contract (API.md) is ours, but a record is read field by field and leniently, so that
// one oddly typed value fails that record only, named, and never its page: a text field
// takes a number or true/false as text; a custom field's value too, and [] (PHP's empty
// array) or null as none, as custom_fields itself takes []; a date-time that is empty or
// null is none, and one without a zone is UTC. What still cannot be read (an object where
// text is expected, a date that is no date) makes the record unreadable, with the field and
// why (the JSON kinds found and wanted, never the value): a listing names it in
// Page.Unreadable and reads the others, Get and Update fail it alone (KindInvalid).

// fieldErr says which field of a record cannot be read, and why. It never holds the value.
type fieldErr struct {
	field, why string
}

func (e *fieldErr) Error() string { return e.field + " " + e.why }

// recordErr is a record that cannot be read: its id (when that could be read) and the
// fields at fault.
type recordErr struct {
	id     string
	fields []*fieldErr
	why    string // set when the record is no object at all
}

func (e *recordErr) Error() string {
	if e.why != "" {
		return e.why
	}
	parts := make([]string, len(e.fields))
	for i, f := range e.fields {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// mergeable reports whether a record read with faults still has what a write merges with:
// its typed lists (phones, emails, urls) were read whole. Its other fields are not written
// back from it.
func (e *recordErr) mergeable() bool {
	if e.why != "" {
		return false
	}
	for _, f := range e.fields {
		for _, l := range []string{"phones", "emails", "urls"} {
			if f.field == l || strings.HasPrefix(f.field, l+"[") {
				return false
			}
		}
	}
	return true
}

// jsonKind names the kind of a JSON value for a message, "nothing" for none.
func jsonKind(b []byte) string { return connectors.JSONKind(b, "nothing") }

// isNull reports whether b is absent or JSON null.
func isNull(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) == 0 || string(t) == "null"
}

// readText reads a text value: a string; a number as the answer wrote it; true or false;
// null or absent as "". Anything else is refused, naming its kind.
func readText(b []byte) (string, error) {
	t := bytes.TrimSpace(b)
	if isNull(t) {
		return "", nil
	}
	switch t[0] {
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", errors.New("is not a valid string")
		}
		return s, nil
	case 't', 'f':
		var v bool
		if err := json.Unmarshal(t, &v); err != nil {
			return "", errors.New("is not valid JSON")
		}
		return strconv.FormatBool(v), nil
	case '{', '[':
		return "", errors.New("is " + jsonKind(t) + ", not text")
	}
	var n json.Number
	if err := json.Unmarshal(t, &n); err != nil {
		return "", errors.New("is not valid JSON")
	}
	return n.String(), nil
}

// timeLayouts are the date-time forms read, RFC 3339 first; those without a zone are UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999", time.DateOnly}

// readTime reads a date-time: RFC 3339 (or without its zone, as UTC); empty, null or absent
// is none (the zero time).
func readTime(b []byte) (time.Time, error) {
	t := bytes.TrimSpace(b)
	if isNull(t) {
		return time.Time{}, nil
	}
	if t[0] != '"' {
		return time.Time{}, errors.New("is " + jsonKind(t) + ", not an RFC 3339 date-time")
	}
	var s string
	if err := json.Unmarshal(t, &s); err != nil {
		return time.Time{}, errors.New("is not a valid string")
	}
	if s = strings.TrimSpace(s); s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if at, err := time.Parse(l, s); err == nil {
			return at.UTC(), nil
		}
	}
	return time.Time{}, errors.New("is not an RFC 3339 date-time")
}

// readCustomFields reads custom_fields: an object of code → value, each value read as text
// (a number or true/false as text; null or [] as none, ""). null, absent or [] is none.
func readCustomFields(b []byte) (map[string]string, []*fieldErr) {
	if isNull(b) || connectors.IsEmptyJSONArray(b) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, []*fieldErr{{"custom_fields", "is " + jsonKind(b) + ", not an object"}}
	}
	out := make(map[string]string, len(m))
	var errs []*fieldErr
	for k, v := range m {
		if connectors.IsEmptyJSONArray(v) {
			out[k] = ""
			continue
		}
		s, err := readText(v)
		if err != nil {
			errs = append(errs, &fieldErr{"custom_fields." + k, err.Error()})
			continue
		}
		out[k] = s
	}
	return out, errs
}

// readList reads an array of objects (null, absent or [] is none), each with one reader.
func readList(name string, b []byte, each func(i int, m map[string]json.RawMessage) []*fieldErr) []*fieldErr {
	if isNull(b) || connectors.IsEmptyJSONArray(b) {
		return nil
	}
	var xs []json.RawMessage
	if err := json.Unmarshal(b, &xs); err != nil {
		return []*fieldErr{{name, "is " + jsonKind(b) + ", not an array"}}
	}
	var errs []*fieldErr
	for i, x := range xs {
		var m map[string]json.RawMessage
		if isNull(x) {
			continue
		}
		if err := json.Unmarshal(x, &m); err != nil {
			errs = append(errs, &fieldErr{fmt.Sprintf("%s[%d]", name, i), "is " + jsonKind(x) + ", not an object"})
			continue
		}
		errs = append(errs, each(i, m)...)
	}
	return errs
}

// textField is a text field of an object and where it is read to.
type textField struct {
	name string
	dst  *string
}

// readTexts reads fields of m as text (readText) into their dst, "" for one that cannot be
// read, which is named prefix+name.
func readTexts(prefix string, m map[string]json.RawMessage, fields ...textField) []*fieldErr {
	var errs []*fieldErr
	for _, f := range fields {
		s, err := readText(m[f.name])
		if err != nil {
			errs = append(errs, &fieldErr{prefix + f.name, err.Error()})
		}
		*f.dst = s
	}
	return errs
}

// whyNotJSON is a recordErr's why for an answer that is not JSON at all (cut short, most
// likely).
const whyNotJSON = "it is not valid JSON"

// notJSON reports whether err, of a json.Unmarshal, says its input is not JSON at all.
func notJSON(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// readRecord reads one tiers, contact or affaire of an answer. On failure it returns a
// *recordErr naming the fields at fault, with the record as far as it could be read (its id
// when that could be read; the fields at fault left empty).
func readRecord(b []byte) (apiRecord, error) {
	var a apiRecord
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		why := "it is " + jsonKind(b) + ", not an object"
		if notJSON(err) {
			why = whyNotJSON
		}
		return a, &recordErr{why: why}
	}
	var errs []*fieldErr
	date := func(name string, raw []byte, dst *time.Time) {
		at, err := readTime(raw)
		if err != nil {
			errs = append(errs, &fieldErr{name, err.Error()})
			return
		}
		*dst = at
	}
	errs = append(errs, readTexts("", m,
		textField{"id", &a.ID}, textField{"kind", &a.Kind}, textField{"relation", &a.Relation},
		textField{"name", &a.Name}, textField{"first_name", &a.FirstName}, textField{"last_name", &a.LastName},
		textField{"siret", &a.SIRET}, textField{"legal_form", &a.LegalForm}, textField{"civility", &a.Civility},
		textField{"role", &a.Role}, textField{"title", &a.Title}, textField{"tiers_id", &a.TiersID},
		textField{"establishment_id", &a.EstablishmentID}, textField{"owner_user_id", &a.OwnerUserID})...)
	a.ID = strings.TrimSpace(a.ID)
	for _, l := range []struct {
		name string
		dst  *[]typed
	}{{"phones", &a.Phones}, {"emails", &a.Emails}, {"urls", &a.URLs}} {
		errs = append(errs, readList(l.name, m[l.name], func(i int, e map[string]json.RawMessage) []*fieldErr {
			var x typed
			fe := readTexts(fmt.Sprintf("%s[%d].", l.name, i), e, textField{"type", &x.Type}, textField{"value", &x.Value})
			*l.dst = append(*l.dst, x)
			return fe
		})...)
	}
	errs = append(errs, readList("events", m["events"], func(i int, e map[string]json.RawMessage) []*fieldErr {
		var x event
		fe := readTexts(fmt.Sprintf("events[%d].", i), e, textField{"code", &x.Code}, textField{"label", &x.Label})
		at, err := readTime(e["at"])
		if err != nil {
			fe = append(fe, &fieldErr{fmt.Sprintf("events[%d].at", i), err.Error()})
		}
		x.At = at
		a.Events = append(a.Events, x)
		return fe
	})...)
	cf, cfErrs := readCustomFields(m["custom_fields"])
	a.CustomFields = cf
	errs = append(errs, cfErrs...)
	date("created_at", m["created_at"], &a.CreatedAt)
	date("updated_at", m["updated_at"], &a.UpdatedAt)
	if a.ID == "" && len(errs) == 0 {
		errs = append(errs, &fieldErr{"id", "is missing"})
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(x, y *fieldErr) int { return strings.Compare(x.field, y.field) })
		return a, &recordErr{id: a.ID, fields: errs} // as far as it could be read
	}
	return a, nil
}

// recordList is a listing's answer: its items are read one by one (readRecord), and its
// counts take a number or a number as text.
type recordList struct {
	Items    []json.RawMessage
	Page     int
	PageSize int
	Total    int
}

// readRecordList reads a listing's answer. An answer that is not a listing at all is an
// error; its items are left to readRecord.
func readRecordList(b []byte) (recordList, error) {
	var l recordList
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); notJSON(err) {
		return l, errors.New("the answer is not valid JSON (cut short?)")
	} else if err != nil || m == nil {
		return l, errors.New("the answer is " + jsonKind(b) + ", not a listing object")
	}
	if raw := m["items"]; !isNull(raw) {
		if err := json.Unmarshal(raw, &l.Items); err != nil {
			return l, errors.New("its items are " + jsonKind(raw) + ", not an array")
		}
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"page", &l.Page}, {"page_size", &l.PageSize}, {"total", &l.Total}} {
		s, err := readText(m[f.name])
		if err != nil {
			return l, errors.New("its " + f.name + " " + err.Error())
		}
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 0 || n != float64(int(n)) {
			return l, errors.New("its " + f.name + " is not a whole number")
		}
		*f.dst = int(n)
	}
	return l, nil
}
