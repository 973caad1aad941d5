package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// Described is what one system describes of one object: its fields by name.
type Described struct {
	System, Object string
	Fields         map[string]connectors.Field
}

// Describe indexes the fields a system describes for an object.
func Describe(system, object string, fields []connectors.Field) Described {
	d := Described{System: system, Object: object, Fields: make(map[string]connectors.Field, len(fields))}
	for _, f := range fields {
		d.Fields[f.Name] = f
	}
	return d
}

// Missing is the message for a field the system does not describe, with the fields it does.
func (d Described) Missing(name string) string {
	names := slices.Sorted(maps.Keys(d.Fields))
	return fmt.Sprintf("%s %s has no field %q (fields: %s)", d.System, d.Object, name, strings.Join(names, ", "))
}

// CheckObject checks the mapping of object i of connection c against both systems'
// descriptions, which the worker does before it writes anything and `crmsync validate --live`
// before anything runs: every mapped field is described on its side (an undescribed field
// would be written unchecked), each pair passes CheckMapping in its direction (the type
// table, the one-way rule, read-only fields), a side that receives writes has every
// required field mapped (filter values, pipeline targets and its match key when a create
// writes it count: they are written too), and the records created on a side get its match
// field (CheckMatch). Each problem names its place in the file (objects[i]…), not the file.
func CheckObject(c *config.Connection, i int, a, b Described) []error {
	o := &c.Objects[i]
	var errs []error
	writes := [2]bool{}
	for j, f := range o.Fields {
		d := direction(c, f)
		writes[0] = writes[0] || d != config.AToB
		writes[1] = writes[1] || d != config.BToA
		fa, okA := a.Fields[f.A]
		fb, okB := b.Fields[f.B]
		// The record's own id (config.RecordID), which no system describes, reads as
		// read-only text: it can be the source of a one-way field, never receive one.
		if !okA && f.A == config.RecordID {
			fa, okA = connectors.Field{Name: f.A, Type: "text", ReadOnly: true}, true
		}
		if !okB && f.B == config.RecordID {
			fb, okB = connectors.Field{Name: f.B, Type: "text", ReadOnly: true}, true
		}
		if !okA {
			errs = append(errs, fmt.Errorf("objects[%d].fields[%d].a: %s", i, j, a.Missing(f.A)))
		}
		if !okB {
			errs = append(errs, fmt.Errorf("objects[%d].fields[%d].b: %s", i, j, b.Missing(f.B)))
		}
		if !okA || !okB {
			continue
		}
		if err := CheckMapping(SpecOf(a.System, fa), SpecOf(b.System, fb), d); err != nil {
			errs = append(errs, fmt.Errorf("objects[%d].fields[%d]: %w", i, j, err))
		}
	}
	for s, side := range []string{"a", "b"} {
		if !writes[s] {
			continue
		}
		desc, match := a, o.Match.A
		if s == 1 {
			desc, match = b, o.Match.B
		}
		// The match key counts only when a create writes it: counted regardless, it hid
		// a required key that nothing writes.
		mapped := map[string]bool{}
		if CreateWritesKey(c, o, Side(side)) {
			mapped[match] = true
		}
		for k := range o.Filter.Of(side) {
			mapped[k] = true
		}
		// Records created on this side get only the fields that travel to it: a required
		// field mapped away from it only (last_name a_to_b, seen from Sellsy) is missing
		// from every create, which the system refuses record by record. A side nothing is
		// created on is only updated, where a field mapped either way is enough.
		created := CreatedOn(c, o, Side(side))
		away := map[string]config.Direction{}
		for _, f := range o.Fields {
			name := []string{f.A, f.B}[s]
			if !created || towards(direction(c, f), Side(side)) {
				mapped[name] = true
			} else {
				away[name] = direction(c, f)
			}
		}
		if s == 1 {
			for _, p := range c.Pipelines {
				if p.Object == o.Name {
					mapped[p.PipelineTarget], mapped[p.StageTarget] = true, true
				}
			}
		}
		var missing []string
		for name, f := range desc.Fields {
			if f.Required && !f.ReadOnly && !mapped[name] {
				if d, ok := away[name]; ok {
					name += fmt.Sprintf(" (mapped %s only: the %s records created from %s would lack it)", d, desc.System, []Described{b, a}[s].System)
				}
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			errs = append(errs, fmt.Errorf("objects[%d] (%s): %s %s requires fields that are not mapped: %s", i, o.Name, desc.System, desc.Object, strings.Join(missing, ", ")))
		}
	}
	return append(errs, CheckMatch(c, i)...)
}

// CreatedOn reports whether records of the other side of object o are created on side to:
// that side sends values, the create writes the match key (or the object is not matched on
// one), and the connector of to creates such records (its settings may make it create none).
// The sync creates by it (activities' pass.creates); CheckObject checks mappings by it.
func CreatedOn(c *config.Connection, o *config.Object, to Side) bool {
	return o.Sends(string(to.Other())) && (!o.MatchesOnKey() || CreateWritesKey(c, o, to)) && c.NotCreated(o, string(to)) == ""
}

// direction is the direction field f syncs in: its own, else the connection's, both when
// neither is set (config.Parse fills them in; a Connection built in code may not).
func direction(c *config.Connection, f config.Field) config.Direction {
	switch {
	case f.Direction != "":
		return f.Direction
	case c.Direction != "":
		return c.Direction
	}
	return config.Both
}

// towards reports whether direction d carries values onto side to.
func towards(d config.Direction, to Side) bool {
	if to == A {
		return d != config.AToB
	}
	return d != config.BToA
}

// onlyTowards is the one-way direction that carries values onto side to.
func onlyTowards(to Side) config.Direction {
	if to == A {
		return config.BToA
	}
	return config.AToB
}

// CreateWritesKey reports whether a record object o creates on side to gets its match field
// there: a field travelling towards to maps it, or the other side matches on its own record
// id, which the sync writes into to's match field on every create. Only then does a retried
// create whose answer was lost find the record by its key rather than create it again, and
// only then can the records of the other side find it. A match on to's own record id is
// given by the create itself (the guide's IDCRM: weavy's tiers code, kept in an Automation
// field): the record is found by it from then on, and the id reaches the other side's match
// field when the pass of to next reads the record (a create whose answer is lost is guarded
// as one without a key is).
func CreateWritesKey(c *config.Connection, o *config.Object, to Side) bool {
	key := to.MatchField(o.Match)
	if key == config.RecordID {
		return true
	}
	if to.Other().MatchField(o.Match) == config.RecordID {
		return true
	}
	for _, f := range o.Fields {
		if to.Field(f) == key && towards(direction(c, f), to) {
			return true
		}
	}
	return false
}

// CheckMatch refuses an object matched on a key (initial.match not false) whose records are
// created on a side without its match field: a field travels there from the other side and
// the connection's direction goes there, but no field carries the match key there. Such a
// record cannot be found by its key again: a create whose answer is lost is made twice, and
// a system that hides records without it (Automation's anonymous contacts) reports it
// missing at every pass. The connection's direction says where records go (the plugin's
// "both ways or one way"); fields with a direction of their own only carry values between
// paired records, so a one-way connection whose key does not travel back (to Sellsy only,
// with an amount going to Automation) is not refused: the sync does not create records on the
// side the key does not reach. A match on a side's record id is not checked there (the IDCRM
// of the README): nothing can map a record id.
func CheckMatch(c *config.Connection, i int) []error {
	o := &c.Objects[i]
	if !o.MatchesOnKey() {
		return nil
	}
	conn := direction(c, config.Field{}) // the connection's own
	var errs []error
	for _, to := range []Side{A, B} {
		from := to.Other()
		key := to.MatchField(o.Match)
		if !towards(conn, to) || CreateWritesKey(c, o, to) { // (a key that is to's record id: the create gives it)
			continue
		}
		sends := false
		for _, f := range o.Fields {
			sends = sends || towards(direction(c, f), to)
		}
		if !sends {
			continue // nothing travels there: no record is created there
		}
		sysFrom, sysTo := c.Side(string(from)).System, c.Side(string(to)).System
		how := "no field maps it"
		for j, f := range o.Fields {
			if to.Field(f) == key {
				how = fmt.Sprintf("fields[%d] maps it %s only", j, direction(c, f))
				break
			}
		}
		todo := fmt.Sprintf("map it, {a: %s, b: %s} in direction both or %s", o.Match.A, o.Match.B, onlyTowards(to))
		if conn == config.Both {
			todo += fmt.Sprintf(", or set the connection's direction to %s so that %s records are not created on %s (fields can keep direction: both of their own)", onlyTowards(from), sysFrom, sysTo)
		}
		objTo := o.AObject
		if to == B {
			objTo = o.BObject
		}
		errs = append(errs, fmt.Errorf("objects[%d] (%s): the %s %s records created from %s would lack the match field %s (%s): none could be found by its key again, and a create whose answer is lost would be made twice; %s",
			i, o.Name, sysTo, objTo, sysFrom, key, how, todo))
	}
	return errs
}
