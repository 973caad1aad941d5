package mautic

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	gojson "github.com/goccy/go-json"

	"github.com/crmsync/crmsync/connectors"
)

// CanUnlink implements connectors.Unlinker: an update with Links["company"] = "" takes the
// contact out of its company (see linkCompany); it stays in its other companies.
func (c *Client) CanUnlink(object, link string) bool {
	return object == connectors.ObjectContact && link == connectors.ObjectCompany
}

// writeBody turns a record into a Mautic write body: field aliases, blanks sent as "" with
// overwriteWithBlank (POST/PATCH ignore blanks otherwise), and a created contact's company
// link as "companies": [id]. An update's link goes through the company routes after the
// write (linkCompany): "companies" would take the contact out of every other company it is
// in. A create has none to lose, unless Automation merges it into a contact with its e-mail,
// which the sync creates only when none had it when looked up. Booleans go as JSON true and false, the
// documented way to set Yes and No (Mautic reads a boolean with FILTER_VALIDATE_BOOLEAN and
// sets it through the entity, so 0 would do too).
func writeBody(object string, r connectors.Record, withID bool) (map[string]any, error) {
	body := map[string]any{}
	blank := false
	for k, v := range r.Fields {
		if k == "id" || k == FieldBounced || strings.HasPrefix(k, DNCPrefix) {
			continue // dnc.* travel through the do-not-contact routes; bounced is Mautic's to set
		}
		switch x := v.(type) {
		case nil:
			body[k] = ""
			blank = true
		case []string:
			if len(x) == 0 {
				body[k] = ""
				blank = true
			} else {
				body[k] = x
			}
		case string:
			if x == "" {
				blank = true
			}
			body[k] = x
		default:
			body[k] = v
		}
	}
	if blank {
		body["overwriteWithBlank"] = true
	}
	if object == connectors.ObjectContact {
		if id := r.Links[connectors.ObjectCompany]; id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n <= 0 {
				return nil, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "link",
					Message: "company link is not a Mautic company id", Fields: map[string]string{"companies": "not a company id"}}
			}
			if !withID {
				body["companies"] = []int64{n}
			}
		}
	}
	if withID {
		n, err := strconv.ParseInt(r.ID, 10, 64)
		if err != nil || n <= 0 {
			return nil, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "update", Message: "record id is not a Mautic id"}
		}
		body["id"] = n
	}
	return body, nil
}

type batchItemErr struct {
	Message string          `json:"message"`
	Code    int             `json:"code"`
	Details json.RawMessage `json:"details"` // a form error's, by field (returnError in batch mode)
}

// itemError classifies the error of one batch item (of an edit: edit); its details, or else its
// message ("alias: reason"), name the refused fields.
func (c *Client) itemError(op string, edit bool, e batchItemErr) *connectors.Error {
	code := e.Code
	if code == 0 {
		code = http.StatusBadRequest
	}
	err := &connectors.Error{Kind: connectors.ClassifyStatus(code), System: System, Op: op, Status: code, Message: c.scrub(e.Message)}
	if code == http.StatusNotFound {
		err.Message = "record not found"
	}
	if code == http.StatusForbidden && edit {
		// One item refused (checkEntityAccess): this record, not the API user's rights on
		// the whole object, which a refused call shows.
		err = recordForbidden(err)
	}
	fields := detailFields(e.Details, map[string]string{})
	if f, reason, ok := fieldOf(e.Message); ok && len(fields) == 0 {
		fields[f] = reason
	}
	for f, reason := range fields {
		if err.Fields == nil {
			err.Fields = map[string]string{}
		}
		err.Fields[f] = c.scrub(reason)
	}
	return err
}

// batch sends bodies to a batch route, at most batchSize a call, and returns aligned results.
// Items that were not sendable (prepErr) get their error and are left out of the call.
// dropped holds, by record index, the error of a record written but for a value Mautic
// ignored (zeroDropped): the caller adds it once the record's other writes are done. dnc
// holds, by record index, the do-not-contact entries the answer shows for the contacts whose
// write takes one off (see applyDNC); a contact the answer does not show is left out. A call
// Automation refuses for its api_batch_max_limit wrote nothing: its records go again, in
// calls of the size it names (fitBatch).
func (c *Client) batch(ctx context.Context, method, base, route string, records []connectors.Record, withID bool, object string) (results []connectors.Result, dropped map[int]error, dnc map[int][]dncEntry, err error) {
	w := &batchWrite{method: method, path: "/" + base + route, op: method + " /" + base + route,
		base: base, object: object, withID: withID, records: records,
		results: make([]connectors.Result, len(records)), dropped: map[int]error{}, dnc: map[int][]dncEntry{}}
	for next := 0; next < len(records); {
		chunk := span(next, min(next+c.batchSize(), len(records)))
		err := c.batchCall(ctx, w, chunk)
		var big *batchTooLarge
		if errors.As(err, &big) {
			if c.fitBatch(w.op, big.sent, big.limit) {
				continue // the same records again, fewer a call
			}
			err = big.err
		}
		if err != nil {
			return w.results, w.dropped, w.dnc, err
		}
		next += len(chunk)
	}
	return w.results, w.dropped, w.dnc, nil
}

// batchWrite is a batch write under way: where it goes, its records, and what is known of
// them so far (see batch).
type batchWrite struct {
	method, path, op string
	base, object     string
	withID           bool
	records          []connectors.Record
	results          []connectors.Result
	dropped          map[int]error
	dnc              map[int][]dncEntry
}

// batchCall writes the records of w at the indexes of chunk in one call, and reads its
// answer into w. A call refused for its size is a *batchTooLarge.
func (c *Client) batchCall(ctx context.Context, w *batchWrite, chunk []int) error {
	records, results, withID, object, op := w.records, w.results, w.withID, w.object, w.op
	var bodies []map[string]any
	var sent []int
	zeros := map[int]map[string]any{} // by place in the call: the values Mautic may drop
	setsDNC := false                  // a contact of the call sets a do-not-contact (on or off)
	for _, i := range chunk {
		b, err := writeBody(object, records[i], withID)
		if err != nil {
			results[i].Err = err
			continue
		}
		if z := zeroValues(records[i]); len(z) > 0 {
			zeros[len(sent)] = z
		}
		setsDNC = setsDNC || (withID && object == connectors.ObjectContact && len(dncChanges(records[i])) > 0)
		bodies = append(bodies, b)
		sent = append(sent, i)
	}
	if len(bodies) == 0 {
		return nil
	}
	raw, err := c.sendBatch(ctx, w, bodies)
	if err != nil {
		return err
	}
	resp, ents, err := decodeBatch(raw, w.base, len(sent))
	if err != nil {
		return decodeErr(op, err)
	}
	errs := map[int]batchItemErr{}
	if t := bytes.TrimSpace(resp.Errors); len(t) > 0 && t[0] == '{' {
		var m map[string]batchItemErr
		if json.Unmarshal(t, &m) == nil {
			for k, v := range m {
				if n, err := strconv.Atoi(k); err == nil {
					errs[n] = v
				}
			}
		}
	} else if len(t) > 0 && t[0] == '[' {
		var l []*batchItemErr
		if json.Unmarshal(t, &l) == nil {
			for k, v := range l {
				if v != nil {
					errs[k] = *v
				}
			}
		}
	}
	for k, i := range sent {
		code := 0
		if k < len(resp.StatusCodes) {
			code = resp.StatusCodes[k]
		}
		if e, bad := errs[k]; bad {
			if e.Code == 0 {
				e.Code = code
			}
			results[i].Err = c.itemError(op, withID, e)
			continue
		}
		if ents[k] == nil {
			if code == 0 || code >= 300 {
				results[i].Err = c.itemError(op, withID, batchItemErr{Message: "refused", Code: code})
				continue
			}
		} else {
			results[i].ID = string(ents[k].ID)
		}
		if withID && results[i].ID == "" {
			results[i].ID = records[i].ID
		}
		results[i].Created = code == http.StatusCreated
	}
	if !withID {
		forbidOnlySome(results, sent)
		setsDNC = object == connectors.ObjectContact && mergedAddsDNC(records, results, sent)
	}
	if setsDNC {
		// Read again, for the do-not-contact entries and their reasons, only when a
		// contact sets one (of a create, one Automation merged into a contact with its
		// e-mail): decodeBatch reads ids alone.
		for k, entries := range echoedDNC(raw, w.base, len(sent)) {
			w.dnc[sent[k]] = entries
		}
	}
	if len(zeros) > 0 {
		// Read again, for the values only when some may have been dropped: the usual
		// answer is decoded for ids alone (decodeBatch).
		echoes := echoedValues(raw, w.base, false, len(sent))
		for k, z := range zeros {
			if i := sent[k]; results[i].Err == nil {
				if err := c.zeroDropped(ctx, op, object, z, echoes[k]); err != nil {
					w.dropped[i] = err
				}
			}
		}
	}
	return nil
}

// sendBatch sends one batch call and returns its answer. A refusal for Automation's
// api_batch_max_limit is a *batchTooLarge.
func (c *Client) sendBatch(ctx context.Context, w *batchWrite, bodies []map[string]any) ([]byte, error) {
	status, raw, err := c.send(ctx, w.method, w.path, w.op, nil, bodies)
	if err == nil {
		return raw, nil
	}
	msg, _ := parseErrorBody(raw)
	if limit, ok := batchLimitRefusal(status, msg); ok {
		return nil, &batchTooLarge{sent: len(bodies), limit: limit, err: err}
	}
	return nil, err
}

// span is the indexes from to to-1.
func span(from, to int) []int {
	out := make([]int, 0, max(0, to-from))
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// batchAnswer is a batch answer whose entities form an aligned array (the usual case).
type batchAnswer struct {
	Contacts    []*entityID     `json:"contacts"`
	Companies   []*entityID     `json:"companies"`
	StatusCodes []int           `json:"statusCodes"`
	Errors      json.RawMessage `json:"errors"`
}

// decodeBatch reads a batch answer for the entities' ids, status codes and errors. A batch of
// 200 full contacts is a large answer (1.5 MB from the simulator, every field with its
// metadata): it is decoded in one pass with go-json, which skips the fields it is not asked
// for about eight times faster than encoding/json (BenchmarkDecodeBatch), unless the
// entities come as an object keyed by index (PHP arrays with gaps).
func decodeBatch(raw []byte, base string, n int) (batchAnswer, []*entityID, error) {
	var a batchAnswer
	err := gojson.Unmarshal(raw, &a)
	var typeErr *gojson.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		var top map[string]json.RawMessage
		if err := json.Unmarshal(raw, &top); err != nil {
			return a, nil, err
		}
		a = batchAnswer{Errors: top["errors"]}
		_ = json.Unmarshal(top["statusCodes"], &a.StatusCodes)
		ents, err := aligned[*entityID](top[base], n)
		return a, ents, err
	}
	if err != nil {
		return a, nil, err
	}
	l := a.Contacts
	if base == "companies" {
		l = a.Companies
	}
	ents := make([]*entityID, n)
	copy(ents, l)
	return a, ents, nil
}

// entityID is the part of a written entity a batch answer is read for.
type entityID struct {
	ID flexID `json:"id"`
}

// aligned reads a batch answer's entity collection: an array aligned with the request
// (null for failed items), or an object keyed by request index (PHP arrays with gaps).
func aligned[T any](raw json.RawMessage, n int) ([]T, error) {
	out := make([]T, n)
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return out, nil
	}
	if t[0] == '[' {
		var l []T
		if err := json.Unmarshal(t, &l); err != nil {
			return nil, err
		}
		copy(out, l)
		return out, nil
	}
	var m map[string]T
	if err := json.Unmarshal(t, &m); err != nil {
		return nil, err
	}
	for k, e := range m {
		if i, err := strconv.Atoi(k); err == nil && i >= 0 && i < n {
			out[i] = e
		}
	}
	return out, nil
}

// Create creates records with POST /{base}/batch/new, 200 per call (or as many as
// Automation's api_batch_max_limit allows: see batch). Mautic dedupes contacts on e-mail: a
// contact that already existed is updated and its Result has Created false. Companies are
// never merged into one of the same name (createCompanies).
//
// A value Mautic ignores (0, or any number between -1 and 1: see zeroDropped) fails its
// record's Result, which keeps the id of the record created without it.
func (c *Client) Create(ctx context.Context, object string, records []connectors.Record) ([]connectors.Result, error) {
	base, err := plural(object)
	if err != nil {
		return nil, err
	}
	var res []connectors.Result
	var dropped map[int]error
	var dnc map[int][]dncEntry
	if object == connectors.ObjectCompany {
		res, dropped, err = c.createCompanies(ctx, records)
	} else {
		res, dropped, dnc, err = c.batch(ctx, http.MethodPost, base, "/batch/new", records, false, object)
	}
	return c.settle(ctx, object, records, res, dropped, dnc, true, err)
}

// Update changes the given fields with PATCH /{base}/batch/edit, then a contact's company
// link with the company routes (linkCompany). A value Mautic ignores fails its record's
// Result, as on Create.
func (c *Client) Update(ctx context.Context, object string, records []connectors.Record) ([]connectors.Result, error) {
	base, err := plural(object)
	if err != nil {
		return nil, err
	}
	var clashes map[int]error
	if object == connectors.ObjectContact {
		if clashes, err = c.emailClashes(ctx, records); err != nil {
			return nil, err
		}
	}
	if len(clashes) == 0 {
		res, dropped, dnc, err := c.batch(ctx, http.MethodPatch, base, "/batch/edit", records, true, object)
		return c.settle(ctx, object, records, res, dropped, dnc, false, err)
	}
	// The records whose new e-mail another contact holds are not sent; the others are, and
	// their answers are put back in place.
	var send []int
	for i := range records {
		if clashes[i] == nil {
			send = append(send, i)
		}
	}
	sub := make([]connectors.Record, len(send))
	for k, i := range send {
		sub[k] = records[i]
	}
	res := make([]connectors.Result, len(records))
	for i, e := range clashes {
		res[i] = connectors.Result{ID: records[i].ID, Err: e}
	}
	subRes, subDropped, subDNC, err := c.batch(ctx, http.MethodPatch, base, "/batch/edit", sub, true, object)
	dropped, dnc := map[int]error{}, map[int][]dncEntry{}
	for k, i := range send {
		if k < len(subRes) {
			res[i] = subRes[k]
		}
		if e, ok := subDropped[k]; ok {
			dropped[i] = e
		}
		if d, ok := subDNC[k]; ok {
			dnc[i] = d
		}
	}
	return c.settle(ctx, object, records, res, dropped, dnc, false, err)
}

// emailClashes returns, by record index, the error of each contact update whose new e-mail
// another Automation contact holds. Sent, Automation would merge the two
// (LeadApiController::preSaveEntity: ContactMerger::merge), deleting the one that held it —
// a contact the sync may have paired with another record, whose deletion would then travel.
// The record fails instead, naming the other contact, for a person to merge them or correct
// the address. So does an update giving an e-mail no contact holds yet to a contact when an
// earlier record of the call gives it to another: Automation writes the edits one by one, and
// would merge the later contact with the earlier one.
func (c *Client) emailClashes(ctx context.Context, records []connectors.Record) (map[int]error, error) {
	var emails []string
	for _, r := range records {
		if e, ok := r.Fields["email"].(string); ok && strings.TrimSpace(e) != "" {
			emails = append(emails, strings.TrimSpace(e))
		}
	}
	if len(emails) == 0 {
		return nil, nil
	}
	found, err := c.FindByKey(ctx, connectors.ObjectContact, "email", emails)
	if err != nil {
		return nil, err
	}
	holders := map[string][]string{} // lower-cased e-mail → contact ids
	for _, f := range found {
		if e, ok := f.Fields["email"].(string); ok {
			k := strings.ToLower(strings.TrimSpace(e))
			holders[k] = append(holders[k], f.ID)
		}
	}
	clashes := map[int]error{}
	given := map[string]string{} // lower-cased e-mail no contact holds → the contact a record gives it to
	for i, r := range records {
		e, _ := r.Fields["email"].(string)
		k := strings.ToLower(strings.TrimSpace(e))
		for _, id := range holders[k] {
			if id != r.ID {
				clashes[i] = &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "PATCH /contacts/batch/edit",
					Fields:  map[string]string{"email": "held by contact " + id},
					Message: fmt.Sprintf("contact %s: its new e-mail is contact %s's: Automation would merge the two, deleting one; merge them in Automation, or correct the address", r.ID, id)}
				break
			}
		}
		if clashes[i] != nil || k == "" || len(holders[k]) > 0 {
			continue
		}
		switch first, ok := given[k]; {
		case !ok:
			given[k] = r.ID
		case first != r.ID:
			clashes[i] = &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "PATCH /contacts/batch/edit",
				Fields:  map[string]string{"email": "also given to contact " + first},
				Message: fmt.Sprintf("contact %s: its new e-mail is also contact %s's new one, written first: Automation would merge the two, deleting one; give each its own address", r.ID, first)}
		}
	}
	return clashes, nil
}

// settle ends a write: the do-not-contact changes of the contacts written (dnc: the entries
// the write's answer shows, see batch), then the errors of the values Mautic dropped. A record
// written without one of its values is still written: its do-not-contact state goes with it,
// or the next pass would take the record as it is then for the truth.
func (c *Client) settle(ctx context.Context, object string, records []connectors.Record, res []connectors.Result, dropped map[int]error, dnc map[int][]dncEntry, create bool, err error) ([]connectors.Result, error) {
	if err == nil && object == connectors.ObjectContact && !create {
		err = c.applyLinks(ctx, records, res)
	}
	if err == nil && object == connectors.ObjectContact {
		err = c.applyDNC(ctx, records, res, dnc, create)
	}
	for i, d := range dropped {
		if res[i].Err == nil {
			res[i].Err = d
		}
	}
	return res, err
}

// DNCPrefix starts the contact's do-not-contact fields: "dnc.email", "dnc.sms", "dnc.phone",
// "dnc.postal", true when the contact must not be contacted on that channel.
const DNCPrefix = "dnc."

// FieldBounced is true when the contact's e-mail bounced (a do-not-contact entry on the email
// channel with reason 2): the NPAI flag other systems keep. Read-only.
const FieldBounced = "bounced"

// reasonBounced is Mautic's do-not-contact reason for a bounce.
const reasonBounced = 2

// DNCChannels are the channels exposed as dnc.* fields.
var DNCChannels = []string{"email", "sms", "phone", "postal"}

// ReasonManual is the do-not-contact reason the connector sets (Mautic's DoNotContact::MANUAL).
const ReasonManual = 3

// applyDNC calls POST /contacts/{id}/dnc/{channel}/add (reason 3, manual) for each dnc.*
// field that is true, or /remove for one that is false, of a record whose write succeeded;
// a value that is neither (nil, "") leaves the channel alone, and a create only adds (a create
// Automation merged into the contact with its e-mail too, but that contact's entries are
// read first, as an update's).
//
// Only a manual entry (reason 3, the kind crmsync sets) is taken off. A bounce (2) or the
// contact's own unsubscribe (1) is Automation's: a re-subscription made on the other side
// leaves it in place, logged, and the record does not fail — the next read shows the contact
// still unsubscribed, and the merge carries that back. The reasons are read from the write's
// answer (dnc, by record index), or, for a contact it does not show, with one contacts
// listing per 200.
//
// A failure fails the record's Result; failures other than KindInvalid are also returned, as
// Delete does.
func (c *Client) applyDNC(ctx context.Context, records []connectors.Record, results []connectors.Result, dnc map[int][]dncEntry, create bool) error {
	current, err := c.dncCurrent(ctx, records, results, dnc, create)
	if err != nil {
		return err
	}
	var calls []contactCall
	for i, r := range records {
		if results[i].Err != nil || results[i].ID == "" {
			continue
		}
		for _, ch := range DNCChannels {
			set, ok := boolOf(r.Fields[DNCPrefix+ch])
			if !ok || (create && !set) {
				continue
			}
			action := "remove"
			var body any
			if set {
				if entries, known := current[i]; known && len(channelReasons(entries, ch)) > 0 {
					// Already not to be contacted there: an add would only make a bounce
					// (2) a manual entry (3), losing the bounce, which a later
					// re-subscription could then take off.
					continue
				}
				action, body = "add", map[string]any{"reason": ReasonManual}
			} else if entries, known := current[i]; known {
				switch reasons := channelReasons(entries, ch); {
				case len(reasons) == 0:
					continue // nothing to take off
				case slices.ContainsFunc(reasons, func(r int) bool { return r != ReasonManual }):
					c.keepDNC(results[i].ID, ch, reasons)
					continue
				}
			}
			id, op := results[i].ID, "POST /contacts/{id}/dnc/"+ch+"/"+action
			calls = append(calls, contactCall{record: i, op: op,
				run: func() error {
					_, err := c.do(ctx, http.MethodPost, fmt.Sprintf("/contacts/%s/dnc/%s/%s", id, url.PathEscape(ch), action), op, nil, body)
					return err
				},
				name: func(err error) error { return dncError(err, id, ch, action) }})
		}
	}
	return runContactCalls(results, calls)
}

// contactCall is a call about the contact of one record (a do-not-contact change, a company
// link) made after the record's write; name names its error (a panic's too) for the record.
type contactCall struct {
	record int
	op     string
	run    func() error
	name   func(error) error
}

// runContactCalls runs calls, Concurrency at a time. A failure fails its record's Result (the
// first one kept); failures other than KindInvalid are also returned (the first), as Delete
// does. A panic (connectors.Safe) is its call's error, where nothing above could recover it.
func runContactCalls(results []connectors.Result, calls []contactCall) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, Concurrency)
	)
	for _, k := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			err := connectors.Safe(System, k.op, k.run)
			if err == nil {
				return
			}
			err = k.name(err)
			mu.Lock()
			defer mu.Unlock()
			if results[k.record].Err == nil {
				results[k.record].Err = err
			}
			if connectors.KindOf(err) != connectors.KindInvalid && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// forbidOnlySome makes the 403s of a batch/new the records' own errors when only some of
// the call's items got one: those items merged into contacts with their e-mail that the API
// user may not edit. A 403 on every item is the role's: it may not create (KindConfig).
func forbidOnlySome(results []connectors.Result, sent []int) {
	denied := map[int]*connectors.Error{}
	for _, i := range sent {
		if e, ok := results[i].Err.(*connectors.Error); ok && e.Status == http.StatusForbidden {
			denied[i] = e
		}
	}
	if len(denied) == 0 || len(denied) == len(sent) {
		return
	}
	for i, e := range denied {
		results[i].Err = recordForbidden(e)
	}
}

// recordForbidden turns a 403 on one record into that record's error (KindInvalid): the API
// user's role may edit only some records (Automation's "edit own" rights, a contact another
// user owns). The record is quarantined with the reason; the rest of the sync goes on.
func recordForbidden(e *connectors.Error) *connectors.Error {
	named := *e
	named.Kind = connectors.KindInvalid
	named.Message = "Automation's API user may not edit this record (" + cmp.Or(e.Message, "access denied") +
		"): its role may edit only the records it owns; give it the right to edit others' records, or leave this one out"
	return &named
}

// dncError names, in a do-not-contact change's error, the contact, the channel and the field
// (dnc.<channel>) it failed for: the quarantine says which consent was not written.
func dncError(err error, id, ch, action string) error {
	verb := "removed"
	if action == "add" {
		verb = "set"
	}
	return contactCallError(err, DNCPrefix+ch, func(reason string) string {
		return fmt.Sprintf("contact %s: the do-not-contact on %s could not be %s: %s", id, ch, verb, reason)
	})
}

// contactCallError names in err, a call's about one contact, the field it failed for and
// what was not written (message, given the reason); a 403 is the contact's (recordForbidden).
// nil and errors that are not a *connectors.Error are returned as they are.
func contactCallError(err error, field string, message func(reason string) string) error {
	e, ok := err.(*connectors.Error)
	if !ok {
		return err
	}
	if e.Status == http.StatusForbidden {
		e = recordForbidden(e) // a call about this contact alone
	}
	named := *e
	reason := cmp.Or(e.Message, http.StatusText(e.Status), string(e.Kind))
	named.Fields = map[string]string{field: reason}
	named.Message = message(reason)
	return &named
}

// Delete deletes records with DELETE /{base}/{id}/delete, Concurrency at a time. A record
// that is already gone (404) counts as deleted.
func (c *Client) Delete(ctx context.Context, object string, ids []string) ([]connectors.Result, error) {
	base, err := plural(object)
	if err != nil {
		return nil, err
	}
	op := "DELETE /" + base + "/{id}/delete"
	results := make([]connectors.Result, len(ids))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, Concurrency)
	)
	for i, id := range ids {
		results[i].ID = id
		n, perr := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
		if perr != nil || n <= 0 {
			results[i].Err = &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: op, Message: "record id is not a Mautic id"}
			continue
		}
		wg.Add(1)
		go func(i int, n int64) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			err := connectors.Safe(System, op, func() error { // a panic fails the call, not the worker
				_, err := c.do(ctx, http.MethodDelete, fmt.Sprintf("/%s/%d/delete", base, n), op, nil, nil)
				return err
			})
			if err == nil {
				return
			}
			if e, ok := err.(*connectors.Error); ok && e.Status == http.StatusNotFound {
				return
			}
			if connectors.KindOf(err) == connectors.KindInvalid {
				results[i].Err = err
				return
			}
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			results[i].Err = err
			mu.Unlock()
		}(i, n)
	}
	wg.Wait()
	return results, firstErr
}
