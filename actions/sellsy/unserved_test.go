package sellsyactions

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/actions/actiontest"
)

// On a worker that serves no Sellsy account every Sellsy activity is there, failing at once
// with the reason, not retried, whatever the input: not an unregistered type, which the SDK
// fails as retryable.
func TestRegisterUnservedFailsEveryActivityAsConfiguration(t *testing.T) {
	const reason = "sellsy: this worker has no Sellsy connection: add one"
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	RegisterUnserved(env, reason)
	for _, name := range Names() {
		for _, in := range []any{map[string]any{"name": "ACME"}, map[string]any{"no_such_field": 1}} {
			ae := actiontest.AppErr(t, actiontest.Run(env, name, in, &RecordOutput{}))
			assert.Equal(t, ErrTypeConfiguration, ae.Type(), name)
			assert.True(t, ae.NonRetryable(), name)
			assert.Equal(t, reason, ae.Message(), name)
		}
	}
}
