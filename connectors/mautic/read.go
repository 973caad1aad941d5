package mautic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/crmsync/crmsync/connectors"
)

// entity is the part of a contact or company read shape the connector uses.
type entity struct {
	ID           flexID  `json:"id"`
	DateAdded    *string `json:"dateAdded"`
	DateModified *string `json:"dateModified"`
	Fields       struct {
		All map[string]any `json:"all"`
	} `json:"fields"`
	DoNotContact []struct {
		Channel   string  `json:"channel"`
		Reason    any     `json:"reason"`
		DateAdded *string `json:"dateAdded"`
	} `json:"doNotContact"`
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
		for dec.More() {
			if open == gojson.Delim('{') {
				if _, err := dec.Token(); err != nil {
					return nil, err
				}
			}
			var e *entity
			if err := dec.Decode(&e); err != nil {
				return nil, err
			}
			if e != nil {
				ents = append(ents, e)
			}
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
			Options: listOptions(f.Properties),
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
	types := map[string]string{}
	for _, f := range list {
		types[f.Alias] = f.Type
	}
	c.mu.Lock()
	c.types[object] = types
	c.mu.Unlock()
	return list, nil
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
			out = append(out, connectors.Option{Value: fmt.Sprint(o.Value), Label: fmt.Sprint(o.Label)})
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
			if f, err := strconv.ParseFloat(x, 64); err == nil {
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
			out[i] = fmt.Sprint(e)
		}
		return out
	}
	return fmt.Sprint(v)
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
	recs := make([]connectors.Record, 0, len(ents))
	var names []string
	for _, e := range ents {
		if e == nil {
			continue
		}
		r := connectors.Record{ID: string(e.ID), Fields: map[string]any{}, UpdatedAt: parseDate(e.DateModified)}
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = parseDate(e.DateAdded)
		}
		for k, v := range e.Fields.All {
			if k == "id" || (object == connectors.ObjectContact && k == "company") {
				continue
			}
			r.Fields[k] = normalise(types[k], v)
		}
		if object == connectors.ObjectContact {
			for _, ch := range DNCChannels {
				r.Fields[DNCPrefix+ch] = false
			}
			r.Fields[FieldBounced], r.Fields[FieldBouncedAt] = false, nil
			for _, d := range e.DoNotContact {
				if _, known := r.Fields[DNCPrefix+d.Channel]; known && fmt.Sprint(d.Reason) != "0" {
					r.Fields[DNCPrefix+d.Channel] = true
				}
				if d.Channel == "email" && fmt.Sprint(d.Reason) == fmt.Sprint(reasonBounced) {
					r.Fields[FieldBounced] = true
					if t := parseDate(d.DateAdded); !t.IsZero() {
						r.Fields[FieldBouncedAt] = t.Format(time.RFC3339)
					}
				}
			}
			if name, _ := e.Fields.All["company"].(string); strings.TrimSpace(name) != "" {
				names = append(names, strings.TrimSpace(name))
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
	j := 0
	for _, e := range ents {
		if e == nil {
			continue
		}
		if name, _ := e.Fields.All["company"].(string); name != "" {
			if id, ok := ids[strings.ToLower(strings.TrimSpace(name))]; ok {
				recs[j].Links = map[string]string{connectors.ObjectCompany: id}
			}
		}
		j++
	}
	return recs, nil
}

// companyIDsByName resolves company names (lower-cased) to the oldest company with that name,
// in one companies query.
func (c *Client) companyIDsByName(ctx context.Context, names []string) (map[string]string, error) {
	seen := map[string]bool{}
	var uniq []string
	for _, n := range names {
		if k := strings.ToLower(n); !seen[k] {
			seen[k] = true
			uniq = append(uniq, n)
		}
	}
	q := url.Values{"orderBy": {"id"}, "orderByDir": {"asc"}, "start": {"0"},
		"limit": {strconv.Itoa(max(2*len(uniq), 30))}}
	encodeWhere(q, "where", []cond{{col: "companyname", expr: "in", val: csvList(uniq)}})
	ents, err := c.listing(ctx, "companies", q)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range ents {
		name, _ := e.Fields.All["companyname"].(string)
		k := strings.ToLower(strings.TrimSpace(name))
		if _, dup := out[k]; !dup && seen[k] {
			out[k] = string(e.ID)
		}
	}
	return out, nil
}

// ---- List / Get / FindByKey ---------------------------------------------------------------

var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// List returns one page ordered by id; the cursor is the last id returned. With Since, it
// keeps records whose date_modified is at or after Since, or that were never edited and were
// added at or after Since.
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
	conds := []cond{{col: "id", expr: "gt", val: strconv.FormatInt(last, 10)}}
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
	v := url.Values{"orderBy": {"id"}, "orderByDir": {"asc"}, "start": {"0"}, "limit": {strconv.Itoa(limit)}}
	encodeWhere(v, "where", conds)
	ents, err := c.listing(ctx, base, v)
	if err != nil {
		return connectors.Page{}, err
	}
	recs, err := c.toRecords(ctx, object, ents)
	if err != nil {
		return connectors.Page{}, err
	}
	page := connectors.Page{Records: recs, Cursor: q.Cursor, More: len(ents) >= limit}
	if len(ents) > 0 {
		page.Cursor = string(ents[len(ents)-1].ID)
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
// case-insensitively, and so does the check made on its answer.
func (c *Client) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	base, err := plural(object)
	if err != nil {
		return nil, err
	}
	if !fieldName.MatchString(field) {
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "GET /" + base, Message: fmt.Sprintf("invalid key field %q", field)}
	}
	want := map[string]bool{}
	var uniq []string
	for _, v := range values {
		v = strings.TrimSpace(v)
		if k := strings.ToLower(v); v != "" && !want[k] {
			want[k] = true
			uniq = append(uniq, v)
		}
	}
	var out []connectors.Record
	for _, chunk := range chunks(uniq, 100) {
		var ents []*entity
		for start := 0; ; start += PageLimit {
			v := url.Values{"orderBy": {"id"}, "orderByDir": {"asc"}, "start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(PageLimit)}}
			encodeWhere(v, "where", []cond{{col: field, expr: "in", val: csvList(chunk)}})
			page, err := c.listing(ctx, base, v)
			if err != nil {
				return nil, err
			}
			ents = append(ents, page...)
			if len(page) < PageLimit {
				break
			}
		}
		var keep []*entity
		for _, e := range ents {
			if want[strings.ToLower(strings.TrimSpace(fmt.Sprint(e.Fields.All[field])))] {
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
