package weavy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// dictField is one field of GET /v1/Dictionary/{project}/{entity}.
type dictField struct {
	FieldName    string `json:"fieldName"`
	Translations []struct {
		LanguageCode string `json:"languageCode"`
		Text         string `json:"text"`
	} `json:"translations"`
	FieldType string `json:"fieldType"`
	Mandatory bool   `json:"mandatory"`
	ReadOnly  bool   `json:"readOnly"`
	Values    []struct {
		Code  string `json:"code"`
		Label string `json:"label"`
	} `json:"values"`
}

// entitiesOf maps a connector object to its weavy entities.
func entitiesOf(object string) ([]string, error) {
	switch object {
	case connectors.ObjectCompany:
		return []string{EntityCustomer}, nil
	case connectors.ObjectContact:
		return []string{EntityCustomerContact, EntityEntrant}, nil
	}
	return nil, cfgErr("object", fmt.Sprintf("unsupported object %q", object))
}

// dictionary returns (and caches) the fields of an entity.
func (c *Client) dictionary(ctx context.Context, entity string) ([]dictField, error) {
	c.dmu.Lock()
	d, ok := c.dicts[entity]
	c.dmu.Unlock()
	if ok {
		return d, nil
	}
	op := "GET /v1/Dictionary/" + entity
	b, _, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/Dictionary/" + c.project + "/" + entity, op: op, entity: entity, right: rightRead})
	if err != nil {
		return nil, err
	}
	var body struct {
		Fields []dictField `json:"fields"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, decodeErr(op, err)
	}
	c.dmu.Lock()
	c.dicts[entity] = body.Fields
	c.dmu.Unlock()
	return body.Fields, nil
}

func decodeErr(op string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset <= 1 {
		return cfgErr(op, "the answer is not JSON; check base_url")
	}
	return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: "unexpected response: " + err.Error()}
}

// types returns field name → weavy type for an entity.
func (c *Client) types(ctx context.Context, entity string) (map[string]string, error) {
	d, err := c.dictionary(ctx, entity)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(d))
	for _, f := range d {
		out[f.FieldName] = strings.ToLower(f.FieldType)
	}
	return out, nil
}

// hidden fields are the record's code, its change stamps and the contact's customer (a link).
func hidden(entity, name string) bool {
	return strings.EqualFold(name, entity+"_ID") || name == "srvDate" || name == "srvDateUTC" ||
		(entity == EntityCustomerContact && name == "customer_ID")
}

// fieldType maps a weavy field type to the connectors' type vocabulary.
func fieldType(t string) (typ string, readOnly bool) {
	t = strings.ToLower(strings.TrimSpace(t))
	switch {
	case strings.Contains(t, "foreignkey"):
		return "text", true
	case t == "int" || t == "integer" || t == "decimal" || t == "double" || t == "float" || t == "numeric":
		return "number", false
	case t == "bool" || t == "boolean":
		return "boolean", false
	case t == "datetime" || t == "timestamp" || t == "date":
		return "datetime", false
	case t == "select" || t == "list":
		return "select", false
	}
	return "text", false
}

// Describe lists the fields of "company" (customer) or "contact" (the union of customercontact
// and marketinginbound; a field of both is described once, Required as the entrant requires
// it since creates make entrants), custom fields included.
func (c *Client) Describe(ctx context.Context, object string) ([]connectors.Field, error) {
	ents, err := entitiesOf(object)
	if err != nil {
		return nil, err
	}
	var out []connectors.Field
	at := map[string]int{}
	for _, ent := range ents {
		d, err := c.dictionary(ctx, ent)
		if err != nil {
			return nil, err
		}
		for _, f := range d {
			if hidden(ent, f.FieldName) {
				continue
			}
			typ, ro := fieldType(f.FieldType)
			fd := connectors.Field{Name: f.FieldName, Label: f.FieldName, Type: typ, Required: f.Mandatory, ReadOnly: ro || f.ReadOnly}
			for _, t := range f.Translations {
				if fd.Label == f.FieldName || strings.EqualFold(t.LanguageCode, "FR") {
					fd.Label = t.Text
				}
			}
			for _, v := range f.Values {
				fd.Options = append(fd.Options, connectors.Option{Value: v.Code, Label: v.Label})
			}
			if i, seen := at[f.FieldName]; seen {
				if ent == EntityEntrant {
					out[i].Required = f.Mandatory
				}
				continue
			}
			if object == connectors.ObjectContact && ent == EntityCustomerContact {
				fd.Required = false // creates make entrants; see above
			}
			at[f.FieldName] = len(out)
			out = append(out, fd)
		}
	}
	return out, nil
}

// ---- records --------------------------------------------------------------------------------

const dateLayout = "2006-01-02 15:04:05"

func parseDate(s string) (time.Time, bool) {
	for _, l := range []string{dateLayout, "2006-01-02T15:04:05", "2006-01-02T15:04:05.9999999", time.RFC3339Nano} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// normalise converts an API value to string / float64 / bool / []string / nil by field type.
func normalise(typ string, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		t, _ := fieldType(typ)
		switch t {
		case "number":
			if n, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return n
			}
		case "boolean":
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "1", "true":
				return true
			case "0", "false":
				return false
			}
		case "datetime":
			if d, ok := parseDate(x); ok && len(x) >= 19 {
				return d.Format(dateLayout)
			}
		}
		return x
	case float64:
		if t, _ := fieldType(typ); t == "boolean" {
			return x != 0
		}
		if t, _ := fieldType(typ); t == "text" || t == "select" {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return x
	case bool:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if e != nil {
				out = append(out, fmt.Sprint(e))
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return fmt.Sprint(v)
}

// toRecord turns a flat API record of an entity into a connector record.
func toRecord(entity string, types map[string]string, raw map[string]any) connectors.Record {
	code := fmt.Sprint(raw[entity+"_ID"])
	r := connectors.Record{ID: code, Fields: map[string]any{}}
	switch entity {
	case EntityCustomerContact:
		r.ID = PrefixContact + code
	case EntityEntrant:
		r.ID = PrefixEntrant + code
	}
	if s, ok := raw["srvDateUTC"].(string); ok {
		if t, ok := parseDate(s); ok {
			r.UpdatedAt = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
		}
	}
	for k, v := range raw {
		if entity == EntityCustomerContact && k == "customer_ID" {
			if s, ok := v.(string); ok && s != "" {
				r.Links = map[string]string{connectors.ObjectCompany: s}
			}
			continue
		}
		if hidden(entity, k) {
			continue
		}
		r.Fields[k] = normalise(types[k], v)
	}
	return r
}

// ---- Select ---------------------------------------------------------------------------------

type filter struct {
	FilterKey    string   `json:"filterKey"`
	FieldName    string   `json:"fieldName"`
	Operator     string   `json:"operator"`
	FilterValues []string `json:"filterValues"`
}

// selectPage runs one Select and returns its flat records.
func (c *Client) selectPage(ctx context.Context, entity string, offset int, filters []filter) ([]map[string]any, error) {
	body := map[string]any{"entityName": entity, "offset": offset}
	if len(filters) > 0 {
		body["filterFields"] = filters
	}
	op := "POST /v1/Data/Select " + entity
	b, _, err := c.do(ctx, call{method: http.MethodPost, path: c.dataPath("Select"), op: op, entity: entity, right: rightRead, body: body})
	if err != nil {
		var e *connectors.Error
		if errors.As(err, &e) && e.Kind == connectors.KindInvalid {
			e.Kind = connectors.KindConfig // a refused query is not a record's fault
		}
		return nil, err
	}
	var recs []map[string]any
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, decodeErr(op, err)
	}
	return recs, nil
}

// selectAll pages a Select until a short (or empty) page.
func (c *Client) selectAll(ctx context.Context, entity string, filters []filter) ([]map[string]any, error) {
	var out []map[string]any
	size := 0
	for offset := 0; ; {
		recs, err := c.selectPage(ctx, entity, offset, filters)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
		if size == 0 {
			size = len(recs)
		}
		if len(recs) == 0 || len(recs) < size {
			return out, nil
		}
		offset += len(recs)
	}
}

// cursor is "<entity index>:<offset>:<page size>[:<anchors>]"; page size 0 means not yet
// known; anchors (base64url of newline-separated "id@srvDateUTC") are the last records read.
type cursor struct {
	ent, offset, size int
	anchors           []string
}

func parseCursor(s string, n int) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	var cur cursor
	parts := strings.Split(s, ":")
	if len(parts) == 3 || len(parts) == 4 {
		var err1, err2, err3, err4 error
		cur.ent, err1 = strconv.Atoi(parts[0])
		cur.offset, err2 = strconv.Atoi(parts[1])
		cur.size, err3 = strconv.Atoi(parts[2])
		if len(parts) == 4 {
			cur.anchors, err4 = connectors.DecodeAnchors(parts[3])
		}
		if errors.Join(err1, err2, err3, err4) == nil && cur.ent >= 0 && cur.ent < n && cur.offset >= 0 && cur.size >= 0 {
			return cur, nil
		}
	}
	return cursor{}, cfgErr("list", "invalid cursor")
}

func (k cursor) String() string {
	s := fmt.Sprintf("%d:%d:%d", k.ent, k.offset, k.size)
	if len(k.anchors) > 0 {
		s += ":" + connectors.EncodeAnchors(k.anchors)
	}
	return s
}

// Paging: Select pages by offset in an order the API does not document. A record deleted
// (or, in an order by modification, changed) while a listing runs moves every later one a
// place towards the start, so a page read at the plain offset would skip one — for good,
// since the next cycle reads from the time this one began. Each page after the first is
// read from overlap records before the offset and resumes after the last of the previous
// page's records found there (its anchors, each an id with its srvDateUTC, so a record
// changed since does not count); a shift larger than the overlap reads a page earlier.
// Records read twice are harmless (the merge finds them unchanged).
const anchorCount = 3

// overlap is how many records before its offset a page is read from: a tenth of the page,
// at least anchorCount, at most half of it.
func overlap(size int) int { return min(max(anchorCount, size/10), size/2) }

// anchor identifies a record of entity as read: its id and its srvDateUTC, so that a record
// changed since does not count.
func anchor(entity string) func(map[string]any) string {
	return func(raw map[string]any) string {
		return fmt.Sprint(raw[entity+"_ID"]) + "@" + fmt.Sprint(raw["srvDateUTC"])
	}
}

// pageAt reads the page that follows cur in entity: its records, the index of the first not
// read yet, and the offset it was read at.
func (c *Client) pageAt(ctx context.Context, entity string, cur cursor, filters []filter) (recs []map[string]any, fresh, start int, err error) {
	start = cur.offset
	if len(cur.anchors) > 0 && cur.size > 1 {
		start = max(0, cur.offset-overlap(cur.size))
	}
	if recs, err = c.selectPage(ctx, entity, start, filters); err != nil || start == cur.offset {
		return recs, 0, start, err
	}
	fresh, found := connectors.ResumeAfter(recs, cur.anchors, anchor(entity))
	if !found && start > 0 {
		// shifted further than the overlap, or every anchor changed: a page earlier
		start = max(0, cur.offset-cur.size)
		if recs, err = c.selectPage(ctx, entity, start, filters); err != nil {
			return nil, 0, start, err
		}
		fresh, _ = connectors.ResumeAfter(recs, cur.anchors, anchor(entity))
	}
	return recs, fresh, start, nil
}

func (c *Client) sinceFilter(since time.Time) []filter {
	if since.IsZero() {
		return nil
	}
	// GreaterThan is strict and srvDate has second resolution: one second earlier keeps
	// every record changed at or after since. srvDate is the server's wall time.
	v := connectors.LocalSince(since.Add(-time.Second), c.zone, dateLayout)
	return []filter{{FilterKey: "srvDateKey", FieldName: "srvDate", Operator: "GreaterThan", FilterValues: []string{v}}}
}

// List returns one Select page of records changed since q.Since. For "contact" it pages
// through customercontact, then marketinginbound. q.Limit is not used: the API has no page
// size parameter.
func (c *Client) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	ents, err := entitiesOf(object)
	if err != nil {
		return connectors.Page{}, err
	}
	cur, err := parseCursor(q.Cursor, len(ents))
	if err != nil {
		return connectors.Page{}, err
	}
	for {
		ent := ents[cur.ent]
		types, err := c.types(ctx, ent)
		if err != nil {
			return connectors.Page{}, err
		}
		recs, fresh, start, err := c.pageAt(ctx, ent, cur, c.sinceFilter(q.Since))
		if err != nil {
			return connectors.Page{}, err
		}
		n := len(recs)
		if cur.size == 0 {
			cur.size = n
		}
		page := connectors.Page{}
		for _, raw := range recs[fresh:] {
			page.Records = append(page.Records, toRecord(ent, types, raw))
		}
		if n > 0 && n >= cur.size {
			cur.offset, cur.anchors = start+n, connectors.LastIDs(recs, anchorCount, anchor(ent))
			page.Cursor, page.More = cur.String(), true
			return page, nil
		}
		// short page: this entity is done
		if cur.ent+1 >= len(ents) {
			return page, nil
		}
		cur = cursor{ent: cur.ent + 1}
		if len(page.Records) > 0 {
			page.Cursor, page.More = cur.String(), true
			return page, nil
		}
	}
}

// route splits a record id into its entity and code.
func route(object, id string) (string, string, error) {
	switch object {
	case connectors.ObjectCompany:
		if id == "" {
			return "", "", &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "id", Message: "empty customer code"}
		}
		return EntityCustomer, id, nil
	case connectors.ObjectContact:
		if code, ok := strings.CutPrefix(id, PrefixContact); ok && code != "" {
			return EntityCustomerContact, code, nil
		}
		if code, ok := strings.CutPrefix(id, PrefixEntrant); ok && code != "" {
			return EntityEntrant, code, nil
		}
		return "", "", &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "id", Message: `a contact id starts with "c:" (contact) or "e:" (entrant)`}
	}
	_, err := entitiesOf(object)
	return "", "", err
}

// getOne reads one record; a 404 gives (nil, nil).
func (c *Client) getOne(ctx context.Context, entity, code string) (map[string]any, error) {
	op := "GET /v1/Data/" + entity
	b, st, err := c.do(ctx, call{method: http.MethodGet, path: c.dataPath(entity, code), op: op, entity: entity, right: rightRead})
	if st == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, decodeErr(op, err)
	}
	return raw, nil
}

// Get reads records by id (one GET each, Concurrency at a time); unknown ids are left out.
func (c *Client) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	if _, err := entitiesOf(object); err != nil {
		return nil, err
	}
	recs := make([]*connectors.Record, len(ids))
	errs := make([]error, len(ids))
	c.parallel(len(ids), func(i int) {
		ent, code, err := route(object, ids[i])
		if err != nil {
			return // not an id of this object: it does not exist
		}
		types, err := c.types(ctx, ent)
		if err != nil {
			errs[i] = err
			return
		}
		raw, err := c.getOne(ctx, ent, code)
		if err != nil || raw == nil {
			errs[i] = err
			return
		}
		r := toRecord(ent, types, raw)
		recs[i] = &r
	})
	var out []connectors.Record
	for i := range ids {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if recs[i] != nil {
			out = append(out, *recs[i])
		}
	}
	return out, nil
}

// parallel runs fn(0..n-1), Concurrency at a time.
func (c *Client) parallel(n int, fn func(i int)) {
	sem := make(chan struct{}, Concurrency)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}

// FindByKey returns the records whose field equals one of values, with Select equal filters
// (FindChunk values each). For "contact", customercontacts come first, then entrants; every
// match is returned so that duplicates show. E-mails compare without case.
func (c *Client) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	ents, err := entitiesOf(object)
	if err != nil {
		return nil, err
	}
	var vals []string
	want := map[string]bool{}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v != "" && !want[strings.ToLower(v)] {
			want[strings.ToLower(v)] = true
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	var out []connectors.Record
	known := false
	for _, ent := range ents {
		types, err := c.types(ctx, ent)
		if err != nil {
			return nil, err
		}
		name, ok := fieldName(types, field)
		if !ok {
			continue
		}
		known = true
		for _, chunk := range chunks(vals, FindChunk) {
			recs, err := c.selectAll(ctx, ent, []filter{{FilterKey: "key", FieldName: name, Operator: "equal", FilterValues: chunk}})
			if err != nil {
				return nil, err
			}
			for _, raw := range recs {
				if !want[strings.ToLower(strings.TrimSpace(fmt.Sprint(raw[name])))] {
					continue // the server's comparison was looser than ours
				}
				out = append(out, toRecord(ent, types, raw))
			}
		}
	}
	if !known {
		return nil, cfgErr("find", fmt.Sprintf("the %s object has no field %q in the weavy dictionary", object, field))
	}
	return out, nil
}

func fieldName(types map[string]string, field string) (string, bool) {
	for name := range types {
		if strings.EqualFold(name, field) {
			return name, true
		}
	}
	return "", false
}

func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
