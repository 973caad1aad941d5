package activities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	altiorsim "github.com/crmsync/crmsync/connectors/altior/sim"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// Sellsy opportunities have no update timestamp, so every cycle reads them all. With "import
// existing opportunities: no" (initial.from_a false) the ones that existed when the import
// skipped them never go down to Altior; those created later do.
func TestExistingOpportunitiesStayOutWhenNotImported(t *testing.T) {
	tests := []struct {
		name        string
		fromA       bool
		wantCreated int
	}{
		{"import existing opportunities", true, 2},
		{"do not import them", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			acts, _, ae, sb := sellsyAltior(t, "mk", fmt.Sprintf(`  - name: opportunity
    b_object: affaire
    match: {a: name, b: title}
    links: [company]
    initial: {from_a: %t}
    fields: [{a: name, b: title}]
`, tt.fromA))
			ca, _, err := acts.Conns.Connectors("mk")
			require.NoError(t, err)
			sl := ca.(*sellsy.Client)
			pass := func(object, mode string) Counts {
				t.Helper()
				v, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "mk", Object: object, Side: "a", Mode: mode})
				require.NoError(t, err)
				var r PassResult
				require.NoError(t, v.Get(&r))
				return r.Counts
			}
			createOpp := func(name string) {
				t.Helper()
				companies, err := sl.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 1})
				require.NoError(t, err)
				res, err := sl.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": name, "pipeline_id": "1", "step_id": "11"},
					Links: map[string]string{"company": companies.Records[0].ID}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}

			pass("company", ModeImport)
			createOpp("Affaire existante")
			time.Sleep(1100 * time.Millisecond) // Sellsy's creation times are to the second
			mode := ModeImport
			if !tt.fromA {
				mode = ModeMark // what InitialImport runs for a side it does not import
			}
			pass("opportunity", mode)
			createOpp("Affaire nouvelle")
			pass("opportunity", ModeIncremental)
			again := pass("opportunity", ModeIncremental)
			assert.Zero(t, again.CreatedB, "%+v", again)
			assert.Equal(t, tt.wantCreated, sb.Altior.Count(altiorsim.ObjectAffaire))
		})
	}
}
