package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// "Import existing opportunities: no": an opportunity that existed when the import marked
// Sellsy never gets an affaire, so PipelineSync's scans do not count it pending every time,
// nor keep the steps it reaches; one created since is pending until its affaire exists.
func TestOpportunitiesBeforeTheMarkAreNotPending(t *testing.T) {
	h := newStageHarness(t, `  - name: opportunity
    b_object: affaire
    match: {a: name, b: title}
    links: [company]
    initial: {from_a: false}
    fields: [{a: name, b: title}]
pipelines:
  - object: opportunity
    pipeline: "1"
    establishment: E1
    events: {"11": QUALIF, "14": PROPOSITION, "12": NEGOCIATION, "13": GAGNEE}
`)
	old := h.opportunity("Ancienne", "1", "11")
	time.Sleep(1100 * time.Millisecond) // Sellsy's creation times are to the second
	_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeMark})
	require.NoError(t, err)
	fresh := h.opportunity("Nouvelle", "1", "11")

	require.NoError(t, h.sellsy.MoveStep(h.ctx, old, "12"))
	require.NoError(t, h.sellsy.MoveStep(h.ctx, fresh, "12"))
	assert.Equal(t, StageResult{Done: true, Checked: 1}, h.propagate(old), "not pending")
	assert.Equal(t, StageResult{Done: true, Checked: 1, Pending: 1}, h.propagate(fresh))
	scan := func() StageResult {
		t.Helper()
		v, err := h.ae.ExecuteActivity(h.acts.PropagateStages, StageInput{Connection: "st"})
		require.NoError(t, err)
		var r StageResult
		require.NoError(t, v.Get(&r))
		return r
	}
	r := scan()
	assert.Equal(t, 1, r.Pending, "only the new one: %+v", r)
	notes, err := h.st.Notes(h.ctx, "st", "opportunity", reachedNote, []string{old, fresh})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{fresh: "12"}, notes, "the old one's step is not kept")

	_, err = h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	r = scan()
	assert.Zero(t, r.Pending, "%+v", r)
	assert.Equal(t, []string{"QUALIF", "PROPOSITION", "NEGOCIATION"}, h.affaire(fresh).Fields["events"])
}
