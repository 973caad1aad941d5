package altior

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// ValueItem is one entry of a value list; Abbreviation is set for legal forms and civilities.
type ValueItem struct {
	Code         string `json:"code"`
	Label        string `json:"label"`
	Abbreviation string `json:"abbreviation,omitempty"`
}

// Establishment is one establishment of the environment.
type Establishment struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// User is one Altior user. Its e-mail is personal data: never put it in an error.
type User struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Role      string `json:"role"`
}

// EventType is one configured affaire event type; Rank orders them.
type EventType struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Rank  int    `json:"rank"`
}

// CustomField is one custom field of tiers or affaires.
type CustomField struct {
	Object string `json:"object"`
	Code   string `json:"code"`
	Label  string `json:"label"`
	Type   string `json:"type"`
}

// typed is one entry of a typed list.
type typed struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type event struct {
	Code  string    `json:"code"`
	Label string    `json:"label"`
	At    time.Time `json:"at"`
}

// apiRecord is the union of the tiers, contact and affaire JSON forms.
type apiRecord struct {
	ID              string            `json:"id"`
	Kind            string            `json:"kind"`
	Relation        string            `json:"relation"`
	Name            string            `json:"name"`
	FirstName       string            `json:"first_name"`
	LastName        string            `json:"last_name"`
	SIRET           string            `json:"siret"`
	LegalForm       string            `json:"legal_form"`
	Civility        string            `json:"civility"`
	Role            string            `json:"role"`
	Title           string            `json:"title"`
	TiersID         string            `json:"tiers_id"`
	Phones          []typed           `json:"phones"`
	Emails          []typed           `json:"emails"`
	URLs            []typed           `json:"urls"`
	EstablishmentID string            `json:"establishment_id"`
	OwnerUserID     string            `json:"owner_user_id"`
	CustomFields    map[string]string `json:"custom_fields"`
	Events          []event           `json:"events"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
}

type items[T any] struct {
	Items    []T `json:"items"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
	Total    int `json:"total"`
}

// ---- parameters -----------------------------------------------------------------------------

// ValueList returns the entries of a value list (ListLegalForms, ListCivilities, …).
func (c *Client) ValueList(ctx context.Context, name string) ([]ValueItem, error) {
	var out items[ValueItem]
	err := c.getJSON(ctx, "/value-lists/"+url.PathEscape(name), "GET /value-lists/"+name, nil, &out)
	return out.Items, err
}

// Establishments returns the establishments.
func (c *Client) Establishments(ctx context.Context) ([]Establishment, error) {
	var out items[Establishment]
	err := c.getJSON(ctx, "/establishments", "GET /establishments", nil, &out)
	return out.Items, err
}

// Users returns the users, with their e-mails.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var out items[User]
	err := c.getJSON(ctx, "/users", "GET /users", nil, &out)
	return out.Items, err
}

// EventTypes returns the configured affaire event types in rank order.
func (c *Client) EventTypes(ctx context.Context) ([]EventType, error) {
	var out items[EventType]
	err := c.getJSON(ctx, "/affaire-event-types", "GET /affaire-event-types", nil, &out)
	sort.SliceStable(out.Items, func(i, j int) bool { return out.Items[i].Rank < out.Items[j].Rank })
	return out.Items, err
}

// CustomFields returns the custom fields of "tiers" or "affaire".
func (c *Client) CustomFields(ctx context.Context, object string) ([]CustomField, error) {
	var out items[CustomField]
	err := c.getJSON(ctx, "/custom-fields", "GET /custom-fields", url.Values{"object": {object}}, &out)
	return out.Items, err
}

// ---- objects --------------------------------------------------------------------------------

// route returns the collection path of an object.
func route(object string) (string, error) {
	switch object {
	case connectors.ObjectCompany:
		return "/tiers", nil
	case connectors.ObjectContact:
		return "/contacts", nil
	case ObjectAffaire:
		return "/affaires", nil
	}
	return "", cfgErr("object", "unknown object "+strconv.Quote(object)+" (company, contact or affaire)")
}

func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// toRecord flattens an API record into connector fields.
func toRecord(object string, a apiRecord) connectors.Record {
	f := map[string]any{}
	putTyped := func(prefix string, xs []typed) {
		for _, x := range xs {
			if _, ok := f[prefix+x.Type]; !ok && x.Type != "" {
				f[prefix+x.Type] = str(x.Value)
			}
		}
	}
	// CreatedAt tells the records that existed before an initial import skipped this side
	// (initial.from_b: false) from those created since, even once they are edited.
	r := connectors.Record{ID: a.ID, Fields: f, UpdatedAt: a.UpdatedAt, CreatedAt: a.CreatedAt}
	switch object {
	case connectors.ObjectCompany:
		f["kind"], f["relation"], f["name"] = str(a.Kind), str(a.Relation), str(a.Name)
		f["first_name"], f["last_name"], f["siret"] = str(a.FirstName), str(a.LastName), str(a.SIRET)
		f["legal_form"], f["civility"] = str(a.LegalForm), str(a.Civility)
		f["establishment_id"], f["owner_user_id"] = str(a.EstablishmentID), str(a.OwnerUserID)
		putTyped("phone.", a.Phones)
		putTyped("email.", a.Emails)
		putTyped("url.", a.URLs)
	case connectors.ObjectContact:
		f["civility"], f["first_name"], f["last_name"], f["role"] = str(a.Civility), str(a.FirstName), str(a.LastName), str(a.Role)
		putTyped("phone.", a.Phones)
		putTyped("email.", a.Emails)
		// "email" is the contact's identity, the field contacts are matched on: its PRINCIPAL
		// address, nil without one. It reads what writing it writes (email.PRINCIPAL): an
		// e-mail cleared on the other side must not come back as another type's address (its
		// accounting one). FindByKey still searches every address.
		f["email"] = nil
		for _, x := range a.Emails {
			if x.Type == "PRINCIPAL" {
				f["email"] = str(x.Value)
				break
			}
		}
		r.Links = map[string]string{connectors.ObjectCompany: a.TiersID}
	case ObjectAffaire:
		f["title"], f["establishment_id"], f["owner_user_id"] = str(a.Title), str(a.EstablishmentID), str(a.OwnerUserID)
		codes := make([]string, 0, len(a.Events))
		for _, e := range a.Events {
			codes = append(codes, e.Code)
		}
		f["events"] = codes
		r.Links = map[string]string{connectors.ObjectCompany: a.TiersID}
	}
	if object != connectors.ObjectContact {
		for k, v := range a.CustomFields {
			f["cf."+k] = str(v)
		}
	}
	return r
}

// Describe lists the standard fields of an object, one field per value-list type for typed
// lists, and its custom fields (cf.<CODE>); coded fields carry their value list as options.
func (c *Client) Describe(ctx context.Context, object string) ([]connectors.Field, error) {
	if _, err := route(object); err != nil {
		return nil, err
	}
	// A coded field's options are its codes with their labels, then, for the values whose
	// abbreviation differs from both (civilities: "M.", "Mme"), the code again with the
	// abbreviation: a value map or a setting may name a value by its code, its label or its
	// abbreviation, and each is written as the code.
	opts := func(list string) ([]connectors.Option, error) {
		vs, err := c.ValueList(ctx, list)
		out := make([]connectors.Option, 0, len(vs))
		for _, v := range vs {
			out = append(out, connectors.Option{Value: v.Code, Label: v.Label})
		}
		for _, v := range vs {
			if a := strings.TrimSpace(v.Abbreviation); a != "" && a != v.Code && a != v.Label {
				out = append(out, connectors.Option{Value: v.Code, Label: a})
			}
		}
		return out, err
	}
	var fields []connectors.Field
	add := func(name, label, typ string, o []connectors.Option) {
		fields = append(fields, connectors.Field{Name: name, Label: label, Type: typ, Options: o,
			Required: slices.Contains(requiredFields[object], name)})
	}
	// typedFields adds a field per type of each of the object's typed lists.
	typedFields := func() error {
		for _, l := range typedLists[object] {
			vs, err := c.ValueList(ctx, l.types)
			if err != nil {
				return err
			}
			for _, v := range vs {
				add(l.prefix+v.Code, l.label+" ("+v.Label+")", "text", nil)
			}
		}
		return nil
	}
	cfObject := "tiers"
	switch object {
	case connectors.ObjectCompany:
		add("kind", "Type de personne", "select", []connectors.Option{{Value: "moral", Label: "Personne morale"}, {Value: "physical", Label: "Personne physique"}})
		add("relation", "Relation", "select", []connectors.Option{{Value: "client", Label: "Client"}, {Value: "prospect", Label: "Prospect"}, {Value: "supplier", Label: "Fournisseur"}})
		add("name", "Raison sociale", "text", nil)
		add("first_name", "Prénom", "text", nil)
		add("last_name", "Nom", "text", nil)
		add("siret", "SIRET", "text", nil)
		for _, l := range []struct{ name, label, list string }{{"legal_form", "Forme juridique", ListLegalForms}, {"civility", "Civilité", ListCivilities}} {
			o, err := opts(l.list)
			if err != nil {
				return nil, err
			}
			add(l.name, l.label, "select", o)
		}
		if err := typedFields(); err != nil {
			return nil, err
		}
		add("owner_user_id", "Utilisateur", "text", nil)
	case connectors.ObjectContact:
		for _, l := range []struct{ name, label, list string }{{"civility", "Civilité", ListCivilities}, {"role", "Rôle", ListContactRoles}} {
			o, err := opts(l.list)
			if err != nil {
				return nil, err
			}
			add(l.name, l.label, "select", o)
		}
		add("first_name", "Prénom", "text", nil)
		add("last_name", "Nom", "text", nil)
		add("email", "E-mail (principal)", "email", nil)
		if err := typedFields(); err != nil {
			return nil, err
		}
		return fields, nil
	case ObjectAffaire:
		cfObject = "affaire"
		add("title", "Titre", "text", nil)
		add("owner_user_id", "Chargé d'affaire (utilisateur)", "text", nil)
		ets, err := c.EventTypes(ctx)
		if err != nil {
			return nil, err
		}
		o := make([]connectors.Option, 0, len(ets))
		for _, e := range ets {
			o = append(o, connectors.Option{Value: e.Code, Label: e.Label})
		}
		fields = append(fields, connectors.Field{Name: "events", Label: "Événements", Type: "multiselect", ReadOnly: true, Options: o})
	}
	es, err := c.Establishments(ctx)
	if err != nil {
		return nil, err
	}
	eo := make([]connectors.Option, 0, len(es))
	for _, e := range es {
		eo = append(eo, connectors.Option{Value: e.ID, Label: e.Name})
	}
	add("establishment_id", "Établissement", "select", eo)
	cfs, err := c.CustomFields(ctx, cfObject)
	if err != nil {
		return nil, err
	}
	for _, f := range cfs {
		add("cf."+f.Code, f.Label, f.Type, nil)
	}
	return fields, nil
}

// requiredFields names the fields API.md refuses to create a record without, per object:
// Describe marks them required, so validate refuses a mapping that leaves one out instead
// of every record being quarantined.
var requiredFields = map[string][]string{
	connectors.ObjectCompany: {"kind", "relation"},
	connectors.ObjectContact: {"last_name"},
	ObjectAffaire:            {"title"},
}

// List returns one page of records with updated_at >= q.Since, in the listing's order
// (updated_at, id). The cursor is a keyset, "after:<updated_at>,<id>" of the last record
// read, not a page number: a record written while the listing runs moves to its end (it is
// read again there) and moves no other one past the cursor, so none is skipped. A page
// number (an earlier version's cursor) is still read.
func (c *Client) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	path, err := route(object)
	if err != nil {
		return connectors.Page{}, err
	}
	v := url.Values{}
	page := 1
	switch after, keyset := strings.CutPrefix(q.Cursor, "after:"); {
	case keyset:
		v.Set("after", after)
	case q.Cursor != "":
		if page, err = strconv.Atoi(q.Cursor); err != nil || page < 1 {
			return connectors.Page{}, cfgErr("GET "+path, "malformed cursor")
		}
	}
	v.Set("page", strconv.Itoa(page))
	if q.Limit > 0 {
		v.Set("page_size", strconv.Itoa(min(q.Limit, 1000)))
	}
	if !q.Since.IsZero() {
		v.Set("changed_since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	op := "GET " + path
	out, err := c.getList(ctx, path, op, v)
	if err != nil {
		return connectors.Page{}, err
	}
	p := connectors.Page{Records: make([]connectors.Record, 0, len(out.Items))}
	var last *apiRecord // the last item the listing can be resumed after
	for i, raw := range out.Items {
		a, err := readRecord(raw)
		if a.ID != "" && !a.UpdatedAt.IsZero() {
			last = &a
		}
		if err != nil {
			p.Unreadable = append(p.Unreadable, c.unreadable(object, q.Cursor, i, a.ID, err))
			continue
		}
		p.Records = append(p.Records, toRecord(object, a))
	}
	size := out.PageSize
	if size <= 0 {
		size = len(out.Items)
	}
	if n := len(out.Items); n > 0 && (page-1)*size+n < out.Total {
		if last == nil {
			// Not one item of the page says where it stands in the listing's order.
			return connectors.Page{}, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op,
				Message: fmt.Sprintf("unexpected answer: none of the %d %s of the page has an id and an updated_at to resume the listing after", n, objectName(object, n))}
		}
		p.More, p.Cursor = true, "after:"+last.UpdatedAt.UTC().Format(time.RFC3339Nano)+","+last.ID
	}
	return p, nil
}

// objectName names records of an object in the API's words: "tiers", "contacts".
func objectName(object string, n int) string {
	switch object {
	case connectors.ObjectCompany:
		return "tiers"
	case ObjectAffaire:
		if n == 1 {
			return "affaire"
		}
		return "affaires"
	}
	if n == 1 {
		return object
	}
	return object + "s"
}

// unreadable names an item of a listing that cannot be read, with why (never its values), and
// logs it: a listing hands it to the sync in Page.Unreadable, which quarantines it by its id,
// and reads the others of the page. It is read again once corrected in Altior (its change
// brings it to the next listing). An item without an id is named by its place in the page
// (connectors.PositionID): no retry can read it back by that name, but it is not missed
// without a trace, and it comes back to a listing once changed.
func (c *Client) unreadable(object, cursor string, i int, id string, err error) connectors.Unreadable {
	name := objectName(object, 1)
	if id == "" {
		pos := connectors.PositionID(cursor, i+1)
		c.logger().Warn("altior: a listed record has no id and cannot be read: skipped (a listing has it quarantined by its place)",
			"object", object, "quarantined_as", pos, "reason", err.Error())
		return connectors.Unreadable{ID: pos, Reason: fmt.Sprintf(
			"the %s at item %d of the page has no readable id: %v: correct it in Altior, and the %s comes with that change", name, i+1, err, name)}
	}
	c.logger().Warn("altior: a record cannot be read: skipped (a listing has it quarantined)", "object", object, "id", id, "reason", err.Error())
	return connectors.Unreadable{ID: id, Reason: err.Error() + ": correct it in Altior, and the " + name + " comes with that change"}
}

// unreadableHit is the error of a search whose hit (item i of page page of the answer for
// value val) cannot be read: KindInvalid, naming the record, the key it matches and why, so
// that the pass stops there rather than create a duplicate of it.
func (c *Client) unreadableHit(op, object, field, val string, page, i int, id string, err error) error {
	who := objectName(object, 1) + " " + id
	if id == "" {
		who = fmt.Sprintf("%s at item %d of page %d of the search answer (no id)", objectName(object, 1), i+1, page)
	}
	c.logger().Warn("altior: a search hit cannot be read: the lookup stops there", "object", object, "id", id, "field", field, "reason", err.Error())
	e := &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op,
		Message: fmt.Sprintf("altior %s matches %s %s but cannot be read: %v: correct it in Altior (the sync does not create a %s that may already be there)",
			who, field, strconv.Quote(val), err, objectName(object, 1))}
	var bad *recordErr
	if errors.As(err, &bad) && len(bad.fields) > 0 {
		e.Fields = make(map[string]string, len(bad.fields))
		for _, f := range bad.fields {
			e.Fields[f.field] = f.why
		}
	}
	return e
}

// getList GETs a listing (collection GET) and reads its envelope; its items are left to
// readRecord, one by one.
func (c *Client) getList(ctx context.Context, path, op string, q url.Values) (recordList, error) {
	b, err := c.do(ctx, call{method: http.MethodGet, path: path, op: op, query: q})
	if err != nil {
		return recordList{}, err
	}
	l, err := readRecordList(b)
	if err != nil {
		return recordList{}, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: "unreadable answer: " + err.Error()}
	}
	return l, nil
}

// Get returns the records with these ids; unknown ids are left out.
func (c *Client) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	path, err := route(object)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Record, 0, len(ids))
	for _, id := range ids {
		a, err := c.getOne(ctx, path, id)
		if connectors.StatusOf(err) == http.StatusNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, toRecord(object, a))
	}
	return out, nil
}

func (c *Client) getOne(ctx context.Context, path, id string) (apiRecord, error) {
	a, bad, err := c.getRecord(ctx, path, id)
	if err == nil && bad != nil {
		err = unreadableErr("GET "+path+"/{id}", path, id, bad)
	}
	return a, err
}

// getRecord GETs one record. A record that cannot be read comes back as far as it could be
// read, with bad saying which fields are at fault.
func (c *Client) getRecord(ctx context.Context, path, id string) (a apiRecord, bad *recordErr, err error) {
	op := "GET " + path + "/{id}"
	b, err := c.do(ctx, call{method: http.MethodGet, path: path + "/" + url.PathEscape(id), op: op})
	if err != nil {
		return apiRecord{}, nil, err
	}
	a, err = readRecord(b)
	if err != nil {
		bad = err.(*recordErr)
		if bad.why == whyNotJSON {
			// Cut short, most likely: the call's failure, retried, not the record's.
			return apiRecord{}, nil, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op, Message: "unreadable answer: not valid JSON"}
		}
		if a.ID == "" {
			a.ID = id
		}
	}
	return a, bad, nil
}

// unreadableErr is the error of a record read by id that cannot be read: it fails that
// record only (KindInvalid), naming it and each field at fault, and why.
func unreadableErr(op, path, id string, bad *recordErr) *connectors.Error {
	what := map[string]string{"/tiers": "tiers", "/contacts": "contact", "/affaires": "affaire"}[path]
	msg := "altior " + what + " " + id + " cannot be read: " + bad.Error() + ": correct it in Altior"
	e := &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: msg}
	if len(bad.fields) > 0 {
		e.Fields = make(map[string]string, len(bad.fields))
		for _, f := range bad.fields {
			e.Fields[f.field] = f.why
		}
	}
	return e
}

// FindByKey finds companies by "siret" (its digits, as it is written) or "name" (case-insensitive), contacts by "email"
// (any e-mail type, case-insensitive), affaires by "title", and companies and affaires by a
// custom field, "cf.<CODE>" (exact): an affaire by the Sellsy opportunity id in cf.SLSY.
func (c *Client) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	path, err := route(object)
	if err != nil {
		return nil, err
	}
	param := ""
	switch {
	case object == connectors.ObjectCompany && (field == "siret" || field == "name"):
		param = field
	case object == connectors.ObjectCompany && (field == "email" || strings.HasPrefix(field, "email.")):
		param = "email" // any of the tiers' e-mails: a physical person is found by theirs
	case object == connectors.ObjectContact && field == "email":
		param = "email"
	case object == ObjectAffaire && field == "title":
		param = "title"
	case object != connectors.ObjectContact && strings.HasPrefix(field, "cf.") && len(field) > len("cf."):
		param = field
	default:
		return nil, cfgErr("GET "+path, "altior cannot search "+object+" by "+strconv.Quote(field)+" (company: siret, name, email.<TYPE> or cf.<CODE>; contact: email; affaire: title or cf.<CODE>)")
	}
	seen := map[string]bool{}
	searched := map[string]bool{}
	var out []connectors.Record
	for _, val := range values {
		if param == "siret" {
			// Looked up as it is written (buildBody): its 14 digits, whatever groups the
			// value came in; its forms are then one search.
			val = siretDigits(val)
		}
		if strings.TrimSpace(val) == "" || searched[val] {
			continue
		}
		searched[val] = true
		for page := 1; ; page++ {
			q := url.Values{param: {val}, "page": {strconv.Itoa(page)}}
			res, err := c.getList(ctx, path, "GET "+path+"?"+param, q)
			if err != nil {
				if connectors.StatusOf(err) == http.StatusBadRequest {
					// A search refused (a custom field that does not exist) is the connection
					// file's fault, not one record's: no record can be matched until it is fixed.
					return nil, cfgErr("GET "+path+"?"+param, "altior refused the search by "+strconv.Quote(field)+": "+err.Error())
				}
				return nil, err
			}
			for i, raw := range res.Items {
				a, err := readRecord(raw)
				if err != nil {
					// A counterpart that cannot be read is still a counterpart: left out, the
					// sync would find none and create a duplicate of it in Altior. The lookup
					// stops there, naming it, until it is corrected.
					return nil, c.unreadableHit("GET "+path+"?"+param, object, field, val, page, i, a.ID, err)
				}
				if !seen[a.ID] {
					seen[a.ID] = true
					out = append(out, toRecord(object, a))
				}
			}
			size := max(res.PageSize, 1)
			if len(res.Items) == 0 || page*size >= res.Total {
				break
			}
		}
	}
	return out, nil
}
