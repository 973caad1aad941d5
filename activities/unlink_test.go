package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// unlinked is a person's company link taken off; unresolved, Automation's company name that
// no company has (its read does not know the link).
const (
	unlinked   = -1
	unresolved = -2
)

// companyID returns the id on conn of company k (seeded, or created by the import), "" for
// unlinked.
func (h *harness) companyID(conn connectors.Connector, k int) string {
	h.t.Helper()
	if k == unlinked {
		return ""
	}
	field := "name"
	if conn == h.mautic {
		field = "companyname"
	}
	recs, err := conn.FindByKey(h.ctx, connectors.ObjectCompany, field, []string{simkit.CompanyAt(k).Name})
	require.NoError(h.t, err)
	require.Len(h.t, recs, 1, "company %d on %s", k, conn.System())
	return recs[0].ID
}

// link sets person i's company on conn to company k (unlinked: none), as a user would.
func (h *harness) link(conn connectors.Connector, i, k int) {
	h.t.Helper()
	res, err := conn.Update(h.ctx, connectors.ObjectContact, []connectors.Record{{ID: h.person(conn, i).ID, Fields: map[string]any{},
		Links: map[string]string{connectors.ObjectCompany: h.companyID(conn, k)}}})
	require.NoError(h.t, err)
	require.NoError(h.t, res[0].Err)
}

// companyOf returns person i's company link on conn, and whether the read knows it.
func (h *harness) companyOf(conn connectors.Connector, i int) (string, bool) {
	h.t.Helper()
	co, known := h.person(conn, i).Links[connectors.ObjectCompany]
	return co, known
}

// assertMauticLink checks person i's company on Automation: company k, none, or unknown.
func (h *harness) assertMauticLink(i, k int, msg string) {
	h.t.Helper()
	co, known := h.companyOf(h.mautic, i)
	if k == unresolved {
		assert.False(h.t, known, "%s: a name no company has is not known", msg)
		return
	}
	assert.True(h.t, known, msg)
	assert.Equal(h.t, h.companyID(h.mautic, k), co, msg)
}

// noUnlink is a connector that cannot take a link off (no connectors.Unlinker).
type noUnlink struct{ connectors.Connector }

// A link taken off on one side is taken off the other, once; a move still moves; a company
// Automation cannot resolve never unlinks; a target that cannot unlink keeps its link. In
// every case the passes after write nothing. Person 12 is in company 2 on both sides.
func TestRemovedLinkTravels(t *testing.T) {
	const person = 12
	tests := []struct {
		name string
		// cannotUnlink runs the connection with an Automation that cannot unlink.
		cannotUnlink bool
		change       func(h *harness)
		// sellsy and mautic are person 12's company after the change travels.
		sellsy, mautic     int
		updatedA, updatedB int
	}{
		{"removed on Sellsy", false, func(h *harness) { h.link(h.sellsy, person, unlinked) }, unlinked, unlinked, 0, 1},
		{"removed on Automation", false, func(h *harness) { h.link(h.mautic, person, unlinked) }, unlinked, unlinked, 1, 0},
		{"removed on both", false, func(h *harness) {
			h.link(h.sellsy, person, unlinked)
			h.link(h.mautic, person, unlinked)
		}, unlinked, unlinked, 0, 0},
		{"moved on Sellsy", false, func(h *harness) { h.link(h.sellsy, person, 0) }, 0, 0, 0, 1},
		{"moved on Automation", false, func(h *harness) { h.link(h.mautic, person, 5) }, 5, 5, 1, 0},
		{"removed on Sellsy, moved on Automation: the move is kept", false, func(h *harness) {
			h.link(h.sellsy, person, unlinked)
			h.link(h.mautic, person, 3)
		}, 3, 3, 1, 0},
		{"removed on Automation, moved on Sellsy: the move is kept", false, func(h *harness) {
			h.link(h.mautic, person, unlinked)
			h.link(h.sellsy, person, 1)
		}, 1, 1, 0, 1},
		{"an Automation company name that matches none", false, func(h *harness) {
			h.edit(h.mautic, person, map[string]any{"company": "Société Inconnue"})
		}, 2, unresolved, 0, 0},
		{"removed on Sellsy, Automation cannot unlink", true, func(h *harness) { h.link(h.sellsy, person, unlinked) }, unlinked, 2, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "both")
			if tt.cannotUnlink {
				h.acts.Conns.use("t", h.sellsy, noUnlink{h.mautic})
			}
			h.cycle(ModeImport)
			tt.change(h)

			c := h.cycle(ModeImport) // a full read: Sellsy moves no date when a link changes
			assert.Equal(t, tt.updatedA, c.UpdatedA, "written to Sellsy: %+v", c)
			assert.Equal(t, tt.updatedB, c.UpdatedB, "written to Automation: %+v", c)
			co, known := h.companyOf(h.sellsy, person)
			assert.True(t, known)
			assert.Equal(t, h.companyID(h.sellsy, tt.sellsy), co, "on Sellsy")
			h.assertMauticLink(person, tt.mautic, "on Automation")

			for range 2 {
				again := h.cycle(ModeImport)
				assert.Zero(t, again.UpdatedA+again.UpdatedB+again.CreatedA+again.CreatedB+again.Conflicts, "nothing more to write: %+v", again)
			}
			co, _ = h.companyOf(h.sellsy, person)
			assert.Equal(t, h.companyID(h.sellsy, tt.sellsy), co, "still, on Sellsy")
			h.assertMauticLink(person, tt.mautic, "still, on Automation")
		})
	}
}

// Automation's edit moves its date: an incremental cycle takes the removal across.
func TestRemovedLinkTravelsIncrementally(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	h.link(h.mautic, 12, unlinked)
	c := h.cycle(ModeIncremental)
	assert.Equal(t, 1, c.UpdatedA, "%+v", c)
	co, known := h.companyOf(h.sellsy, 12)
	assert.True(t, known)
	assert.Empty(t, co)
	echo := h.cycle(ModeIncremental)
	assert.Zero(t, echo.UpdatedA+echo.UpdatedB, "%+v", echo)
}

// A dry run counts the removal as the write it is, and writes nothing.
func TestRemovedLinkDryRun(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	h.link(h.sellsy, 12, unlinked)
	plan := h.passWith(PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport, PageSize: 7, Plan: true})
	assert.Equal(t, 1, plan.UpdatedB, "%+v", plan)
	co, _ := h.companyOf(h.mautic, 12)
	assert.Equal(t, h.companyID(h.mautic, 2), co, "not written")
	c := h.pass("contact", "a", ModeImport)
	assert.Equal(t, plan.UpdatedB, c.UpdatedB)
	co, _ = h.companyOf(h.mautic, 12)
	assert.Empty(t, co)
}
