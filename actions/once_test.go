package actions

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
)

// GuardCall hands repeatable the method upper-cased and the path without its query, names
// the call by them, and guards (heartbeats) only a call that may not be sent twice.
func TestGuardCall(t *testing.T) {
	postOnce := func(method, path string) bool { return method != "POST" || path == "/search" }
	tests := []struct {
		name, method, path string
		once               bool
		what               string
	}{
		{"a write", "POST", "/companies", true, "Sellsy: POST /companies"},
		{"any case, a query, spaces", " post ", " /companies?x=1", true, "Sellsy: POST /companies"},
		{"a read", "get", "/companies/1?embed=x", false, "Sellsy: GET /companies/1"},
		{"a POST that reads", "POST", "/search?limit=1", false, "Sellsy: POST /search"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestActivityEnvironment()
			var beats []CallSent
			env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
				var hb CallSent
				require.NoError(t, d.Get(&hb))
				beats = append(beats, hb)
			})
			env.RegisterActivityWithOptions(func(ctx context.Context) ([]any, error) {
				once, what, err := GuardCall(ctx, postOnce, "Sellsy", tc.method, tc.path)
				return []any{once, what}, err
			}, activity.RegisterOptions{Name: "guard"})
			v, err := env.ExecuteActivity("guard")
			require.NoError(t, err)
			var got []any
			require.NoError(t, v.Get(&got))
			assert.Equal(t, []any{tc.once, tc.what}, got)
			if tc.once {
				assert.Equal(t, []CallSent{{Sent: true}}, beats, "sent: the next attempt knows")
			} else {
				assert.Empty(t, beats, "a call sent again harms nothing: no guard")
			}
		})
	}
}
