package sellsy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// Individuals (B2C third parties) and opportunities, with their pipelines and steps.
//
// Object "individual" behaves like "company": fields type, civility, first_name, last_name
// (required), email, website, phone_number, mobile_number, note and the client / prospect /
// supplier custom fields; UpdatedAt is updated_at; a created individual without a type gets
// Config.CompanyType. FindByKey searches email and last_name (Sellsy's exact "name" filter).
//
// Object "opportunity": fields name, number (set at creation only), pipeline_id, step_id, amount (float64; Sellsy
// writes it as a string and reads it as {value, currency}), currency (read only),
// probability, status, due_date (YYYY-MM-DD), note, contact_ids and the opportunity custom
// fields; Links["company"] or Links["individual"] is the third party it belongs to (one is
// required on create). Sellsy opportunities have no update timestamp and no update filter,
// so List ignores ListQuery.Since and lists every opportunity, UpdatedAt is always zero,
// and changes must be found by comparing (or through webhooks, see ParseWebhook). Get reads
// the opportunities one by one (the search has no id filter); FindByKey searches name.

// Object names of the objects this connector adds to connectors.ObjectCompany and
// connectors.ObjectContact.
const (
	ObjectIndividual  = "individual"
	ObjectOpportunity = "opportunity"
)

var (
	individualObj = &object{
		name: ObjectIndividual, path: "/individuals", updated: "updated_at", filter: "updated_at",
		fields: []stdField{
			{name: "type", label: "Type", typ: "select", createOnly: true, options: thirdTypes},
			{name: "civility", label: "Civility", typ: "select", options: civilities},
			{name: "first_name", label: "First name", typ: "string"},
			{name: "last_name", label: "Last name", typ: "string", required: true},
			{name: "email", label: "E-mail", typ: "email"},
			{name: "website", label: "Website", typ: "url"},
			{name: "phone_number", label: "Phone", typ: "phone"},
			{name: "mobile_number", label: "Mobile", typ: "phone"},
			{name: "note", label: "Note", typ: "text"},
		},
		searchable: map[string]string{"email": "email", "last_name": "name"},
	}
	opportunityObj = &object{
		name: ObjectOpportunity, path: "/opportunities",
		fields: []stdField{
			{name: "name", label: "Name", typ: "string", required: true},
			{name: "number", label: "Number", typ: "string", createOnly: true}, // OpportunityUpdate has no number
			{name: "pipeline_id", label: "Pipeline", typ: "reference", required: true},
			{name: "step_id", label: "Step", typ: "reference", required: true},
			{name: "amount", label: "Amount", typ: "number"},
			{name: "currency", label: "Currency (read only)", typ: "string"},
			{name: "probability", label: "Probability", typ: "number"},
			{name: "status", label: "Status", typ: "select", options: []connectors.Option{
				{Value: "open", Label: "Open"}, {Value: "won", Label: "Won"}, {Value: "lost", Label: "Lost"},
				{Value: "cancelled", Label: "Cancelled"}, {Value: "closed", Label: "Closed"}, {Value: "late", Label: "Late"}}},
			{name: "due_date", label: "Due date", typ: "date"},
			{name: "note", label: "Note", typ: "text"},
			{name: "contact_ids", label: "Contacts", typ: "reference"},
		},
		searchable: map[string]string{"name": "name"},
	}
)

// recordOf normalises one API record of any object.
func (c *Client) recordOf(o *object, m map[string]any, defs []cfDef) connectors.Record {
	var r connectors.Record
	if o == opportunityObj {
		r = oppRecord(m, defs)
	} else {
		r = c.toRecord(o, m, defs)
	}
	r.Absent = append(r.Absent, c.cfNotRead(o, defs, r.Fields)...)
	return r
}

func oppRecord(m map[string]any, defs []cfDef) connectors.Record {
	r := connectors.Record{ID: idString(m["id"]), Fields: map[string]any{}}
	for _, k := range []string{"name", "number", "status", "due_date", "note", "probability", "contact_ids"} {
		r.Fields[k] = normalise(m[k])
	}
	sub := func(k string) map[string]any { v, _ := m[k].(map[string]any); return v }
	r.Fields["pipeline_id"] = normalise(idString(sub("pipeline")["id"]))
	r.Fields["step_id"] = normalise(idString(sub("step")["id"]))
	r.Fields["amount"], r.Fields["currency"] = nil, nil
	if a := sub("amount"); a != nil {
		switch v := a["value"].(type) {
		case string:
			if f, err := connectors.ParseNumber(v); err == nil {
				r.Fields["amount"] = f
			}
		case float64:
			r.Fields["amount"] = v
		}
		r.Fields["currency"] = normalise(a["currency"])
	}
	for _, k := range []string{"company", "individual"} {
		if id := idString(m[k+"_id"]); id != "" {
			if r.Links == nil {
				r.Links = map[string]string{}
			}
			r.Links[k] = id
		}
	}
	r.CreatedAt = timestamp(m["created"])
	embedCFs(m, defs, r.Fields)
	return r
}

// getOpportunities reads opportunities one by one; ids that do not exist are left out.
func (c *Client) getOpportunities(ctx context.Context, ids []int) ([]connectors.Record, error) {
	defs, err := c.defsFor(ctx, opportunityObj)
	if err != nil {
		return nil, err
	}
	recs := make([]*connectors.Record, len(ids))
	errs := forEach(ctx, len(ids), func(ctx context.Context, i int) error {
		q := url.Values{}
		c.embedQuery(q, defs, opportunityObj)
		var m map[string]any
		status, err := c.do(ctx, call{method: "GET", path: "/opportunities/" + strconv.Itoa(ids[i]), op: "GET /opportunities/{id}", query: q}, &m)
		if status == 404 {
			return nil
		}
		if err != nil {
			return err
		}
		r := c.recordOf(opportunityObj, m, defs)
		recs[i] = &r
		return nil
	})
	var out []connectors.Record
	for i, r := range recs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

func asID(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		return int(x), x == float64(int(x)) && x > 0
	case int:
		return x, x > 0
	case string:
		return ParseID(x)
	}
	return 0, false
}

// oppBody maps an opportunity record to OpportunityCreate / OpportunityUpdate.
func oppBody(r connectors.Record, create bool, defs []cfDef) (map[string]any, []map[string]any, *connectors.Error) {
	body := map[string]any{}
	bad := map[string]string{}
	var cfs []map[string]any
	given := map[int]bool{}
	for name, v := range r.Fields {
		if strings.HasPrefix(name, "cf.") {
			d := findDefByField(defs, name)
			if d == nil {
				bad[name] = "unknown custom field"
				continue
			}
			given[d.ID] = true
			val, reason := d.toAPI(v)
			switch {
			case reason != "":
				bad[d.fieldName()] = fmt.Sprintf("%s: value does not fit a %s field", reason, d.Type)
			case val == nil && d.Req:
				bad[d.fieldName()] = "required (mandatory custom field)"
			default:
				cfs = append(cfs, map[string]any{"id": d.ID, "value": val})
			}
			continue
		}
		str, isStr := v.(string)
		str = strings.TrimSpace(str)
		switch name {
		case "number":
			switch {
			case v == nil: // left out
			case !create:
				bad[name] = "set at creation only: Sellsy's update of an opportunity has no number"
			case !isStr || str == "":
				bad[name] = "must be a non-empty string"
			default:
				body[name] = str
			}
		case "name", "status":
			if !isStr || str == "" {
				bad[name] = "must be a non-empty string"
				continue
			}
			body[name] = str
		case "note":
			if v != nil && !isStr {
				bad[name] = "must be a string"
				continue
			}
			body[name] = str
		case "due_date":
			if v == nil || (isStr && str == "") {
				if !create {
					body[name] = nil
				}
				continue
			}
			if t, ok := v.(time.Time); ok {
				str, isStr = t.Format("2006-01-02"), true
			}
			if _, err := time.Parse("2006-01-02", str); !isStr || err != nil {
				bad[name] = "must be a date (YYYY-MM-DD)"
				continue
			}
			body[name] = str
		case "pipeline_id", "step_id":
			n, ok := asID(v)
			if !ok {
				bad[name] = "not a Sellsy id"
				continue
			}
			body[strings.TrimSuffix(name, "_id")] = n
		case "amount":
			var f float64
			switch x := v.(type) {
			case nil:
			case float64:
				f = x
			case int:
				f = float64(x)
			case string:
				var err error
				if f, err = connectors.ParseNumber(strings.ReplaceAll(str, ",", ".")); err != nil {
					bad[name] = "not a number"
					continue
				}
			default:
				bad[name] = "not a number"
				continue
			}
			body["amount"] = strconv.FormatFloat(f, 'f', 2, 64) // a string on write
		case "probability":
			f, ok := v.(float64)
			if n, isInt := v.(int); isInt {
				f, ok = float64(n), true
			}
			if isStr {
				var err error
				f, err = strconv.ParseFloat(str, 64)
				ok = err == nil
			}
			if !ok || f < 0 || f > 100 || f != float64(int(f)) {
				bad[name] = "must be an integer from 0 to 100"
				continue
			}
			body[name] = int(f)
		case "contact_ids":
			var ids []any
			switch x := v.(type) {
			case []string:
				for _, s := range x {
					ids = append(ids, s)
				}
			case []any:
				ids = x
			case nil:
			default:
				bad[name] = "must be a list of Sellsy ids"
				continue
			}
			out := []int{}
			for _, s := range ids {
				n, ok := asID(s)
				if !ok {
					bad[name] = "must be a list of Sellsy ids"
					break
				}
				out = append(out, n)
			}
			body[name] = out
		case "currency":
			// read only: the account's currency
		default:
			bad[name] = "unknown field"
		}
	}
	co, hasCo := r.Links[connectors.ObjectCompany]
	in, hasIn := r.Links[ObjectIndividual]
	switch {
	case hasCo && co != "" && hasIn && in != "":
		bad["links"] = "an opportunity belongs to a company or an individual, not both"
	case hasCo && co != "":
		if n, ok := asID(co); ok {
			body["related"] = []map[string]any{{"id": n, "type": "company"}}
		} else {
			bad["links.company"] = "not a Sellsy id"
		}
	case hasIn && in != "":
		if n, ok := asID(in); ok {
			body["related"] = []map[string]any{{"id": n, "type": "individual"}}
		} else {
			bad["links.individual"] = "not a Sellsy id"
		}
	case create:
		bad["links"] = "a company or an individual is required"
	}
	if create {
		for _, f := range []string{"name", "pipeline_id", "step_id"} {
			if _, ok := r.Fields[f]; !ok {
				bad[f] = "required"
			}
		}
		for _, d := range defs {
			if d.Req && !given[d.ID] {
				bad[d.fieldName()] = "required (mandatory custom field)"
			}
		}
	}
	if len(bad) > 0 {
		return nil, nil, invalidErr("write opportunity", bad)
	}
	return body, cfs, nil
}

func findDefByField(defs []cfDef, name string) *cfDef {
	for i := range defs {
		if defs[i].fieldName() == name || "cf."+strconv.Itoa(defs[i].ID) == name {
			return &defs[i]
		}
	}
	return nil
}

// oppFieldNames maps the API's field paths in opportunity errors to the connector's names.
func renameOppErrors(err error, defs []cfDef) error {
	err = renameCFErrors(err, defs)
	e, ok := err.(*connectors.Error)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	fields := map[string]string{}
	for f, reason := range e.Fields {
		switch {
		case f == "pipeline" || f == "step" || f == "source":
			f += "_id"
		case strings.HasPrefix(f, "related"):
			f = "links"
		}
		fields[f] = reason
	}
	cp := *e
	cp.Fields = fields
	cp.Message = refusedMessage(fields)
	return &cp
}

func (c *Client) writeOpportunity(ctx context.Context, r connectors.Record, create bool, defs []cfDef, res *connectors.Result, acl *aclCheck) error {
	body, cfs, bad := oppBody(r, create, defs)
	if bad != nil {
		return bad
	}
	id := r.ID
	if create {
		var out map[string]any
		if _, err := c.do(ctx, call{method: "POST", path: "/opportunities", op: "POST /opportunities", body: body}, &out); err != nil {
			return renameOppErrors(err, defs)
		}
		id = idString(out["id"])
		res.ID, res.Created = id, true
	} else {
		n, ok := ParseID(id)
		if !ok {
			return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "PUT /opportunities/{id}", Message: "not a Sellsy id"}
		}
		res.ID, id = r.ID, strconv.Itoa(n) // the record as the caller named it; sent as its number
		if len(body) > 0 {
			if _, err := c.do(ctx, call{method: "PUT", path: "/opportunities/" + id, op: "PUT /opportunities/{id}", body: body,
				rec: recordCall{acl: acl, record: "change opportunity " + id}}, nil); err != nil {
				return renameOppErrors(err, defs)
			}
		}
	}
	if len(cfs) > 0 && !create {
		if err := c.keepCurrencies(ctx, "/opportunities/"+id, "GET /opportunities/{id}", cfs, defs,
			recordCall{acl: acl, record: "read opportunity " + id}); err != nil {
			return err
		}
	}
	if len(cfs) > 0 {
		if _, err := c.do(ctx, call{method: "PUT", path: "/opportunities/" + id + "/custom-fields", op: "PUT /opportunities/{id}/custom-fields", body: cfs,
			rec: recordCall{acl: acl, record: "change the custom fields of opportunity " + id}}, nil); err != nil {
			return renameCFErrors(err, defs)
		}
	}
	return nil
}

// ---- pipelines and steps ----

// Pipeline is a Sellsy opportunity pipeline. Sellsy's pipeline carries no establishment or
// owner.
type Pipeline struct {
	ID        string
	Name      string
	IsDefault bool
	Rank      int
	Steps     int // number of steps
}

// Step is a step of a pipeline.
type Step struct {
	ID          string
	Name        string
	Rank        int
	Probability int
}

// listAll walks a numerically paginated list.
func (c *Client) listAll(ctx context.Context, path, op string, q url.Values) ([]map[string]any, error) {
	var out []map[string]any
	for offset := 0; ; offset += 100 {
		query := url.Values{"limit": {"100"}, "offset": {strconv.Itoa(offset)}}
		for k, v := range q {
			query[k] = v
		}
		var body listBody
		if _, err := c.do(ctx, call{method: "GET", path: path, op: op, query: query}, &body); err != nil {
			return nil, err
		}
		out = append(out, body.Data...)
		if len(body.Data) < 100 {
			return out, nil
		}
	}
}

func intOf(v any) int { f, _ := v.(float64); return int(f) }

// Pipelines returns the opportunity pipelines in rank order.
func (c *Client) Pipelines(ctx context.Context) ([]Pipeline, error) {
	data, err := c.listAll(ctx, "/opportunities/pipelines", "GET /opportunities/pipelines", url.Values{"order": {"rank"}})
	if err != nil {
		return nil, err
	}
	out := make([]Pipeline, 0, len(data))
	for _, m := range data {
		p := Pipeline{ID: idString(m["id"]), Rank: intOf(m["rank"]), Steps: intOf(m["step"])}
		p.Name, _ = m["name"].(string)
		p.IsDefault, _ = m["is_default"].(bool)
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rank < out[j].Rank })
	return out, nil
}

// Steps returns the steps of a pipeline in rank order. An unknown pipeline is a KindInvalid
// error (404).
func (c *Client) Steps(ctx context.Context, pipelineID string) ([]Step, error) {
	n, ok := ParseID(pipelineID)
	if !ok {
		return nil, invalidErr("GET /opportunities/pipelines/{pipelineId}/steps", map[string]string{"pipeline_id": "not a Sellsy id"})
	}
	pipelineID = strconv.Itoa(n)
	data, err := c.listAll(ctx, "/opportunities/pipelines/"+pipelineID+"/steps", "GET /opportunities/pipelines/{pipelineId}/steps",
		url.Values{"order": {"rank"}})
	if err != nil {
		return nil, err
	}
	out := make([]Step, 0, len(data))
	for _, m := range data {
		s := Step{ID: idString(m["id"]), Rank: intOf(m["rank"]), Probability: intOf(m["probability"])}
		s.Name, _ = m["name"].(string)
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rank < out[j].Rank })
	return out, nil
}

// MoveStep moves an opportunity to a step of its pipeline (PATCH
// /opportunities/{id}/step-rank; it goes last in the step). A step that is not in the
// opportunity's pipeline is a KindInvalid error naming step_id.
func (c *Client) MoveStep(ctx context.Context, opportunityID, stepID string) error {
	const op = "PATCH /opportunities/{id}/step-rank"
	n, ok := ParseID(opportunityID)
	if !ok {
		return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: "not a Sellsy id"}
	}
	opportunityID = strconv.Itoa(n)
	step, ok := asID(stepID)
	if !ok {
		return invalidErr(op, map[string]string{"step_id": "not a Sellsy id"})
	}
	_, err := c.do(ctx, call{method: "PATCH", path: "/opportunities/" + opportunityID + "/step-rank", op: op,
		body: map[string]any{"step": step}}, nil)
	if err != nil {
		return renameOppErrors(err, nil)
	}
	return nil
}

// Scopes returns the scopes of the access token, from the token response's "scope". Sellsy
// does not document that key (its examples carry token_type, expires_in and access_token
// only): when it is absent, Scopes returns nil and no error, meaning "unknown"; missing
// rights then show as 403 errors (KindConfig-like messages naming the scopes) on use.
func (c *Client) Scopes(ctx context.Context) ([]string, error) {
	if _, err := c.tokens.get(ctx); err != nil {
		return nil, err
	}
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	if c.tokens.tok == nil {
		return nil, nil
	}
	switch v := c.tokens.tok.Extra("scope").(type) {
	case string:
		return strings.Fields(v), nil
	case []any:
		var out []string
		for _, s := range v {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
		return out, nil
	}
	return nil, nil
}

// ---- webhooks ----

// WebhookEvent is one Sellsy webhook notification. Type is Sellsy's event verb (created,
// updated, deleted, …); Object is the connector's object name when the related type is
// known (client, prospect, supplier and company → "company"; individual; contact and people
// → "contact"; opportunity; task; calendar-event; comment), else Sellsy's related type; At
// is zero when the notification has no timestamp (the reference does not confirm the key).
type WebhookEvent struct {
	Type, Object, ObjectID string
	At                     time.Time
	// Digest is the hex SHA-256 of the notification as delivered: with no timestamp, the
	// only thing that tells one event apart from another.
	Digest string
}

// The agenda objects webhooks announce besides records: the reference lists the "task"
// entity (task.created, task.deleted); "calendar-event" and "comment" are our simulator's
// names for the other two, which the reference does not list.
const (
	ObjectTask          = "task"
	ObjectCalendarEvent = "calendar-event"
	ObjectComment       = "comment"
)

// agendaPaths are the API paths the agenda objects are read back from.
var agendaPaths = map[string]string{ObjectTask: "/tasks", ObjectCalendarEvent: "/calendar-events", ObjectComment: "/comments"}

var webhookObjects = map[string]string{
	"client": connectors.ObjectCompany, "prospect": connectors.ObjectCompany, "supplier": connectors.ObjectCompany,
	"company": connectors.ObjectCompany, "third": connectors.ObjectCompany,
	"individual": ObjectIndividual, "contact": connectors.ObjectContact, "people": connectors.ObjectContact,
	"opportunity": ObjectOpportunity,
	"task":        ObjectTask, "calendar-event": ObjectCalendarEvent, "calendarevent": ObjectCalendarEvent,
	"comment": ObjectComment, "annotation": ObjectComment, // Annotations: API V1's name for comments
}

// WebhookEvents lists the events Sellsy's notifications are known to carry (the part of
// "client.created" after the dot): the reference names these, and no closed list is
// published, so a route's event outside it is only suspect when it is a letter or two from
// one of them (a misspelling).
func WebhookEvents() []string {
	return []string{"created", "updated", "deleted", "addressadded", "addressupdated", "addressremoved",
		"mainaddress", "transform", "archived", "unarchived", "editPrefs"}
}

// WebhookObjects lists, sorted, the objects whose webhook events the connector can read back,
// the names a connection file's events[].object may use.
func WebhookObjects() []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range webhookObjects {
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	sort.Strings(out)
	return out
}

// ReadBack reads the record a webhook event names through the API, since an event is only a
// hint: nil (and no error) when it does not exist — a 404, or an id that is none — which is
// how a forged event is told apart, and how a deletion is confirmed. Records come as Get
// gives them; tasks, calendar events and comments as the API's read shape.
func (c *Client) ReadBack(ctx context.Context, object, id string) (*connectors.Record, error) {
	rec, _, err := c.ReadBackRaw(ctx, object, id)
	return rec, err
}

// ReadBackRaw is ReadBack with the answer's body as the API gave it: the record's whole read
// shape (with the custom fields the connector reads, embedded), to tell one state of a
// record from another beyond the fields the connector maps — an opportunity has no update
// timestamp. Every object is read with GET /{object}/{id}, whose 404 is authoritative (a
// search leaves out what it does not find, for any reason), with the embeds the record needs
// (embed[]=cf.N); a contact's company link is read as Get reads it.
func (c *Client) ReadBackRaw(ctx context.Context, objName, id string) (*connectors.Record, []byte, error) {
	path, agenda := agendaPaths[objName]
	var o *object
	if !agenda {
		var err error
		if o, err = objectOf(objName); err != nil {
			return nil, nil, err
		}
		path = o.path
	}
	n, ok := ParseID(id)
	if !ok {
		return nil, nil, nil // not a Sellsy id: no such object
	}
	var defs []cfDef
	var err error
	q := url.Values{}
	if o != nil {
		if defs, err = c.defsFor(ctx, o); err != nil {
			return nil, nil, err
		}
		c.embedQuery(q, defs, o)
	}
	var m map[string]any
	var raw []byte
	status, err := c.do(ctx, call{method: http.MethodGet, path: path + "/" + strconv.Itoa(n), op: "GET " + path + "/{id}", query: q, raw: &raw}, &m)
	if status == http.StatusNotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if o == nil {
		return &connectors.Record{ID: strconv.Itoa(n), Fields: m}, raw, nil
	}
	rec := c.recordOf(o, m, defs)
	if rec.ID == "" {
		rec.ID = strconv.Itoa(n)
	}
	recs := []connectors.Record{rec}
	if err := c.addLinks(ctx, o, recs); err != nil {
		return nil, nil, err
	}
	return &recs[0], raw, nil
}

// ParseWebhook decodes a webhook delivery: Sellsy posts it form-encoded with one field
// "notif" holding a JSON object (event, relatedtype, relatedid, and a timestamp whose key is
// not documented). A JSON body holding the notif object (or an array of them) is accepted
// too. An empty body (Sellsy's ping) gives no event. Webhooks are not signed: treat an event
// as a hint and read the object back through the API.
func ParseWebhook(body []byte, contentType string) ([]WebhookEvent, error) {
	bad := func(msg string) error {
		return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "webhook", Message: msg}
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return nil, nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	var notifs []string
	switch {
	case mt == "application/json" || (mt == "" && (trimmed[0] == '{' || trimmed[0] == '[')):
		if trimmed[0] == '[' {
			var arr []json.RawMessage
			if err := json.Unmarshal([]byte(trimmed), &arr); err != nil {
				return nil, bad("undecodable JSON body")
			}
			for _, a := range arr {
				notifs = append(notifs, string(a))
			}
		} else {
			notifs = []string{trimmed}
		}
	case mt == "" || mt == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(trimmed)
		if err != nil {
			return nil, bad("undecodable form body")
		}
		notifs = form["notif"]
		if len(notifs) == 0 {
			return nil, bad("no notif field in the form body")
		}
	default:
		return nil, bad(fmt.Sprintf("unsupported content type %q", mt))
	}
	out := make([]WebhookEvent, 0, len(notifs))
	for _, n := range notifs {
		var m map[string]any
		if err := json.Unmarshal([]byte(n), &m); err != nil {
			return nil, bad("notif is not a JSON object")
		}
		str := func(k string) string {
			switch v := m[k].(type) {
			case string:
				return strings.TrimSpace(v)
			case float64:
				return strconv.FormatFloat(v, 'f', -1, 64)
			}
			return ""
		}
		sum := sha256.Sum256([]byte(n))
		ev := WebhookEvent{Type: str("event"), ObjectID: str("relatedid"), Digest: hex.EncodeToString(sum[:])}
		rt := strings.ToLower(str("relatedtype"))
		if ev.Type == "" || rt == "" || ev.ObjectID == "" {
			return nil, bad("notif lacks event, relatedtype or relatedid")
		}
		ev.Object = rt
		if o, ok := webhookObjects[rt]; ok {
			ev.Object = o
		}
		if ts := str("timestamp"); ts != "" {
			if n, err := strconv.ParseInt(ts, 10, 64); err == nil {
				ev.At = webhookTime(n)
			} else if t, err := time.Parse(time.RFC3339, ts); err == nil {
				ev.At = t.UTC()
			}
		}
		out = append(out, ev)
	}
	return out, nil
}

// webhookTime reads a notification's numeric timestamp: seconds since 1970, or milliseconds
// when it is too large for seconds of this era (the reference confirms neither). Anything
// else — 0, negative, or past both — is no time: a year past 9999 could not even be written
// in a workflow's input.
func webhookTime(n int64) time.Time {
	const secondsUpTo = 1e11 // the year 5138 in seconds; 1973 in milliseconds
	switch {
	case n > 0 && n < secondsUpTo:
		return time.Unix(n, 0).UTC()
	case n >= secondsUpTo && n < secondsUpTo*1000:
		return time.UnixMilli(n).UTC()
	}
	return time.Time{}
}

// Pipeline implements connectors.Staged: a pipeline's name and its steps in rank order.
func (c *Client) Pipeline(ctx context.Context, pipelineID string) (string, []connectors.Stage, error) {
	pipelines, err := c.Pipelines(ctx)
	if err != nil {
		return "", nil, err
	}
	name := ""
	for _, p := range pipelines {
		if p.ID == pipelineID {
			name = p.Name
		}
	}
	if name == "" {
		return "", nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "GET /opportunities/pipelines",
			Message: "no Sellsy pipeline has id " + pipelineID}
	}
	steps, err := c.Steps(ctx, pipelineID)
	if err != nil {
		return "", nil, err
	}
	out := make([]connectors.Stage, len(steps))
	for i, s := range steps {
		out[i] = connectors.Stage{ID: s.ID, Name: s.Name}
	}
	return name, out, nil
}

// ListPipelines implements connectors.PipelineLister: every pipeline's id and name, in rank
// order, so that a connection may name a pipeline and its steps as Sellsy shows them.
func (c *Client) ListPipelines(ctx context.Context) ([]connectors.PipelineInfo, error) {
	pipelines, err := c.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.PipelineInfo, len(pipelines))
	for i, p := range pipelines {
		out[i] = connectors.PipelineInfo{ID: p.ID, Name: p.Name}
	}
	return out, nil
}

var _ connectors.PipelineLister = (*Client)(nil)

// Webhook is a webhook registered on the Sellsy account.
type Webhook struct {
	ID        int      `json:"id"`
	Endpoint  string   `json:"endpoint"`
	IsEnabled bool     `json:"is_enabled"`
	Events    []string `json:"events"` // enabled "<entity>.<event>" ids
}

// Webhooks lists the account's webhooks (GET /webhooks, WebhooksGetListResponse: every
// page, 100 at a time, following the seek offset to a short page).
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	const limit = 100
	out := []Webhook{}
	query := url.Values{"limit": {strconv.Itoa(limit)}}
	for {
		_, body, err := c.Call(ctx, "GET", "/webhooks", query, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Data []struct {
				ID            int    `json:"id"`
				Endpoint      string `json:"endpoint"`
				IsEnabled     bool   `json:"is_enabled"`
				Configuration []struct {
					ID        string `json:"id"`
					IsEnabled bool   `json:"is_enabled"`
				} `json:"configuration"`
			} `json:"data"`
			Pagination struct {
				Offset any `json:"offset"`
			} `json:"pagination"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: "GET /webhooks", Message: "undecodable response body"}
		}
		for _, d := range page.Data {
			h := Webhook{ID: d.ID, Endpoint: d.Endpoint, IsEnabled: d.IsEnabled, Events: []string{}}
			for _, cfg := range d.Configuration {
				if cfg.IsEnabled {
					h.Events = append(h.Events, cfg.ID)
				}
			}
			out = append(out, h)
		}
		next, _ := page.Pagination.Offset.(string) // the seek cursor of the last webhook returned
		// Sellsy's stop rule only: the total drops when webhooks already listed are deleted
		// meanwhile, and taking it for the end would leave the next ones out.
		if len(page.Data) < limit || next == "" || next == query.Get("offset") {
			return out, nil
		}
		query.Set("offset", next)
	}
}

// CreateWebhook registers an http webhook for these events ("client.created", …).
func (c *Client) CreateWebhook(ctx context.Context, endpoint string, events []string) (int, error) {
	cfg := make([]map[string]any, len(events))
	for i, e := range events {
		cfg[i] = map[string]any{"id": e, "is_enabled": true}
	}
	body, _ := json.Marshal(map[string]any{"type": "http", "endpoint": endpoint, "is_enabled": true, "configuration": cfg})
	_, resp, err := c.Call(ctx, "POST", "/webhooks", nil, body)
	if err != nil {
		return 0, err
	}
	var created struct {
		ID int `json:"id"`
	}
	_ = json.Unmarshal(resp, &created)
	return created.ID, nil
}

// DeleteWebhook removes a webhook.
func (c *Client) DeleteWebhook(ctx context.Context, id int) error {
	_, _, err := c.Call(ctx, "DELETE", fmt.Sprintf("/webhooks/%d", id), nil, nil)
	return err
}
