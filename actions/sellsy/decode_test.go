package sellsyactions

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions/actiontest"
)

// An input whose JSON does not fit the activity's type (a workflow in another SDK sending
// numbers as text) fails as InvalidRecord naming the field, not retried, without a call to
// Sellsy. It used to fail in the SDK's decoding, before the activity ran, as a retryable
// error: retried forever.
func TestUndecodableInputIsNotRetried(t *testing.T) {
	tests := []struct {
		activity string
		in       any
		want     string
	}{
		{"Sellsy.UpdateCompany", map[string]any{"id": "1", "name": "ACME"}, `input field "id" must be a whole number, not a string`},
		{"Sellsy.CreateOpportunity", map[string]any{"name": "Deal", "probability": "60"}, `input field "probability" must be a whole number, not a string`},
		{"Sellsy.SearchContacts", map[string]any{"limit": "50"}, `input field "limit" must be a whole number, not a string`},
		{"Sellsy.CreateComment", map[string]any{"description": "x", "related": map[string]any{"type": "company", "id": "1"}}, `input field "related.id" must be a whole number, not a string`},
		{"Sellsy.Call", map[string]any{"method": "GET", "path": "/staffs", "query": map[string]any{"limit": 10}}, `input field "query" must be a list, not a number`},
		{"Sellsy.CallV1", "Infos.getInfos", `input must be an object, not a string`},
	}
	for _, tc := range tests {
		t.Run(tc.activity, func(t *testing.T) {
			h := newHarness(t, "secret")
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &RecordOutput{}))
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Equal(t, tc.want, ae.Message())
		})
	}
	// The same activities take their typed input, as a Go workflow passes it.
	h := newHarness(t, "secret")
	var out RecordOutput
	require.NoError(t, h.run("Sellsy.UpdateCompany", CompanyInput{ID: 1, Name: "ACME"}, &out))
	assert.Equal(t, "ACME", out.Record["name"])
}

// A field the input type does not have is refused as InvalidRecord naming it, before any
// call: ignored, Sellsy's own names (an opportunity's "step", "pipeline", "source") or the
// seed's ("birthdate") made an update a silent no-op that reported success, and a create
// without the field. A near name is suggested.
func TestUnknownInputFieldIsRefused(t *testing.T) {
	tests := []struct {
		activity string
		in       map[string]any
		want     []string // in the message
	}{
		{"Sellsy.UpdateOpportunity", map[string]any{"id": firstOpportunity, "step": 12}, []string{`"step"`, `did you mean "step_id"`}},
		{"Sellsy.CreateOpportunity", map[string]any{"name": "Deal", "pipeline": 1, "step_id": 11, "related": []any{map[string]any{"type": "company", "id": 1}}}, []string{`"pipeline"`, `"pipeline_id"`}},
		{"Sellsy.CreateContact", map[string]any{"last_name": "Lovelace", "birthdate": "1815-12-10"}, []string{`"birthdate"`, `"birth_date"`}},
		{"Sellsy.UpdateContact", map[string]any{"id": firstContact, "contacts": []int{1}}, []string{`"contacts"`}},
		{"Sellsy.SearchOpportunities", map[string]any{"filter": map[string]any{"status": []string{"won"}}}, []string{`"filter"`, `"filters"`}},
		{"Sellsy.CreateComment", map[string]any{"description": "x", "related": map[string]any{"type": "company", "id": 1, "kind": "x"}}, []string{`"kind"`}},
	}
	for _, tc := range tests {
		t.Run(tc.activity, func(t *testing.T) {
			h := newHarness(t, "secret")
			h.sim.SeedOpportunities(1)
			before := h.sim.Kit().Total()
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &RecordOutput{}))
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			for _, w := range tc.want {
				assert.Contains(t, ae.Message(), w)
			}
			assert.Equal(t, before, h.sim.Kit().Total(), "no call to Sellsy")
		})
	}
	// The same update with the input's name, step_id, moves the opportunity.
	h := newHarness(t, "secret")
	h.sim.SeedOpportunities(1)
	var out RecordOutput
	require.NoError(t, h.run("Sellsy.UpdateOpportunity", map[string]any{"id": firstOpportunity, "step_id": 12}, &out))
	assert.EqualValues(t, 12, out.Record["step"].(map[string]any)["id"])
}
