package recordactions

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/actions/actiontest"
)

// An input whose JSON does not fit the activity's type fails as InvalidRecord naming the
// field, not retried; it used to fail in the SDK's decoding as a retryable error, retried
// forever.
func TestUndecodableInputIsNotRetried(t *testing.T) {
	h := newHarness(t, named(sellsyMautic, ""))
	tests := []struct {
		activity string
		in       any
		want     string
	}{
		{"Automation.List", map[string]any{"object": "contact", "limit": "50"}, `input field "limit" must be a whole number, not a string`},
		{"Automation.List", map[string]any{"object": "contact", "since": "yesterday"}, `input field "since" must be an RFC 3339 time ("2026-01-31T00:00:00Z")`},
		{"Automation.Get", map[string]any{"object": "contact", "ids": "12"}, `input field "ids" must be a list, not a string`},
		{"Automation.Create", map[string]any{"object": "contact", "records": map[string]any{"fields": map[string]any{}}}, `input field "records" must be a list, not an object`},
		{"Sellsy.Find", map[string]any{"object": "contact", "field": "email", "values": []any{1}}, `input field "values" must be a string, not a number`},
	}
	for _, tc := range tests {
		t.Run(tc.activity, func(t *testing.T) {
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &ListOutput{}))
			assert.Equal(t, actions.ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Equal(t, tc.want, ae.Message())
		})
	}
}
