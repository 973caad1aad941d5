package weavy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// newCode returns a code for a created record: the Data API lets the caller choose the
// {entity}_ID, which keeps a create independent of the (undocumented) answer body.
func newCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "CRMSYNC-" + strings.ToUpper(hex.EncodeToString(b))
}

// writeValue converts a connector value to the API's representation.
func writeValue(typ string, v any) any {
	switch x := v.(type) {
	case []string:
		if len(x) == 0 {
			return nil
		}
		return strings.Join(x, "|")
	case string:
		if t, _ := fieldType(typ); t == "datetime" {
			if d, err := time.Parse(time.RFC3339, x); err == nil {
				return d.UTC().Format("2006-01-02T15:04:05")
			}
			if d, err := time.Parse(time.DateOnly, x); err == nil {
				return d.Format("2006-01-02T15:04:05")
			}
		}
		return x
	}
	return v
}

// writeBody builds the body of a POST or PUT. For the virtual "contact" object, fields the
// target entity does not have (an entrant's companyName on a contact, say) are left out;
// for "company" they are sent and the API refuses them by name.
func writeBody(object, entity, code string, s schema, r connectors.Record) map[string]any {
	body := map[string]any{entity + "_ID": code}
	for k, v := range r.Fields {
		name, ok := s.name(k)
		if !ok {
			if object == connectors.ObjectContact {
				continue
			}
			name = k
		}
		if hidden(entity, name) {
			continue
		}
		body[name] = writeValue(s.types[name], v)
	}
	if entity == EntityCustomerContact {
		if id := r.Links[connectors.ObjectCompany]; id != "" {
			body["customer_ID"] = id
		}
	}
	return body
}

// recordErr is the per-record error of a refused write.
func recordErr(err error, notFound bool) (*connectors.Error, bool) {
	var e *connectors.Error
	if !errors.As(err, &e) {
		return nil, false
	}
	if notFound {
		return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: e.Op, Status: e.Status, Message: "record not found"}, true
	}
	if e.Kind == connectors.KindInvalid {
		return e, true
	}
	return nil, false
}

// write runs one POST or PUT per record (Concurrency at a time). A refused record fails its
// own Result; any other failure (rights, auth, quota, server) fails the call.
func (c *Client) write(ctx context.Context, object string, records []connectors.Record, create bool) ([]connectors.Result, error) {
	ents, err := entitiesOf(object)
	if err != nil {
		return nil, err
	}
	results := make([]connectors.Result, len(records))
	errs := make([]error, len(records))
	// A panic in one write (an answer of a shape the code does not expect) fails the call
	// with an error naming it, once the others are done (each); whether the writes it
	// interrupted were made is unknown, as after a lost answer.
	panicked := c.each(len(records), "write", func(i int) {
		r := records[i]
		var ent, code string
		if create {
			ent, code = ents[len(ents)-1], newCode() // contact creates make entrants
			if !c.synced(ent) {
				results[i].Err = &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "POST /v1/Data/" + ent,
					Message: fmt.Sprintf("no weavy contact has this e-mail, and entrants are not synced (settings.contact_tables: %s): not created in weavy", c.tables)}
				return
			}
		} else {
			var err error
			if ent, code, err = route(object, r.ID); err != nil {
				results[i].Err = err
				return
			}
			if !c.synced(ent) {
				results[i].Err = c.notSynced(r.ID, ent)
				return
			}
		}
		s, err := c.schema(ctx, ent)
		if err != nil {
			errs[i] = err
			return
		}
		body := writeBody(object, ent, code, s, r)
		k := call{method: http.MethodPut, path: c.dataPath(ent, code), op: "PUT /v1/Data/" + ent, entity: ent, right: rightUpdate, body: body}
		if create {
			k.method, k.path, k.op, k.right = http.MethodPost, c.dataPath(ent), "POST /v1/Data/"+ent, rightInsert
		}
		if !create && len(body) == 1 {
			// Nothing this entity has (a bounce date for an entrant, which has no such
			// field): a PUT of the code alone changes no field, but weavy may stamp srvDate
			// for it (undocumented), and the record would come back as a change at the next
			// cycle.
			results[i].ID = r.ID
			return
		}
		b, st, err := c.do(ctx, k)
		if err != nil {
			if e, ok := recordErr(err, st == http.StatusNotFound && !create); ok {
				results[i].Err = e
				return
			}
			errs[i] = err
			return
		}
		var raw map[string]any
		if decodeJSON(b, &raw) == nil {
			if s := codeOf(ent, raw); s != "" {
				code = s
			}
		}
		results[i].ID, results[i].Created = code, create
		switch ent {
		case EntityCustomerContact:
			results[i].ID = PrefixContact + code
		case EntityEntrant:
			results[i].ID = PrefixEntrant + code
		}
	})
	// An error that is not one record's fails the call, but the records created before it
	// keep their results, so the caller pairs them instead of creating them again; a record
	// the error stopped has no result (not sent, or no answer: it may exist).
	if panicked != nil {
		return results, panicked
	}
	for _, err := range errs {
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// Create creates customers ("company") or entrants ("contact": marketinginbound; a company
// link is not kept, entrants have no customer). When contact_tables leaves entrants out, a
// contact is created nowhere: each fails its own Result, saying why (the engine, which reads
// the setting from the connection file, does not ask: see config.System.NotCreated).
func (c *Client) Create(ctx context.Context, object string, records []connectors.Record) ([]connectors.Result, error) {
	return c.write(ctx, object, records, true)
}

// Update changes the given fields of customers, contacts ("c:" ids; Links["company"] sets
// customer_ID) or entrants ("e:" ids); a record of a table contact_tables leaves out fails
// its own Result.
func (c *Client) Update(ctx context.Context, object string, records []connectors.Record) ([]connectors.Result, error) {
	return c.write(ctx, object, records, false)
}

// Delete is refused: the weavy ⇄ Automation pair never propagates deletions.
func (c *Client) Delete(ctx context.Context, object string, ids []string) ([]connectors.Result, error) {
	return nil, cfgErr("delete", "weavy: deletions are never propagated on this pair")
}

// CheckAccess checks, without changing any field of any record, the studio rights a
// connection needs on each table ("API lecture", "API ajout", "API MAJ") and returns a
// KindConfig error naming every table and right that is off. Read rights are probed on every table an object reads
// (a dictionary read and a Select that matches nothing). A written company needs ajout and
// MAJ on Client; a written contact needs MAJ on Client / Contact (an existing contact is
// updated) and ajout and MAJ on Marketing / Entrant (a new one becomes an entrant), of the
// tables contact_tables syncs only: a table left out is never called.
//
// Write rights are probed on an existing record of the table, as the Data API allows
// without writing a field: a PUT carrying only the record's code changes no field (a PUT
// sends "the changed fields only"; whether weavy stamps srvDate for it anyway is not
// documented: if it does, the probed record is read again at the next cycle and the merge
// finds it unchanged), and a POST carrying only an existing record's code creates nothing
// (the code is taken). A right switched off answers 403 before anything else is looked at;
// any other answer means the right is on. A table with no record yet cannot be probed without
// writing: each write right left unchecked is logged as a warning ("insert right (API ajout)
// of Marketing / Entrant not checked: the table is empty"), not returned, and the table's
// first write reports a right that is off, with the same message as here.
func (c *Client) CheckAccess(ctx context.Context, needs []connectors.Access) error {
	type want struct{ read, insert, update bool }
	wants := map[string]*want{}
	var order []string
	need := func(ent string) *want {
		if wants[ent] == nil {
			wants[ent] = &want{}
			order = append(order, ent)
		}
		return wants[ent]
	}
	for _, n := range needs {
		ents, err := c.syncedOf(n.Object)
		if err != nil {
			return err
		}
		for _, ent := range ents {
			w := need(ent)
			w.read = true
			if n.Write {
				w.update = true
				w.insert = w.insert || ent != EntityCustomerContact // contact creates make entrants
			}
		}
	}
	var msgs []string
	var first *connectors.Error
	refused := func(err error) error {
		var e *connectors.Error
		if !errors.As(err, &e) || !rightOff(e) {
			return err
		}
		if first == nil {
			first = e
		}
		msgs = append(msgs, e.Message)
		return nil
	}
	for _, ent := range order {
		w := wants[ent]
		c.dmu.Lock()
		delete(c.dicts, ent)
		c.dmu.Unlock()
		// The read right: a Select of nothing, or, when the write rights are probed too, the
		// Select that finds the record to probe them on.
		var code string
		_, err := c.dictionary(ctx, ent)
		switch {
		case err != nil:
		case w.insert || w.update:
			code, err = c.anyCode(ctx, ent)
		default:
			_, err = c.selectPage(ctx, ent, 0, []filter{{FilterKey: "probe", FieldName: ent + "_ID", Operator: "equal", FilterValues: []string{"crmsync-rights-probe"}}})
		}
		if err == nil && code == "" {
			for _, p := range []struct {
				on          bool
				name, right string
			}{{w.update, "update", rightUpdate}, {w.insert, "insert", rightInsert}} {
				if p.on {
					c.log.Warn(fmt.Sprintf("weavy: %s right (%s) of %s not checked: the table is empty; its first write will report it if it is off",
						p.name, p.right, tableLabel[ent]), "entity", ent)
				}
			}
		}
		if err != nil || code == "" {
			if err := refused(err); err != nil {
				return err
			}
			continue // without reading, or a record, no write right can be probed
		}
		body := map[string]any{ent + "_ID": code}
		for _, p := range []struct {
			on                  bool
			method, path, right string
		}{
			{w.update, http.MethodPut, c.dataPath(ent, code), rightUpdate},
			{w.insert, http.MethodPost, c.dataPath(ent), rightInsert},
		} {
			if !p.on {
				continue
			}
			_, _, err := c.do(ctx, call{method: p.method, path: p.path, op: p.method + " /v1/Data/" + ent + " (rights probe)", entity: ent, right: p.right, body: body})
			if err := refused(probeAnswer(err)); err != nil {
				return err
			}
		}
	}
	if first == nil {
		return nil
	}
	if len(msgs) == 1 {
		return first
	}
	return &connectors.Error{Kind: connectors.KindConfig, System: System, Op: "rights", Status: http.StatusForbidden, Message: strings.Join(msgs, "; ")}
}

// rightOff reports whether e is a right switched off: a 403, or a 401 other than the login's
// (do reports a right weavy answers with 401 as such).
func rightOff(e *connectors.Error) bool {
	return e.Status == http.StatusForbidden || (e.Status == http.StatusUnauthorized && e.Op != authOp)
}

// probeAnswer keeps, of a rights probe's answer, only a right switched off (403): a refusal
// of the record itself (the code taken, a mandatory field missing) means the right is on.
func probeAnswer(err error) error {
	var e *connectors.Error
	if errors.As(err, &e) && e.Kind == connectors.KindInvalid {
		return nil
	}
	return err
}

// anyCode returns the code of one record of an entity ("" when the table is empty).
func (c *Client) anyCode(ctx context.Context, ent string) (string, error) {
	recs, err := c.selectPage(ctx, ent, 0, nil)
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		if s := codeOf(ent, r); s != "" {
			return s, nil
		}
	}
	return "", nil
}

// Supersedes implements connectors.Superseder: a contact (Client / Contact) takes the pair of
// an entrant with its e-mail — the seed's rule updates the contact when there is one, and an
// entrant is created only when there is none.
func (c *Client) Supersedes(object, newID, oldID string) bool {
	return object == connectors.ObjectContact && strings.HasPrefix(newID, PrefixContact) && strings.HasPrefix(oldID, PrefixEntrant)
}
