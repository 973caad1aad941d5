package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// Seed 000's plugin syncs "contacts and companies (prospects and customers)": the example
// connections a user starts from keep Sellsy's suppliers out of Automation as it did.
func TestSellsyMauticExamplesKeepSuppliersOut(t *testing.T) {
	for _, example := range []string{"sellsy-mautic", "sellsy-mautic-full"} {
		t.Run(example, func(t *testing.T) {
			r := startExample(t, example)
			sellsy, mautic, err := r.acts.Conns.Connectors(example)
			require.NoError(t, err)
			for _, c := range []map[string]any{{"name": "Supplier Co", "type": "supplier"}, {"name": "Client Co", "type": "client"}} {
				res, err := sellsy.Create(t.Context(), connectors.ObjectCompany, []connectors.Record{{Fields: c}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			c := r.pass("company", "a", ModeImport)
			assert.Equal(t, 1, c.Filtered, "the supplier stays in Sellsy: %+v", c)
			for name, want := range map[string]int{"Supplier Co": 0, "Client Co": 1} {
				recs, err := mautic.FindByKey(t.Context(), connectors.ObjectCompany, "companyname", []string{name})
				require.NoError(t, err)
				assert.Len(t, recs, want, "%s in Automation", name)
			}
		})
	}
}
