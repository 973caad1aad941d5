package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// A dry run of the import counts what the import then does — creates on each side, records
// matched, records refused — and writes nothing anywhere.
func TestImportDryRunCountsWhatTheImportDoes(t *testing.T) {
	h := newHarness(t, "both")
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"firstname": "Sans", "lastname": "Adresse"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	sellsyBefore, mauticBefore := h.sb.Sellsy.Count("contacts"), h.sb.Mautic.Count("contacts")
	companiesBefore := h.sb.Sellsy.Count("companies") + h.sb.Mautic.Count("companies")
	h.sb.Sellsy.Kit().ResetCounts()
	h.sb.Mautic.Kit().ResetCounts()

	var plan Counts
	for _, o := range []string{"company", "contact"} {
		for _, side := range []string{"a", "b"} {
			plan.Add(h.passWith(PassInput{Connection: "t", Object: o, Side: side, Mode: ModeImport, PageSize: 7, Plan: true, PlanMatchedByOther: side == "b"}))
		}
	}
	// Nothing written: no record on either system, no pair, no quarantine, no cursor.
	assert.Equal(t, sellsyBefore, h.sb.Sellsy.Count("contacts"))
	assert.Equal(t, mauticBefore, h.sb.Mautic.Count("contacts"))
	assert.Equal(t, companiesBefore, h.sb.Sellsy.Count("companies")+h.sb.Mautic.Count("companies"))
	for route := range h.sb.Sellsy.Kit().Counts() {
		assert.NotRegexp(t, `^(PUT|PATCH|DELETE) |^POST /v2/(companies|contacts)$`, route, "a dry run writes nothing to Sellsy")
	}
	for route := range h.sb.Mautic.Kit().Counts() {
		assert.NotRegexp(t, `/new$|/edit$|^(PUT|PATCH|DELETE) `, route, "a dry run writes nothing to Automation")
	}
	for _, o := range []string{"company", "contact"} {
		n, err := h.st.CountPairs(h.ctx, "t", o)
		require.NoError(t, err)
		assert.Zero(t, n, "no %s pair", o)
		for _, side := range []store.Side{store.SideA, store.SideB} {
			_, ok, err := h.st.Cursor(h.ctx, "t", o, side)
			require.NoError(t, err)
			assert.False(t, ok, "no %s cursor on side %s", o, side)
		}
	}
	n, err := h.st.CountQuarantine(h.ctx, "t")
	require.NoError(t, err)
	assert.Zero(t, n)

	real := h.cycle(ModeImport)
	assert.Positive(t, plan.CreatedA)
	assert.Positive(t, plan.CreatedB)
	assert.Equal(t, real.CreatedA, plan.CreatedA, "records the import creates on Sellsy")
	assert.Equal(t, real.CreatedB, plan.CreatedB, "records the import creates on Automation")
	assert.Equal(t, real.UpdatedA, plan.UpdatedA)
	assert.Equal(t, real.UpdatedB, plan.UpdatedB)
	assert.Equal(t, 1, plan.Quarantined, "the contact without e-mail")
	assert.Equal(t, real.Quarantined, plan.Quarantined)
}
