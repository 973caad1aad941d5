package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// quietOpportunities lists no opportunity: none changed since the last scan.
type quietOpportunities struct{ *sellsy.Client }

func (q quietOpportunities) List(ctx context.Context, object string, query connectors.ListQuery) (connectors.Page, error) {
	if object == sellsy.ObjectOpportunity {
		return connectors.Page{}, nil
	}
	return q.Client.List(ctx, object, query)
}

// An opportunity read before its affaire existed is released once it is paired; when the
// release fails to write its events, the retry releases it again: nothing else reads it,
// as it did not change.
func TestAReleasedStageWhoseWriteFailsIsReleasedAgain(t *testing.T) {
	h := newStageHarness(t, twoPipelines)
	opp := h.opportunity("Projet", "1", "14")
	require.Equal(t, 1, h.propagate(opp).Pending, "its affaire does not exist yet")
	_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)

	flaky := &refuseEvents{Client: h.altior, addErr: &connectors.Error{Kind: connectors.KindRetryable, System: "altior", Op: "POST /affaires/{id}/events", Status: 503}}
	h.acts.Conns.use("st", quietOpportunities{h.sellsy}, flaky)
	_, err = h.ae.ExecuteActivity(h.acts.PropagateStages, StageInput{Connection: "st"})
	require.Error(t, err, "Altior is down while the scan releases the opportunity")

	flaky.addErr = nil
	v, err := h.ae.ExecuteActivity(h.acts.PropagateStages, StageInput{Connection: "st"})
	require.NoError(t, err)
	var r StageResult
	require.NoError(t, v.Get(&r))
	assert.Equal(t, 2, r.Emitted, "%+v", r)
	assert.Equal(t, []string{"QUALIF", "PROPOSITION"}, h.affaire(opp).Fields["events"])
}
