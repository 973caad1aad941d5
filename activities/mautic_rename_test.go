package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// A company renamed on either side (with a name Automation stores HTML-encoded, "&", and
// accents) is renamed on the other, never created twice, and its contacts keep their company.
func TestCompanyRenamedKeepsItsContacts(t *testing.T) {
	tests := []struct{ name, on string }{
		{name: "renamed in Sellsy", on: "sellsy"},
		{name: "renamed in Automation", on: "mautic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "both")
			h.cycle(ModeImport)
			sellsyCo, mauticCo := h.companyID(h.sellsy, 3), h.companyID(h.mautic, 3)
			companies := [2]int{h.sb.Sellsy.Count("companies"), h.sb.Mautic.Count("companies")}
			const renamed = "Dupré & Fils <SAS>"
			conn, id, field := h.sellsy, sellsyCo, "name"
			if tt.on == "mautic" {
				conn, id, field = h.mautic, mauticCo, "companyname"
			}
			res, err := conn.Update(h.ctx, connectors.ObjectCompany, []connectors.Record{{ID: id, Fields: map[string]any{field: renamed}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)

			for range 2 {
				c := h.cycle(ModeIncremental)
				assert.Zero(t, c.Quarantined, "%+v", c)
			}
			assert.Equal(t, companies, [2]int{h.sb.Sellsy.Count("companies"), h.sb.Mautic.Count("companies")}, "no company created twice")
			got, err := h.sellsy.Get(h.ctx, connectors.ObjectCompany, []string{sellsyCo})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, renamed, got[0].Fields["name"])
			got, err = h.mautic.Get(h.ctx, connectors.ObjectCompany, []string{mauticCo})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, renamed, got[0].Fields["companyname"])
			for i := range 30 {
				if simkit.CompanyOf(i) != 3 || i < 10 || i >= 20 {
					continue // people 10–19 are on both sides from the start
				}
				co, known := h.companyOf(h.sellsy, i)
				assert.True(t, known)
				assert.Equal(t, sellsyCo, co, "Sellsy person %d keeps its company", i)
				co, known = h.companyOf(h.mautic, i)
				if known {
					assert.Equal(t, mauticCo, co, "Automation person %d keeps its company", i)
				}
			}
		})
	}
}
