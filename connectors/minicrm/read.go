package minicrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// readOnly are card and contact fields MiniCRM sets itself.
var readOnly = map[string]bool{"Id": true, "Url": true, "Status": true, "User": true, "CategoryId": true,
	"ContactId": true, "BusinessId": true, "Type": true, "Deleted": true, "CreatedAt": true, "CreatedBy": true,
	"UpdatedAt": true, "UpdatedBy": true, "StatusUpdatedAt": true, "ProjectHash": true, "ProjectEmail": true, "IsPrivate": true}

// Modules returns the system's modules with their statuses and card fields
// (GET /Category?Detailed=1, then GET /Schema/Project/{id} per module). Cached for a few minutes.
func (c *Client) Modules(ctx context.Context) ([]Module, error) {
	c.mu.Lock()
	if c.modules != nil && c.now().Sub(c.modulesAt) < cacheTTL {
		m := c.modules
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()
	var cats map[string]struct {
		Name string `json:"Name"`
		Type string `json:"Type"`
	}
	if err := c.do(ctx, http.MethodGet, "/Api/R3/Category", "GET /Category", url.Values{"Detailed": {"1"}}, nil, &cats); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(cats))
	for id := range cats {
		ids = append(ids, id)
	}
	sortIDs(ids)
	var mods []Module
	users := map[string]string{}
	for _, id := range ids {
		var schema map[string]any
		if err := c.do(ctx, http.MethodGet, "/Api/R3/Schema/Project/"+url.PathEscape(id), "GET /Schema/Project/{id}", nil, nil, &schema); err != nil {
			return nil, err
		}
		m := moduleOf(id, cats[id].Name, cats[id].Type, schemaTypes(schema))
		for _, u := range m.Users {
			users[u.ID] = u.Name
		}
		mods = append(mods, m)
	}
	var us []User
	for _, uid := range sortedKeys(users) {
		us = append(us, User{ID: uid, Name: users[uid]})
	}
	c.mu.Lock()
	c.modules, c.modulesAt = mods, c.now()
	if len(us) > 0 {
		c.users = us
	}
	c.mu.Unlock()
	return mods, nil
}

// moduleOf builds a module from its schema: its statuses and owners are the options of
// StatusId and UserId, none when the schema gives none.
func moduleOf(id, name, typ string, types map[string]any) Module {
	m := Module{ID: id, Name: name, Type: typ, types: types}
	statuses, _ := types["StatusId"].(map[string]string)
	for _, sid := range sortedKeys(statuses) {
		m.Statuses = append(m.Statuses, Status{ID: sid, Name: statuses[sid]})
	}
	owners, _ := types["UserId"].(map[string]string)
	for _, uid := range sortedKeys(owners) {
		m.Users = append(m.Users, User{ID: uid, Name: owners[uid]})
	}
	m.Fields = describe(types, map[string]bool{"Name": true})
	m.Fields = append(m.Fields,
		connectors.Field{Name: "Status", Label: "Status", Type: "text", ReadOnly: true},
		connectors.Field{Name: "User", Label: "Owner", Type: "text", ReadOnly: true})
	return m
}

// schemaTypes reads a schema answer: field → type ("Text(512)"), or field → options (id →
// label). MiniCRM is PHP, whose json_encode writes an empty array as [] and one keyed 0..n-1
// as a list: a list is options too, by position, and an empty one means none.
func schemaTypes(schema map[string]any) map[string]any {
	types := make(map[string]any, len(schema))
	for k, v := range schema {
		switch x := v.(type) {
		case map[string]any:
			o := make(map[string]string, len(x))
			for id, label := range x {
				o[id] = str(label)
			}
			v = o
		case []any:
			o := make(map[string]string, len(x))
			for i, label := range x {
				o[strconv.Itoa(i)] = str(label)
			}
			v = o
		}
		types[k] = v
	}
	return types
}

// Users returns the users of the system, read from the owner (UserId) dropdown of the module
// schemas: MiniCRM's R3 API has no documented users endpoint. Always asks MiniCRM.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	c.mu.Lock()
	c.modules = nil
	c.mu.Unlock()
	if _, err := c.Modules(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]User(nil), c.users...), nil
}

func sortIDs(ids []string) {
	sort.Slice(ids, func(i, j int) bool {
		a, ea := strconv.Atoi(ids[i])
		b, eb := strconv.Atoi(ids[j])
		if ea == nil && eb == nil {
			return a < b
		}
		return ids[i] < ids[j]
	})
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortIDs(out)
	return out
}

// describe turns a schema (field → type or options) into Fields.
func describe(types map[string]any, required map[string]bool) []connectors.Field {
	names := make([]string, 0, len(types))
	for k := range types {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []connectors.Field
	for _, k := range names {
		f := connectors.Field{Name: k, Label: k, Required: required[k], ReadOnly: readOnly[k]}
		switch t := types[k].(type) {
		case map[string]string:
			f.Type = "select"
			for _, id := range sortedKeys(t) {
				f.Options = append(f.Options, connectors.Option{Value: id, Label: t[id]})
			}
		case string:
			f.Type = fieldType(t)
		}
		if isList(k, types[k]) {
			f.Type = "multiselect"
		}
		out = append(out, f)
	}
	return out
}

// isList reports whether a field holds a list: Tags (Tags[] on a contact, §4.4) or a field
// whose schema type is Array.
func isList(field string, typ any) bool {
	return field == "Tags" || strings.EqualFold(schemaBase(typ), "Array")
}

// schemaBase is a schema type without its size ("Text(512)" → "Text"); "" for options.
func schemaBase(typ any) string {
	t, _ := typ.(string)
	base, _, _ := strings.Cut(t, "(")
	return base
}

func fieldType(t string) string {
	switch schemaBase(t) {
	case "Int", "Float":
		return "number"
	case "Boolean":
		return "boolean"
	case "DateTime":
		return "datetime"
	case "Date":
		return "date" // a day: a date-time written to it is the day it falls on in Hungary
	case "Url":
		return "url"
	case "Email":
		return "email"
	case "Phone":
		return "tel"
	}
	return "text"
}

// target is a resolved object.
type target struct {
	object string
	module *Module // cards only
	typ    string  // contacts: Person or Business
}

func (c *Client) resolve(ctx context.Context, object string) (target, error) {
	switch object {
	case ObjectPerson:
		return target{object: object, typ: "Person"}, nil
	case ObjectBusiness:
		return target{object: object, typ: "Business"}, nil
	}
	name, ok := strings.CutPrefix(object, CardPrefix)
	if !ok || name == "" {
		return target{}, cfgErr("object", fmt.Sprintf("unsupported object %q (person, business or card:<module>)", object))
	}
	for refreshed := false; ; refreshed = true {
		mods, err := c.Modules(ctx)
		if err != nil {
			return target{}, err
		}
		for i := range mods {
			if mods[i].Name == name {
				return target{object: object, module: &mods[i]}, nil
			}
		}
		if refreshed {
			names := make([]string, len(mods))
			for i := range mods {
				names[i] = mods[i].Name
			}
			sort.Strings(names)
			if len(names) == 0 {
				names = []string{"none"}
			}
			// A module is a product of the account: the guide's Orders and Webshop must be
			// activated (with the API add-on) before anything syncs.
			return target{}, cfgErr("object", fmt.Sprintf("MiniCRM has no module %q (its modules: %s): activate the %s product in MiniCRM, or name one of its modules",
				name, strings.Join(names, ", "), name))
		}
		c.mu.Lock()
		c.modules = nil
		c.mu.Unlock()
	}
}

// Describe lists the fields of an object.
func (c *Client) Describe(ctx context.Context, object string) ([]connectors.Field, error) {
	t, err := c.resolve(ctx, object)
	if err != nil {
		return nil, err
	}
	if t.module != nil {
		return t.module.Fields, nil
	}
	types, err := c.contactSchema(ctx, t.typ)
	if err != nil {
		return nil, err
	}
	req := map[string]bool{"Name": t.typ == "Business"}
	return describe(types, req), nil
}

// contactSchema returns the schema of a contact type, Person or Business (GET /Schema/{type}),
// cached for cacheTTL like the module schemas.
func (c *Client) contactSchema(ctx context.Context, typ string) (map[string]any, error) {
	c.mu.Lock()
	s, ok := c.contactTypes[typ]
	c.mu.Unlock()
	if ok && c.now().Sub(s.at) < cacheTTL {
		return s.types, nil
	}
	var schema map[string]any
	if err := c.do(ctx, http.MethodGet, "/Api/R3/Schema/"+url.PathEscape(typ), "GET /Schema/{type}", nil, nil, &schema); err != nil {
		return nil, err
	}
	types := schemaTypes(schema)
	c.mu.Lock()
	c.contactTypes[typ] = schemaAt{types: types, at: c.now()}
	c.mu.Unlock()
	return types, nil
}

type searchPage struct {
	Count   json.Number                `json:"Count"`
	Results map[string]json.RawMessage `json:"Results"`
}

// UnmarshalJSON accepts Results as an id-keyed object (documented) or, defensively, as [].
func (p *searchPage) UnmarshalJSON(b []byte) error {
	var raw struct {
		Count   json.Number     `json:"Count"`
		Results json.RawMessage `json:"Results"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	p.Count = raw.Count
	p.Results = map[string]json.RawMessage{}
	r := strings.TrimSpace(string(raw.Results))
	if r == "" || r == "null" || r == "[]" {
		return nil
	}
	return json.Unmarshal(raw.Results, &p.Results)
}

func (p searchPage) ids() []string {
	ids := make([]string, 0, len(p.Results))
	for id := range p.Results {
		ids = append(ids, id)
	}
	sortIDs(ids)
	return ids
}

// search runs one search page and returns the ids and the total count.
func (c *Client) search(ctx context.Context, t target, q url.Values, page int) ([]string, int, error) {
	q.Set("Page", strconv.Itoa(page))
	path, op := "/Api/R3/Contact", "GET /Contact"
	if t.module != nil {
		path, op = "/Api/R3/Project", "GET /Project"
		q.Set("CategoryId", t.module.ID)
	} else {
		q.Set("Type", t.typ)
	}
	var p searchPage
	if err := c.do(ctx, http.MethodGet, path, op, q, nil, &p); err != nil {
		return nil, 0, err
	}
	n, _ := strconv.Atoi(p.Count.String())
	return p.ids(), n, nil
}

// List returns one page (MiniCRM's fixed 100) of records changed at or after q.Since; q.Limit
// is ignored. MiniCRM pages by number, so a record that leaves the listing between two pages
// (deleted, moved to another module) moves every later one a place back: the cursor holds the
// next page's number and the ids of this page (connectors.EncodeAnchors), and the next page
// reads the page before it again and keeps the ids it has not returned yet.
func (c *Client) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	t, err := c.resolve(ctx, object)
	if err != nil {
		return connectors.Page{}, err
	}
	page, seen, err := decodeCursor(q.Cursor)
	if err != nil {
		return connectors.Page{}, invalid("list", "bad cursor")
	}
	v := url.Values{}
	if !q.Since.IsZero() {
		v.Set("UpdatedSince", hungarian(q.Since))
	}
	ids, total, err := c.search(ctx, t, v, page)
	if err != nil {
		return connectors.Page{}, err
	}
	read := ids
	if page > 0 && len(seen) > 0 {
		before, _, err := c.search(ctx, t, v, page-1)
		if err != nil {
			return connectors.Page{}, err
		}
		read = unseen(append(before, ids...), seen)
	}
	recs, err := c.get(ctx, t, read)
	if err != nil {
		return connectors.Page{}, err
	}
	out := connectors.Page{Records: recs}
	if (page+1)*PageSize < total && len(ids) > 0 {
		out.Cursor, out.More = strconv.Itoa(page+1)+":"+connectors.EncodeAnchors(ids), true
	}
	return out, nil
}

// decodeCursor reads a List cursor: "page:anchors", or a bare page number (a cursor saved
// before the anchors).
func decodeCursor(cursor string) (page int, seen []string, err error) {
	if cursor == "" {
		return 0, nil, nil
	}
	num, anchors, _ := strings.Cut(cursor, ":")
	if page, err = strconv.Atoi(num); err != nil || page < 0 {
		return 0, nil, fmt.Errorf("bad cursor %q", cursor)
	}
	seen, err = connectors.DecodeAnchors(anchors)
	return page, seen, err
}

// unseen returns ids without those of seen and without repeats, in id order.
func unseen(ids, seen []string) []string {
	skip := make(map[string]bool, len(seen)+len(ids))
	for _, id := range seen {
		skip[id] = true
	}
	var out []string
	for _, id := range ids {
		if !skip[id] {
			skip[id] = true
			out = append(out, id)
		}
	}
	sortIDs(out)
	return out
}

// Get reads records by id; missing ids (and records of another module or type, and records in
// MiniCRM's trash: Deleted 1) are left out.
func (c *Client) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	t, err := c.resolve(ctx, object)
	if err != nil {
		return nil, err
	}
	return c.get(ctx, t, ids)
}

func (c *Client) get(ctx context.Context, t target, ids []string) ([]connectors.Record, error) {
	var out []connectors.Record
	var types map[string]any // the contact schema, fetched once a contact is read
	typesRead := false
	for _, id := range ids {
		if _, err := strconv.Atoi(id); err != nil {
			continue
		}
		var raw map[string]any
		path, op := "/Api/R3/Contact/"+id, "GET /Contact/{id}"
		if t.module != nil {
			path, op = "/Api/R3/Project/"+id, "GET /Project/{id}"
		}
		if err := c.do(ctx, http.MethodGet, path, op, nil, nil, &raw); err != nil {
			var e *connectors.Error
			if errors.As(err, &e) && e.Status == http.StatusNotFound {
				continue
			}
			return nil, err
		}
		if trashed(raw) {
			continue // in MiniCRM's trash: gone, as searches say
		}
		if t.module != nil {
			if str(raw["CategoryId"]) != t.module.ID {
				continue
			}
			out = append(out, c.cardRecord(t.module, raw))
		} else {
			if str(raw["Type"]) != t.typ {
				continue
			}
			if !typesRead {
				var err error
				if types, err = c.contactSchema(ctx, t.typ); err != nil {
					return nil, err
				}
				typesRead = true
			}
			out = append(out, contactRecord(types, raw))
		}
	}
	return out, nil
}

// trashed reports whether MiniCRM answers a record as soft-deleted: "Deleted" 1 (reference
// §4.3: a card is deleted with PUT {"Deleted":1}, which only moves it to the trash; Project and
// Business answers carry the field), as a number, a string or a Boolean. Searches leave such
// records out unless asked for Deleted=1; Get leaves them out too, as ids that do not exist
// (the Connector contract), so that the sync takes the card for deleted instead of writing
// updates into a card in the trash.
func trashed(raw map[string]any) bool {
	switch strings.ToLower(strings.TrimSpace(str(raw["Deleted"]))) {
	case "1", "true":
		return true
	}
	return false
}

// FindByKey finds records whose field equals one of values: a person or business by "Email"
// (or any searchable contact field), a card by any of its module's fields (e.g. an external
// reference field), by "Name" or by "ReferenceId".
func (c *Client) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	t, err := c.resolve(ctx, object)
	if err != nil {
		return nil, err
	}
	if t.module != nil {
		if _, ok := t.module.types[field]; !ok && field != "ReferenceId" {
			return nil, cfgErr("find", fmt.Sprintf("module %q has no field %q", t.module.Name, field))
		}
	}
	seen := map[string]bool{}
	var out []connectors.Record
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		asked := v
		if t.module != nil {
			v = fitText(v, t.module.types[field]) // the value a card was written with
		}
		for page := 0; ; page++ {
			ids, total, err := c.search(ctx, t, url.Values{field: {v}}, page)
			if err != nil {
				return nil, err
			}
			var fresh []string
			for _, id := range ids {
				if !seen[id] {
					seen[id] = true
					fresh = append(fresh, id)
				}
			}
			recs, err := c.get(ctx, t, fresh)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				if !matches(r.Fields[field], v) && !matches(r.Fields[field], asked) { // or read back whole (uncut)
					continue
				}
				if v != asked {
					// Found by the value cut to its field: it holds the value asked for, as
					// far as the field can, and a caller pairing on that value must know it.
					r.Fields[field] = asked
				}
				out = append(out, r)
			}
			if (page+1)*PageSize >= total || len(ids) == 0 {
				break
			}
		}
	}
	return out, nil
}

// matches reports whether a found record's value is the one looked up. Case is ignored, as
// MiniCRM's search ignores it and lookups ask in lower case: a card whose order key has
// capitals would otherwise never be found, and a retried create would make it twice.
func matches(have any, want string) bool {
	return strings.EqualFold(strings.TrimSpace(connectors.Text(have)), strings.TrimSpace(want))
}

// value normalises a MiniCRM value by schema type.
func value(v any, typ any) any {
	if v == nil || str(v) == "" {
		return nil
	}
	switch t := typ.(type) {
	case map[string]string:
		if l, ok := t[str(v)]; ok {
			return l // an id: answer its label
		}
		return str(v)
	case string:
		switch fieldType(t) {
		case "number":
			f, err := connectors.ParseNumber(str(v))
			if err != nil {
				return str(v)
			}
			return f
		case "boolean":
			s := strings.ToLower(str(v))
			return s == "1" || s == "true"
		case "datetime":
			return dateTimeValue(str(v))
		}
	}
	return str(v)
}

// dateTimeValue reads a DateTime value, Hungarian wall time without a zone, as RFC 3339 with
// Budapest's offset then: read without a zone, it would be taken for UTC, and a date-time
// written from another system would come back an hour or two off (a change on every pass).
// A value in another form is left as it is.
func dateTimeValue(s string) any {
	s = strings.TrimSpace(s)
	for _, layout := range []string{timeLayout, dateLayout} {
		if t, err := time.ParseInLocation(layout, s, Budapest); err == nil {
			return t.Format(time.RFC3339)
		}
	}
	return s
}

// fieldValue reads a value of a card or a contact by its schema type (value), but for a
// list, read as a list (listValue: a []string, nil when empty), and an object (a File field's
// {"Url","Name"}), read as its JSON text: fmt's Go syntax ("[VIP Partner]", "map[…]") would
// be synced as the value, and a list written back as one entry.
func fieldValue(v any, typ any) any {
	switch x := v.(type) {
	case []any:
		return listValue(x, typ)
	case map[string]any:
		return jsonText(x)
	}
	return value(v, typ)
}

// jsonText writes a value decoded from JSON back as JSON (an object's keys sorted).
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return str(v)
	}
	return string(b)
}

// cardRecord reads a card (GET /Project/{id}) by its module's schema: see fieldValue.
func (c *Client) cardRecord(m *Module, raw map[string]any) connectors.Record {
	r := connectors.Record{ID: str(raw["Id"]), Fields: map[string]any{}, Links: map[string]string{}}
	for k, t := range m.types {
		switch k {
		case "StatusId", "UserId", "ContactId", "BusinessId":
			continue
		}
		r.Fields[k] = c.uncut(r.ID, k, fieldValue(raw[k], t))
	}
	if v := str(raw["ReferenceId"]); v != "" {
		r.Fields["ReferenceId"] = v
	}
	status := str(raw["StatusId"])
	r.Fields["StatusId"], r.Fields["Status"] = lookup(m.types["StatusId"], status)
	r.Fields["UserId"], r.Fields["User"] = lookup(m.types["UserId"], str(raw["UserId"]))
	if v := str(raw["ContactId"]); v != "" && v != "0" {
		r.Links[ObjectPerson] = v
	}
	if v := str(raw["BusinessId"]); v != "" && v != "0" {
		r.Links[ObjectBusiness] = v
	}
	r.UpdatedAt = parseTime(raw["UpdatedAt"])
	return r
}

// lookup maps a dropdown value answered as a name or an id to (id, name).
func lookup(typ any, v any) (any, any) {
	s := str(v)
	if s == "" {
		return nil, nil
	}
	opts, _ := typ.(map[string]string)
	if name, ok := opts[s]; ok {
		return s, name
	}
	for id, name := range opts {
		if strings.EqualFold(name, s) {
			return id, name
		}
	}
	return nil, s
}

// contactRecord reads a contact (GET /Contact/{id}) as cards are read: each field by its type
// in the contact schema (enum ids → labels, Boolean 1/0 → true/false, numbers of text fields
// as text). A list (Tags[]) is a []string, each entry by the field's options when it has
// some; an empty one is nil. A field the schema does not name keeps its JSON number as a
// float64, and an object its JSON text.
func contactRecord(types map[string]any, raw map[string]any) connectors.Record {
	r := connectors.Record{ID: str(raw["Id"]), Fields: map[string]any{}, Links: map[string]string{}}
	for k, v := range raw {
		switch k {
		case "Id", "Url", "Type", "CreatedAt", "CreatedBy", "UpdatedAt", "UpdatedBy", "BusinessId":
			continue
		}
		typ, known := types[k]
		switch x := v.(type) {
		case []any, map[string]any:
			r.Fields[k] = fieldValue(x, typ)
		case json.Number:
			if known {
				r.Fields[k] = value(v, typ)
			} else {
				f, _ := x.Float64()
				r.Fields[k] = f
			}
		default:
			if !known {
				typ = "Text"
			}
			r.Fields[k] = value(v, typ)
		}
	}
	if v := str(raw["BusinessId"]); v != "" && v != "0" {
		r.Links[ObjectBusiness] = v
	}
	r.UpdatedAt = parseTime(raw["UpdatedAt"])
	return r
}

// listValue reads a list value (Tags[]): its entries as text (an object or a list as its
// JSON text), an id among the field's options as its label, without empty entries; nil when
// none is left.
func listValue(list []any, typ any) any {
	opts, _ := typ.(map[string]string)
	var out []string
	for _, e := range list {
		var s string
		switch e.(type) {
		case map[string]any, []any:
			s = jsonText(e)
		default:
			s = strings.TrimSpace(str(e))
		}
		if l, ok := opts[s]; ok {
			s = l
		}
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func parseTime(v any) time.Time {
	t, err := time.ParseInLocation(timeLayout, str(v), Budapest)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
