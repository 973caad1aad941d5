package sellsyactions

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/actions/actiontest"
)

// A field Sellsy refuses is named as the caller's input names it: Sellsy's body names an
// opportunity's pipeline, step and source "pipeline", "step" and "source" where
// OpportunityInput has pipeline_id, step_id and source_id, so "refused field(s): step" sent
// the caller looking for a field its input does not have; a company's "legal_france.siren"
// is its input's siren.
func TestRefusedFieldNamedAsTheInputNamesIt(t *testing.T) {
	tests := []struct {
		name     string
		activity string
		in       any
		want     string
	}{
		{"a step that is not in the pipeline", "Sellsy.CreateOpportunity",
			OpportunityInput{Name: "X", PipelineID: 1, StepID: 99, Related: []Related{{"company", 1}}}, "input field(s): step_id"},
		{"no pipeline", "Sellsy.CreateOpportunity",
			OpportunityInput{Name: "X", StepID: 11, Related: []Related{{"company", 1}}}, "input field(s): pipeline_id"},
		{"a source that does not exist", "Sellsy.UpdateOpportunity",
			OpportunityInput{ID: firstOpportunity, SourceID: 4242}, "input field(s): source_id"},
		{"a SIREN that is not one", "Sellsy.UpdateCompany", CompanyInput{ID: 1, SIREN: "12"}, "input field(s): siren"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			h.sim.SeedOpportunities(1)
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &RecordOutput{}))
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Message(), tc.want)
		})
	}
}
