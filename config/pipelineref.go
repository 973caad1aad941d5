package config

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/crmsync/crmsync/connectors"
)

// A pipeline configuration names its pipeline, and each of its events' keys a step, by id or by
// name as users see them in the system (the guide's "Nom du pipeline", "Nom de l'étape"). The
// names are resolved against the live system when the connection runs or is validated live,
// never when the file is loaded: ResolvePipelines gives each pipeline its id, ResolveEvents
// keys its events by step id. An id wins over a name; a name that two pipelines (two steps of
// one pipeline) share, or that none has, is refused.

// ResolvePipelines returns copies of pipelines whose Pipeline is the id of the pipeline of
// listed (system's pipelines) that each names, and the problems (*RefError), each naming its
// field (pipelines[i].pipeline). A pipeline that cannot be resolved is left as written.
func ResolvePipelines(pipelines []Pipeline, system string, listed []connectors.PipelineInfo) ([]Pipeline, []error) {
	out := slices.Clone(pipelines)
	var errs []error
	configures := map[string]int{} // resolved id → the configuration that has it
	items := make([]named, len(listed))
	for j, l := range listed {
		items[j] = named{l.ID, l.Name}
	}
	for i := range out {
		p := &out[i]
		id, problem, _ := resolveRef(p.Pipeline, items, refKind{system + " pipeline", system + " pipelines", "pipelines"})
		if problem != "" {
			errs = append(errs, &RefError{Index: i, Field: "pipeline", Problem: problem})
			continue
		}
		if j, ok := configures[id]; ok {
			errs = append(errs, &RefError{Index: i, Field: "pipeline", Problem: fmt.Sprintf("%q is pipeline %s, which pipelines[%d] configures already: one configuration per pipeline", p.Pipeline, id, j)})
			continue
		}
		configures[id] = i
		if id != p.Pipeline {
			p.pipelineAs, p.Pipeline = p.Pipeline, id
		}
	}
	return out, errs
}

// ResolveEvents returns p (the configuration pipelines[i], its pipeline resolved) with its
// events keyed by the id of the step of stages each key names, and the problems, each naming
// its field (pipelines[i].events["key"]). A key no step has is kept as written in a status map
// or follow pipeline (engine.CheckStatusMap names it, with the status it resembles), and
// refused otherwise. The problems are *RefError.
func (p Pipeline) ResolveEvents(i int, stages []connectors.Stage) (Pipeline, []error) {
	field := "events"
	if p.StatusMap != "" {
		field = "status_map"
	}
	items := make([]named, len(stages))
	for j, s := range stages {
		items[j] = named{s.ID, s.Name}
	}
	// Ids first, then names in order: a step bound by id and again by name is refused at
	// its name, whatever the map's order.
	keys := make([]string, 0, len(p.Events))
	for k := range p.Events {
		keys = append(keys, k)
	}
	isID := func(k string) bool {
		return slices.ContainsFunc(items, func(n named) bool { return n.id == strings.TrimSpace(k) })
	}
	slices.SortFunc(keys, func(a, b string) int {
		if ia, ib := isID(a), isID(b); ia != ib {
			if ia {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	events := make(map[string]string, len(p.Events))
	stepsAs := map[string]string{}
	bound := map[string]string{} // step id → the key that binds it
	var errs []error
	kind := refKind{"step of pipeline " + p.Named(), "steps of pipeline " + p.Named(), "steps"}
	for _, k := range keys {
		id, problem, unknown := resolveRef(k, items, kind)
		if unknown && p.Strict() {
			events[k] = p.Events[k] // not the shop's: CheckStatusMap says so
			continue
		}
		if problem != "" {
			errs = append(errs, &RefError{Index: i, Field: fmt.Sprintf("%s[%q]", field, k), Key: k, Problem: problem})
			continue
		}
		if other, ok := bound[id]; ok {
			errs = append(errs, &RefError{Index: i, Field: fmt.Sprintf("%s[%q]", field, k), Problem: fmt.Sprintf("%q is step %s, which %s[%q] binds already: bind each step once", k, id, field, other)})
			continue
		}
		bound[id] = k
		events[id] = p.Events[k]
		if id != k {
			stepsAs[id] = k
		}
	}
	p.Events, p.stepsAs = events, stepsAs
	return p, errs
}

// Named is the pipeline as the file names it: its id, or its name and the id it resolved to.
func (p Pipeline) Named() string {
	if p.pipelineAs == "" {
		return p.Pipeline
	}
	return fmt.Sprintf("%q (%s)", p.pipelineAs, p.Pipeline)
}

// StepNamed is a step of the pipeline (by id) as the file names it: its id, or its name and id.
func (p Pipeline) StepNamed(id string) string {
	if as, ok := p.stepsAs[id]; ok {
		return fmt.Sprintf("%q (%s)", as, id)
	}
	return id
}

// WrittenSteps returns the pipeline's steps (ids, in order) and its events as the file writes
// them: a step the file names by its name appears under that name, so that a check of the
// bindings (engine.CheckBindings) names what the user wrote.
func (p Pipeline) WrittenSteps(order []string) (steps []string, bindings map[string]string) {
	steps = make([]string, len(order))
	for i, id := range order {
		steps[i] = id
		if as, ok := p.stepsAs[id]; ok {
			steps[i] = as
		}
	}
	bindings = make(map[string]string, len(p.Events))
	for id, ev := range p.Events {
		if as, ok := p.stepsAs[id]; ok {
			id = as
		}
		bindings[id] = ev
	}
	return steps, bindings
}

// A RefError is a pipeline or a step a configuration names that the live system does not
// have, or has twice: Field is "pipeline", or events["key"] as the file writes it.
type RefError struct {
	Index   int    // the configuration, pipelines[Index]
	Field   string // where: "pipeline", or events["Key"]
	Key     string // an events key that no step has, or has twice ("" for the pipeline)
	Problem string
}

func (e *RefError) Error() string {
	return fmt.Sprintf("pipelines[%d].%s: %s", e.Index, e.Field, e.Problem)
}

// named is a pipeline or a step: its id and its name.
type named struct{ id, name string }

// refKind names the items a value is resolved among, for the user: one and many of them
// ("step of pipeline 1", "steps of pipeline 1"), and what they are ("steps").
type refKind struct{ one, many, kind string }

// resolveRef returns the id of the item value names: the item whose id it is, else the one
// whose name it is (spaces around and the composition of accents aside). A name several items
// share, or none has (unknown), is a problem naming what exists.
func resolveRef(value string, items []named, k refKind) (id, problem string, unknown bool) {
	v := strings.TrimSpace(value)
	for _, it := range items {
		if it.id == v {
			return it.id, "", false
		}
	}
	var ids []string
	for _, it := range items {
		if nameKey(it.name) == nameKey(v) {
			ids = append(ids, it.id)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], "", false
	case 0:
		names := make([]string, len(items))
		list := make([]string, len(items))
		for j, it := range items {
			names[j] = it.name
			list[j] = fmt.Sprintf("%s %q", it.id, it.name)
		}
		return "", fmt.Sprintf("%q is neither the id nor the name of a %s%s; its %s: %s", value, k.one, DidYouMean(v, names), k.kind, strings.Join(list, ", ")), true
	}
	return "", fmt.Sprintf("%q is the name of %d %s, %s and %s: write the id of the one meant", value, len(ids), k.many, strings.Join(ids[:len(ids)-1], ", "), ids[len(ids)-1]), false
}

// nameKey is a name as compared: trimmed, its accents composed (a name typed on macOS may
// decompose them).
func nameKey(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }
