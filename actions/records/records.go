// Package recordactions exposes the records of every system crmsync connects as Temporal
// activities, so that anyone's workflow — in Go or any other Temporal SDK — can read and write
// Webmecanik Automation, Divalto weavy, Altior, MiniCRM, UNAS (and read Sellsy) by activity
// name on crmsync's task queue, with the worker's credentials, quotas, retries and error
// classes. Sellsy's own typed operations are in actions/sellsy.
//
// Activities, under the prefix of each system — Automation, Weavy, Altior, MiniCRM, UNAS,
// Sellsy (input → output; each type's comment has a JSON example); those of a system no loaded
// connection uses fail at once as ConfigurationError (RegisterUnserved):
//
//	<P>.Describe  DescribeInput → DescribeOutput   the object's fields, custom ones included
//	<P>.List      ListInput     → ListOutput       a page of records changed since a time
//	<P>.Get       GetInput      → RecordsOutput    records by id
//	<P>.Find      FindInput     → RecordsOutput    records whose field equals one of values
//	<P>.Create    WriteInput    → WriteOutput      (not UNAS, read-only; not Sellsy, typed)
//	<P>.Update    WriteInput    → WriteOutput      (idem)
//	<P>.Delete    DeleteInput   → WriteOutput      (idem)
//	<P>.Call      CallInput     → CallOutput       any authorised API call (not Sellsy: Sellsy.Call)
//
// Objects and field names are the connectors' own, those of connection files (Automation
// "contact" and "company" with field aliases; weavy "company" — the Client table — and
// "contact", which unites Client / Contact and Marketing / Entrant; Altior "company" — a
// tiers —, "contact" and "affaire"; MiniCRM "person", "business", "card:<module>"; UNAS
// "order" and "customer"). Systems that refuse deletes (weavy, Altior) answer Delete with a
// ConfigurationError. Credentials never travel in inputs: the
// activities use the side of the connection that is this system, as the worker loaded it.
//
// Errors are application errors of the types of package actions: InvalidRecord (an input
// that does not decode into its type too, naming the field), RateLimited (retried after
// NextRetryDelay), ConfigurationError, Retryable, and Unconfirmed for a Call that writes
// and got no answer saying whether it was applied (see Call). A write refuses
// records one by one: a record the system refused is reported in its Result (ErrorType
// InvalidRecord) and the others are written; the activity fails only when the whole call does.
// Create heartbeats its per-record results as it goes, so that the retry of a Create that
// failed part way creates only the records not created yet.
package recordactions

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// Prefixes are the activity name prefixes, per system.
var Prefixes = map[string]string{
	"mautic":  "Automation",
	"weavy":   "Weavy",
	"altior":  "Altior",
	"minicrm": "MiniCRM",
	"unas":    "UNAS",
	"sellsy":  "Sellsy",
}

// readOnly are the systems whose writes are not offered here: UNAS is read-only on crmsync's
// pairs; Sellsy's writes are the typed activities of actions/sellsy.
var readOnly = map[string]bool{"unas": true, "sellsy": true}

// Connections is what the activities need of the worker's connections.
type Connections interface {
	Names() []string
	Config(name string) (*config.Connection, error)
	// Loaded is the file's version last loaded without error, even while it is broken.
	Loaded(name string) *config.Connection
	Connectors(name string) (a, b connectors.Connector, err error)
}

// Actions holds the connections the activities of one system use.
type Actions struct {
	System string // "mautic", "weavy", …
	Conns  Connections
}

// Record is a record as the activities take and give it: the system's field names, values as
// strings, numbers, booleans, lists of strings or null; links to records of other objects.
//
//	{"id": "12", "fields": {"email": "ana@example.com", "firstname": "Ana"}, "links": {"company": "4"}}
type Record struct {
	ID        string            `json:"id,omitempty"`
	Fields    map[string]any    `json:"fields"`
	Links     map[string]string `json:"links,omitempty"`
	UpdatedAt time.Time         `json:"updated_at,omitzero"`
}

// Target names the connection (optional when one loaded connection has the system) and the
// object.
type Target struct {
	Connection string `json:"connection,omitempty"`
	Object     string `json:"object"`
}

// DescribeInput asks for an object's fields.
//
//	{"object": "contact"}
type DescribeInput struct {
	Target
}

// DescribeOutput lists the fields.
//
//	{"fields": [{"name": "email", "label": "Email", "type": "email", "required": true, "read_only": false}]}
type DescribeOutput struct {
	Fields []connectors.Field `json:"fields"`
}

// ListInput asks for one page of the records changed since a time (zero: all), after cursor.
//
//	{"object": "contact", "since": "2026-11-01T00:00:00Z", "limit": 100}
type ListInput struct {
	Target
	Since  time.Time `json:"since,omitzero"`
	Cursor string    `json:"cursor,omitempty"`
	Limit  int       `json:"limit,omitempty"`
}

// ListOutput is the page; pass Cursor back for the next one while More is true.
//
//	{"records": [...], "cursor": "2:100", "more": true}
type ListOutput struct {
	Records []Record `json:"records"`
	Cursor  string   `json:"cursor,omitempty"`
	More    bool     `json:"more"`
}

// GetInput asks for records by id.
//
//	{"object": "contact", "ids": ["12", "13"]}
type GetInput struct {
	Target
	IDs []string `json:"ids"`
}

// FindInput asks for the records whose field equals one of values (e-mails ignore case).
//
//	{"object": "contact", "field": "email", "values": ["ana@example.com"]}
type FindInput struct {
	Target
	Field  string   `json:"field"`
	Values []string `json:"values"`
}

// RecordsOutput holds the records found; ids that do not exist are left out.
//
//	{"records": [{"id": "12", "fields": {...}}]}
type RecordsOutput struct {
	Records []Record `json:"records"`
}

// WriteInput holds the records to create, or to update (each with its id; only the fields
// given change).
//
//	{"object": "contact", "records": [{"fields": {"email": "ana@example.com", "firstname": "Ana"}}]}
type WriteInput struct {
	Target
	Records []Record `json:"records"`
}

// DeleteInput holds the ids of the records to delete.
//
//	{"object": "contact", "ids": ["12"]}
type DeleteInput struct {
	Target
	IDs []string `json:"ids"`
}

// Result is the outcome of one record, in input order: its id (the new id of a create), or
// why it was refused; both for a record written whose follow-up call failed (an Automation
// do-not-contact entry).
//
//	{"id": "12", "created": true}
//	{"error": "mautic: POST /contacts/batch/new: email: invalid", "error_type": "InvalidRecord"}
type Result struct {
	ID        string `json:"id,omitempty"`
	Created   bool   `json:"created,omitempty"`
	Error     string `json:"error,omitempty"`
	ErrorType string `json:"error_type,omitempty"`
}

// WriteOutput holds one Result per record and how many failed.
//
//	{"results": [{"id": "12", "created": true}], "failed": 0}
type WriteOutput struct {
	Results []Result `json:"results"`
	Failed  int      `json:"failed"`
}

// CallInput is any authorised API call: method, path relative to the API root the connection
// names (with an optional query), and a body — JSON, or XML for UNAS (whose calls are all
// POST /<function>).
//
//	{"method": "GET", "path": "/api/contacts", "query": {"search": ["ana"]}}
//	{"method": "POST", "path": "/getProduct", "body": "<Params><Sku>A1</Sku></Params>"}  (UNAS)
type CallInput struct {
	Connection string          `json:"connection,omitempty"`
	Method     string          `json:"method"`
	Path       string          `json:"path"`
	Query      url.Values      `json:"query,omitempty"`
	Body       json.RawMessage `json:"body,omitempty"`
}

// CallOutput is the answer: its status and its body — JSON as it came, or an XML answer as a
// JSON string.
//
//	{"status": 200, "body": {"total": "1", "contacts": {...}}}
type CallOutput = actions.CallOutput

// method is one activity of a system: its name after the prefix, and the function
// registered, which decodes its own JSON input (actions.Decoded).
type method struct {
	name string
	fn   any
}

func def[In, Out any](name string, fn func(context.Context, In) (Out, error)) method {
	return method{name: name, fn: actions.Decoded(fn)}
}

// activities lists the system's activities.
func (a *Actions) activities() []method {
	list := []method{def("Describe", a.Describe), def("List", a.List), def("Get", a.Get), def("Find", a.Find)}
	if !readOnly[a.System] {
		list = append(list, def("Create", a.Create), def("Update", a.Update), def("Delete", a.Delete))
	}
	if a.System != "sellsy" {
		list = append(list, def("Call", a.Call))
	}
	return list
}

// Names returns the activity names of system, in registration order.
func Names(system string) []string {
	a := &Actions{System: system}
	var out []string
	for _, x := range a.activities() {
		out = append(out, Prefixes[system]+"."+x.name)
	}
	return out
}

// Systems lists the systems the connections use that have activities here, sorted.
func Systems(conns []*config.Connection) []string {
	seen := map[string]bool{}
	for _, c := range conns {
		for _, s := range []string{c.A.System, c.B.System} {
			if _, ok := Prefixes[s]; ok {
				seen[s] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Register registers the activities of every system the connections use. Each decodes its
// own JSON input, so that one that does not fit the type fails as InvalidRecord, not retried.
func Register(r worker.ActivityRegistry, conns Connections, loaded []*config.Connection) []string {
	var names []string
	for _, system := range Systems(loaded) {
		a := &Actions{System: system, Conns: conns}
		for _, x := range a.activities() {
			name := Prefixes[system] + "." + x.name
			r.RegisterActivityWithOptions(x.fn, activity.RegisterOptions{Name: name})
			names = append(names, name)
		}
	}
	return names
}

// connector returns the side of a connection that is this system: the one named, or the only
// loaded connection with such a side. A connection whose file does not validate now is still
// one of them: its connectors fail with the file's mistake, rather than the input being told
// no such connection exists or going to another one.
func (a *Actions) connector(name string) (connectors.Connector, error) {
	var conns []*config.Connection
	for _, n := range a.Conns.Names() {
		if c := a.Conns.Loaded(n); c != nil {
			conns = append(conns, c)
		}
	}
	c, side, err := config.SideOn(conns, a.System, name)
	if err != nil {
		hint := ""
		if name == "" {
			hint = ` in "connection"`
		}
		return nil, actions.Configuration(fmt.Sprintf("%s: %v%s", Prefixes[a.System], err, hint))
	}
	ca, cb, err := a.Conns.Connectors(c.Name)
	if err != nil {
		return nil, actions.ToTemporal(err)
	}
	if side == "b" {
		return cb, nil
	}
	return ca, nil
}

func (a *Actions) target(t Target) (connectors.Connector, error) {
	if strings.TrimSpace(t.Object) == "" {
		return nil, actions.Invalid(Prefixes[a.System] + ": object is required")
	}
	return a.connector(t.Connection)
}

// Describe lists an object's fields (activity <P>.Describe).
func (a *Actions) Describe(ctx context.Context, in DescribeInput) (DescribeOutput, error) {
	c, err := a.target(in.Target)
	if err != nil {
		return DescribeOutput{}, err
	}
	fields, err := c.Describe(ctx, in.Object)
	if err != nil {
		return DescribeOutput{}, actions.ToTemporal(err)
	}
	return DescribeOutput{Fields: fields}, nil
}

// List returns one page of records changed since in.Since (activity <P>.List).
func (a *Actions) List(ctx context.Context, in ListInput) (ListOutput, error) {
	c, err := a.target(in.Target)
	if err != nil {
		return ListOutput{}, err
	}
	if in.Limit < 0 {
		return ListOutput{}, actions.Invalid(Prefixes[a.System] + ": limit must not be negative")
	}
	page, err := c.List(ctx, in.Object, connectors.ListQuery{Since: in.Since, Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return ListOutput{}, actions.ToTemporal(err)
	}
	return ListOutput{Records: records(page.Records), Cursor: page.Cursor, More: page.More}, nil
}

// Get returns records by id (activity <P>.Get).
func (a *Actions) Get(ctx context.Context, in GetInput) (RecordsOutput, error) {
	c, err := a.target(in.Target)
	if err != nil {
		return RecordsOutput{}, err
	}
	recs, err := c.Get(ctx, in.Object, in.IDs)
	if err != nil {
		return RecordsOutput{}, actions.ToTemporal(err)
	}
	return RecordsOutput{Records: records(recs)}, nil
}

// Find returns the records whose field equals one of the values (activity <P>.Find).
func (a *Actions) Find(ctx context.Context, in FindInput) (RecordsOutput, error) {
	c, err := a.target(in.Target)
	if err != nil {
		return RecordsOutput{}, err
	}
	if strings.TrimSpace(in.Field) == "" {
		return RecordsOutput{}, actions.Invalid(Prefixes[a.System] + ": field is required")
	}
	recs, err := c.FindByKey(ctx, in.Object, in.Field, in.Values)
	if err != nil {
		return RecordsOutput{}, actions.ToTemporal(err)
	}
	return RecordsOutput{Records: records(recs)}, nil
}

// Create creates records (activity <P>.Create).
func (a *Actions) Create(ctx context.Context, in WriteInput) (WriteOutput, error) {
	return a.write(ctx, in, false)
}

// Update updates records by id (activity <P>.Update).
func (a *Actions) Update(ctx context.Context, in WriteInput) (WriteOutput, error) {
	return a.write(ctx, in, true)
}

func (a *Actions) write(ctx context.Context, in WriteInput, update bool) (WriteOutput, error) {
	c, err := a.target(in.Target)
	if err != nil {
		return WriteOutput{}, err
	}
	recs := make([]connectors.Record, len(in.Records))
	for i, r := range in.Records {
		switch {
		case update && strings.TrimSpace(r.ID) == "":
			return WriteOutput{}, actions.Invalid(fmt.Sprintf("%s: records[%d]: id is required to update", Prefixes[a.System], i))
		case !update && r.ID != "":
			return WriteOutput{}, actions.Invalid(fmt.Sprintf("%s: records[%d]: a record to create has no id (the system gives it)", Prefixes[a.System], i))
		case len(r.Fields) == 0 && len(r.Links) == 0:
			return WriteOutput{}, actions.Invalid(fmt.Sprintf("%s: records[%d]: no fields", Prefixes[a.System], i))
		}
		recs[i] = connectors.Record{ID: r.ID, Fields: normalise(r.Fields), Links: r.Links}
	}
	if !update {
		return create(ctx, c, in.Object, recs)
	}
	results, err := c.Update(ctx, in.Object, recs)
	if err != nil {
		return WriteOutput{}, actions.ToTemporal(err)
	}
	return outcome(results), nil
}

// createChunk is how many records one Create call of the connector gets (Automation's batch
// size): the activity heartbeats its results after each, so that a worker lost in the middle
// of a long create loses at most the chunk in hand. A variable, for tests.
var createChunk = 200

// createProgress is what Create heartbeats: one Result per input record, the zero Result
// for a record not written yet. A retried attempt creates only those; a record created whose
// follow-up call failed (Automation's do-not-contact entries) is updated with the same
// fields instead, which redoes the follow-ups and creates nothing.
type createProgress struct {
	Results []Result `json:"results"`
	// Sent holds the records whose create was sent and not answered (a timeout, a 5xx, a
	// worker lost in the call): they may exist. A retry looks each up by its e-mail when it
	// has one, and otherwise does not send it again (ErrTypeUnconfirmed).
	Sent []int `json:"sent,omitempty"`
}

// settleSent decides, before a retry, about the records an earlier attempt sent without an
// answer: one with an e-mail is looked up by it (found: that is the record, not created
// again; not found: it is created), one without is reported unconfirmed rather than sent
// again — the caller looks for it — since a create that may have gone must not go twice.
func settleSent(ctx context.Context, c connectors.Connector, object string, recs []connectors.Record, p *createProgress) error {
	if len(p.Sent) == 0 {
		return nil
	}
	// One lookup per e-mail field for the whole batch, not one per record.
	byField := map[string]map[string][]int{} // field → lower-case e-mail → records
	for _, i := range p.Sent {
		if i < 0 || i >= len(recs) || p.Results[i] != (Result{}) {
			continue
		}
		field, email := emailOf(recs[i])
		if email == "" {
			p.Results[i] = Result{ErrorType: actions.ErrTypeUnconfirmed,
				Error: fmt.Sprintf("records[%d]: its create was sent and no answer came: it may exist, so it is not sent again; look for it, and create it if it is missing", i)}
			continue
		}
		if byField[field] == nil {
			byField[field] = map[string][]int{}
		}
		byField[field][strings.ToLower(email)] = append(byField[field][strings.ToLower(email)], i)
	}
	for _, field := range slices.Sorted(maps.Keys(byField)) {
		found, err := c.FindByKey(ctx, object, field, slices.Sorted(maps.Keys(byField[field])))
		if err != nil {
			return err
		}
		for _, r := range found {
			email, _ := r.Fields[field].(string)
			for _, i := range byField[field][strings.ToLower(strings.TrimSpace(email))] {
				if p.Results[i] == (Result{}) {
					p.Results[i] = Result{ID: r.ID}
				}
			}
		}
	}
	p.Sent = nil
	activity.RecordHeartbeat(ctx, *p)
	return nil
}

// emailOf returns a record's e-mail field (named email, whatever its case) and its value.
func emailOf(r connectors.Record) (string, string) {
	for k, v := range r.Fields {
		if strings.EqualFold(k, "email") {
			if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
				return k, strings.TrimSpace(s)
			}
		}
	}
	return "", ""
}

// create creates recs, resuming from the results an earlier attempt heartbeated: a retry
// never creates a record that attempt created (DESIGN rule 2).
func create(ctx context.Context, c connectors.Connector, object string, recs []connectors.Record) (WriteOutput, error) {
	p := createProgress{Results: make([]Result, len(recs))}
	if activity.HasHeartbeatDetails(ctx) {
		var hb createProgress
		// Details of another input's length (another version's) name no record: ignored.
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && len(hb.Results) == len(recs) {
			p = hb
		}
	}
	if err := settleSent(ctx, c, object, recs, &p); err != nil {
		return WriteOutput{}, actions.ToTemporal(err)
	}
	var todo, resume []int
	for i, r := range p.Results {
		switch {
		case r.ID != "" && r.Error != "" && r.ErrorType != actions.ErrTypeInvalidRecord:
			resume = append(resume, i)
		case r.ID != "" || r.ErrorType == actions.ErrTypeInvalidRecord || r.ErrorType == actions.ErrTypeUnconfirmed:
			// created, refused, or perhaps created: done
		default:
			todo = append(todo, i) // not sent, or refused for a passing reason
		}
	}
	// step writes the records at idx with write, merges their results and heartbeats them
	// all, before any error is returned: the server keeps the details for the next attempt.
	step := func(idx []int, write func(context.Context, string, []connectors.Record) ([]connectors.Result, error), updated bool) error {
		batch := make([]connectors.Record, len(idx))
		for k, i := range idx {
			batch[k] = recs[i]
			if updated {
				batch[k].ID = p.Results[i].ID
			}
		}
		if !updated {
			// Known sent before it goes: an attempt that gets no answer may have created them.
			p.Sent = slices.Clone(idx)
			activity.RecordHeartbeat(ctx, p)
		}
		results, err := write(ctx, object, batch)
		if !updated {
			p.Sent = nil
			for k, i := range idx {
				// A record with no result, or an empty one, had no answer, unless the
				// call was refused before anything was written.
				if (k >= len(results) || (results[k].ID == "" && results[k].Err == nil)) && !connectors.NothingWritten(err) {
					p.Sent = append(p.Sent, i)
				}
			}
		}
		for k, r := range results {
			if k >= len(idx) {
				break
			}
			res := result(r)
			if updated {
				// Still the record this activity created (or merged into, Created false).
				res.ID, res.Created = p.Results[idx[k]].ID, p.Results[idx[k]].Created
			}
			p.Results[idx[k]] = res
		}
		activity.RecordHeartbeat(ctx, p)
		return err
	}
	if len(resume) > 0 {
		if err := step(resume, c.Update, true); err != nil {
			return WriteOutput{}, actions.ToTemporal(err)
		}
	}
	for len(todo) > 0 {
		n := min(createChunk, len(todo))
		if err := step(todo[:n], c.Create, false); err != nil {
			return WriteOutput{}, actions.ToTemporal(err)
		}
		todo = todo[n:]
	}
	out := WriteOutput{Results: p.Results}
	for _, r := range out.Results {
		if r.Error != "" {
			out.Failed++
		}
	}
	return out, nil
}

// Delete deletes records by id (activity <P>.Delete).
func (a *Actions) Delete(ctx context.Context, in DeleteInput) (WriteOutput, error) {
	c, err := a.target(in.Target)
	if err != nil {
		return WriteOutput{}, err
	}
	results, err := c.Delete(ctx, in.Object, in.IDs)
	if err != nil {
		return WriteOutput{}, actions.ToTemporal(err)
	}
	return outcome(results), nil
}

// Call performs any authorised API call (activity <P>.Call). A non-2xx answer is an error of
// the classes above. A call that writes and may not be sent twice (a POST other than a read,
// MiniCRM's PUT that creates, Automation's PUT) and gets no answer saying whether the system applied it (a
// timeout, a 500, 502 or 504), or whose earlier attempt sent it and never reported, fails as
// Unconfirmed, not retried: Temporal's retry could create its record twice.
func (a *Actions) Call(ctx context.Context, in CallInput) (CallOutput, error) {
	c, err := a.connector(in.Connection)
	if err != nil {
		return CallOutput{}, err
	}
	caller, ok := c.(connectors.Caller)
	if !ok {
		return CallOutput{}, actions.Configuration(Prefixes[a.System] + ": this connector makes no arbitrary calls")
	}
	body := []byte(in.Body)
	if a.System == "unas" && len(body) > 0 {
		// UNAS takes XML: the input carries it as a JSON string.
		var s string
		if err := json.Unmarshal(body, &s); err != nil {
			return CallOutput{}, actions.Invalid("UNAS: body must be the XML as a JSON string")
		}
		body = []byte(s)
	}
	once, what, err := actions.GuardCall(ctx, caller.Repeatable, Prefixes[a.System], in.Method, in.Path)
	if err != nil {
		return CallOutput{}, err
	}
	status, raw, err := caller.Call(ctx, in.Method, in.Path, in.Query, body)
	if err != nil {
		return CallOutput{}, actions.CallError(ctx, once, what, err)
	}
	return actions.Answer(status, raw, a.secrets()...), nil
}

// secrets are the credential values of every loaded connection, hidden from any-call answers.
func (a *Actions) secrets() []string { return Secrets(a.Conns) }

// Secrets returns the credential values of every connection conns has loaded (as its files
// are now, or as last loaded while a file does not validate): what any-call answers hide
// (Sellsy.Call's too).
func Secrets(conns Connections) []string {
	var out []string
	for _, n := range conns.Names() {
		c, err := conns.Config(n)
		if err != nil {
			c = conns.Loaded(n)
		}
		if c != nil {
			out = append(out, c.SecretValues()...)
		}
	}
	return out
}

// normalise turns JSON-decoded values into the connectors' value types: numbers stay float64,
// lists become []string.
func normalise(fields map[string]any) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if list, ok := v.([]any); ok {
			s := make([]string, len(list))
			for i, x := range list {
				if f, ok := x.(float64); ok {
					s[i] = strconv.FormatFloat(f, 'f', -1, 64) // 1234567, not 1.234567e+06
				} else {
					s[i] = fmt.Sprint(x)
				}
			}
			v = s
		}
		out[k] = v
	}
	return out
}

func records(in []connectors.Record) []Record {
	out := make([]Record, len(in))
	for i, r := range in {
		out[i] = Record{ID: r.ID, Fields: r.Fields, Links: r.Links, UpdatedAt: r.UpdatedAt}
	}
	return out
}

func outcome(results []connectors.Result) WriteOutput {
	out := WriteOutput{Results: make([]Result, len(results))}
	for i, r := range results {
		out.Results[i] = result(r)
		if r.Err != nil {
			out.Failed++
		}
	}
	return out
}

// result is r as the activities give it. A record created whose follow-up call failed keeps
// its id and Created next to the error.
func result(r connectors.Result) Result {
	out := Result{ID: r.ID, Created: r.Created}
	if r.Err != nil {
		out.Error, out.ErrorType = r.Err.Error(), actions.ErrorType(r.Err)
	}
	return out
}
