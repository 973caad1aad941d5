package weavy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
	return nil, cfgErr("object", fmt.Sprintf("unsupported object %q (company, contact)", object))
}

// synced reports whether entity is a table the client syncs: contact_tables may leave weavy
// contacts or entrants out (ContactTables).
func (c *Client) synced(entity string) bool {
	switch entity {
	case EntityCustomerContact:
		return c.tables.Contacts
	case EntityEntrant:
		return c.tables.Entrants
	}
	return true
}

// syncedOf maps a connector object to the weavy entities the client syncs of it.
func (c *Client) syncedOf(object string) ([]string, error) {
	ents, err := entitiesOf(object)
	if err != nil {
		return nil, err
	}
	out := ents[:0:0]
	for _, ent := range ents {
		if c.synced(ent) {
			out = append(out, ent)
		}
	}
	return out, nil
}

// notSynced is the per-record error of a record of a table contact_tables leaves out.
func (c *Client) notSynced(id, entity string) *connectors.Error {
	what := "a weavy entrant, and entrants are"
	if entity == EntityCustomerContact {
		what = "a weavy contact, and weavy contacts are"
	}
	return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "write " + entity,
		Message: fmt.Sprintf("%s is %s not synced (settings.contact_tables: %s): not written", id, what, c.tables)}
}

// dictEntry is an entity's dictionary and when it was read, with what is built from it once:
// its schema and the returnFields of a Select. Neither is changed once built.
type dictEntry struct {
	fields  []dictField
	schema  schema
	returns []returnField
	at      time.Time
}

// dictionary returns the fields of an entity, cached for dictTTL.
func (c *Client) dictionary(ctx context.Context, entity string) ([]dictField, error) {
	d, err := c.dictEntry(ctx, entity)
	return d.fields, err
}

// dictEntry returns an entity's cached dictionary entry, read again after dictTTL.
func (c *Client) dictEntry(ctx context.Context, entity string) (dictEntry, error) {
	c.dmu.Lock()
	d, ok := c.dicts[entity]
	c.dmu.Unlock()
	if ok && c.now().Sub(d.at) < dictTTL {
		return d, nil
	}
	op := "GET /v1/Dictionary/" + entity
	b, _, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/Dictionary/" + c.project + "/" + entity, op: op, entity: entity, right: rightRead})
	if err != nil {
		return dictEntry{}, err
	}
	var body struct {
		Fields []dictField `json:"fields"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return dictEntry{}, decodeErr(op, err)
	}
	d = dictEntry{fields: body.Fields, schema: schemaOf(body.Fields), returns: returnFields(body.Fields), at: c.now()}
	c.dmu.Lock()
	c.dicts[entity] = d
	c.dmu.Unlock()
	return d, nil
}

// decodeJSON decodes an answer keeping numbers as json.Number, so that a numeric code keeps
// its digits (a float64 would make 1234567 "1.234567e+06"). An answer that is not JSON gives
// json.Unmarshal's error, which decodeErr reads.
func decodeJSON(b []byte, v any) error {
	if !json.Valid(b) {
		return json.Unmarshal(b, v)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func decodeErr(op string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset <= 1 {
		return cfgErr(op, "the answer is not JSON; check base_url")
	}
	return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: "unexpected response: " + err.Error()}
}

// schema is an entity's dictionary as records are read and written: field name → weavy type,
// and each name by its lower case, since a payload need not spell a name as the dictionary
// does (DIV-API's dictionary example has "CodeCustomer", payloads "codecustomer").
type schema struct {
	types map[string]string
	lower map[string]string
}

// name returns the dictionary's spelling of a field name, matched without case.
func (s schema) name(k string) (string, bool) {
	if _, ok := s.types[k]; ok {
		return k, true
	}
	n, ok := s.lower[strings.ToLower(k)]
	return n, ok
}

// schema returns an entity's schema, built once per reading of its dictionary.
func (c *Client) schema(ctx context.Context, entity string) (schema, error) {
	d, err := c.dictEntry(ctx, entity)
	if err != nil {
		return schema{}, err
	}
	return d.schema, nil
}

// schemaOf builds the schema of a dictionary.
func schemaOf(d []dictField) schema {
	s := schema{types: make(map[string]string, len(d)), lower: make(map[string]string, len(d))}
	for _, f := range d {
		s.types[f.FieldName] = strings.ToLower(f.FieldType)
		s.lower[strings.ToLower(f.FieldName)] = f.FieldName
	}
	return s
}

// hidden fields are the record's code, its change stamps and the contact's customer (a link).
func hidden(entity, name string) bool {
	return strings.EqualFold(name, entity+"_ID") || strings.EqualFold(name, "srvDate") || strings.EqualFold(name, "srvDateUTC") ||
		(entity == EntityCustomerContact && strings.EqualFold(name, "customer_ID"))
}

// get returns a raw record's field, its name matched without case when not exactly.
func get(raw map[string]any, name string) any {
	if v, ok := raw[name]; ok {
		return v
	}
	for k, v := range raw {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// idText is a code as sent: a string, or a number's digits; "" for anything else.
func idText(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	}
	return ""
}

// codeOf returns a raw record's {entity}_ID, "" when it has none.
func codeOf(entity string, raw map[string]any) string { return idText(get(raw, entity+"_ID")) }

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
// it since creates make entrants), custom fields included. A table contact_tables leaves out
// is not described.
func (c *Client) Describe(ctx context.Context, object string) ([]connectors.Field, error) {
	ents, err := c.syncedOf(object)
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
			if n, err := connectors.ParseNumber(strings.TrimSpace(x)); err == nil {
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
				// weavy's date-times are UTC; one given with an offset keeps its instant.
				return d.UTC().Format(dateLayout)
			}
		}
		return x
	case json.Number:
		switch t, _ := fieldType(typ); t {
		case "boolean":
			n, _ := x.Float64()
			return n != 0
		case "number":
			if n, err := x.Float64(); err == nil {
				return n
			}
		}
		return x.String() // text keeps the digits as sent
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
				out = append(out, connectors.Text(e))
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return fmt.Sprint(v)
}

// view is how the records of an entity are read: its schema, and the fields of the object
// that its table lacks (Record.Absent).
type view struct {
	entity string
	s      schema
	absent []string
}

// view returns how an entity's records are read. "contact" is two tables whose fields
// Describe lists together: a contact lacks the entrant's own fields and an entrant the
// contact's, named as Describe names them; a customer lacks none, nor does a contact or an
// entrant when the other table is not synced (not described either).
func (c *Client) view(ctx context.Context, entity string) (view, error) {
	s, err := c.schema(ctx, entity)
	if err != nil {
		return view{}, err
	}
	v := view{entity: entity, s: s}
	other := ""
	switch entity {
	case EntityCustomerContact:
		other = EntityEntrant
	case EntityEntrant:
		other = EntityCustomerContact
	default:
		return v, nil
	}
	if !c.synced(other) {
		return v, nil // not described: the record lacks nothing
	}
	d, err := c.dictionary(ctx, other)
	if err != nil {
		return view{}, err
	}
	v.absent = absentOf(s, other, d)
	return v, nil
}

// absentOf returns, sorted, the fields Describe takes from the dictionary d of the entity
// other that the schema s lacks (matched without case, as payloads are).
func absentOf(s schema, other string, d []dictField) []string {
	var out []string
	for _, f := range d {
		if hidden(other, f.FieldName) {
			continue
		}
		if _, ok := s.name(f.FieldName); !ok {
			out = append(out, f.FieldName)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// toRecord turns a flat API record read through v, whose code is code, into a connector
// record whose fields bear the dictionary's names.
func toRecord(v view, code string, raw map[string]any) connectors.Record {
	entity, s := v.entity, v.s
	r := connectors.Record{ID: code, Fields: map[string]any{}, Absent: v.absent} // shared: read only
	switch entity {
	case EntityCustomerContact:
		r.ID = PrefixContact + code
	case EntityEntrant:
		r.ID = PrefixEntrant + code
	}
	if t, ok := stamp(raw, "srvDateUTC"); ok {
		r.UpdatedAt = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	}
	for k, x := range raw {
		name, ok := s.name(k)
		if !ok {
			name = k
		}
		if entity == EntityCustomerContact && strings.EqualFold(name, "customer_ID") {
			if id := idText(x); id != "" {
				r.Links = map[string]string{connectors.ObjectCompany: id}
			}
			continue
		}
		if hidden(entity, name) {
			continue
		}
		r.Fields[name] = normalise(s.types[name], x)
	}
	return r
}

// record converts a raw record read, measuring srvDate's zone on it. One without a code is
// skipped (false) with a warning: an id made up for it would be shared by every such record.
func (c *Client) record(v view, raw map[string]any) (connectors.Record, bool) {
	c.srv.observe(raw)
	code := codeOf(v.entity, raw)
	if code == "" {
		c.warnNoCode(v.entity, raw, "")
		return connectors.Record{}, false
	}
	return toRecord(v, code, raw), true
}

// records converts the raw records of a page read from cursor. One without a code cannot be
// read (nor written back): it is named in Unreadable by its place in the page
// (connectors.PositionID), which the sync quarantines so that it is not missed without a
// trace, and logged with what finds it in weavy (see warnNoCode).
func (c *Client) records(v view, raws []map[string]any, cursor string) ([]connectors.Record, []connectors.Unreadable) {
	var out []connectors.Record
	var bad []connectors.Unreadable
	for i, raw := range raws {
		c.srv.observe(raw)
		if code := codeOf(v.entity, raw); code != "" {
			out = append(out, toRecord(v, code, raw))
			continue
		}
		id := connectors.PositionID(cursor, i+1)
		c.warnNoCode(v.entity, raw, id)
		bad = append(bad, connectors.Unreadable{ID: id, Reason: fmt.Sprintf(
			"its %[1]s record has no %[1]s_ID, so it can be neither synced nor written back; the worker logged it (\"weavy: a %[1]s record has no %[1]s_ID\", quarantined_as this name) with its code%[1]s and srvDateUTC, which find it in weavy", v.entity)})
	}
	return out, bad
}

// warnNoCode logs a record skipped for want of a code, with the fields that find it again in
// weavy — none that names a person (a tiers' name is a company's) — and the name it is
// quarantined as, if it is (as).
func (c *Client) warnNoCode(entity string, raw map[string]any, as string) {
	args := []any{"entity", entity}
	if as != "" {
		args = append(args, "quarantined_as", as)
	}
	keys := []string{"code" + entity, "srvDateUTC"}
	if entity == EntityCustomer {
		keys = []string{"code" + entity, "name", "srvDateUTC"}
	}
	for _, k := range keys {
		if v := get(raw, k); v != nil && fmt.Sprint(v) != "" {
			args = append(args, k, c.scrub(fmt.Sprint(v)))
		}
	}
	c.log.Warn(fmt.Sprintf("weavy: a %s record has no %s_ID: skipped", entity, entity), args...)
}

// ---- Select ---------------------------------------------------------------------------------

type filter struct {
	FilterKey    string   `json:"filterKey"`
	FieldName    string   `json:"fieldName"`
	Operator     string   `json:"operator"`
	FilterValues []string `json:"filterValues"`
}

type returnField struct {
	FieldName string `json:"fieldName"`
}

// returnFields asks for every field of the dictionary, custom fields included, and for
// srvDate and srvDateUTC (they measure srvDate's zone): Select answers the code, srvDateUTC
// and only the fields asked for.
func returnFields(d []dictField) []returnField {
	out := make([]returnField, 0, len(d)+2)
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[strings.ToLower(name)] {
			seen[strings.ToLower(name)] = true
			out = append(out, returnField{name})
		}
	}
	for _, f := range d {
		add(f.FieldName)
	}
	add("srvDate")
	add("srvDateUTC")
	return out
}

// selectPage runs one Select and returns its flat records.
func (c *Client) selectPage(ctx context.Context, entity string, offset int, filters []filter) ([]map[string]any, error) {
	d, err := c.dictEntry(ctx, entity)
	if err != nil {
		return nil, err
	}
	return c.selectFields(ctx, entity, offset, filters, d.returns)
}

// selectFields runs one Select asking for the fields returns, and learns from the length of
// its page (see pageSize).
func (c *Client) selectFields(ctx context.Context, entity string, offset int, filters []filter, returns []returnField) ([]map[string]any, error) {
	body := map[string]any{"entityName": entity, "offset": offset, "returnFields": returns}
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
	if err := decodeJSON(b, &recs); err != nil {
		return nil, decodeErr(op, err)
	}
	c.pages.see(entity, len(recs))
	return recs, nil
}

// pageSize is what the client has learned of Select's page size by table, which the API
// neither takes nor announces: the longest page a Select of the table answered, lowered when
// a shorter page turned out to be full. A page is never longer than the server's page size,
// so a page at least that long is full; a shorter one is taken for the last of its query only
// once one more Select brings nothing new, since the server's page size may have been
// lowered since (or differ by table). 0: nothing learned yet.
type pageSize struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *pageSize) see(entity string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	p.n[entity] = max(p.n[entity], n)
}

// lower notes that a page of n records of entity was full.
func (p *pageSize) lower(entity string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n > 0 && n < p.n[entity] {
		p.n[entity] = n
	}
}

func (p *pageSize) get(entity string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[entity]
}

// probe reads the first page of entity with no filter, asking only for its code and its
// stamps (the lightest page the API allows: it has no page size parameter): it learns the
// page size and measures srvDate's zone before a filtered Select depends on them.
func (c *Client) probe(ctx context.Context, entity string) error {
	recs, err := c.selectFields(ctx, entity, 0, nil, []returnField{{entity + "_ID"}, {"srvDate"}, {"srvDateUTC"}})
	for _, r := range recs {
		c.srv.observe(r)
	}
	return err
}

// maxSelectPages bounds a selectAll: a server that keeps answering full pages of new records
// is not paging as it should.
const maxSelectPages = 1000

// selectAll pages a Select until a page brings nothing new: an empty page, or one of records
// already read (a server that ignores offset answers the first page again). When it knows no
// page size of the table yet, it probes the table first. A page shorter
// than the longest seen of the table is not taken for the last: the server's page size may
// have been lowered since, so the Select at the next offset tells, and lowers the page size
// remembered when it brings new records. That costs one more Select for a query whose last
// page is not empty (a lookup with a match: two Selects), none for an empty answer. A full
// page of records already read, the first page again (firstPageAgain), means the server
// ignores offset: an error, not an endless loop. Unlike a listing, a lookup does not check
// that its last record kept its place (endsAt): a match that moved up past it while it ran
// (one before it deleted, or given another value) is left out of this lookup only, and the
// first match is always found (nothing is before offset 0), so that costs at most a
// duplicate reported at a later lookup, not a record created again.
func (c *Client) selectAll(ctx context.Context, entity string, filters []filter) ([]map[string]any, error) {
	var out []map[string]any
	seen := map[string]bool{}
	if c.pages.get(entity) == 0 {
		// The page size tells a server that ignores offset (a full page again) from a
		// complete short answer (the same short page again).
		if err := c.probe(ctx, entity); err != nil {
			return nil, err
		}
	}
	short := 0 // the length of the previous page when shorter than the page size seen
	for offset, pages := 0, 0; ; pages++ {
		if pages == maxSelectPages {
			return nil, cfgErr("POST /v1/Data/Select "+entity, fmt.Sprintf("weavy Select of %s did not end after %d pages", entity, maxSelectPages))
		}
		recs, err := c.selectPage(ctx, entity, offset, filters)
		if err != nil {
			return nil, err
		}
		size := c.pages.get(entity) // this page's length at least
		fresh := 0
		for _, r := range recs {
			id := codeOf(entity, r)
			if !seen[id] {
				seen[id], fresh = true, fresh+1
			} else if id != "" {
				continue // read already
			}
			out = append(out, r)
		}
		if fresh == 0 {
			if offset > 0 && len(recs) > 0 && len(recs) >= size {
				if err := c.movedForward(ctx, entity, filters, recs, offset); err != nil {
					return nil, err
				}
				short = 0
				offset += len(recs) // moved forward: the next records are after them
				continue
			}
			return out, nil
		}
		if short > 0 {
			c.pages.lower(entity, short) // the previous page was full: the page size is lower
		}
		short = 0
		if len(recs) < size {
			short = len(recs)
		}
		offset += len(recs)
	}
}

// firstPageAgain reports whether page, a full page of records read already that a Select
// answered past the first page, is the first page again, what a server ignoring offset
// answers at every offset. A server honouring offset answers such a page too when records
// moved forward between two Selects: records entered the query before them (an incremental
// listing, or a lookup, in an order by insertion: a record changed since, or given the value
// looked for), or the record just read changed and moved to the end (by modification). Its
// first page is other records: one Select, only when such a page comes. The two are compared
// over the shorter's length: weavy's page size may have changed in between.
func (c *Client) firstPageAgain(ctx context.Context, entity string, filters []filter, page []map[string]any) (bool, error) {
	first, err := c.selectPage(ctx, entity, 0, filters)
	if err != nil || len(first) == 0 {
		return false, err
	}
	n := min(len(first), len(page))
	return sameRecords(entity, first[:n], page[:n]), nil
}

// movedForward tells a full page of records read already, answered at offset, that moved
// forward (nil) from the first page again (firstPageAgain), a server ignoring offset: an
// error, not an endless loop.
func (c *Client) movedForward(ctx context.Context, entity string, filters []filter, page []map[string]any, offset int) error {
	again, err := c.firstPageAgain(ctx, entity, filters, page)
	if err == nil && again {
		err = ignoresOffset(entity, offset)
	}
	return err
}

// ignoresOffset is the error of a full page at offset that brought only records already read.
func ignoresOffset(entity string, offset int) error {
	return cfgErr("POST /v1/Data/Select "+entity, fmt.Sprintf(
		"weavy Select ignores offset for %s: the page at offset %d brought only records already read", entity, offset))
}

// cursor is "<entity index>:<offset>:<page size>[:<anchors>[:<since>]]"; page size 0 means
// not yet known; anchors (base64url of newline-separated "id@srvDateUTC") are the last
// records read; since is the srvDate filter of the listing's first page (wall time
// "20060102150405"), kept for its later pages: a filter that changed in between (srvDate's
// zone measured on the first page) would shift the offsets.
type cursor struct {
	ent, offset, size int
	anchors           []string
	since             string
}

// sinceLayout writes a cursor's since without the ":" that separates its parts.
const sinceLayout = "20060102150405"

func parseCursor(s string, n int) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	var cur cursor
	parts := strings.Split(s, ":")
	if len(parts) >= 3 && len(parts) <= 5 {
		var err1, err2, err3, err4, err5 error
		cur.ent, err1 = strconv.Atoi(parts[0])
		cur.offset, err2 = strconv.Atoi(parts[1])
		cur.size, err3 = strconv.Atoi(parts[2])
		if len(parts) >= 4 {
			cur.anchors, err4 = connectors.DecodeAnchors(parts[3])
		}
		if len(parts) == 5 && parts[4] != "" {
			cur.since, err5 = parseSince(parts[4])
		}
		if errors.Join(err1, err2, err3, err4, err5) == nil && cur.ent >= 0 && cur.ent < n && cur.offset >= 0 && cur.size >= 0 {
			return cur, nil
		}
	}
	return cursor{}, cfgErr("list", "invalid cursor")
}

// parseSince reads a cursor's since back into dateLayout.
func parseSince(s string) (string, error) {
	t, err := time.Parse(sinceLayout, s)
	if err != nil || t.Format(sinceLayout) != s {
		return "", errors.New("invalid since")
	}
	return t.Format(dateLayout), nil
}

func (k cursor) String() string {
	s := fmt.Sprintf("%d:%d:%d", k.ent, k.offset, k.size)
	if len(k.anchors) > 0 || k.since != "" {
		s += ":" + connectors.EncodeAnchors(k.anchors)
	}
	if t, err := time.Parse(dateLayout, k.since); err == nil {
		s += ":" + t.Format(sinceLayout)
	}
	return s
}

// Paging: Select pages by offset in an order the API does not document. A record deleted
// (or, in an order by modification, changed) while a listing runs moves every later one a
// place towards the start, so a page read at the plain offset would skip one — for good,
// since the next cycle reads from the time this one began. Each page after the first is
// read from overlap records before the offset and resumes after the last of the previous
// page's records found there (its anchors, each an id with its srvDateUTC, so a record
// changed since does not count); a shift larger than the overlap reads the pages before the
// offset, backwards, until one holds an anchor (see pageAt). A page of one (weavy's page size
// at 1) is read from the record before its offset too, and the page at the offset after it
// when that record is an anchor, then the record before it again, which must not have moved
// in between (see readOn): three Selects a page, rather than a record skipped; the
// anchors of pages shorter than anchorCount keep the previous ones (lastAnchors). A page shorter than the overlap
// (weavy's page size lowered tenfold or more since the previous page) is read again from the
// overlap of its own length. The end of a table is only an answer without a new record at the
// offset after the last record read, that record still in its place (see endsAt).
// Records read twice are harmless (the merge finds them unchanged).
const anchorCount = 3

// lastAnchors returns the anchors of a page whose last records are read, the last
// anchorCount of them: a page shorter than that (pages of one or two) keeps the last of
// prev, the anchors before it, so that its own records leaving the listing before the next
// page (the last record read deleted) do not leave that page with no anchor to resume after.
func lastAnchors(prev, read []string) []string {
	if len(read) >= anchorCount {
		return read
	}
	out := slices.DeleteFunc(slices.Clone(prev), func(a string) bool { return slices.Contains(read, a) })
	out = append(out, read...)
	return out[max(0, len(out)-anchorCount):]
}

// maxBack bounds how many pages before its offset a page's anchors are looked for (more for
// pages of fewer than 10 records: backPages): a listing resumed after more records left their
// places than that (a purge of thousands between two
// pages) logs that records may have been skipped, rather than read the table again from its
// start in one call.
const maxBack = 10

// maxBackRecords is how many records before its offset a page's anchors are looked for at
// least, in pages of the listing's size: maxBack pages of 10, 100 pages of one (weavy's page
// size at 1), rather than 10 records.
const maxBackRecords = 100

// backPages is how many pages of size before its offset a page's anchors are looked for.
func backPages(size int) int { return max(maxBack, (maxBackRecords+size-1)/max(1, size)) }

// overlap is how many records before its offset a page is read from: a tenth of the page,
// at least anchorCount, at most half of it, and at least one: a page of one (weavy's page
// size at 1) is read from the record before its offset, then the page at the offset when
// that record is an anchor (then that record again: readOn), three Selects a page rather
// than the records that moved up skipped.
func overlap(size int) int { return max(1, min(max(anchorCount, size/10), size/2)) }

// anchor identifies a record of entity as read: its id and its srvDateUTC, so that a record
// changed since does not count.
func anchor(entity string) func(map[string]any) string {
	return func(raw map[string]any) string {
		return codeOf(entity, raw) + "@" + fmt.Sprint(get(raw, "srvDateUTC"))
	}
}

// pageAt reads the page that follows cur in entity: its records, the index of the first not
// read yet, the offset it was read at, and whether the listing's end check past them is made
// already (checked, by readOn: see there).
func (c *Client) pageAt(ctx context.Context, entity string, cur cursor, filters []filter) (recs []map[string]any, fresh, start int, checked bool, err error) {
	start = cur.offset
	if len(cur.anchors) > 0 {
		start = max(0, cur.offset-overlap(cur.size))
	}
	if recs, err = c.selectPage(ctx, entity, start, filters); err != nil || start == cur.offset {
		return recs, 0, start, false, err
	}
	fresh, found := connectors.ResumeAfter(recs, cur.anchors, anchor(entity))
	if found && start+len(recs) >= cur.offset && anchorsOnly(entity, cur, recs[fresh:]) {
		// The page ends with anchors at or after the offset: it is no longer than the
		// overlap (a page of one), or records entered the listing before it (in an
		// incremental listing, records changed since it began) and moved the anchors
		// forward. The records after them are on the next page: without it, a full page of
		// records read already would be taken for a server ignoring offset. (On such a
		// server that page is the same again.)
		return c.readOn(ctx, entity, cur, filters, recs, start)
	}
	if found || start == 0 {
		return recs, fresh, start, false, nil
	}
	if m := len(recs); m > 0 && start+m < cur.offset {
		recs, fresh, start, size, err := c.pageShorterThanOverlap(ctx, entity, cur, filters, start+m, m)
		if err != nil || size == 0 {
			return recs, fresh, start, false, err
		}
		cur.size = size
	}
	return c.pagesBack(ctx, entity, cur, filters)
}

// readOn reads the page after read, a page read at start that ends with cur's anchors: its
// records, the index of the first not read yet, and the offset it was read at, once read's
// last record is found still in its place (inPlace: one Select more). A full page of the
// same records again is a server ignoring offset. checked reports that the Selects past the
// page returned are the listing's end check (endsAt's, made already): an empty answer, read's
// last record in its place, ends it (recs is empty); read returned as the page, with nothing
// new (moved forward, or not in its place), is followed by the next page.
func (c *Client) readOn(ctx context.Context, entity string, cur cursor, filters []filter, read []map[string]any, start int) (recs []map[string]any, fresh, next int, checked bool, err error) {
	next = start + len(read)
	if recs, err = c.selectPage(ctx, entity, next, filters); err != nil {
		return nil, 0, next, false, err
	}
	if len(recs) >= cur.size && sameRecords(entity, read, recs) {
		// Moved forward, unless it is the first page again (firstPageAgain): then read is
		// the page, with nothing new, as below.
		if err := c.movedForward(ctx, entity, filters, recs, next); err != nil {
			return nil, 0, next, false, err
		}
		return read, len(read), start, true, nil
	}
	if len(read) > 0 && (len(recs) == 0 || !onlyOf(entity, read, recs)) {
		// A record before next that left its place between the two Selects (deleted, or
		// changed in an order by modification) moved the one at next before it, unread:
		// the answer, or the end, follows read only if read's last record is still in its
		// place (see endsAt). Otherwise read is the page, with nothing new: endsAt finds the
		// records after it, and the next page looks for its anchors as usual. (An answer of
		// read's records again brings nothing to skip: endsAt tells what it is.)
		if in, err := c.inPlace(ctx, entity, next, filters, read[len(read)-1], recs); err != nil || !in {
			return read, len(read), start, err == nil, err
		}
	}
	fresh, _ = connectors.ResumeAfter(recs, cur.anchors, anchor(entity))
	return recs, fresh, next, len(recs) == 0, nil
}

// pageShorterThanOverlap goes on from a page read back, of m records, that ended at end,
// before cur's offset and short of its anchors: weavy's page size fell below the overlap (to
// m), or the table now ends there (more records deleted before the offset than remained
// after it). Records after it tell the first: the overlap of a page of m is read. It returns
// the page found (size 0), or, when none is, the page size (m, or cur's) by which pagesBack
// is to look for the anchors: pages of the cursor's size, longer than weavy's, would leave
// gaps between them.
func (c *Client) pageShorterThanOverlap(ctx context.Context, entity string, cur cursor, filters []filter, end, m int) (recs []map[string]any, fresh, start, size int, err error) {
	start = max(end, cur.offset-overlap(m))
	if recs, err = c.selectPage(ctx, entity, start, filters); err != nil {
		return nil, 0, start, 0, err
	}
	if len(recs) > 0 {
		if start == cur.offset {
			return recs, 0, start, 0, nil // pages too short to overlap
		}
		if fresh, found := connectors.ResumeAfter(recs, cur.anchors, anchor(entity)); found {
			return recs, fresh, start, 0, nil
		}
		return nil, 0, start, m, nil
	}
	// The table ends before start (which is after the page read back, at least one record):
	// its last records are the anchors if no record before them left; otherwise pages of the
	// cursor's size back find them.
	start = max(0, start-m)
	if recs, err = c.selectPage(ctx, entity, start, filters); err != nil {
		return nil, 0, start, 0, err
	}
	if fresh, found := connectors.ResumeAfter(recs, cur.anchors, anchor(entity)); found {
		return recs, fresh, start, 0, nil
	}
	return nil, 0, start, cur.size, nil
}

// pagesBack reads the pages before cur's offset, backwards, until one holds one of its
// anchors: more records before them left the listing (deleted or, in an order by
// modification, changed) than the overlap holds, and the records that moved up from after
// the offset are a page or more before it. The page where an anchor is found is returned, and
// the listing goes on from there: the pages after it are read again (harmless), none is
// skipped. A page that ends with anchors (changed since or not) is followed by the page after
// it. Without an anchor found (every one changed or deleted), the page at the table's start,
// or backPages pages back, is returned whole.
func (c *Client) pagesBack(ctx context.Context, entity string, cur cursor, filters []filter) (recs []map[string]any, fresh, start int, checked bool, err error) {
	for back := 1; ; back++ {
		start = max(0, cur.offset-back*cur.size)
		if recs, err = c.selectPage(ctx, entity, start, filters); err != nil {
			return nil, 0, start, false, err
		}
		fresh, found := connectors.ResumeAfter(recs, cur.anchors, anchor(entity))
		switch {
		case found && anchorsOnly(entity, cur, recs[fresh:]):
			// The page ends with anchors, the last changed since (same id, new srvDate)
			// or not: the records after them are on the next page, as in pageAt.
			return c.readOn(ctx, entity, cur, filters, recs, start)
		case found || start == 0:
			return recs, fresh, start, false, nil
		case back >= backPages(cur.size):
			c.log.Warn(fmt.Sprintf("weavy: the last records read of %s are not within %d pages before the offset %d: records that moved up further may have been skipped; a resync reads them", entity, back, cur.offset),
				"entity", entity)
			return recs, 0, start, false, nil
		}
	}
}

// endsAt reports whether entity has no record at offset that the listing has not read: a
// Select there answers nothing, or only records of page, the page just read (a server that
// ignores offset answers the first page again). Only that ends a listing, whatever weavy's
// page size is: a page shorter than the page size seen may be full (the page size was
// lowered, or is capped under load), and a page read back from before its offset may hold
// only records read already because it is no longer than the overlap (a page size lowered
// tenfold or more). It is read at the plain offset: a Select from before it would be fooled
// the same way. full reports that a record the listing has not read follows the page: the
// page was full.
// A record that left its place before the offset between the page and that Select (deleted,
// or changed in an order by modification) moved the next one before the offset: were that
// one the last of the table, it would be missed for good (unchanged, the next pass does not
// read it). So an empty answer ends the listing only when the page's last record is still in
// its place (inPlace), one Select more, and an answer of records of the page only when it is
// the first page again (a server ignoring offset; firstPageAgain); otherwise the next page
// looks for its anchors as usual.
func (c *Client) endsAt(ctx context.Context, entity string, offset int, filters []filter, page []map[string]any) (end, full bool, err error) {
	recs, err := c.selectPage(ctx, entity, offset, filters)
	if err != nil {
		return false, false, err
	}
	if !onlyOf(entity, page, recs) {
		return false, true, nil
	}
	if len(page) == 0 {
		return true, false, nil
	}
	if len(recs) > 0 {
		// Records of the page again: a server ignoring offset answers its first page, but
		// records that moved forward (records entered the listing before them) answer so too.
		end, err = c.firstPageAgain(ctx, entity, filters, recs)
		return end, false, err
	}
	end, err = c.inPlace(ctx, entity, offset, filters, page[len(page)-1], nil)
	return end, false, err
}

// onlyOf reports whether recs are all records of page, by anchor: a record changed since it
// was read is not (the next page tells). True for none.
func onlyOf(entity string, page, recs []map[string]any) bool {
	key := anchor(entity)
	read := make(map[string]bool, len(page))
	for _, r := range page {
		read[key(r)] = true
	}
	for _, r := range recs {
		if !read[key(r)] {
			return false
		}
	}
	return true
}

// inPlace reports whether last, the record read just before offset, is there still, unchanged
// (by its anchor), followed by after, what a Select at offset answered (nothing, or records
// the listing has not read): no record before it left its place since it was read. Its place
// alone does not tell: in an incremental listing by insertion a record changed since enters
// before the others and moves them towards the end, so one deleted before the Select at
// offset and one entered before this one put last back in its place, and the record that
// was after it, unread, after it again. The record after last must be after's first (none
// when after is empty). A page of one tells only last's place: weavy's page size at 1
// leaves that gap.
func (c *Client) inPlace(ctx context.Context, entity string, offset int, filters []filter, last map[string]any, after []map[string]any) (bool, error) {
	recs, err := c.selectPage(ctx, entity, offset-1, filters)
	if err != nil || len(recs) == 0 {
		return false, err
	}
	key := anchor(entity)
	if key(recs[0]) != key(last) {
		return false, nil
	}
	if len(recs) == 1 {
		return true, nil // the end of the query, or a page of one
	}
	return len(after) > 0 && key(recs[1]) == key(after[0]), nil
}

// sameRecords reports whether two pages hold the same records in the same order, by id.
func sameRecords(entity string, a, b []map[string]any) bool {
	return slices.EqualFunc(a, b, func(x, y map[string]any) bool { return codeOf(entity, x) == codeOf(entity, y) })
}

// anchorsOnly reports whether recs are all records of cur's anchors, changed since or not
// (by id): records the listing read already. True for none.
func anchorsOnly(entity string, cur cursor, recs []map[string]any) bool {
	read := map[string]bool{}
	for _, a := range cur.anchors {
		id, _, _ := strings.Cut(a, "@")
		read[id] = true
	}
	for _, r := range recs {
		if !read[codeOf(entity, r)] {
			return false
		}
	}
	return true
}

// sinceFilter is the srvDate filter of a listing: wall is srvDate's wall time of since (kept
// from the listing's first page, see cursor), "" to compute it.
func (c *Client) sinceFilter(since time.Time, wall string) ([]filter, string) {
	if since.IsZero() {
		return nil, ""
	}
	if wall == "" {
		// GreaterThan is strict and srvDate has second resolution: one second earlier keeps
		// every record changed at or after since.
		wall = c.sinceWall(since.Add(-time.Second))
	}
	return []filter{{FilterKey: "srvDateKey", FieldName: "srvDate", Operator: "GreaterThan", FilterValues: []string{wall}}}, wall
}

// List returns one Select page of records changed since q.Since. For "contact" it pages
// through customercontact, then marketinginbound, those contact_tables syncs (a cursor names
// the table by its place among both, so that one taken before contact_tables changed goes on
// with the tables synced now). q.Limit is not used: the API has no page size parameter.
func (c *Client) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	ents, err := entitiesOf(object)
	if err != nil {
		return connectors.Page{}, err
	}
	cur, err := parseCursor(q.Cursor, len(ents))
	if err != nil {
		return connectors.Page{}, err
	}
	first := q.Cursor == ""
	if n := c.nextSynced(ents, cur.ent); n != cur.ent {
		if n >= len(ents) {
			return connectors.Page{}, nil // the cursor's table and the ones after it are not synced
		}
		cur = cursor{ent: n}
	}
	for {
		ent := ents[cur.ent]
		from := cur.String() // names a record of the page without a code, by its place after it
		if first {
			from = ""
		}
		first = false
		v, err := c.view(ctx, ent)
		if err != nil {
			return connectors.Page{}, err
		}
		if measured, _, _ := c.srv.last(); !measured && !q.Since.IsZero() && cur.since == "" {
			// srvDate's zone is measured before the filter depends on it: read in UTC or
			// the configured zone, a server west of both would be filtered hours ahead.
			if err := c.probe(ctx, ent); err != nil {
				return connectors.Page{}, err
			}
		}
		filters, since := c.sinceFilter(q.Since, cur.since)
		recs, fresh, start, checked, err := c.pageAt(ctx, ent, cur, filters)
		if err != nil {
			return connectors.Page{}, err
		}
		n := len(recs)
		if cur.size == 0 {
			cur.size = max(n, c.pages.get(ent))
		}
		var page connectors.Page
		page.Records, page.Unreadable = c.records(v, recs[fresh:], from)
		next := cur
		prev := cur.anchors
		if start+n < cur.offset {
			// The listing goes back (a page read back came short: weavy's page size fell):
			// the previous anchors are after its new place, not before it.
			prev = nil
		}
		next.offset, next.anchors, next.since = start+n, lastAnchors(prev, connectors.LastIDs(recs, anchorCount, anchor(ent))), since
		next.size = max(cur.size, n)       // a longer page: weavy's page size was raised
		more := n > fresh && n >= cur.size // a full page, not all of it read already
		switch {
		case checked:
			// readOn made the end check past the page (the same Selects as endsAt's): an
			// empty answer, the last record read in its place, ends the table; a page of
			// nothing new (that record not in its place, or records moved forward) is
			// followed by the next page.
			more = n > 0
		case !more && (n > 0 || start != cur.offset):
			// Only a Select at the offset after the last record read that answers nothing,
			// that record still in its place, ends the table (see endsAt), not a page
			// shorter than the page size seen: that costs two Selects for each table
			// listed, fewer when the page was read at that offset and answered nothing
			// (nothing read, nothing to check), none when readOn made them (checked). A
			// page that proves full lowers the page size remembered; the next page is read
			// by the lower one.
			end, full, err := c.endsAt(ctx, ent, next.offset, filters, recs)
			if err != nil {
				return connectors.Page{}, err
			}
			if more = !end; full && n > 0 {
				next.size = n
				c.pages.lower(ent, n)
			}
		}
		if more {
			cur = next
			page.Cursor, page.More = cur.String(), true
			return page, nil
		}
		// short page: this entity is done
		after := c.nextSynced(ents, cur.ent+1)
		if after >= len(ents) {
			return page, nil
		}
		cur = cursor{ent: after} // the next entity computes its own since filter
		if len(page.Records) > 0 || len(page.Unreadable) > 0 {
			page.Cursor, page.More = cur.String(), true
			return page, nil
		}
	}
}

// nextSynced returns the index of the first entity of ents from i on that the client syncs,
// len(ents) when there is none.
func (c *Client) nextSynced(ents []string, i int) int {
	for i < len(ents) && !c.synced(ents[i]) {
		i++
	}
	return i
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
	if err := decodeJSON(b, &raw); err != nil {
		return nil, decodeErr(op, err)
	}
	if raw != nil && codeOf(entity, raw) == "" {
		raw[entity+"_ID"] = code // the code asked for is the record's: nothing is made up
	}
	return raw, nil
}

// Get reads records by id (one GET each, Concurrency at a time); unknown ids are left out,
// and so are the ids of a table contact_tables leaves out, without a call: that table is not
// synced (the engine leaves such a pair alone, counted missing).
func (c *Client) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	if _, err := entitiesOf(object); err != nil {
		return nil, err
	}
	recs := make([]*connectors.Record, len(ids))
	errs := make([]error, len(ids))
	panicked := c.each(len(ids), "GET /v1/Data/{entity}/{code}", func(i int) {
		ent, code, err := route(object, ids[i])
		if err != nil || !c.synced(ent) {
			return // not an id of this object, or of a table synced: it does not exist here
		}
		v, err := c.view(ctx, ent)
		if err != nil {
			errs[i] = err
			return
		}
		raw, err := c.getOne(ctx, ent, code)
		if err != nil || raw == nil {
			errs[i] = err
			return
		}
		if r, ok := c.record(v, raw); ok {
			recs[i] = &r
		}
	})
	if panicked != nil {
		return nil, panicked
	}
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

// each runs fn(0..n-1), Concurrency at a time. A panic in fn (decoding an answer of a shape
// the code does not expect) is recovered in its goroutine, where nothing above could recover
// it and it would end the worker process: each returns the error of the first, which names
// op, the panic and its line (connectors.Safe), once every fn is done.
func (c *Client) each(n int, op string, fn func(i int)) error {
	sem := make(chan struct{}, Concurrency)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = connectors.Safe(System, op, func() error { fn(i); return nil })
		}()
	}
	wg.Wait()
	return firstErr(errs)
}

// FindByKey returns the records whose field equals one of values, with one Select equal
// filter per value (Concurrency at a time): that several values in one filter are ORed is
// not documented, and a server that kept only the first would leave the others unfound and
// their records created again. For "contact", customercontacts come first, then entrants
// (those contact_tables syncs); every match is returned so that duplicates show. E-mails
// compare without case.
func (c *Client) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	ents, err := c.syncedOf(object)
	if err != nil {
		return nil, err
	}
	vals := distinct(values)
	if len(vals) == 0 {
		return nil, nil
	}
	var out []connectors.Record
	known := false
	for _, ent := range ents {
		v, err := c.view(ctx, ent)
		if err != nil {
			return nil, err
		}
		name, ok := v.s.name(field)
		if !ok {
			continue
		}
		known = true
		recs, err := c.findEach(ctx, v, name, vals)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	if !known {
		return nil, cfgErr("find", fmt.Sprintf("the %s object has no field %q in the weavy dictionary", object, field))
	}
	return out, nil
}

// distinct returns the non-empty values, trimmed, each once whatever its case.
func distinct(values []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v != "" && !seen[strings.ToLower(v)] {
			seen[strings.ToLower(v)] = true
			out = append(out, v)
		}
	}
	return out
}

// findEach runs one Select per value of the field name of v's entity and returns the matches
// in the order of vals.
func (c *Client) findEach(ctx context.Context, v view, name string, vals []string) ([]connectors.Record, error) {
	entity := v.entity
	found := make([][]connectors.Record, len(vals))
	errs := make([]error, len(vals))
	panicked := c.each(len(vals), "Select "+entity, func(i int) {
		recs, err := c.selectAll(ctx, entity, []filter{{FilterKey: "key", FieldName: name, Operator: "equal", FilterValues: []string{vals[i]}}})
		if err != nil {
			errs[i] = err
			return
		}
		for _, raw := range recs {
			if !strings.EqualFold(strings.TrimSpace(fmt.Sprint(get(raw, name))), vals[i]) {
				continue // the server's comparison was looser than ours
			}
			if r, ok := c.record(v, raw); ok {
				found[i] = append(found[i], r)
			}
		}
	})
	if panicked != nil {
		return nil, panicked
	}
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	var out []connectors.Record
	for _, recs := range found {
		out = append(out, recs...)
	}
	return out, nil
}

// firstErr returns the first error of errs, nil when there is none.
func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

var _ connectors.GoneConfirmer = (*Client)(nil)

// Gone implements connectors.GoneConfirmer: a record is gone when weavy answers 404 at its
// own address (an id that is not one of the object's has no record). A record of a table
// contact_tables leaves out is neither asked for nor gone: Get leaves it out because its
// table is not synced, not because it was deleted, so a contact that takes the pair of such
// an entrant reports it as superseded instead of taking it from a record deemed deleted. A
// right switched off fails the call (KindConfig), as every read does.
func (c *Client) Gone(ctx context.Context, object string, ids []string) ([]string, error) {
	if _, err := entitiesOf(object); err != nil {
		return nil, err
	}
	var gone []string
	for _, id := range ids {
		ent, code, err := route(object, id)
		switch {
		case err != nil:
			gone = append(gone, id)
		case c.synced(ent):
			raw, err := c.getOne(ctx, ent, code)
			if err != nil {
				return gone, err
			}
			if raw == nil {
				gone = append(gone, id)
			}
		}
	}
	return gone, nil
}
