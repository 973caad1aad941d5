package mautic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/crmsync/crmsync/connectors"
)

// entity is the part of a contact or company read shape the connector uses.
type entity struct {
	ID           flexID       `json:"id"`
	DateAdded    *string      `json:"dateAdded"`
	DateModified *string      `json:"dateModified"`
	Fields       entityFields `json:"fields"`
	DoNotContact []dncEntry   `json:"doNotContact"`
	// unreadable, when set, says why the entity cannot be read (readPHPShapes): it holds
	// nothing else but its id, if that could be read, and is not delivered.
	unreadable string
	// at is the entity's position in its answer (1 for the first), which names it when it
	// has no id.
	at int
}

type entityFields struct {
	All map[string]any `json:"all"`
}

type dncEntry struct {
	Channel   string  `json:"channel"`
	Reason    any     `json:"reason"`
	DateAdded *string `json:"dateAdded"`
}

// name names the entity in a message: "contact 8", or by its place in the answer.
func (e *entity) name(object string) string {
	if e.ID != "" {
		return object + " " + string(e.ID)
	}
	return fmt.Sprintf("%s at position %d of the answer", object, e.at)
}

// checkEntity marks unreadable an entity without a proper id, and names an unreadable one by
// its key in an id-keyed collection ("" in an array) when it has no readable id. An
// unreadable entity keeps nothing but its id. A null one (nil) is unreadable too, never
// dropped: it holds a place in its page, which is full or not by its entries (List,
// listWhereIn), and, keyed, its id names it for the quarantine.
func checkEntity(e *entity, key string) *entity {
	if e == nil {
		e = &entity{unreadable: "the answer holds null for it"}
	}
	if e.unreadable == "" {
		switch id := strings.TrimSpace(string(e.ID)); {
		case id == "":
			e.unreadable = "it has no id"
		case idNum(id) <= 0:
			e.unreadable = "its id is not a positive whole number"
		}
	}
	if e.unreadable != "" {
		if n := idNum(key); n > 0 && idNum(string(e.ID)) <= 0 {
			e.ID = flexID(strconv.FormatInt(n, 10))
		}
		e.Fields, e.DoNotContact, e.DateAdded, e.DateModified = entityFields{}, nil, nil, nil
	}
	return e
}

// readPHPShapes reads, part by part, an entity the plain decoding refused; null is none. The
// shapes PHP gives an array are read as the API means them: [] is an empty object (fields.all
// of a contact without values), and an object keyed by index (an array with gaps:
// doNotContact) is the list of its values in key order. An entity that still cannot be read
// comes back with unreadable saying why — the JSON kinds found and wanted, never its values:
// it is named and skipped, and the others of its page are read.
func readPHPShapes(raw []byte) *entity {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	var parts struct {
		ID           gojson.RawMessage `json:"id"`
		DateAdded    gojson.RawMessage `json:"dateAdded"`
		DateModified gojson.RawMessage `json:"dateModified"`
		Fields       gojson.RawMessage `json:"fields"`
		DoNotContact gojson.RawMessage `json:"doNotContact"`
	}
	e := &entity{}
	if err := gojson.Unmarshal(raw, &parts); err != nil {
		e.unreadable = "it is " + jsonKind(raw) + ", not an object"
		return e
	}
	if len(parts.ID) > 0 {
		if err := json.Unmarshal(parts.ID, &e.ID); err != nil {
			e.unreadable = "its id is " + jsonKind(parts.ID) + ", not a number"
			return e
		}
	}
	var fields struct {
		All gojson.RawMessage `json:"all"`
	}
	for _, p := range []struct {
		name string
		raw  []byte
		into any
	}{
		{"dateAdded", parts.DateAdded, &e.DateAdded},
		{"dateModified", parts.DateModified, &e.DateModified},
		{"fields", parts.Fields, &fields},
	} {
		if err := phpDecode(p.raw, p.into); err != nil {
			e.unreadable = unreadable(p.name, p.raw, err)
			return e
		}
	}
	if err := phpDecode(fields.All, &e.Fields.All); err != nil {
		e.unreadable = unreadable("fields.all", fields.All, err)
		return e
	}
	if err := phpList(parts.DoNotContact, &e.DoNotContact); err != nil {
		e.unreadable = unreadable("doNotContact", parts.DoNotContact, err)
		return e
	}
	return e
}

// phpDecode decodes b into v, taking [] for an empty object and leaving v zero.
func phpDecode(b []byte, v any) error {
	if len(b) == 0 || connectors.IsEmptyJSONArray(b) {
		return nil
	}
	return gojson.Unmarshal(b, v)
}

// phpList decodes into *l an array, or an object keyed by index (a PHP array with gaps) as
// the list of its values in key order.
func phpList[T any](b []byte, l *[]T) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return phpDecode(t, l)
	}
	var m map[string]gojson.RawMessage
	if err := gojson.Unmarshal(t, &m); err != nil {
		return err
	}
	keys := sortedKeys(m)
	sort.SliceStable(keys, func(i, j int) bool {
		a, errA := strconv.Atoi(keys[i])
		b, errB := strconv.Atoi(keys[j])
		if errA != nil || errB != nil {
			return errA == nil && errB != nil
		}
		return a < b
	})
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		var v T
		if err := gojson.Unmarshal(m[k], &v); err != nil {
			var te *gojson.UnmarshalTypeError
			if errors.As(err, &te) {
				te.Field = strings.Trim(k+"."+te.Field, ".")
			}
			return err
		}
		out = append(out, v)
	}
	*l = out
	return nil
}

// unreadable says why the part named of an entity cannot be read, naming the JSON kinds
// found and wanted, never the value.
func unreadable(part string, raw []byte, err error) string {
	var te *gojson.UnmarshalTypeError
	if !errors.As(err, &te) {
		return part + " cannot be read"
	}
	if te.Field != "" {
		part += "." + te.Field
	}
	want := "another kind"
	if te.Type != nil {
		switch te.Type.Kind() {
		case reflect.Map, reflect.Struct:
			want = "an object"
		case reflect.Slice, reflect.Array:
			want = "an array"
		case reflect.String:
			want = "a string"
		case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int64:
			want = "a number"
		case reflect.Bool:
			want = "true or false"
		case reflect.Pointer:
			if te.Type.Elem().Kind() == reflect.String {
				want = "a string"
			}
		}
	}
	found := te.Value
	if found == "" {
		found = jsonKind(raw)
	} else {
		found = article(found)
	}
	return fmt.Sprintf("%s is %s, not %s", part, found, want)
}

// jsonKind names the kind of a JSON value for a message, "empty" for none.
func jsonKind(b []byte) string { return connectors.JSONKind(b, "empty") }

func article(kind string) string {
	switch kind {
	case "object", "array":
		return "an " + kind
	case "bool":
		return "true or false"
	}
	return "a " + kind
}

// FieldBouncedAt is when Automation recorded the bounce (the do-not-contact entry's
// dateAdded, RFC 3339), empty when the e-mail did not bounce: the date weavy keeps in
// bouncedEmailDetected. Read-only.
const FieldBouncedAt = "bounced_at"

// flexID accepts an id as a JSON number or string.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*f = flexID(s)
	return nil
}

func idNum(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

func decodeErr(op string, err error) error {
	var se *json.SyntaxError
	var gse *gojson.SyntaxError
	if (errors.As(err, &se) && se.Offset <= 1) || (errors.As(err, &gse) && gse.Offset <= 1) {
		// A 2xx answer that is not JSON at all is a login or error page: base_url is wrong.
		return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: op, Message: "the answer is not JSON; check base_url (the API lives under /api)"}
	}
	return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: "unexpected response: " + err.Error()}
}

// listing runs one GET on a collection and returns its entities ordered by id.
func (c *Client) listing(ctx context.Context, base string, q url.Values) ([]*entity, error) {
	op := "GET /" + base
	b, err := c.do(ctx, "GET", "/"+base, op, q, nil)
	if err != nil {
		return nil, err
	}
	ents, err := streamEntities(b, base)
	if err != nil {
		return nil, decodeErr(op, err)
	}
	return ents, nil
}

// streamEntities decodes the collection under key from a list answer in one pass (lists of
// Mautic contacts are large: every field comes with its metadata). The collection is an
// id-keyed object (or an array); the result is ordered by id. go-json does it several times
// faster than encoding/json (see decodeBatch). An answer without the collection, or with a
// null one, is an error: Mautic answers an empty result with {}, and a lookup that took a
// proxy's or a broken plugin's answer for "no records" would have the sync delete their
// counterparts.
func streamEntities(b []byte, key string) ([]*entity, error) {
	dec := gojson.NewDecoder(bytes.NewReader(b))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var ents []*entity
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if k, _ := tok.(string); k != key {
			var skip gojson.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		open, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch open {
		case gojson.Delim('{'), gojson.Delim('['):
			found = true
		default:
			return nil, fmt.Errorf("%q is %v, not a collection", key, open)
		}
		for at := 1; dec.More(); at++ {
			var key string
			if open == gojson.Delim('{') {
				tok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ = tok.(string)
			}
			// An entity the plain decoding refuses (decoding goes on after it, as with
			// encoding/json) is read again from its own text, so that one of an odd shape is
			// read, or named and skipped, rather than make the whole page unreadable. Its text
			// must be one JSON value, or the answer is broken and so is the page.
			start := dec.InputOffset()
			var e *entity
			if err := dec.Decode(&e); err != nil {
				raw := bytes.TrimLeft(b[min(start, int64(len(b))):min(dec.InputOffset(), int64(len(b)))], " \t\r\n,:")
				if !gojson.Valid(raw) {
					return nil, err
				}
				e = readPHPShapes(raw)
			}
			e = checkEntity(e, key)
			e.at = at
			ents = append(ents, e)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, fmt.Errorf("the answer holds no %q", key)
	}
	sort.Slice(ents, func(i, j int) bool { return idNum(string(ents[i].ID)) < idNum(string(ents[j].ID)) })
	return ents, nil
}

func expectDelim(dec *gojson.Decoder, d gojson.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %q", d)
	}
	return nil
}

// ---- Describe -----------------------------------------------------------------------------

type apiField struct {
	Alias      string          `json:"alias"`
	Label      string          `json:"label"`
	Type       string          `json:"type"`
	IsRequired bool            `json:"isRequired"`
	Properties json.RawMessage `json:"properties"`
}

// Describe lists the fields of "contact" or "company" from the fields API. The contact's
// "company" field is left out: the connector exposes it as Links["company"].
func (c *Client) Describe(ctx context.Context, object string) ([]connectors.Field, error) {
	fields, err := c.fields(ctx, object)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Field, 0, len(fields))
	for _, f := range fields {
		if object == connectors.ObjectContact && f.Alias == "company" {
			continue
		}
		out = append(out, connectors.Field{
			Name: f.Alias, Label: f.Label, Type: f.Type, Required: f.IsRequired,
			Options: listOptions(f.Properties), Scale: numberScale(f.Type, f.Properties),
		})
	}
	if object == connectors.ObjectContact {
		for _, ch := range DNCChannels {
			out = append(out, connectors.Field{Name: DNCPrefix + ch, Label: "Do not contact (" + ch + ")", Type: "boolean"})
		}
		out = append(out, connectors.Field{Name: FieldBounced, Label: "E-mail bounced (NPAI)", Type: "boolean", ReadOnly: true},
			connectors.Field{Name: FieldBouncedAt, Label: "E-mail bounced on (NPAI)", Type: "datetime", ReadOnly: true})
	}
	return out, nil
}

func (c *Client) fields(ctx context.Context, object string) ([]apiField, error) {
	if _, err := plural(object); err != nil {
		return nil, err
	}
	op := "GET /fields/" + object
	b, err := c.do(ctx, "GET", "/fields/"+object, op, url.Values{"limit": {"1000"}}, nil)
	if err != nil {
		return nil, err
	}
	var top struct {
		Fields json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, decodeErr(op, err)
	}
	var list []apiField
	if t := bytes.TrimSpace(top.Fields); len(t) > 0 && t[0] == '{' {
		var m map[string]apiField
		if err := json.Unmarshal(t, &m); err != nil {
			return nil, decodeErr(op, err)
		}
		for _, f := range m {
			list = append(list, f)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Alias < list[j].Alias })
	} else if err := json.Unmarshal(t, &list); err != nil {
		return nil, decodeErr(op, err)
	}
	types, scales, markup := map[string]string{}, map[string]int{}, map[string]bool{}
	for _, f := range list {
		types[f.Alias] = f.Type
		if n := numberScale(f.Type, f.Properties); n != nil {
			scales[f.Alias] = *n
		}
		if keptAsSent(f.Type, f.Properties) {
			markup[f.Alias] = true
		}
	}
	c.mu.Lock()
	c.types[object], c.scales[object], c.markup[object] = types, scales, markup
	c.mu.Unlock()
	return list, nil
}

// numberScale reads a number field's properties.scale, the decimals Automation keeps. Mautic
// takes an empty or zero scale for none and then reads the field back as a whole number (its
// API casts the value to int): that is scale 0. nil for other types.
func numberScale(typ string, props json.RawMessage) *int {
	if typ != "number" {
		return nil
	}
	var p struct {
		Scale any `json:"scale"`
	}
	n := 0
	if json.Unmarshal(props, &p) == nil {
		switch x := p.Scale.(type) {
		case float64:
			n = int(x)
		case string:
			n, _ = strconv.Atoi(strings.TrimSpace(x))
		}
	}
	n = max(n, 0)
	return &n
}

// listOptions reads properties.list: [{label,value}], ["a","b"], {"value":"label"} or "a|b".
func listOptions(props json.RawMessage) []connectors.Option {
	var p struct {
		List json.RawMessage `json:"list"`
	}
	if json.Unmarshal(props, &p) != nil || len(p.List) == 0 {
		return nil
	}
	var objs []struct {
		Label any `json:"label"`
		Value any `json:"value"`
	}
	if json.Unmarshal(p.List, &objs) == nil {
		var out []connectors.Option
		for _, o := range objs {
			out = append(out, connectors.Option{Value: connectors.Text(o.Value), Label: connectors.Text(o.Label)})
		}
		return out
	}
	var strs []string
	if json.Unmarshal(p.List, &strs) == nil {
		var out []connectors.Option
		for _, s := range strs {
			out = append(out, connectors.Option{Value: s, Label: s})
		}
		return out
	}
	var m map[string]string
	if json.Unmarshal(p.List, &m) == nil {
		var out []connectors.Option
		for _, k := range sortedKeys(m) {
			out = append(out, connectors.Option{Value: k, Label: m[k]})
		}
		return out
	}
	var s string
	if json.Unmarshal(p.List, &s) == nil && s != "" {
		var out []connectors.Option
		for _, v := range strings.Split(s, "|") {
			out = append(out, connectors.Option{Value: v, Label: v})
		}
		return out
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fieldTypes returns alias → type for object, loading the fields API once.
func (c *Client) fieldTypes(ctx context.Context, object string) (map[string]string, error) {
	c.mu.Lock()
	t, ok := c.types[object]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	if _, err := c.fields(ctx, object); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.types[object], nil
}

// fieldMarkup returns the aliases of object's fields whose text is stored as sent (see
// keptAsSent), loading the fields API once.
func (c *Client) fieldMarkup(ctx context.Context, object string) (map[string]bool, error) {
	if _, err := c.fieldTypes(ctx, object); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.markup[object], nil
}

// fieldScales returns alias → scale of object's number fields, loading the fields API once.
func (c *Client) fieldScales(ctx context.Context, object string) (map[string]int, error) {
	if _, err := c.fieldTypes(ctx, object); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scales[object], nil
}

// ---- records ------------------------------------------------------------------------------

// normalise converts a fields.all value to string / float64 / bool / []string / nil.
func normalise(typ string, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		switch typ {
		case "multiselect":
			return strings.Split(x, "|")
		case "date":
			if len(x) >= 10 {
				if _, err := time.Parse("2006-01-02", x[:10]); err == nil {
					return x[:10]
				}
			}
		case "number":
			if f, err := connectors.ParseNumber(x); err == nil {
				return f
			}
		case "boolean":
			if b, err := strconv.ParseBool(x); err == nil {
				return b
			}
		}
		return x
	case float64:
		if typ == "boolean" {
			return x != 0
		}
		if typ != "number" && typ != "" {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return x
	case bool:
		return x
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = connectors.Text(e)
		}
		return out
	}
	return connectors.Text(v)
}

func parseDate(s *string) time.Time {
	if s == nil || *s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, *s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// toRecords converts entities, resolving contacts' companies with one companies query.
func (c *Client) toRecords(ctx context.Context, object string, ents []*entity) ([]connectors.Record, error) {
	types, err := c.fieldTypes(ctx, object)
	if err != nil {
		return nil, err
	}
	markup, err := c.fieldMarkup(ctx, object)
	if err != nil {
		return nil, err
	}
	recs := make([]connectors.Record, 0, len(ents))
	var names []string
	kept := ents[:0:0]
	for _, e := range ents {
		if e.unreadable != "" {
			c.warnUnreadable(object, e)
			continue
		}
		kept = append(kept, e)
		r := connectors.Record{ID: string(e.ID), Fields: map[string]any{}, UpdatedAt: parseDate(e.DateModified)}
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = parseDate(e.DateAdded)
		}
		for k, v := range e.Fields.All {
			if k == "id" || (object == connectors.ObjectContact && k == "company") {
				continue
			}
			r.Fields[k] = normalise(types[k], decoded(markup, k, v))
		}
		if object == connectors.ObjectContact {
			for _, ch := range DNCChannels {
				r.Fields[DNCPrefix+ch] = false
			}
			r.Fields[FieldBounced], r.Fields[FieldBouncedAt] = false, nil
			for _, d := range e.DoNotContact {
				if _, known := r.Fields[DNCPrefix+d.Channel]; known && connectors.Text(d.Reason) != "0" {
					r.Fields[DNCPrefix+d.Channel] = true
				}
				if d.Channel == "email" && connectors.Text(d.Reason) == strconv.Itoa(reasonBounced) {
					r.Fields[FieldBounced] = true
					if t := parseDate(d.DateAdded); !t.IsZero() {
						r.Fields[FieldBouncedAt] = t.Format(time.RFC3339)
					}
				}
			}
			switch name, known := companyName(e.Fields.All); {
			case name != "":
				names = append(names, name)
			case known:
				r.Links = map[string]string{connectors.ObjectCompany: ""}
			}
		}
		recs = append(recs, r)
	}
	if object != connectors.ObjectContact || len(names) == 0 {
		return recs, nil
	}
	ids, err := c.companyIDsByName(ctx, names)
	if err != nil {
		return nil, err
	}
	for j, e := range kept {
		name, _ := companyName(e.Fields.All)
		if name == "" {
			continue
		}
		// A name no company has leaves the link unknown (no key), never none.
		switch named := ids[strings.ToLower(name)]; {
		case len(named) == 1:
			recs[j].Links = map[string]string{connectors.ObjectCompany: named[0]}
		case len(named) > 1:
			// Two companies of one name (kept apart, see createCompanies): the name does not
			// say which; the contact's companies do, its primary one.
			_, primary, err := c.contactCompanies(ctx, string(e.ID))
			if err != nil {
				return nil, err
			}
			if slices.Contains(named, primary) {
				recs[j].Links = map[string]string{connectors.ObjectCompany: primary}
			}
		}
	}
	return recs, nil
}

// companyName reads a contact's company field (its primary company's name), trimmed. known
// is false when the answer does not say: the field is missing, or not text.
func companyName(all map[string]any) (name string, known bool) {
	v, ok := all["company"]
	if !ok {
		return "", false
	}
	if v == nil {
		return "", true
	}
	s, ok := v.(string)
	return strings.TrimSpace(html.UnescapeString(s)), ok
}

// warnUnreadable logs a record the answer holds but that cannot be read, with its id and why:
// it is skipped (its values are unknown, and a record delivered without them would empty its
// counterpart's), and the others of its page are read. It is read again once it is fixed in
// Automation and edited, or by a resync.
func (c *Client) warnUnreadable(object string, e *entity) {
	c.log.Warn(fmt.Sprintf("mautic: %s cannot be read: %s: skipped", e.name(object), e.unreadable),
		"object", object, "id", string(e.ID), "reason", e.unreadable)
}

// companyIDsByName resolves company names (lower-cased) to the ids of the companies with
// that name, oldest first, page after page (listWhereIn: a name many companies share does
// not crowd the others out). The names are asked for as given and as Automation stores them
// (bothForms), and compared decoded.
func (c *Client) companyIDsByName(ctx context.Context, names []string) (map[string][]string, error) {
	seen := map[string]bool{}
	var uniq []string
	for _, n := range names {
		if k := strings.ToLower(n); !seen[k] {
			seen[k] = true
			uniq = append(uniq, n)
		}
	}
	ents, err := c.listWhereIn(ctx, "companies", connectors.ObjectCompany, "companyname", uniq)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, e := range ents {
		if e.unreadable != "" {
			c.warnUnreadable(connectors.ObjectCompany, e)
			continue
		}
		name, _ := e.Fields.All["companyname"].(string)
		k := strings.ToLower(strings.TrimSpace(html.UnescapeString(name)))
		if seen[k] && !slices.Contains(out[k], string(e.ID)) {
			out[k] = append(out[k], string(e.ID))
		}
	}
	return out, nil
}

// ---- List / Get / FindByKey ---------------------------------------------------------------

var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// listWhereIn lists, page after page, the records of object (under base) whose field is one
// of values (identified contacts only). Each value is asked for as given and as Automation
// stores a text (bothForms): a name with an apostrophe is held as "O&#39;Brien". It pages on
// id, as List does: with an offset, a record of an earlier page deleted (or merged away)
// before the next is read would shift a record past it, unseen.
func (c *Client) listWhereIn(ctx context.Context, base, object, field string, values []string) ([]*entity, error) {
	var ents []*entity
	in := []cond{{col: field, expr: "in", val: csvList(bothForms(values))}}
	for last := int64(0); ; {
		page, next, err := c.idPage(ctx, base, object, in, PageLimit, last)
		if err != nil {
			return nil, err
		}
		ents = append(ents, page...)
		if len(page) < PageLimit {
			return ents, nil
		}
		last = next
	}
}

// idPage reads one page of the records of object (under base) that meet conds and whose id
// is past last, ordered by id (identified contacts only), and the id the page ends on: the
// greatest past last, else last. Whether the page is full counts every entry, null and
// unreadable ones too (checkEntity): one short of the limit would end a listing early. A
// full page that ends on no id past last is an error, since the next page would be the same.
func (c *Client) idPage(ctx context.Context, base, object string, conds []cond, limit int, last int64) ([]*entity, int64, error) {
	v := url.Values{"orderBy": {"id"}, "orderByDir": {"asc"}, "start": {"0"}, "limit": {strconv.Itoa(limit)}}
	encodeWhere(v, "where", append(slices.Clip(conds), cond{col: "id", expr: "gt", val: strconv.FormatInt(last, 10)}))
	identifiedOnly(v, object)
	ents, err := c.listing(ctx, base, v)
	if err != nil {
		return nil, last, err
	}
	next := last
	for _, e := range ents { // an entry without an id does not move it
		next = max(next, idNum(string(e.ID)))
	}
	if len(ents) >= limit && next == last {
		return nil, last, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: "GET /" + base,
			Message: fmt.Sprintf("unexpected response: a full page of %s with no id after %d", base, last)}
	}
	return ents, next, nil
}

// identifiedOnly leaves the anonymous contacts out of a contacts query: the website visitors
// Automation's tracking records (no name, company or e-mail; dateIdentified null), which the
// API lists by default. None can be matched or synced: read, each would be quarantined for
// its missing key on every pass. Once a visitor gives a name or an e-mail it is identified,
// changed, and read like any other contact. Lookups by id leave them out too, so that an
// anonymous contact is nowhere in the sync (its quarantine entries, from before, are cleared
// as gone by a retry); Gone, which asks for each record at its own address, still sees it.
func identifiedOnly(v url.Values, object string) {
	if object == connectors.ObjectContact {
		v.Set("search", "!is:anonymous")
	}
}

// List returns one page ordered by id; the cursor is the last id returned. With Since, it
// keeps records whose date_modified is at or after Since, or that were never edited and were
// added at or after Since. Anonymous contacts are left out (identifiedOnly).
func (c *Client) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	base, err := plural(object)
	if err != nil {
		return connectors.Page{}, err
	}
	limit := q.Limit
	if limit <= 0 || limit > PageLimit {
		limit = PageLimit
	}
	var last int64
	if q.Cursor != "" {
		last, err = strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || last < 0 {
			return connectors.Page{}, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "GET /" + base, Message: "invalid cursor"}
		}
	}
	var conds []cond
	if !q.Since.IsZero() {
		s := whereTime(q.Since)
		conds = append(conds, cond{expr: "orX", sub: []cond{
			{col: "date_modified", expr: "gte", val: s},
			{expr: "andX", sub: []cond{
				{col: "date_modified", expr: "isNull"},
				{col: "date_added", expr: "gte", val: s},
			}},
		}})
	}
	ents, next, err := c.idPage(ctx, base, object, conds, limit, last)
	if err != nil {
		return connectors.Page{}, err
	}
	recs, err := c.toRecords(ctx, object, ents)
	if err != nil {
		return connectors.Page{}, err
	}
	// The cursor moves past the records skipped as unreadable too (ents is ordered by id):
	// they go to the quarantine, named by their id, or, without one (in an array), by their
	// place in the page. Whether the page is full counts every entry (idPage).
	page := connectors.Page{Records: recs, Cursor: q.Cursor, More: len(ents) >= limit}
	for _, e := range ents {
		switch {
		case e.unreadable == "":
		case e.ID != "":
			page.Unreadable = append(page.Unreadable, connectors.Unreadable{ID: string(e.ID), Reason: e.unreadable})
		default:
			page.Unreadable = append(page.Unreadable, connectors.Unreadable{ID: connectors.PositionID(q.Cursor, e.at), Reason: e.unreadable})
		}
	}
	if next > last {
		page.Cursor = strconv.FormatInt(next, 10)
	}
	return page, nil
}

// Get returns the records with these ids (where id in, 200 per call).
func (c *Client) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	base, err := plural(object)
	if err != nil {
		return nil, err
	}
	var clean []string
	for _, id := range ids {
		if n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64); err == nil && n > 0 {
			clean = append(clean, strconv.FormatInt(n, 10))
		}
	}
	var out []connectors.Record
	for _, chunk := range chunks(clean, PageLimit) {
		v := url.Values{"orderBy": {"id"}, "orderByDir": {"asc"}, "start": {"0"}, "limit": {strconv.Itoa(len(chunk))}}
		encodeWhere(v, "where", []cond{{col: "id", expr: "in", val: strings.Join(chunk, ",")}})
		identifiedOnly(v, object)
		ents, err := c.listing(ctx, base, v)
		if err != nil {
			return nil, err
		}
		recs, err := c.toRecords(ctx, object, ents)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// FindByKey returns the records whose field equals one of values. Mautic compares text
// case-insensitively, and so does the check made on its answer, on the text decoded (a
// value is looked up in both its forms: see listWhereIn).
func (c *Client) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	base, err := plural(object)
	if err != nil {
		return nil, err
	}
	if !fieldName.MatchString(field) {
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "GET /" + base, Message: fmt.Sprintf("invalid key field %q", field)}
	}
	want := map[string]bool{}
	wantNum := map[float64]bool{} // the values that are numbers, for a number field
	var uniq []string
	for _, v := range values {
		v = strings.TrimSpace(v)
		if k := strings.ToLower(v); v != "" && !want[k] {
			want[k] = true
			uniq = append(uniq, v)
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				wantNum[f] = true
			}
		}
	}
	markup, err := c.fieldMarkup(ctx, object)
	if err != nil {
		return nil, err
	}
	// fields.all holds a number field's value as a number (Mautic casts it to int, or float
	// with a scale): it is compared as one.
	match := func(v any) bool {
		if f, ok := v.(float64); ok {
			return wantNum[f]
		}
		return want[strings.ToLower(strings.TrimSpace(connectors.Text(decoded(markup, field, v))))]
	}
	var out []connectors.Record
	for _, chunk := range chunks(uniq, 100) {
		ents, err := c.listWhereIn(ctx, base, object, field, chunk)
		if err != nil {
			return nil, err
		}
		if object == connectors.ObjectCompany && field == "companyname" {
			c.noteAbsent(chunk, ents) // spares createCompanies a second lookup
		}
		var keep []*entity
		for _, e := range ents {
			// An unreadable one is kept for toRecords to name it and skip it.
			if e.unreadable != "" || match(e.Fields.All[field]) {
				keep = append(keep, e)
			}
		}
		recs, err := c.toRecords(ctx, object, keep)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// Gone implements connectors.GoneConfirmer with GET /{base}/{id}: Mautic answers 404 for a
// deleted record and 403 for one the API user's role does not let it see.
func (c *Client) Gone(ctx context.Context, object string, ids []string) ([]string, error) {
	base, err := plural(object)
	if err != nil {
		return nil, err
	}
	op := "GET /" + base + "/{id}"
	notID := func(id string) bool {
		n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
		return err != nil || n <= 0
	}
	get := func(id string) error {
		_, err := c.do(ctx, http.MethodGet, "/"+base+"/"+strings.TrimSpace(id), op, nil, nil)
		return err
	}
	hidden := func(id string) error {
		return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: op, Status: http.StatusForbidden,
			Message: fmt.Sprintf("the API user may not see %s %s, which a lookup left out: give its role the right to view others' %s, or nothing it cannot see is told from a deletion", object, id, base)}
	}
	return connectors.ConfirmGone(ids, notID, get, hidden)
}
