package minicrm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmsync/crmsync/connectors"
)

// CheckOwner verifies that userID (an id, or a name as shown in MiniCRM) is a user of the
// system. MiniCRM answers a card written with an unknown owner 200 and gives it a random
// user, so a pair checks its owner with this before any write. It always asks MiniCRM.
func (c *Client) CheckOwner(ctx context.Context, userID string) error {
	users, err := c.Users(ctx)
	if err != nil {
		return err
	}
	if _, ok := findUser(users, userID); !ok {
		return cfgErr("owner", fmt.Sprintf("minicrm: owner user %s does not exist (settings.owner; the system's user ids: %s): MiniCRM would give every card to a random user, so nothing is written until it names one of them",
			strings.TrimSpace(userID), userIDs(users)))
	}
	return nil
}

// ownerRecheck is how long the connection's owner found fit for a module is trusted: a user
// removed from the module since would otherwise get every new card handed to someone else
// without a word.
const ownerRecheck = time.Hour

// checkDefaultOwner checks the connection's owner user before the first write to a module,
// and again once ownerRecheck has passed (a changed connection file builds a new client): a
// card's owner must be one of the module's own users (its UserId options), since MiniCRM
// gives the card of a user without access to the module to another one. An unfit owner is
// the connection's mistake, not a card's, so it is a configuration error that stops the
// write (and pauses the connection) instead of failing every card one by one. Contacts have
// no owner: for them the owner need only be a user of the system.
func (c *Client) checkDefaultOwner(ctx context.Context, t target) error {
	if c.defaultOwner == "" {
		return nil
	}
	key := ""
	if t.module != nil {
		key = t.module.ID
	}
	c.mu.Lock()
	at, ok := c.ownerChecked[key]
	c.mu.Unlock()
	if ok && c.now().Sub(at) < ownerRecheck {
		return nil
	}
	if err := c.checkOwnerOf(ctx, key, c.defaultOwner); err != nil {
		return err
	}
	c.mu.Lock()
	c.ownerChecked[key] = c.now()
	c.mu.Unlock()
	return nil
}

// checkOwnerOf checks userID against the users of the system and, given a module id, that
// module's own users. It always asks MiniCRM.
func (c *Client) checkOwnerOf(ctx context.Context, moduleID, userID string) error {
	if err := c.CheckOwner(ctx, userID); err != nil || moduleID == "" {
		return err
	}
	m, err := c.module(ctx, moduleID)
	if err != nil {
		return err
	}
	if _, ok := findUser(m.Users, userID); !ok {
		return noAccess(m, userID)
	}
	return nil
}

// noAccess is the configuration error of the connection's owner missing from module m.
func noAccess(m Module, userID string) error {
	return cfgErr("owner", fmt.Sprintf("minicrm: owner user %s has no access to module %s (settings.owner; its user ids: %s): MiniCRM would give every card to another user, so nothing is written to it until it names one of them",
		strings.TrimSpace(userID), m.Name, userIDs(m.Users)))
}

// module returns the module with this id from the modules last read.
func (c *Client) module(ctx context.Context, id string) (Module, error) {
	mods, err := c.Modules(ctx)
	if err != nil {
		return Module{}, err
	}
	for _, m := range mods {
		if m.ID == id {
			return m, nil
		}
	}
	return Module{}, cfgErr("object", fmt.Sprintf("MiniCRM has no module %s any more", id))
}

func userIDs(users []User) string {
	if len(users) == 0 {
		return "none"
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return strings.Join(ids, ", ")
}

func findUser(users []User, v string) (User, bool) {
	v = strings.TrimSpace(v)
	for _, u := range users {
		if u.ID == v || (v != "" && strings.EqualFold(u.Name, v)) {
			return u, true
		}
	}
	return User{}, false
}

// owner resolves a card's UserId against its module's users (the modules read at most
// cacheTTL ago), reading the modules again once per call when the value is not found.
func (c *Client) owner(ctx context.Context, m *Module, v string, refreshed *bool) (string, error) {
	users := m.Users
	if _, ok := findUser(users, v); !ok && !*refreshed {
		*refreshed = true
		if _, err := c.Users(ctx); err != nil {
			return "", err
		}
		fresh, err := c.module(ctx, m.ID)
		if err != nil {
			return "", err
		}
		users = fresh.Users
	}
	if u, ok := findUser(users, v); ok {
		return u.ID, nil
	}
	return "", c.unfitOwner(ctx, m, v)
}

// unfitOwner is the error of a card whose owner v is not one of module m's users. The
// connection's own owner (lost its access since it was checked) is the connection's mistake:
// a configuration error that pauses it, and it is checked afresh before the next write.
// Another is that card's own: it alone fails.
func (c *Client) unfitOwner(ctx context.Context, m *Module, v string) error {
	if c.defaultOwner != "" && strings.TrimSpace(v) == strings.TrimSpace(c.defaultOwner) {
		c.mu.Lock()
		delete(c.ownerChecked, m.ID)
		c.mu.Unlock()
		if err := c.checkOwnerOf(ctx, m.ID, v); err != nil {
			return err
		}
	}
	c.mu.Lock()
	_, exists := findUser(c.users, v)
	c.mu.Unlock()
	if exists {
		return invalid("owner", fmt.Sprintf("minicrm: owner user %s has no access to module %s (MiniCRM would assign another user)", strings.TrimSpace(v), m.Name))
	}
	return invalid("owner", fmt.Sprintf("minicrm: owner user %s does not exist (MiniCRM would assign a random user)", strings.TrimSpace(v)))
}

// emptyOwner reports whether a card's UserId names no one. It is never sent: MiniCRM takes an
// empty owner for an unknown user and gives the card to a random one.
func emptyOwner(v any) bool { return strings.TrimSpace(str(v)) == "" }

// Create creates records with PUT /Contact or PUT /Project (one call each).
func (c *Client) Create(ctx context.Context, object string, records []connectors.Record) ([]connectors.Result, error) {
	return c.write(ctx, object, records, true)
}

// Update changes the given fields (and links) of existing records with PUT …/{id}.
func (c *Client) Update(ctx context.Context, object string, records []connectors.Record) ([]connectors.Result, error) {
	return c.write(ctx, object, records, false)
}

// RequiredLinks names the links a record of object must have to be created: a card needs its
// contact, the Person (ContactId). MiniCRM would take the card without one, and it would sit
// on no one, so a sync holds a card back while its Person is not paired (a customer refused,
// quarantined) and creates it once it is. Its Business is optional: a private order has
// none.
func (c *Client) RequiredLinks(object string) []string {
	if strings.HasPrefix(object, CardPrefix) {
		return []string{ObjectPerson}
	}
	return nil
}

// Delete is refused: MiniCRM only soft-deletes through the API and this connector never
// deletes.
func (c *Client) Delete(ctx context.Context, object string, ids []string) ([]connectors.Result, error) {
	return nil, cfgErr("delete", "minicrm: deleting records is not supported")
}

// write sends one PUT per record. A KindInvalid failure fails only its record; any other
// failure stops the call: that record and the ones after it carry the error, which is also
// returned.
func (c *Client) write(ctx context.Context, object string, records []connectors.Record, create bool) ([]connectors.Result, error) {
	t, err := c.resolve(ctx, object)
	if err != nil {
		return nil, err
	}
	if err := c.checkDefaultOwner(ctx, t); err != nil {
		return nil, err
	}
	results := make([]connectors.Result, len(records))
	refreshed := false
	for i, rec := range records {
		if create && c.defaultOwner != "" && t.module != nil && emptyOwner(rec.Fields["UserId"]) {
			fields := make(map[string]any, len(rec.Fields)+1)
			for k, v := range rec.Fields {
				fields[k] = v
			}
			fields["UserId"] = c.defaultOwner // the connection's owner user, checked above for this module
			rec.Fields = fields
		}
		id, err := c.writeOne(ctx, t, rec, create, &refreshed)
		if err == nil {
			results[i] = connectors.Result{ID: id, Created: create}
			continue
		}
		if connectors.KindOf(err) == connectors.KindInvalid {
			results[i] = connectors.Result{ID: rec.ID, Err: err}
			continue
		}
		for j := i; j < len(records); j++ {
			results[j] = connectors.Result{ID: records[j].ID, Err: err}
		}
		return results, err
	}
	return results, nil
}

func (c *Client) writeOne(ctx context.Context, t target, rec connectors.Record, create bool, refreshed *bool) (string, error) {
	path, op := "/Api/R3/Contact", "PUT /Contact"
	if t.module != nil {
		path, op = "/Api/R3/Project", "PUT /Project"
	}
	if !create {
		if _, err := strconv.Atoi(rec.ID); err != nil {
			return "", invalid(op+"/{id}", "record id is not a MiniCRM id")
		}
		path, op = path+"/"+rec.ID, op+"/{id}"
	}
	types, err := c.writeTypes(ctx, t, rec.Fields)
	if err != nil {
		return "", err
	}
	body := map[string]any{}
	for k, v := range rec.Fields {
		if readOnly[k] || (k == "Name" && t.typ == "Person") {
			continue // a person's Name is FirstName + LastName
		}
		typ := types[k]
		if isList(k, typ) {
			body[k] = wireList(v)
			continue
		}
		if w, ok := wireTime(v, typ); ok {
			body[k] = w
			continue
		}
		body[k] = wire(v)
	}
	var cuts map[string]string // field → the value cut to fit it
	if t.module != nil {
		for k, v := range body {
			if s, ok := v.(string); ok {
				if fit := fitText(s, types[k]); fit != s {
					body[k] = fit
					if cuts == nil {
						cuts = map[string]string{}
					}
					cuts[k] = s
				}
			}
		}
		if v, ok := body["UserId"]; ok && emptyOwner(v) {
			delete(body, "UserId") // the card keeps its owner (a new one: the connection's, or MiniCRM's choice)
		} else if ok {
			uid, err := c.owner(ctx, t.module, str(v), refreshed)
			if err != nil {
				return "", err
			}
			body["UserId"] = json.Number(uid)
		}
		if create {
			body["CategoryId"] = json.Number(t.module.ID)
		}
		if id, ok := rec.Links[ObjectPerson]; ok {
			body["ContactId"] = idOrNil(id)
		}
		if id, ok := rec.Links[ObjectBusiness]; ok {
			body["BusinessId"] = idOrNil(id)
		}
	} else {
		if create {
			body["Type"] = t.typ
		}
		if id, ok := rec.Links[ObjectBusiness]; ok && t.typ == "Person" {
			body["BusinessId"] = idOrNil(id)
		}
	}
	var out struct {
		ID json.Number `json:"Id"`
	}
	if err := c.do(ctx, http.MethodPut, path, op, nil, body, &out); err != nil {
		return "", err
	}
	id := rec.ID
	if out.ID != "" {
		id = out.ID.String()
	}
	if t.module != nil {
		c.noteCuts(id, body, cuts)
	}
	return id, nil
}

// maxCuts bounds the cut texts a client remembers (a few kilobytes each): past it, a card
// whose entry was dropped is written once more when next read.
const maxCuts = 10000

// cutText is a card's text value as written, cut to its field, and the value it was cut from.
type cutText struct{ cut, full string }

// noteCuts remembers the text values of card id that were cut to fit their fields (cuts:
// field → the value before; body: what was sent), and forgets those written whole.
func (c *Client) noteCuts(id string, body map[string]any, cuts map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range body {
		key := id + "\x00" + k
		full, ok := cuts[k]
		if !ok {
			delete(c.cuts, key)
			continue
		}
		if _, known := c.cuts[key]; !known && len(c.cuts) >= maxCuts {
			for old := range c.cuts { // any one: a card read again costs one write more
				delete(c.cuts, old)
				break
			}
		}
		c.cuts[key] = cutText{cut: body[k].(string), full: full}
	}
}

// uncut returns the value a card's text field was cut from by this client, when the card still
// holds that cut: read as cut, it would differ from its source's value at every read, and be
// written again at every cycle. Otherwise v as it is.
func (c *Client) uncut(id, field string, v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.cuts[id+"\x00"+field]; ok && e.cut == s {
		return e.full
	}
	return v
}

// writeTypes returns the schema types of the fields written to t: its module's for a card;
// for a contact, its schema (cached as the module schemas are), read only when a value could
// be a date-time, so that the others cost no call.
func (c *Client) writeTypes(ctx context.Context, t target, fields map[string]any) (map[string]any, error) {
	if t.module != nil {
		return t.module.types, nil
	}
	for _, v := range fields {
		if _, ok := instant(v); ok {
			return c.contactSchema(ctx, t.typ)
		}
	}
	return nil, nil
}

// textSize is the most characters a field of schema type typ takes ("Text(1024)": 1024), or 0
// when its type says none.
func textSize(typ any) int {
	t, _ := typ.(string)
	if schemaBase(t) != "Text" {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(t, "Text("), ")"))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// fitText cuts a card's text value longer than its field's size (textSize) to that size,
// ending with "…". MiniCRM refuses the whole card for one value too long, and a card's text
// fields are copies of what the source keeps whole (an order's items, hundreds of characters
// for a large order, in a text field): the card with its text cut is worth more than no card
// and none of its status changes. Contacts are not cut: a name too long is the customer's to
// correct, refused with MiniCRM's reason.
func fitText(s string, typ any) string {
	n := textSize(typ)
	if n == 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// dateLayout is the form of MiniCRM's Date fields.
const dateLayout = "2006-01-02"

// wireTime renders a value for a DateTime field as MiniCRM takes it, Hungarian wall time
// "2006-01-02 15:04:05", and for a Date field as "2006-01-02" (the day in Hungary), whatever
// form the instant comes in: a time.Time or an RFC 3339 text (the engine's form of
// date-times, in UTC: as it is, MiniCRM refuses it, and its wall time would be an hour or two
// off). ok is false for another field, or a value that is not such an instant (a text already
// in MiniCRM's form goes as it is).
func wireTime(v any, typ any) (any, bool) {
	var layout string
	switch schemaBase(typ) {
	case "DateTime":
		layout = timeLayout
	case "Date":
		layout = dateLayout
	default:
		return nil, false
	}
	t, ok := instant(v)
	if !ok {
		return nil, false
	}
	return t.In(Budapest).Format(layout), true
}

// instant reads a time.Time, or a text in RFC 3339 (with a zone: one without is no instant).
func instant(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, !x.IsZero()
	case string:
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(x))
		return t, err == nil
	}
	return time.Time{}, false
}

func idOrNil(id string) any {
	if id == "" {
		return nil
	}
	return json.Number(id)
}

// wire renders a normalised value for MiniCRM: integral numbers without a decimal point,
// booleans as 1/0, lists joined by ", ".
func wire(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	case []string:
		return strings.Join(x, ", ")
	case time.Time:
		return x.In(Budapest).Format(timeLayout)
	}
	return v
}

// wireList renders a list field (Tags) as the JSON list MiniCRM answers it as, by label: a
// list as it is, a text as its comma-separated entries, nothing as [] (no tags).
func wireList(v any) []string {
	var in []string
	switch x := v.(type) {
	case nil:
	case []string:
		in = x
	case []any:
		for _, e := range x {
			in = append(in, str(e))
		}
	case string:
		in = strings.Split(x, ",")
	default:
		in = []string{str(wire(v))}
	}
	out := []string{}
	for _, e := range in {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// ---- Order API (/Api/Order) -------------------------------------------------------------------

// Order actions (status moves) of the Order API.
const (
	OrderFinalize = "Finalize" // Draft → InProgress
	OrderComplete = "Complete" // → Completed
	OrderPaid     = "Paid"     // → Successful
	OrderStorno   = "Storno"   // → Failed
)

// ListOrders returns one page (0-based, 100 a page) of orders changed since since (zero: all),
// optionally of one StatusGroup (Draft, InProgress, Completed, Successful, Failed), ordered by
// id, and whether more pages follow.
func (c *Client) ListOrders(ctx context.Context, since time.Time, statusGroup string, page int) ([]map[string]any, bool, error) {
	q := url.Values{"Page": {strconv.Itoa(page)}}
	if !since.IsZero() {
		q.Set("UpdatedSince", hungarian(since))
	}
	if statusGroup != "" {
		q.Set("StatusGroup", statusGroup)
	}
	var p searchPage
	if err := c.do(ctx, http.MethodGet, "/Api/Order/List", "GET /Order/List", q, nil, &p); err != nil {
		return nil, false, err
	}
	var out []map[string]any
	for _, id := range p.ids() {
		var m map[string]any
		if err := json.Unmarshal(p.Results[id], &m); err != nil {
			return nil, false, &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: "GET /Order/List", Message: "unreadable order"}
		}
		out = append(out, m)
	}
	total, _ := strconv.Atoi(p.Count.String())
	return out, (page+1)*PageSize < total && len(out) > 0, nil
}

// GetOrder reads one order.
func (c *Client) GetOrder(ctx context.Context, id string) (map[string]any, error) {
	var m map[string]any
	if err := c.do(ctx, http.MethodGet, "/Api/Order/"+url.PathEscape(id), "GET /Order/{id}", nil, nil, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// CreateOrder creates an order (POST /Api/Order) and returns its id. The body holds
// CustomerId or ReferenceId, CurrencyCode and Items ([{Name, SKU, PriceNet, Quantity, Unit, VAT}]).
func (c *Client) CreateOrder(ctx context.Context, order map[string]any) (string, error) {
	var out struct {
		ID json.Number `json:"Id"`
	}
	if err := c.do(ctx, http.MethodPost, "/Api/Order", "POST /Order", nil, order, &out); err != nil {
		return "", err
	}
	return out.ID.String(), nil
}

// UpdateOrder changes an order; MiniCRM allows it only while the order is a Draft.
func (c *Client) UpdateOrder(ctx context.Context, id string, order map[string]any) error {
	return c.do(ctx, http.MethodPost, "/Api/Order/"+url.PathEscape(id), "POST /Order/{id}", nil, order, nil)
}

// MoveOrder applies a status action (OrderFinalize, OrderComplete, OrderPaid, OrderStorno).
func (c *Client) MoveOrder(ctx context.Context, id, action string) error {
	switch action {
	case OrderFinalize, OrderComplete, OrderPaid, OrderStorno:
	default:
		return invalid("order", fmt.Sprintf("unknown order action %q", action))
	}
	return c.do(ctx, http.MethodPost, "/Api/Order/"+url.PathEscape(id)+"/"+action, "POST /Order/{id}/"+action, nil, nil, nil)
}

// CheckSettings checks the connection's owner user exists, before anything is written.
func (c *Client) CheckSettings(ctx context.Context) error {
	if c.defaultOwner == "" {
		return nil
	}
	return c.CheckOwner(ctx, c.defaultOwner)
}
