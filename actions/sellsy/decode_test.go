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
