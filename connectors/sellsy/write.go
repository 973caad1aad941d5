package sellsy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// ---- custom fields ----

// cfDef is a custom-field definition from GET /custom-fields.
type cfDef struct {
	ID       int
	Name     string
	Code     string
	Type     string // Sellsy V2 type: simple-text, select, boolean, ...
	Related  []string
	Items    []connectors.Option // Value: choice id, Label: choice label
	Req      bool
	Currency string // amount: parameters.currency
	Unit     string // numeric-with-unit: parameters.unit
}

func (d *cfDef) fieldName() string {
	if d.Code != "" {
		return "cf." + d.Code
	}
	return "cf." + strconv.Itoa(d.ID)
}

func (d *cfDef) appliesTo(o *object) bool {
	for _, r := range d.Related {
		if o.isThird() && (r == "client" || r == "prospect" || r == "supplier") {
			return true
		}
		if o.isContact() && r == "contact" {
			return true
		}
		if o == opportunityObj && r == "opportunity" {
			return true
		}
	}
	return false
}

func findDef(defs []cfDef, id int) *cfDef {
	for i := range defs {
		if defs[i].ID == id {
			return &defs[i]
		}
	}
	return nil
}

const cfTTL = 5 * time.Minute

// defs returns the custom-field definitions, cached for a few minutes. Without the
// custom-fields.read scope (403), custom fields are left out.
func (c *Client) defs(ctx context.Context) ([]cfDef, error) {
	c.cfMu.Lock()
	defer c.cfMu.Unlock()
	if !c.cfLoaded.IsZero() && time.Since(c.cfLoaded) < cfTTL {
		return c.cfDefs, nil
	}
	var defs []cfDef
	cursor := ""
	for {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("offset", cursor)
		}
		var body listBody
		if _, err := c.do(ctx, call{method: "GET", path: "/custom-fields", op: "GET /custom-fields", query: q}, &body); err != nil {
			if e, ok := err.(*connectors.Error); ok && e.Status == 403 {
				break
			}
			return nil, err
		}
		for _, m := range body.Data {
			defs = append(defs, parseDef(m))
		}
		s, _ := body.Pagination.Offset.(string)
		if len(body.Data) < 100 || s == "" {
			break
		}
		cursor = s
	}
	c.cfDefs, c.cfLoaded = defs, time.Now()
	return defs, nil
}

func parseDef(m map[string]any) cfDef {
	id, _ := m["id"].(float64)
	d := cfDef{ID: int(id)}
	d.Name, _ = m["name"].(string)
	d.Code, _ = m["code"].(string)
	d.Type, _ = m["type"].(string)
	d.Req, _ = m["mandatory"].(bool)
	// The real API says related_objects; the spec says related_object.
	for _, key := range []string{"related_objects", "related_object"} {
		if arr, ok := m[key].([]any); ok {
			for _, r := range arr {
				if s, ok := r.(string); ok {
					d.Related = append(d.Related, s)
				}
			}
			break
		}
	}
	if p, ok := m["parameters"].(map[string]any); ok {
		d.Currency, _ = p["currency"].(string)
		d.Unit, _ = p["unit"].(string)
		if items, ok := p["items"].([]any); ok {
			for _, it := range items {
				im, _ := it.(map[string]any)
				iid, _ := im["id"].(float64)
				lbl, _ := im["label"].(string)
				d.Items = append(d.Items, connectors.Option{Value: strconv.Itoa(int(iid)), Label: lbl})
			}
		}
	}
	return d
}

func (c *Client) defsFor(ctx context.Context, o *object) ([]cfDef, error) {
	all, err := c.defs(ctx)
	if err != nil {
		return nil, err
	}
	var out []cfDef
	for _, d := range all {
		if d.appliesTo(o) {
			out = append(out, d)
		}
	}
	return out, nil
}

// Describe implements connectors.Connector: the standard fields, then the custom fields with
// their Sellsy V2 type names.
func (c *Client) Describe(ctx context.Context, objName string) ([]connectors.Field, error) {
	o, err := objectOf(objName)
	if err != nil {
		return nil, err
	}
	defs, err := c.defsFor(ctx, o)
	if err != nil {
		return nil, err
	}
	var out []connectors.Field
	for _, f := range o.fields {
		out = append(out, connectors.Field{Name: f.name, Label: f.label, Type: f.typ, Required: f.required, CreateOnly: f.createOnly, Options: f.options})
	}
	if o.isContact() {
		for _, c := range consentChannels {
			out = append(out, connectors.Field{Name: c.field, Label: c.label, Type: "boolean"})
		}
	}
	for _, d := range defs {
		// AppliesTo: a company or individual of a type outside the related objects has no
		// value of the field (validate checks that a gate applies to every type let through).
		f := connectors.Field{Name: d.fieldName(), Label: d.Name, Type: d.Type, Required: d.Req, AppliesTo: slices.Clone(d.Related)}
		for _, it := range d.Items {
			f.Options = append(f.Options, connectors.Option{Value: it.Label, Label: it.Label})
		}
		out = append(out, f)
	}
	return out, nil
}

// ---- writing ----

// writeBody maps a record's fields to the API write shape. Unknown fields are refused, and so
// are custom-field values that do not fit their type and empty mandatory custom fields (on
// create, a mandatory custom field must be given). consent maps the channels of the contact's
// unsubscribed.* fields to their value (true: unsubscribed).
func (c *Client) writeBody(o *object, r connectors.Record, create bool, defs []cfDef) (body map[string]any, cfs []map[string]any, consent map[string]bool, _ *connectors.Error) {
	body = map[string]any{}
	bad := map[string]string{}
	given := map[int]bool{}
	for name, v := range r.Fields {
		if strings.HasPrefix(name, "cf.") {
			var d *cfDef
			for i := range defs {
				if defs[i].fieldName() == name || "cf."+strconv.Itoa(defs[i].ID) == name {
					d = &defs[i]
				}
			}
			if d == nil {
				bad[name] = "unknown custom field"
				continue
			}
			given[d.ID] = true
			val, reason := d.toAPI(v)
			if reason != "" {
				bad[d.fieldName()] = fmt.Sprintf("%s: value does not fit a %s field", reason, d.Type)
				continue
			}
			if val == nil && d.Req {
				bad[d.fieldName()] = "required (mandatory custom field)"
				continue
			}
			cfs = append(cfs, map[string]any{"id": d.ID, "value": val})
			continue
		}
		if ch := consentChannel(name); ch != "" && o.isContact() {
			var b bool
			switch x := v.(type) {
			case nil:
				continue // unknown: the channel is left as it is
			case bool:
				b = x
			case string:
				var err error
				if b, err = strconv.ParseBool(strings.TrimSpace(x)); err != nil {
					bad[name] = "not a boolean"
					continue
				}
			default:
				bad[name] = "not a boolean"
				continue
			}
			if consent == nil {
				consent = map[string]bool{}
			}
			consent[ch] = b
			continue
		}
		if !o.has(name) {
			bad[name] = "unknown field"
			continue
		}
		var s any
		switch x := v.(type) {
		case nil:
			s = nil
		case string:
			s = strings.TrimSpace(x)
			if s == "" {
				s = nil
			}
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(x)
		case []string:
			s = strings.Join(x, ", ")
		default:
			s = fmt.Sprint(x)
		}
		switch {
		case legalFrance[name] != "":
			if sv, ok := s.(string); ok && name == "siret" {
				s = strings.ReplaceAll(sv, " ", "")
			}
			lf, _ := body["legal_france"].(map[string]any)
			if lf == nil {
				lf = map[string]any{}
				body["legal_france"] = lf
			}
			if s != nil || !create {
				lf[legalFrance[name]] = s
			}
		case o.createOnly(name):
			if create && s != nil {
				body[name] = s
			} // Sellsy's update body has no such field (type): it is left unchanged.
		case name == "note" && s == nil:
			body["note"] = "" // note is not nullable
		case s == nil && create:
		default:
			body[name] = s
		}
	}
	// A type the record gives (its object's filter on type: the value, or a list's first)
	// wins over company_type, the type of the others (config refuses a company_type it
	// would override).
	if create && o.isThird() && body["type"] == nil {
		body["type"] = c.cfg.CompanyType
	}
	if create {
		for _, d := range defs {
			if d.Req && !given[d.ID] {
				bad[d.fieldName()] = "required (mandatory custom field)"
			}
		}
	}
	if len(bad) > 0 {
		return nil, nil, nil, invalidErr("write "+o.name, bad)
	}
	return body, cfs, consent, nil
}

// renameCFErrors names refused custom fields as the connector does (cf.<code>), not by id.
func renameCFErrors(err error, defs []cfDef) error {
	e, ok := err.(*connectors.Error)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	fields := map[string]string{}
	for f, reason := range e.Fields {
		if n, err := strconv.Atoi(strings.TrimPrefix(f, "cf.")); err == nil && strings.HasPrefix(f, "cf.") {
			if d := findDef(defs, n); d != nil {
				f = d.fieldName()
			}
		}
		fields[f] = reason
	}
	cp := *e
	cp.Fields = fields
	cp.Message = refusedMessage(fields)
	return &cp
}

func invalidErr(op string, bad map[string]string) *connectors.Error {
	return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Fields: bad,
		Message: refusedMessage(bad)}
}

// Create implements connectors.Connector: one POST per record (Sellsy has no batch create),
// then custom-field values and, for contacts, the company link.
func (c *Client) Create(ctx context.Context, objName string, records []connectors.Record) ([]connectors.Result, error) {
	return c.write(ctx, objName, records, true)
}

// Update implements connectors.Connector: PUT of the given fields, custom-field values, and
// the company link of contacts when Links has a "company" key (an empty id unlinks).
func (c *Client) Update(ctx context.Context, objName string, records []connectors.Record) ([]connectors.Result, error) {
	return c.write(ctx, objName, records, false)
}

func (c *Client) write(ctx context.Context, objName string, records []connectors.Record, create bool) ([]connectors.Result, error) {
	o, err := objectOf(objName)
	if err != nil {
		return nil, err
	}
	defs, err := c.defsFor(ctx, o)
	if err != nil {
		return nil, err
	}
	results := make([]connectors.Result, len(records))
	acl := c.newACLCheck()
	var linkable *companyChecks // only the updates of contacts check their companies
	if !create && o.isContact() {
		linkable = &companyChecks{m: map[string]*companyCheck{}}
	}
	errs := forEach(ctx, len(records), func(ctx context.Context, i int) error {
		return c.writeOne(ctx, o, records[i], create, defs, &results[i], acl, linkable)
	})
	return finish(results, errs)
}

// finish puts per-record errors in the results. The call fails as a whole only when nothing
// was written and the first failure is not about a record (quota, auth, outage).
func finish(results []connectors.Result, errs []error) ([]connectors.Result, error) {
	ok := false
	var first error
	for i, err := range errs {
		results[i].Err = err
		if err == nil {
			ok = true
		} else if first == nil && connectors.KindOf(err) != connectors.KindInvalid {
			first = err
		}
	}
	if !ok && first != nil {
		return results, first
	}
	return results, nil
}

func (c *Client) writeOne(ctx context.Context, o *object, r connectors.Record, create bool, defs []cfDef, res *connectors.Result, acl *aclCheck, linkable *companyChecks) error {
	if o == opportunityObj {
		return c.writeOpportunity(ctx, r, create, defs, res, acl)
	}
	body, cfs, consent, bad := c.writeBody(o, r, create, defs)
	if bad != nil {
		return bad
	}
	id := r.ID
	if !create {
		n, ok := ParseID(id)
		if !ok {
			return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "PUT " + o.path + "/{id}", Message: "not a Sellsy id"}
		}
		id = strconv.Itoa(n) // sent as the number it names, however it was written
	}
	// about names the record in the message of a 403 on a request about it (see aclCheck).
	about := func(what string) recordCall { return recordCall{acl: acl, record: what + " " + o.name + " " + id} }
	// A contact's company link is worked out before anything of it is written: a link Sellsy
	// would refuse (a company deleted, or hidden from this user) fails the record whole, as
	// its quarantine says, instead of after its fields were written. An update checks the
	// company first, as the fields it changes cannot be put back; a create does not (Sellsy
	// makes contacts one POST at a time under its per-second quota, and a refused link is
	// rare): the contact it made is deleted again when Sellsy refuses the link (unmake).
	want, linked := r.Links[connectors.ObjectCompany]
	linked = linked && o.isContact()
	var current []string // the contact's companies, as Sellsy lists them
	if linked {
		if n, ok := ParseID(want); ok {
			// As the number Sellsy lists: "01" is the company 1 the contact may already be
			// in, which it must neither be linked to again nor leave.
			want = strconv.Itoa(n)
		} else if want != "" {
			return invalidErr("write "+o.name, map[string]string{"links.company": "not a Sellsy id"})
		}
		if !create {
			var err error
			if current, err = c.companiesOf(ctx, id, 100, about("read the companies of")); err != nil {
				return err
			}
		}
		if want != "" && !create && !slices.Contains(current, want) {
			if err := c.checkCompany(ctx, want, acl, linkable); err != nil {
				return err
			}
		}
	}
	if consent != nil {
		// marketing_campaigns_subscriptions is written whole: read it, change the given
		// channels, write it back. On a new contact, channels not given are not subscribed
		// (no consent recorded).
		var current []any
		if !create {
			var cur map[string]any
			if _, err := c.do(ctx, call{method: "GET", path: o.path + "/" + id, op: "GET " + o.path + "/{id}", rec: about("read")}, &cur); err != nil {
				return err
			}
			current, _ = cur["marketing_campaigns_subscriptions"].([]any)
		}
		body["marketing_campaigns_subscriptions"] = applyConsent(current, consent)
	}
	if create {
		var out map[string]any
		if _, err := c.do(ctx, call{method: "POST", path: o.path, op: "POST " + o.path, body: body}, &out); err != nil {
			return err
		}
		id = idString(out["id"])
		res.ID, res.Created = id, true
	} else {
		res.ID = r.ID // the record as the caller named it
		if len(body) > 0 {
			if _, err := c.do(ctx, call{method: "PUT", path: o.path + "/" + id, op: "PUT " + o.path + "/{id}", body: body, rec: about("change")}, nil); err != nil {
				return err
			}
		}
	}
	if len(cfs) > 0 && !create {
		if err := c.keepCurrencies(ctx, o.path+"/"+id, "GET "+o.path+"/{id}", cfs, defs, about("read")); err != nil {
			return err
		}
	}
	if len(cfs) > 0 {
		if _, err := c.do(ctx, call{method: "PUT", path: o.path + "/" + id + "/custom-fields", op: "PUT " + o.path + "/{id}/custom-fields", body: cfs,
			rec: about("change the custom fields of")}, nil); err != nil {
			return renameCFErrors(err, defs)
		}
	}
	if !linked {
		return nil
	}
	if want != "" && !slices.Contains(current, want) { // in it already, it is not linked again
		k := call{method: "POST", path: "/companies/" + want + "/contacts/" + id,
			op: "POST /companies/{companyId}/contacts/{contactId}", rec: about("link company " + want + " to")}
		if status, err := c.do(ctx, k, nil); err != nil {
			if create && connectors.KindOf(err) == connectors.KindInvalid {
				return c.unmake(ctx, id, res, companyRefused(k.op, want, status, err, "see company "+want+" or link contacts to it"))
			}
			return err
		}
	}
	// The company the contact leaves: its previous first one when the link changed; when
	// the link is taken off, the one it went to when the removal was read, if the contact is
	// still in it (moved since, the newer link stays), or else its first one.
	target := ""
	if len(current) > 0 && current[0] != want {
		target = current[0]
	}
	if was, ok := r.Links[connectors.LinkWas(connectors.ObjectCompany)]; ok && want == "" {
		target = ""
		if slices.Contains(current, was) {
			target = was
		}
	}
	if target == "" {
		return nil
	}
	leave := []string{target}
	if want != "" && len(current) > 1 {
		// A contact of several companies reads as the first its companies list gives: it
		// must leave, besides the one it was read in, every company listed before the one it
		// moved to, or it reads back in one of them and the move is taken back to the other
		// side. Those listed after stay. Already in that company, the list read above tells
		// where it stands; linked to it just now, only a new read does: Sellsy does not
		// document the order it lists a contact's companies in.
		listed := current
		if !slices.Contains(current, want) {
			var err error
			if listed, err = c.companiesOf(ctx, id, 100, about("read the companies of")); err != nil {
				return err
			}
		}
		before := []string{target}
		for _, co := range listed {
			if co == want {
				leave = before
				break
			}
			if co != target {
				before = append(before, co)
			}
		}
	}
	for _, target := range leave {
		status, err := c.do(ctx, call{method: "DELETE", path: "/companies/" + target + "/contacts/" + id,
			op: "DELETE /companies/{companyId}/contacts/{contactId}", rec: about("unlink company " + target + " from")}, nil)
		if err != nil && (connectors.KindOf(err) != connectors.KindInvalid || status == http.StatusForbidden) {
			return err // a link already gone is not an error; one the user may not remove is
		}
	}
	return nil
}

// companyChecks remembers, within one batch of updates of contacts (the only writes that
// check a link beforehand; nil for the others), the companies contacts' links were checked
// against: the contacts of one company cost one check.
type companyChecks struct {
	mu sync.Mutex
	m  map[string]*companyCheck
}

type companyCheck struct {
	once sync.Once
	err  error
}

// checkCompany tells whether an existing contact may be linked to company before its update
// is written: Sellsy shows it to this user (GET /companies/{id}). A company that does not exist,
// or that the user's access rights hide, makes the contact invalid, naming links.company, the
// company and the reason; a missing companies.read scope stays the connection's error.
func (c *Client) checkCompany(ctx context.Context, company string, acl *aclCheck, checks *companyChecks) error {
	checks.mu.Lock()
	ck := checks.m[company]
	if ck == nil {
		ck = &companyCheck{}
		checks.m[company] = ck
	}
	checks.mu.Unlock()
	ck.once.Do(func() {
		k := call{method: "GET", path: "/companies/" + company, op: "GET /companies/{id}", query: url.Values{"field[]": {"id"}},
			rec: recordCall{acl: acl, record: "see company " + company}}
		status, err := c.do(ctx, k, nil)
		if err == nil || connectors.KindOf(err) != connectors.KindInvalid {
			ck.err = err
			return
		}
		ck.err = companyRefused(k.op, company, status, err, "see company "+company)
	})
	return ck.err
}

// companyRefused is the error of a contact whose link to company Sellsy refused as the
// record's (err, answered status to op): invalid, naming links.company, the company and the
// reason; forbidden says what a 403 keeps from the user ("see company 12").
func companyRefused(op, company string, status int, err error, forbidden string) *connectors.Error {
	var reason string
	switch status {
	case http.StatusNotFound:
		reason = fmt.Sprintf("company %s does not exist in Sellsy", company)
	case http.StatusForbidden:
		reason = "this Sellsy user may not " + forbidden + " (its access rights, acl, keep it from the user)"
	default:
		reason = fmt.Sprintf("company %s: %v", company, err)
	}
	bad := map[string]string{"links.company": reason}
	return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Status: status, Fields: bad,
		Message: refusedMessage(bad) + "; nothing of the contact was written"}
}

// unmake deletes contact id, which a create has just made and whose company link Sellsy then
// refused, so that the record fails whole with refused: its custom fields and consent go with
// it. When the contact cannot be deleted, the result keeps its id and the error says it was
// created and not removed: a retry must not make it again, and nobody may think it absent.
func (c *Client) unmake(ctx context.Context, id string, res *connectors.Result, refused *connectors.Error) error {
	n, _ := ParseID(id)
	if _, err := c.DeleteRecord(ctx, "contacts", n); err != nil && connectors.StatusOf(err) != http.StatusNotFound {
		kept := *refused
		kept.Message = fmt.Sprintf("%s; contact %s was created and could not be removed (%v): it is in Sellsy without its company link; delete it there, or give it a company it may be linked to",
			refusedMessage(refused.Fields), id, err)
		return &kept
	}
	res.ID, res.Created = "", false // gone again (a 404: already gone)
	return refused
}

// CanUnlink implements connectors.Unlinker: a contact's company link is removed by an Update
// with Links["company"] = "": it leaves the company the removal was read from (LinkWas), while
// still in it, or else its first company; its other companies stay.
func (c *Client) CanUnlink(object, link string) bool {
	return object == connectors.ObjectContact && link == connectors.ObjectCompany
}

// Delete implements connectors.Connector; an id that is already gone counts as deleted.
func (c *Client) Delete(ctx context.Context, objName string, ids []string) ([]connectors.Result, error) {
	o, err := objectOf(objName)
	if err != nil {
		return nil, err
	}
	results := make([]connectors.Result, len(ids))
	acl := c.newACLCheck()
	errs := forEach(ctx, len(ids), func(ctx context.Context, i int) error {
		results[i].ID = ids[i]
		n, ok := ParseID(ids[i])
		if !ok {
			return nil // not a Sellsy id: nothing to delete
		}
		id := strconv.Itoa(n)
		status, err := c.do(ctx, call{method: "DELETE", path: o.path + "/" + id, op: "DELETE " + o.path + "/{id}",
			rec: recordCall{acl: acl, record: "delete " + o.name + " " + id}}, nil)
		if status == 404 {
			return nil
		}
		return err
	})
	return finish(results, errs)
}
