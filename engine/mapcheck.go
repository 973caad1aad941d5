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
// table, the one-way rule, read-only fields), and a side that receives writes has every
// required field mapped (its match key, filter values and pipeline targets count: they are
// written too). Each problem names its place in the file (objects[i]…), not the file.
func CheckObject(c *config.Connection, i int, a, b Described) []error {
	o := &c.Objects[i]
	var errs []error
	writes := [2]bool{}
	for j, f := range o.Fields {
		d := f.Direction
		if d == "" {
			d = c.Direction
		}
		if d == "" {
			d = config.Both
		}
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
		mapped := map[string]bool{match: true}
		for k := range o.Filter.Of(side) {
			mapped[k] = true
		}
		for _, f := range o.Fields {
			mapped[[]string{f.A, f.B}[s]] = true
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
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			errs = append(errs, fmt.Errorf("objects[%d] (%s): %s %s requires fields that are not mapped: %s", i, o.Name, desc.System, desc.Object, strings.Join(missing, ", ")))
		}
	}
	return errs
}
