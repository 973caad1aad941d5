package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
)

// The activities that write page after page share one pause watch: a reconciliation ends at
// the page a pause finds, as a pass does, and a dry run, which writes nothing, never asks.
func TestThePauseWatchOfPassesAndReconciliations(t *testing.T) {
	tests := []struct {
		name      string
		run       string // "plan" or "reconcile"
		wantAsked int
		wantDone  bool
	}{
		{name: "a dry run does not ask", run: "plan", wantDone: true},
		{name: "a reconciliation stops at its page", run: "reconcile", wantAsked: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "both")
			if tt.run == "reconcile" {
				h.cycle(ModeImport) // pairs to reconcile
			}
			asked := 0
			h.acts.WorkflowPaused = func(context.Context, string) (bool, error) {
				asked++
				return true, nil
			}
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			var done bool
			switch tt.run {
			case "plan":
				v, err := ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport, Plan: true, PageSize: 7, Stretch: time.Hour})
				require.NoError(t, err)
				var res PassResult
				require.NoError(t, v.Get(&res))
				assert.Equal(t, 3, res.Pages, "Sellsy's 20 contacts, 7 a page")
				done = res.Done
			case "reconcile":
				v, err := ae.ExecuteActivity(h.acts.Reconcile, ReconcileInput{Connection: "t", Object: "contact", Side: "b", PageSize: 7, Stretch: time.Hour})
				require.NoError(t, err)
				var res ReconcileResult
				require.NoError(t, v.Get(&res))
				assert.Equal(t, 7, res.Checked, "one page: %+v", res)
				done = res.Done
			}
			assert.Equal(t, tt.wantAsked, asked)
			assert.Equal(t, tt.wantDone, done)
		})
	}
}
