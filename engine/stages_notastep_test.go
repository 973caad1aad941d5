package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A step the pipeline does not have is a *NotAStepError naming it and the pipeline's steps,
// from CheckBindings and StagePlan alike, wrapped or not, with the message they always gave.
func TestNotAStepError(t *testing.T) {
	steps := []string{"lead", "qualified", "won"}
	_, _, planErr := StagePlan(steps, map[string]string{"won": "GAGNEE"}, "", "lost", nil)
	_, _, fromErr := StagePlan(steps, map[string]string{"won": "GAGNEE"}, "gone", "won", nil)
	var bindErr error
	for _, e := range CheckBindings(steps, map[string]string{"qualified": "QUALIF", "ghost": "GAGNEE"}, []string{"QUALIF", "GAGNEE"}) {
		var ns *NotAStepError
		if errors.As(e, &ns) {
			require.Nil(t, bindErr, "one error for the step")
			bindErr = e
		}
	}
	tests := []struct {
		name string
		err  error
		step string
	}{
		{"StagePlan, the new step", planErr, "lost"},
		{"StagePlan, the last step", fromErr, "gone"},
		{"CheckBindings", bindErr, "ghost"},
		{"wrapped", fmt.Errorf("pipelines[0]: %w", bindErr), "ghost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ns *NotAStepError
			require.ErrorAs(t, tt.err, &ns)
			assert.Equal(t, tt.step, ns.Step)
			assert.Equal(t, steps, ns.Steps)
			assert.Contains(t, tt.err.Error(), fmt.Sprintf(`step %q is not a step of the pipeline (steps: [lead qualified won])`, tt.step))
		})
	}
	// Other problems are not it.
	for _, e := range CheckBindings(steps, map[string]string{"won": "GAGNEE", "qualified": "NOPE"}, []string{"QUALIF", "GAGNEE"}) {
		var ns *NotAStepError
		assert.False(t, errors.As(e, &ns), "%v", e)
	}
}
