package altior

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

// plain lists the writable scalar fields of each object.
var plain = map[string]map[string]bool{
	connectors.ObjectCompany: {"kind": true, "relation": true, "name": true, "first_name": true, "last_name": true, "siret": true,
		"legal_form": true, "civility": true, "establishment_id": true, "owner_user_id": true},
	connectors.ObjectContact: {"civility": true, "first_name": true, "last_name": true, "role": true},
	ObjectAffaire:            {"title": true, "establishment_id": true, "owner_user_id": true},
}

// typedList ties a typed field's prefix (phone.<TYPE>) to the JSON list it writes, its label
// in Describe and the value list its types come from.
type typedList struct{ prefix, list, label, types string }

var (
	phoneList = typedList{prefix: "phone.", list: "phones", label: "Téléphone", types: ListPhoneTypes}
	emailList = typedList{prefix: "email.", list: "emails", label: "E-mail", types: ListEmailTypes}
	urlList   = typedList{prefix: "url.", list: "urls", label: "URL", types: ListURLTypes}
)

// typedLists are the typed lists of each object, in Describe's order: Describe, the writer
// and typeErr all read them here.
var typedLists = map[string][]typedList{
	connectors.ObjectCompany: {phoneList, emailList, urlList},
	connectors.ObjectContact: {phoneList, emailList},
}

// valueString converts a connector value to the API's string.
func valueString(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// needsCurrent reports whether writing r changes a typed list, which is sent whole and so
// must be merged with the stored one. It looks at the fields as buildBody sends them: an
// alias ("email" on a contact) writes a typed list too.
func needsCurrent(object string, r connectors.Record) bool {
	for k := range r.Fields {
		if _, _, ok := typedField(object, k); ok || k == "email" && object == connectors.ObjectContact {
			return true
		}
	}
	return false
}

// typedField returns the list and the type a typed field (phone.FIXE) writes.
func typedField(object, k string) (list, typ string, ok bool) {
	for _, l := range typedLists[object] {
		if t, found := strings.CutPrefix(k, l.prefix); found && t != "" {
			return l.list, t, true
		}
	}
	return "", "", false
}

// withAliases rewrites the fields that stand for a typed field: a contact's "email" (its
// identity) is its PRINCIPAL address, unless the record sets that itself.
func withAliases(object string, r connectors.Record) connectors.Record {
	v, ok := r.Fields["email"]
	if !ok || object != connectors.ObjectContact {
		return r
	}
	fields := make(map[string]any, len(r.Fields))
	for k, x := range r.Fields {
		fields[k] = x
	}
	delete(fields, "email")
	if _, set := fields["email.PRINCIPAL"]; !set {
		fields["email.PRINCIPAL"] = v
	}
	r.Fields = fields
	return r
}

// mergeTyped replaces, for each changed type, the first entry of that type, the one its
// typed field reads (an empty value removes it), and keeps the others: an ERP tiers often has
// two numbers of one type (a switchboard and a direct line), and the other side knows only
// the first. A type the record has no entry of yet is added at the end.
func mergeTyped(base []typed, changes map[string]string, order []string) []typed {
	out := []typed{}
	done := map[string]bool{}
	for _, x := range base {
		v, changed := changes[x.Type]
		switch {
		case !changed || done[x.Type]:
			out = append(out, x)
		default:
			done[x.Type] = true
			if v != "" {
				out = append(out, typed{x.Type, v})
			}
		}
	}
	for _, t := range order {
		if !done[t] && changes[t] != "" {
			done[t] = true
			out = append(out, typed{t, changes[t]})
		}
	}
	return out
}

// buildBody turns a record into a POST or PATCH body; current is the stored record (nil on
// create) whose typed lists are merged.
func buildBody(object string, r connectors.Record, current *apiRecord, op string) (map[string]any, error) {
	body := map[string]any{}
	changes := map[string]map[string]string{} // list → type → value
	orders := map[string][]string{}
	cf := map[string]any{}
	names := make([]string, 0, len(r.Fields))
	r = withAliases(object, r)
	for k := range r.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := r.Fields[k]
		if object == ObjectAffaire && k == "events" {
			continue // read-only: events are added with AddEvent
		}
		s, ok := valueString(v)
		if !ok {
			return nil, invalidErr(op, k, k+": altior takes a single text value here")
		}
		if plain[object][k] {
			if k == "siret" {
				s = siretDigits(s)
			}
			body[k] = s
			continue
		}
		if code, ok := strings.CutPrefix(k, "cf."); ok && object != connectors.ObjectContact && code != "" {
			if s == "" {
				cf[code] = nil
			} else {
				cf[code] = s
			}
			continue
		}
		list, t, ok := typedField(object, k)
		if !ok {
			return nil, invalidErr(op, k, k+": no such field on the altior "+object)
		}
		if changes[list] == nil {
			changes[list] = map[string]string{}
		}
		changes[list][t] = s
		orders[list] = append(orders[list], t)
	}
	for list, ch := range changes {
		var base []typed
		if current != nil {
			switch list {
			case "phones":
				base = current.Phones
			case "emails":
				base = current.Emails
			case "urls":
				base = current.URLs
			}
		}
		body[list] = mergeTyped(base, ch, orders[list])
	}
	if len(cf) > 0 {
		body["custom_fields"] = cf
	}
	if object == ObjectAffaire || (object == connectors.ObjectContact && current != nil) {
		if t := r.Links[connectors.ObjectCompany]; t != "" {
			body["tiers_id"] = t
		}
	}
	return body, nil
}

// siretSeparators are what a SIRET is written with between its groups ("123 456 789 00017",
// "123.456.789.00017"): Altior takes its 14 digits alone.
var siretSeparators = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", ".", "", "-", "")

// siretDigits returns a SIRET without its separators. Anything else is sent as it is, for
// Altior to refuse naming the field.
func siretDigits(s string) string { return siretSeparators.Replace(s) }

// RequiredLinks names the links a record of object must have to be created: a contact and an
// affaire belong to a tiers. A sync holds such a record back, rather than have it refused,
// while the record it links to is not paired yet.
func (c *Client) RequiredLinks(object string) []string {
	if object == connectors.ObjectContact || object == ObjectAffaire {
		return []string{connectors.ObjectCompany}
	}
	return nil
}

// perRecord reports whether err fails only its record.
func perRecord(err error) bool { return connectors.KindOf(err) == connectors.KindInvalid }

// Create creates records, one request each. A refused record fails only its own Result.
func (c *Client) Create(ctx context.Context, object string, records []connectors.Record) ([]connectors.Result, error) {
	path, err := route(object)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Result, len(records))
	for i, r := range records {
		p, op := path, "POST "+path
		if object == connectors.ObjectContact {
			t := r.Links[connectors.ObjectCompany]
			op = "POST /tiers/{id}/contacts"
			if t == "" {
				out[i].Err = invalidErr(op, "company", `an Altior contact belongs to a tiers, and this one has no company (link "company") to be created under`)
				continue
			}
			p = "/tiers/" + url.PathEscape(t) + "/contacts"
		}
		if object == ObjectAffaire && r.Links[connectors.ObjectCompany] == "" {
			out[i].Err = invalidErr(op, "company", `an Altior affaire belongs to a tiers, and this one has no company (link "company") to be created under`)
			continue
		}
		ownOwner := r.Fields["owner_user_id"] != nil
		if r, err = c.withCreateDefaults(ctx, object, r); err == nil {
			r, err = c.withEstablishmentID(ctx, r)
		}
		if err != nil {
			if perRecord(err) {
				out[i].Err = err
				continue
			}
			out[i].Err = err
			return notSent(out, i+1), err
		}
		body, err := buildBody(object, r, nil, op)
		if err != nil {
			out[i].Err = err
			continue
		}
		sent := false
		b, err := c.do(ctx, call{method: http.MethodPost, path: p, op: op, body: body, sent: &sent})
		if err != nil && !ownOwner && ownerRefused(body, err) {
			b, err = c.resendAsReferenceUser(ctx, call{method: http.MethodPost, path: p, op: op, sent: &sent}, body, err)
		}
		if err != nil {
			c.forgetReferenceUser(body, err)
			refused := connectors.StatusOf(err) == http.StatusBadRequest
			err = c.typeErr(ctx, object, r, c.customFieldErr(ctx, object, c.establishmentErr(ctx, body, err)))
			if perRecord(err) {
				out[i].Err = err
				continue
			}
			if k := connectors.KindOf(err); !sent || refused || k == connectors.KindRateLimited || k == connectors.KindConfig {
				out[i].Err = err // refused, or stopped, before anything was written
			}
			return notSent(out, i+1), err // after a 5xx or no answer, record i may exist
		}
		// Only the id is wanted: an odd value elsewhere in the answer (readRecord) does not
		// undo a create that was made.
		var a struct {
			ID json.RawMessage `json:"id"`
		}
		id := ""
		if err := json.Unmarshal(b, &a); err == nil {
			id, _ = readText(a.ID)
		}
		if id = strings.TrimSpace(id); id == "" {
			err := &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: "the answer holds no id"}
			return notSent(out, i+1), err
		}
		out[i] = connectors.Result{ID: id, Created: true}
	}
	return out, nil
}

// notSent marks the Results of the records from index from on, which a Create that stopped on
// an error that is not one record's did not send, with a retryable "not sent". The record it
// stopped at keeps no Result when it may have been created (a 5xx, a lost answer): a caller
// that cannot find it again by a key must treat that one, and only that one, as unknown.
func notSent(out []connectors.Result, from int) []connectors.Result {
	for j := from; j < len(out); j++ {
		if out[j].ID == "" && out[j].Err == nil {
			out[j].Err = &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: "create", Message: "not sent: the call stopped at an earlier record", Unsent: true}
		}
	}
	return out
}

// Update changes the given fields and links of existing records. A typed field (phone.FIXE)
// replaces that type's entries and keeps the others, so it reads the record first.
func (c *Client) Update(ctx context.Context, object string, records []connectors.Record) ([]connectors.Result, error) {
	path, err := route(object)
	if err != nil {
		return nil, err
	}
	op := "PATCH " + path + "/{id}"
	out := make([]connectors.Result, len(records))
	for i, r := range records {
		out[i].ID = r.ID
		if r.ID == "" {
			out[i].Err = invalidErr(op, "id", "the record has no id")
			continue
		}
		if r, err = c.withEstablishmentID(ctx, r); err != nil {
			return out, err // the establishments cannot be read now
		}
		var cur *apiRecord
		if needsCurrent(object, r) {
			a, bad, err := c.getRecord(ctx, path, r.ID)
			if err == nil && bad != nil && !bad.mergeable() {
				// The lists to merge with cannot be read: writing would replace them.
				err = unreadableErr("GET "+path+"/{id}", path, r.ID, bad)
			}
			if err != nil {
				if perRecord(err) {
					out[i].Err = err
					continue
				}
				return out, err
			}
			cur = &a
		}
		body, err := buildBody(object, r, cur, op)
		if err != nil {
			out[i].Err = err
			continue
		}
		if cur == nil && object == connectors.ObjectContact {
			if t := r.Links[connectors.ObjectCompany]; t != "" {
				body["tiers_id"] = t
			}
		}
		if len(body) == 0 {
			continue
		}
		if _, err := c.do(ctx, call{method: http.MethodPatch, path: path + "/" + url.PathEscape(r.ID), op: op, body: body}); err != nil {
			c.forgetReferenceUser(body, err)
			err = c.typeErr(ctx, object, r, c.customFieldErr(ctx, object, c.establishmentErr(ctx, body, err)))
			if perRecord(err) {
				out[i].Err = err
				continue
			}
			return out, err
		}
	}
	return out, nil
}

// establishmentErr turns a 400 on establishment_id naming an establishment that does not
// exist into a configuration error: the value comes from the connection's settings or a
// pipeline's, so every record would be refused alike, and the connection pauses (as for an
// unknown reference user) instead of quarantining them one by one. The establishments are
// read to tell that case from a refusal of one that exists, which stays the record's.
func (c *Client) establishmentErr(ctx context.Context, body map[string]any, err error) error {
	var e *connectors.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		return err
	}
	id, _ := body["establishment_id"].(string)
	if _, named := e.Fields["establishment_id"]; !named || id == "" {
		return err
	}
	es, lerr := c.establishments(ctx, true)
	if lerr != nil {
		return lerr // cannot tell yet: better to stop and retry than to quarantine the record
	}
	for _, x := range es {
		if x.ID == id {
			return err
		}
	}
	setting := "settings.establishment"
	if id != c.cfg.Establishment {
		// A record names its own establishment only when a pipeline (or a mapping) gives it.
		setting = "the establishment of the connection's pipelines (pipelines[].establishment) or the field mapped to establishment_id"
	}
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "establishment", Status: e.Status,
		Message: fmt.Sprintf("%q is not an Altior establishment (establishments: %s): check %s", id, listEstablishments(es), setting)}
}

// customFieldErr turns a 400 on a custom field Altior does not have (deleted or renamed there
// since the setup) into a configuration error: cf.<CODE> comes from the connection file (a
// field mapping, a match, a pipeline's pipeline_target or stage_target), so every record
// would be refused alike, and the connection pauses naming it instead of quarantining them
// one by one. The custom fields are read to tell that case from a refusal of a value of one
// that exists, which stays the record's.
func (c *Client) customFieldErr(ctx context.Context, object string, err error) error {
	var e *connectors.Error
	cfObject := map[string]string{connectors.ObjectCompany: "tiers", ObjectAffaire: "affaire"}[object]
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || cfObject == "" {
		return err
	}
	code := ""
	for f := range e.Fields {
		if k, ok := strings.CutPrefix(f, "custom_fields."); ok && k != "" {
			code = k
		}
	}
	if code == "" {
		return err
	}
	fields, lerr := c.CustomFields(ctx, cfObject)
	if lerr != nil {
		return lerr // cannot tell yet: better to stop and retry than to quarantine the record
	}
	if slices.ContainsFunc(fields, func(f CustomField) bool { return f.Code == code }) {
		return err
	}
	what := objectName(object, 2)
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "custom field", Status: e.Status,
		Message: fmt.Sprintf("altior %s have no custom field %q (cf.%s): create it in Altior, or take cf.%s out of the connection file (a field mapping, a match, a pipeline's pipeline_target or stage_target); custom fields of %s: %s",
			what, code, code, code, what, listCodes(fields, func(f CustomField) (string, string) { return f.Code, f.Label }))}
}

// listCodes writes what Altior has for a message, "none" when it has nothing:
// "QUALIF (Qualification), PROPOSITION (Proposition)", a code without a label alone.
func listCodes[T any](items []T, codeLabel func(T) (code, label string)) string {
	if len(items) == 0 {
		return "none"
	}
	out := make([]string, len(items))
	for i, it := range items {
		code, label := codeLabel(it)
		out[i] = code
		if label != "" {
			out[i] += " (" + label + ")"
		}
	}
	return strings.Join(out, ", ")
}

// typeErr turns a 400 on the type of a typed list's entry (field phones.type, emails.type or
// urls.type) into a configuration error when a type r writes is not in Altior's value list
// (deleted or renamed in "Paramétrage du tiers" since the setup): phone.<TYPE>,
// email.<TYPE> and url.<TYPE> come from the connection file, so every record would be
// refused alike, and the connection pauses naming the field instead of quarantining them one
// by one. The value list is read to tell that case from an entry of a deleted type the
// record itself holds (sent back whole with the list), which stays the record's. The lists
// the error names are read in typedLists' order, so the answer never depends on map order.
func (c *Client) typeErr(ctx context.Context, object string, r connectors.Record, err error) error {
	var e *connectors.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		return err
	}
	for _, tl := range typedLists[object] {
		if _, named := e.Fields[tl.list+".type"]; !named {
			continue
		}
		var written []string // the fields of r that write a type of tl, sorted
		for k, v := range withAliases(object, r).Fields {
			if l, _, ok := typedField(object, k); ok && l == tl.list {
				if s, _ := valueString(v); s != "" {
					written = append(written, k)
				}
			}
		}
		if len(written) == 0 {
			continue
		}
		sort.Strings(written)
		vl := tl.types
		items, lerr := c.ValueList(ctx, vl)
		if lerr != nil {
			return lerr // cannot tell yet: better to stop and retry than to quarantine the record
		}
		have := listCodes(items, func(it ValueItem) (string, string) { return it.Code, it.Label })
		for _, k := range written {
			_, typ, _ := typedField(object, k)
			if slices.ContainsFunc(items, func(it ValueItem) bool { return it.Code == typ }) {
				continue
			}
			return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "value list", Status: e.Status,
				Message: fmt.Sprintf("%s: %q is not in altior's value list %s: add it in Altior (Paramétrage du tiers), or write another type in the connection file; %s: %s",
					k, typ, vl, vl, have)}
		}
	}
	return err
}

// Delete is refused: the contract has no deletion.
func (c *Client) Delete(ctx context.Context, object string, ids []string) ([]connectors.Result, error) {
	return nil, cfgErr("DELETE "+object, "altior: deletions are not supported")
}

// AddEvent appends the event type code to the affaire's events. An event the affaire already
// has (409) is success, so a retried call cannot add it twice. A code Altior has no event type
// for is a configuration error (eventTypeErr). Only affaires have events.
func (c *Client) AddEvent(ctx context.Context, object, affaireID, code string) error {
	const op = "POST /affaires/{id}/events"
	if object != ObjectAffaire {
		return cfgErr(op, fmt.Sprintf("altior: only affaires have events, not %q", object))
	}
	if affaireID == "" || code == "" {
		return invalidErr(op, "code", "affaire id and event code are required")
	}
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/affaires/" + url.PathEscape(affaireID) + "/events", op: op, body: map[string]string{"code": code}})
	var e *connectors.Error
	if errors.As(err, &e) && e.Status == http.StatusConflict {
		return nil
	}
	return c.eventTypeErr(ctx, code, err)
}

// eventTypeErr turns a 400 on the code of an event Altior has no event type for (deleted or
// renamed there since the setup) into a configuration error: the code comes from the
// connection file (a pipeline's events or status_map), so every affaire reaching that step
// would be refused alike, and the connection pauses naming it instead of quarantining them
// one by one. The event types are read to tell that case from a refusal of one that exists,
// which stays the affaire's.
func (c *Client) eventTypeErr(ctx context.Context, code string, err error) error {
	var e *connectors.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		return err
	}
	if _, named := e.Fields["code"]; !named {
		return err
	}
	types, lerr := c.EventTypes(ctx)
	if lerr != nil {
		return lerr // cannot tell yet: better to stop and retry than to quarantine the affaire
	}
	if slices.ContainsFunc(types, func(t EventType) bool { return t.Code == code }) {
		return err
	}
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "event type", Status: e.Status,
		Message: fmt.Sprintf("altior has no affaire event type %q: create it in Altior, or bind the step to another event type in the connection file (pipelines[].events or pipelines[].status_map); event types: %s",
			code, listCodes(types, func(t EventType) (string, string) { return t.Code, t.Label }))}
}

// withCreateDefaults gives a record to be created the connection's reference user (found by
// e-mail) as owner and its establishment, unless the record names its own.
func (c *Client) withCreateDefaults(ctx context.Context, object string, r connectors.Record) (connectors.Record, error) {
	if object == connectors.ObjectContact || (c.cfg.ReferenceUserEmail == "" && c.cfg.Establishment == "") {
		return r, nil
	}
	fields := make(map[string]any, len(r.Fields)+2)
	for k, v := range r.Fields {
		fields[k] = v
	}
	if c.cfg.Establishment != "" && fields["establishment_id"] == nil {
		fields["establishment_id"] = c.cfg.Establishment
	}
	if c.cfg.ReferenceUserEmail != "" && (object == connectors.ObjectCompany || object == ObjectAffaire) && fields["owner_user_id"] == nil {
		id, err := c.referenceUser(ctx)
		if err != nil {
			return r, err
		}
		fields["owner_user_id"] = id
	}
	r.Fields = fields
	return r, nil
}

// referenceUser returns the id of the user whose e-mail settings.reference_user_email gives,
// listing the users the first time only: the id is kept on the client until a write is
// refused on it (forgetReferenceUser). A change of the setting builds a new client.
func (c *Client) referenceUser(ctx context.Context) (string, error) {
	c.refMu.Lock()
	id := c.refUser
	c.refMu.Unlock()
	if id != "" {
		return id, nil
	}
	users, err := c.Users(ctx)
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if strings.EqualFold(u.Email, c.cfg.ReferenceUserEmail) {
			id = u.ID
		}
	}
	if id == "" {
		return "", &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "reference user",
			Message: "no Altior user has the reference user's e-mail: check settings.reference_user_email"}
	}
	c.refMu.Lock()
	c.refUser = id
	c.refMu.Unlock()
	return id, nil
}

// ownerRefused reports whether err refuses the owner_user_id the body gives.
func ownerRefused(body map[string]any, err error) bool {
	var e *connectors.Error
	id, _ := body["owner_user_id"].(string)
	if id == "" || !errors.As(err, &e) {
		return false
	}
	_, refused := e.Fields["owner_user_id"]
	return refused
}

// resendAsReferenceUser sends again the create k of body, whose owner, the reference user the
// client kept, was refused (refused): the user deleted, or its e-mail given to another, since
// it was looked up. Every tiers would be refused alike, so the refusal is not the record's:
// the user is looked up again and the tiers sent as the one who has the e-mail now. No such
// user, or the same one refused again, is a configuration error (the connection pauses, the
// record not sent), as an unknown reference user is on a first create.
func (c *Client) resendAsReferenceUser(ctx context.Context, k call, body map[string]any, refused error) ([]byte, error) {
	c.forgetReferenceUser(body, refused)
	*k.sent = false // refused: nothing written
	id, err := c.referenceUser(ctx)
	if err != nil {
		return nil, err
	}
	if old, _ := body["owner_user_id"].(string); id == old {
		var e *connectors.Error
		errors.As(refused, &e)
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "reference user",
			Message: "altior refused the reference user as the owner of a tiers (" + e.Message + "): check settings.reference_user_email and that user's account"}
	}
	body["owner_user_id"] = id
	k.body = body
	return c.do(ctx, k)
}

// forgetReferenceUser drops the kept reference user when err refuses the owner_user_id a body
// gave (the user deleted, or its e-mail moved to another, since it was looked up): the next
// create looks it up again.
func (c *Client) forgetReferenceUser(body map[string]any, err error) {
	id, _ := body["owner_user_id"].(string)
	if !ownerRefused(body, err) {
		return
	}
	c.refMu.Lock()
	if c.refUser == id {
		c.refUser = ""
	}
	c.refMu.Unlock()
}
