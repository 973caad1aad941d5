package activities

import (
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors/simkit"
)

func TestZZFaults(t *testing.T) {
	h := newHarness(t, "both")
	h.sb.Sellsy.Kit().SetFaults(simkit.Faults{ErrorRate: 0.02, RateLimitRate: 0.02})
	h.sb.Mautic.Kit().SetFaults(simkit.Faults{ErrorRate: 0.02, RateLimitRate: 0.02})
	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	for _, o := range []string{"company", "contact"} {
		for _, s := range []string{"a", "b"} {
			in := PassInput{Connection: "t", Object: o, Side: s, Mode: ModeImport, PageSize: 7}
			for i := 0; i < 50; i++ {
				v, err := ae.ExecuteActivity(h.acts.SyncPass, in)
				if err != nil {
					t.Logf("%s %s: %v", o, s, err)
					continue
				}
				var res PassResult
				_ = v.Get(&res)
				t.Logf("%s %s: pages %d done %v", o, s, res.Pages, res.Done)
				if res.Done {
					break
				}
				in.Position, in.Since, in.PassStart = res.Position, res.Since, res.PassStart
			}
		}
	}
}
