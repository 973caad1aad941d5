package recordactions

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
)

// The record activities of a system no loaded connection has are there beside those of the
// systems served (no name registered twice), each failing at once as a ConfigurationError
// naming the system and the hint, whatever the input.
func TestRegisterUnservedFailsTheSystemsNoConnectionHas(t *testing.T) {
	conns := []*config.Connection{{Name: "wm", A: config.System{System: "weavy"}, B: config.System{System: "mautic"}}}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	served := Register(env, activities.NewConnections(conns), conns)
	var unserved []string
	require.NotPanics(t, func() { unserved = RegisterUnserved(env, conns, ": add one") })

	var want []string
	for _, system := range []string{"altior", "minicrm", "sellsy", "unas"} {
		want = append(want, Names(system)...)
	}
	assert.Equal(t, want, unserved)
	for _, name := range served {
		assert.NotContains(t, unserved, name)
	}
	tests := []struct{ activity, want string }{
		{"Altior.Get", "Altior: this worker has no Altior connection (no side of system altior in its connection files): add one"},
		{"Sellsy.List", "Sellsy: this worker has no Sellsy connection (no side of system sellsy in its connection files): add one"},
		{"UNAS.Call", "UNAS: this worker has no UNAS connection (no side of system unas in its connection files): add one"},
		{"MiniCRM.Create", "MiniCRM: this worker has no MiniCRM connection (no side of system minicrm in its connection files): add one"},
	}
	for _, tc := range tests {
		t.Run(tc.activity, func(t *testing.T) {
			for _, in := range []any{GetInput{Target: Target{Object: "contact"}, IDs: []string{"1"}}, map[string]any{"object": 12}} {
				ae := actiontest.AppErr(t, actiontest.Run(env, tc.activity, in, &RecordsOutput{}))
				assert.Equal(t, actions.ErrTypeConfiguration, ae.Type())
				assert.True(t, ae.NonRetryable())
				assert.Equal(t, tc.want, ae.Message())
			}
		})
	}
}
