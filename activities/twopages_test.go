package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// The reader runs ahead of the writer (prefetch): the next page is read before this page's
// writes. A listing that gives a record again on the next page (weavy's overlap read, an
// offset that shifted) gives it as it was before this page wrote it. Exempted from freshen
// because the previous page saved it, the stale copy looks changed against the new snapshot
// and writes the old value back over the change just copied from the other side.
func TestRecordOnTwoPagesDoesNotRevertItsOwnWrite(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	h.edit(h.sellsy, 12, map[string]any{"position": "CEO"})         // changed on A
	h.edit(h.mautic, 12, map[string]any{"firstname": "FromMautic"}) // changed on B

	p, err := h.acts.newPass(h.ctx, PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	readAt := h.acts.now()
	page1 := h.person(h.sellsy, 12) // read for page 1
	page2 := h.person(h.sellsy, 12) // read for page 2, before page 1 is written
	_, err = p.processPage(h.ctx, []connectors.Record{page1}, readAt)
	require.NoError(t, err)
	require.Equal(t, "FromMautic", h.person(h.sellsy, 12).Fields["first_name"], "page 1 copied B's change to A")
	require.Equal(t, "CEO", h.person(h.mautic, 12).Fields["position"])

	_, err = p.processPage(h.ctx, []connectors.Record{page2}, readAt)
	require.NoError(t, err)
	assert.Equal(t, "FromMautic", h.person(h.mautic, 12).Fields["firstname"], "B's change was reverted by the stale copy")
	assert.Equal(t, h.person(h.sellsy, 12).Fields["first_name"], h.person(h.mautic, 12).Fields["firstname"], "the two sides disagree")
}
