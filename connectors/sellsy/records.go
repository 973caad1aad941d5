package sellsy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/connectors"
	gojson "github.com/goccy/go-json"
)

// object describes one Sellsy object as the connector sees it.
type object struct {
	name       string // connectors.ObjectCompany / ObjectContact
	path       string // "/companies"
	updated    string // timestamp field on read: companies "updated_at", contacts "updated"
	filter     string // search filter on that timestamp: same names
	fields     []stdField
	searchable map[string]string // FindByKey field → search filter
}

type stdField struct {
	name, label, typ     string
	required, createOnly bool // createOnly: the update body has no such field
	options              []connectors.Option
}

var (
	// thirdTypes are the types of companies and individuals; civilities those of people.
	thirdTypes = []connectors.Option{{Value: "prospect", Label: "Prospect"}, {Value: "client", Label: "Client"}, {Value: "supplier", Label: "Supplier"}}
	civilities = []connectors.Option{{Value: "mr", Label: "Mr"}, {Value: "mrs", Label: "Mrs"}, {Value: "ms", Label: "Ms"}}

	companyObj = &object{
		name: connectors.ObjectCompany, path: "/companies", updated: "updated_at", filter: "updated_at",
		fields: []stdField{
			{name: "name", label: "Name", typ: "string", required: true},
			{name: "email", label: "E-mail", typ: "email"},
			{name: "website", label: "Website", typ: "url"},
			{name: "phone_number", label: "Phone", typ: "phone"},
			{name: "mobile_number", label: "Mobile", typ: "phone"},
			{name: "siret", label: "SIRET", typ: "string"},
			{name: "type", label: "Type", typ: "select", createOnly: true, options: thirdTypes},
			{name: "note", label: "Note", typ: "text"},
			// legal_france.company_type, free text ("SAS", "SARL"…): the legal form, mapped
			// to value lists such as Altior's legal forms.
			{name: "legal_form", label: "Legal form", typ: "string"},
		},
		// Sellsy's company filters are exact matches on name, email and siret.
		searchable: map[string]string{"name": "name", "siret": "siret", "email": "email"},
	}
	contactObj = &object{
		name: connectors.ObjectContact, path: "/contacts", updated: "updated", filter: "updated",
		fields: []stdField{
			{name: "civility", label: "Civility", typ: "select", options: civilities},
			{name: "first_name", label: "First name", typ: "string"},
			{name: "last_name", label: "Last name", typ: "string", required: true},
			{name: "email", label: "E-mail", typ: "email"},
			{name: "phone_number", label: "Phone", typ: "phone"},
			{name: "mobile_number", label: "Mobile", typ: "phone"},
			{name: "position", label: "Position", typ: "string"},
			{name: "note", label: "Note", typ: "text"},
		},
		searchable: map[string]string{"email": "email", "last_name": "last_name", "phone_number": "phone_number", "mobile_number": "mobile_number"},
	}
)

// legalFrance maps the company fields that live in Sellsy's legal_france object to their key
// there.
var legalFrance = map[string]string{"siret": "siret", "legal_form": "company_type"}

func objectOf(name string) (*object, error) {
	switch name {
	case connectors.ObjectCompany:
		return companyObj, nil
	case connectors.ObjectContact:
		return contactObj, nil
	case ObjectIndividual:
		return individualObj, nil
	case ObjectOpportunity:
		return opportunityObj, nil
	}
	return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "object", Message: fmt.Sprintf("object %q is not supported (company, contact, individual, opportunity)", name)}
}

func (o *object) isContact() bool { return o == contactObj }

// isThird reports whether the object is a third party (company or individual): it has a
// type and takes the client/prospect/supplier custom fields.
func (o *object) isThird() bool { return o == companyObj || o == individualObj }

func (o *object) has(field string) bool {
	_, ok := o.field(field)
	return ok
}

// createOnly reports whether a standard field is set at creation only.
func (o *object) createOnly(name string) bool {
	f, _ := o.field(name)
	return f.createOnly
}

// field returns the standard field of that name.
func (o *object) field(name string) (stdField, bool) {
	for _, f := range o.fields {
		if f.name == name {
			return f, true
		}
	}
	return stdField{}, false
}

// listBody is the list/search envelope.
type listBody struct {
	Data       []map[string]any `json:"data"`
	Pagination struct {
		Limit  int `json:"limit"`
		Count  int `json:"count"`
		Total  int `json:"total"`
		Offset any `json:"offset"`
	} `json:"pagination"`
}

// UnmarshalJSON refuses an envelope without its data list, or with a null one: Sellsy answers
// an empty result with "data": [], and a read that took another answer (a proxy's, an
// error page's JSON) for "no records" would move a cursor past changes, or have the sync
// delete the counterparts of the records it asked for.
func (b *listBody) UnmarshalJSON(raw []byte) error {
	type envelope listBody // without this method
	var e envelope
	if err := gojson.Unmarshal(raw, &e); err != nil {
		return err
	}
	if e.Data == nil {
		return errors.New(`the answer holds no "data" list`)
	}
	*b = listBody(e)
	return nil
}

// ---- reading ----

// toRecord normalises one API record.
func (c *Client) toRecord(o *object, m map[string]any, defs []cfDef) connectors.Record {
	r := connectors.Record{ID: idString(m["id"]), Fields: map[string]any{}}
	for _, f := range o.fields {
		var v any
		if key := legalFrance[f.name]; key != "" {
			if lf, ok := m["legal_france"].(map[string]any); ok {
				v = lf[key]
			}
		} else {
			v = m[f.name]
		}
		r.Fields[f.name] = normalise(v)
	}
	if o.isContact() {
		r.Absent = append(r.Absent, consentFields(m, r.Fields)...)
	}
	r.UpdatedAt = timestamp(m[o.updated])
	// Every object says when it was created: with initial from_a: false, a record that existed
	// before the import stays out even once it is edited.
	r.CreatedAt = timestamp(m["created"])
	embedCFs(m, defs, r.Fields)
	return r
}

// timestamp reads one of Sellsy's RFC 3339 date-times; zero when absent or unreadable.
func timestamp(v any) time.Time {
	if s, ok := v.(string); ok {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// cfNotRead names the custom fields a read was to give and did not: asked for and missing
// from _embed.custom_fields (null when the scopes do not allow the embed), or mapped by the
// connection while their definition was not read (deleted in Sellsy, or custom-fields.read
// refused). Their value is unknown, not empty (connectors.Record.Absent): taken as empty, a
// sync would clear the other side's value.
func (c *Client) cfNotRead(o *object, defs []cfDef, fields map[string]any) []string {
	var out []string
	missing := func(name string) {
		if _, ok := fields[name]; !ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if wanted, scoped := c.cfg.Fields[o.name]; scoped {
		for _, name := range wanted {
			if strings.HasPrefix(name, "cf.") {
				missing(name)
			}
		}
		return out
	}
	for _, d := range defs {
		missing(d.fieldName())
	}
	return out
}

// embedCFs copies the custom-field values of _embed.custom_fields into fields.
func embedCFs(m map[string]any, defs []cfDef, fields map[string]any) {
	if emb, ok := m["_embed"].(map[string]any); ok {
		if cfs, ok := emb["custom_fields"].([]any); ok {
			for _, x := range cfs {
				cm, ok := x.(map[string]any)
				if !ok {
					continue
				}
				id, _ := cm["id"].(float64)
				d := findDef(defs, int(id))
				if d == nil {
					continue
				}
				fields[d.fieldName()] = d.fromAPI(cm["value"])
			}
		}
	}
}

func idString(v any) string {
	switch n := v.(type) {
	case float64:
		return strconv.FormatInt(int64(n), 10)
	case string:
		return n
	}
	return ""
}

// normalise maps a JSON value to string / float64 / bool / []string / nil.
func normalise(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
		return x
	case float64, bool:
		return x
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]string, 0, len(x))
		for _, e := range x {
			if e != nil {
				out = append(out, connectors.Text(e)) // an id: 38476512, not 3.8476512e+07
			}
		}
		return out
	}
	return fmt.Sprint(v)
}

// embedQuery asks for the values of the object's custom fields: those the connection maps
// when Config.Fields names them, else all. Each embedded field carries its whole definition,
// so asking only for the mapped ones makes list pages several times lighter.
func (c *Client) embedQuery(q url.Values, defs []cfDef, o *object) {
	wanted, scoped := c.cfg.Fields[o.name]
	for _, d := range defs {
		if scoped && !slices.Contains(wanted, d.fieldName()) {
			continue
		}
		q.Add("embed[]", "cf."+strconv.Itoa(d.ID))
	}
}

// List implements connectors.Connector. With a zero Since it walks GET /{object} in seek mode;
// otherwise it searches on the update timestamp (companies updated_at, contacts updated) from
// Since. Both are ordered by id; the cursor is Sellsy's opaque seek offset.
func (c *Client) List(ctx context.Context, objName string, q connectors.ListQuery) (connectors.Page, error) {
	o, err := objectOf(objName)
	if err != nil {
		return connectors.Page{}, err
	}
	limit := q.Limit
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	defs, err := c.defsFor(ctx, o)
	if err != nil {
		return connectors.Page{}, err
	}
	query := url.Values{"limit": {strconv.Itoa(limit)}, "order": {"id"}, "direction": {"asc"}}
	if q.Cursor != "" {
		query.Set("offset", q.Cursor)
	}
	c.embedQuery(query, defs, o)
	k := call{method: "GET", path: o.path, op: "GET " + o.path, query: query}
	if !q.Since.IsZero() && o.updated != "" { // opportunities have no update timestamp: Since is ignored
		k = call{method: "POST", path: o.path + "/search", op: "POST " + o.path + "/search", query: query,
			body: map[string]any{"filters": map[string]any{o.filter: map[string]any{"start": q.Since.Format(time.RFC3339)}}}}
	}
	var body listBody
	if _, err := c.do(ctx, k, &body); err != nil {
		return connectors.Page{}, err
	}
	recs := make([]connectors.Record, len(body.Data))
	for i, m := range body.Data {
		recs[i] = c.recordOf(o, m, defs)
	}
	if err := c.addLinks(ctx, o, recs); err != nil {
		return connectors.Page{}, err
	}
	if o == companyObj && q.Since.IsZero() && c.cfg.ContactLinks && len(recs) > 0 {
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		c.noteCompanyContacts(ctx, ids)
	}
	page := connectors.Page{Records: recs, Cursor: q.Cursor, More: len(body.Data) == limit}
	if s, ok := body.Pagination.Offset.(string); ok && s != "" {
		page.Cursor = s
	}
	if page.More && page.Cursor == q.Cursor {
		// A full page with no next offset (or the one asked for again): asked again, it
		// would answer the same page for ever.
		return connectors.Page{}, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: k.op,
			Message: fmt.Sprintf("Sellsy answered a full page of %s without the offset of the next one: the listing cannot go on (is api_url Sellsy's API V2?)", o.name)}
	}
	return page, nil
}

// addLinks sets Links["company"] on contacts to their first linked company, or to "" when
// their own lookup answers they have none (known none, see connectors.Record.Links). The note
// of a walk only ever gives a company: a contact it leaves out is looked up.
func (c *Client) addLinks(ctx context.Context, o *object, recs []connectors.Record) error {
	if !o.isContact() || len(recs) == 0 {
		return nil
	}
	var lookup []int
	for i := range recs {
		if company, ok := c.companyFromNote(recs[i].ID); ok && company != "" {
			recs[i].Links = map[string]string{connectors.ObjectCompany: company}
		} else {
			lookup = append(lookup, i)
		}
	}
	errs := forEach(ctx, len(lookup), func(ctx context.Context, j int) error {
		i := lookup[j]
		companies, err := c.companiesOf(ctx, recs[i].ID, 1, recordCall{})
		if err != nil {
			return err
		}
		company := "" // answered with no company: it has none
		if len(companies) > 0 {
			if company = companies[0]; company == "" {
				return nil // a company the answer does not name: unknown, not none
			}
		}
		recs[i].Links = map[string]string{connectors.ObjectCompany: company}
		return nil
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// companiesOf lists the ids of contact id's companies (GET /contacts/{id}/companies, its
// first page of up to limit), in the order Sellsy gives them; "" for one the answer does not
// name. rec names the contact for the message of a 403 (see aclCheck), when set.
func (c *Client) companiesOf(ctx context.Context, id string, limit int, rec recordCall) ([]string, error) {
	var body listBody
	if _, err := c.do(ctx, call{method: "GET", path: "/contacts/" + id + "/companies", op: "GET /contacts/{id}/companies",
		query: url.Values{"limit": {strconv.Itoa(limit)}}, rec: rec}, &body); err != nil {
		return nil, err
	}
	ids := make([]string, len(body.Data))
	for i, m := range body.Data {
		ids[i] = idString(m["id"])
	}
	return ids, nil
}

// forEach runs fn for 0..n-1 with at most `concurrency` in flight. After a failure that is not
// KindInvalid (quota, auth, outage), items not yet started fail with that error instead of
// being sent. A panic in fn (decoding an answer of a shape the code does not expect) is
// recovered in its goroutine, where nothing above could recover it and it would end the
// worker process: it is the item's error (connectors.Safe), not retried, and stops the rest.
func forEach(ctx context.Context, n int, fn func(context.Context, int) error) []error {
	errs := make([]error, n)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		abort error
	)
	sem := make(chan struct{}, concurrency)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		mu.Lock()
		stop := abort
		mu.Unlock()
		if stop == nil && ctx.Err() != nil {
			stop = ctx.Err()
		}
		if stop != nil {
			errs[i] = stop
			<-sem
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			err := connectors.Safe(System, "call", func() error { return fn(ctx, i) })
			errs[i] = err
			if err != nil && connectors.KindOf(err) != connectors.KindInvalid {
				mu.Lock()
				if abort == nil {
					abort = err
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	return errs
}

// Get implements connectors.Connector with the search id filter, 100 ids per request.
func (c *Client) Get(ctx context.Context, objName string, ids []string) ([]connectors.Record, error) {
	o, err := objectOf(objName)
	if err != nil {
		return nil, err
	}
	var nums []int
	seen := map[int]bool{}
	for _, id := range ids {
		n, ok := ParseID(id)
		if !ok || seen[n] {
			continue // not a Sellsy id: it does not exist
		}
		seen[n] = true
		nums = append(nums, n)
	}
	if o == opportunityObj {
		return c.getOpportunities(ctx, nums)
	}
	return c.search(ctx, o, nums, nil)
}

// search returns the records matching filters (or the id list, 100 at a time).
func (c *Client) search(ctx context.Context, o *object, ids []int, filters map[string]any) ([]connectors.Record, error) {
	defs, err := c.defsFor(ctx, o)
	if err != nil {
		return nil, err
	}
	var out []connectors.Record
	run := func(f map[string]any) error {
		cursor := ""
		for {
			query := url.Values{"limit": {"100"}, "order": {"id"}}
			if cursor != "" {
				query.Set("offset", cursor)
			}
			c.embedQuery(query, defs, o)
			var body listBody
			if _, err := c.do(ctx, call{method: "POST", path: o.path + "/search", op: "POST " + o.path + "/search",
				query: query, body: map[string]any{"filters": f}}, &body); err != nil {
				return err
			}
			for _, m := range body.Data {
				out = append(out, c.recordOf(o, m, defs))
			}
			s, _ := body.Pagination.Offset.(string)
			if len(body.Data) < 100 || s == "" {
				return nil
			}
			cursor = s
		}
	}
	if filters != nil {
		if err := run(filters); err != nil {
			return nil, err
		}
	} else {
		for start := 0; start < len(ids); start += 100 {
			chunk := ids[start:min(start+100, len(ids))]
			if err := run(map[string]any{"id": chunk}); err != nil {
				return nil, err
			}
		}
	}
	if err := c.addLinks(ctx, o, out); err != nil {
		return nil, err
	}
	return out, nil
}

// FindByKey implements connectors.Connector. Contacts are searchable by email, last_name,
// phone_number and mobile_number; companies by name, siret and email: Sellsy's exact-match
// search filters, one search per value. E-mail comparisons ignore case.
func (c *Client) FindByKey(ctx context.Context, objName, field string, values []string) ([]connectors.Record, error) {
	o, err := objectOf(objName)
	if err != nil {
		return nil, err
	}
	filter, ok := o.searchable[field]
	if !ok {
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "find " + objName,
			Message: fmt.Sprintf("field %q is not searchable in Sellsy (use one of %s)", field, strings.Join(keys(o.searchable), ", "))}
	}
	uniq := map[string]bool{}
	var vals []string
	for _, v := range values {
		v = strings.TrimSpace(v)
		k := v
		if field == "email" {
			k = strings.ToLower(v)
		}
		if v != "" && !uniq[k] {
			uniq[k] = true
			vals = append(vals, v)
		}
	}
	results := make([][]connectors.Record, len(vals))
	errs := forEach(ctx, len(vals), func(ctx context.Context, i int) error {
		recs, err := c.search(ctx, o, nil, map[string]any{filter: vals[i]})
		results[i] = recs
		return err
	})
	var out []connectors.Record
	seen := map[string]bool{}
	for i, recs := range results {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, r := range recs {
			got, _ := r.Fields[field].(string)
			match := got == vals[i]
			if field == "email" || field == "name" {
				match = strings.EqualFold(strings.TrimSpace(got), vals[i])
			}
			if match && !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// refusedMessage names each refused field with Sellsy's reason (or the connector's), so that a
// quarantine entry says why ("last_name: Cette chaîne est trop longue…"), not only which;
// reasons are redacted (no e-mail address, bounded) since a whole call's refusal reaches
// workflow histories.
func refusedMessage(fields map[string]string) string {
	parts := make([]string, 0, len(fields))
	for _, f := range keys(fields) {
		if reason := strings.TrimSpace(fields[f]); reason != "" {
			parts = append(parts, f+": "+connectors.Redact(reason))
		} else {
			parts = append(parts, f)
		}
	}
	return "refused field(s): " + strings.Join(parts, "; ")
}

// Gone implements connectors.GoneConfirmer with GET /{object}/{id}: 404 for a deleted record,
// 403 for one the credentials may not see.
func (c *Client) Gone(ctx context.Context, objName string, ids []string) ([]string, error) {
	o, err := objectOf(objName)
	if err != nil {
		return nil, err
	}
	op := "GET " + o.path + "/{id}"
	notID := func(id string) bool { _, ok := ParseID(id); return !ok }
	get := func(id string) error {
		n, _ := ParseID(id)
		_, err := c.do(ctx, call{method: "GET", path: o.path + "/" + strconv.Itoa(n), op: op}, nil)
		return err
	}
	hidden := func(id string) error {
		return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: op, Status: http.StatusForbidden,
			Message: fmt.Sprintf("the credentials may not see %s %s, which a lookup left out: grant them its read right, or nothing they cannot see is told from a deletion", objName, id)}
	}
	return connectors.ConfirmGone(ids, notID, get, hidden)
}
