package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/store"
)

// TestPropagateStages moves a Sellsy opportunity along pipeline "Ventes" (steps in rank
// order: 11 Découverte, 14 Proposition, 12 Négociation, 13 Signature) and checks the events of
// its Altior affaire: each bound event once, in order, skipped ones included, none on a move
// back, and the affaire's Etape and Pipeline fields following.
func TestPropagateStages(t *testing.T) {
	ctx := context.Background()
	acts, st, ae, _ := sellsyAltior(t, "st", `  - name: opportunity
    b_object: affaire
    match: {a: name, b: title}
    links: [company]
    fields: [{a: name, b: title}]
pipelines:
  - object: opportunity
    pipeline: "1"
    establishment: E2
    events: {"11": QUALIF, "14": PROPOSITION, "13": GAGNEE}
`)
	ca, cb, err := acts.Conns.Connectors("st")
	require.NoError(t, err)
	sl, al := ca.(*sellsy.Client), cb.(*altior.Client)

	_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "st", Object: "company", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	companies, err := sl.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	companyPair, err := st.Pairs(ctx, "st", "company", store.SideA, []string{companies.Records[0].ID})
	require.NoError(t, err)
	require.Len(t, companyPair, 1)

	// An opportunity and its affaire, paired.
	opp, err := sl.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": "Projet X", "pipeline_id": "1", "step_id": "11"},
		Links: map[string]string{"company": companies.Records[0].ID}}})
	require.NoError(t, err)
	require.NoError(t, opp[0].Err)
	aff, err := al.Create(ctx, altior.ObjectAffaire, []connectors.Record{{Fields: map[string]any{"title": "Projet X"},
		Links: map[string]string{"company": companyPair[companies.Records[0].ID].BID}}})
	require.NoError(t, err)
	require.NoError(t, aff[0].Err)
	require.NoError(t, st.SavePairs(ctx, "st", "opportunity", []store.Pair{{AID: opp[0].ID, BID: aff[0].ID, Snapshot: map[string]any{}}}))

	propagate := func(ids ...string) StageResult {
		t.Helper()
		v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "st", IDs: ids})
		require.NoError(t, err)
		var r StageResult
		require.NoError(t, v.Get(&r))
		return r
	}
	affaire := func() connectors.Record {
		t.Helper()
		recs, err := al.Get(ctx, altior.ObjectAffaire, []string{aff[0].ID})
		require.NoError(t, err)
		require.Len(t, recs, 1)
		return recs[0]
	}
	move := func(step string) {
		t.Helper()
		require.NoError(t, sl.MoveStep(ctx, opp[0].ID, step))
	}

	tests := []struct {
		name     string
		step     string // "" leaves the opportunity where it is
		scan     bool
		emitted  int
		backward int
		events   []string
		etape    string
	}{
		{name: "first step", emitted: 1, events: []string{"QUALIF"}, etape: "Découverte"},
		{name: "again: nothing", events: []string{"QUALIF"}, etape: "Découverte"},
		{name: "a jump emits the skipped event too", step: "13", emitted: 2, events: []string{"QUALIF", "PROPOSITION", "GAGNEE"}, etape: "Signature"},
		{name: "back: the stage follows, no event", step: "14", backward: 1, events: []string{"QUALIF", "PROPOSITION", "GAGNEE"}, etape: "Proposition"},
		{name: "a scan finds nothing new", scan: true, events: []string{"QUALIF", "PROPOSITION", "GAGNEE"}, etape: "Proposition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.step != "" {
				move(tt.step)
			}
			var r StageResult
			if tt.scan {
				r = propagate()
				assert.True(t, r.Done)
			} else {
				r = propagate(opp[0].ID)
			}
			assert.Equal(t, tt.emitted, r.Emitted, "%+v", r)
			assert.Equal(t, tt.backward, r.Backward, "%+v", r)
			a := affaire()
			assert.Equal(t, tt.events, a.Fields["events"])
			assert.Equal(t, tt.etape, a.Fields["cf.ETAP"])
			assert.Equal(t, "Ventes", a.Fields["cf.PIPE"])
			assert.Equal(t, "E2", a.Fields["establishment_id"], "the pipeline's establishment")
		})
	}
}
