package engine

import (
	"fmt"
	"slices"
)

// NotAStepError is a step, named by a binding or by a record, that the pipeline does not have.
// A caller that reports the step otherwise (validate, at the file's field) tells it by type.
type NotAStepError struct {
	Step  string
	Steps []string // the pipeline's steps
}

func (e *NotAStepError) Error() string {
	return fmt.Sprintf("step %q is not a step of the pipeline (steps: %v)", e.Step, e.Steps)
}

// StagePlan decides what a stage change of one record (an opportunity moving along a pipeline)
// emits on the other side, where stages are ordered steps and some steps are bound to events
// (Sellsy pipeline steps bound to Altior affaire events):
//
//   - moving forward emits the event of every bound step passed, up to and including the new
//     step, in step order: a jump over steps emits the skipped events too;
//   - moving backward (or staying) emits nothing; the caller records the new step;
//   - an event already emitted (done, read from the other side) is never emitted again, so a
//     retried or replayed change emits each event exactly once.
//
// from is the last step propagated ("" when none: every bound step up to `to` counts as
// passed). An unknown step is an error naming it.
func StagePlan(steps []string, bindings map[string]string, from, to string, done []string) (emit []string, backward bool, err error) {
	ti := slices.Index(steps, to)
	if ti < 0 {
		return nil, false, &NotAStepError{Step: to, Steps: steps}
	}
	fi := -1
	if from != "" {
		if fi = slices.Index(steps, from); fi < 0 {
			return nil, false, &NotAStepError{Step: from, Steps: steps}
		}
	}
	if ti <= fi {
		return nil, ti < fi, nil
	}
	for _, s := range steps[fi+1 : ti+1] {
		ev, bound := bindings[s]
		if !bound || slices.Contains(done, ev) || slices.Contains(emit, ev) {
			continue
		}
		emit = append(emit, ev)
	}
	return emit, false, nil
}

// FollowPlan decides what a stage change emits when the other side follows the stage itself
// (a MiniCRM card status following a UNAS order status): the event bound to the new stage,
// forward or back, once. Stages passed between two readings are not replayed — the source
// keeps no history of them, and replaying would invent some (an order cancelled while new
// would be shipped and closed first). An unbound or unknown stage is an error naming it.
func FollowPlan(steps []string, bindings map[string]string, from, to string) (emit []string, backward bool, err error) {
	ti := slices.Index(steps, to)
	if ti < 0 {
		return nil, false, fmt.Errorf("stage %q is not a stage of the pipeline (stages: %v)", to, steps)
	}
	ev, bound := bindings[to]
	if !bound {
		return nil, false, fmt.Errorf("stage %q is bound to no event: map it", to)
	}
	return []string{ev}, slices.Index(steps, from) > ti, nil
}

// CheckBindings validates a pipeline configuration: every bound step exists, the events are
// bound in the pipeline's step order (eventOrder is the other side's order of events), and the
// first event is bound. Each problem is one error.
func CheckBindings(steps []string, bindings map[string]string, eventOrder []string) []error {
	var errs []error
	if len(eventOrder) > 0 {
		first := eventOrder[0]
		found := false
		for _, ev := range bindings {
			if ev == first {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Errorf("the first event %q is bound to no step: it is required", first))
		}
	}
	last := -1
	for _, s := range steps {
		ev, ok := bindings[s]
		if !ok {
			continue
		}
		ei := slices.Index(eventOrder, ev)
		if ei < 0 {
			errs = append(errs, fmt.Errorf("step %q is bound to event %q, which does not exist (events: %v)", s, ev, eventOrder))
			continue
		}
		if ei < last {
			errs = append(errs, fmt.Errorf("step %q is bound to event %q, which comes before the event of an earlier step: events must follow the pipeline's step order", s, ev))
		}
		last = ei
	}
	unknown := make([]string, 0, len(bindings))
	for s := range bindings {
		if !slices.Contains(steps, s) {
			unknown = append(unknown, s)
		}
	}
	slices.Sort(unknown)
	for _, s := range unknown {
		errs = append(errs, &NotAStepError{Step: s, Steps: steps})
		if ev := bindings[s]; len(eventOrder) > 0 && !slices.Contains(eventOrder, ev) {
			errs = append(errs, fmt.Errorf("step %q is bound to event %q, which does not exist (events: %v)", s, ev, eventOrder))
		}
	}
	return errs
}
