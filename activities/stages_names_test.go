package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// A pipeline named by its name and its steps' names in the file moves as one named by ids: its
// opportunities get affaires (in its establishment), and a step reached emits the events bound
// to the steps passed, once each.
func TestAPipelineNamedByNamesEmitsItsEvents(t *testing.T) {
	h := newStageHarness(t, twoPipelinesAs(`"Grands comptes"`, `{Qualification: QUALIF, "Gagné": GAGNEE}`))
	opp := h.opportunity("Projet", "3", "31")
	other := h.opportunity("Partenariat", "2", "21") // a pipeline the connection does not bind
	_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	a := h.affaire(opp)
	assert.Equal(t, "E2", a.Fields["establishment_id"], "created in its pipeline's establishment")
	pairs, err := h.st.Pairs(h.ctx, "st", "opportunity", "a", []string{other})
	require.NoError(t, err)
	assert.Empty(t, pairs, "an opportunity of a pipeline not bound gets no affaire")

	r := h.propagate(opp)
	assert.Equal(t, 1, r.Emitted, "%+v", r)
	assert.Equal(t, []string{"QUALIF"}, h.affaire(opp).Fields["events"])

	// Moved to Gagné, past Soutenance, and found by a scan.
	require.NoError(t, h.sellsy.MoveStep(h.ctx, opp, "33"))
	v, err := h.ae.ExecuteActivity(h.acts.PropagateStages, StageInput{Connection: "st"})
	require.NoError(t, err)
	var scan StageResult
	require.NoError(t, v.Get(&scan))
	assert.Equal(t, 1, scan.Emitted, "%+v", scan)
	a = h.affaire(opp)
	assert.Equal(t, []string{"QUALIF", "GAGNEE"}, a.Fields["events"])
	assert.Equal(t, "Gagné", a.Fields["cf.ETAP"])
	assert.Equal(t, "Grands comptes", a.Fields["cf.PIPE"])
	assert.Zero(t, h.propagate(opp).Emitted, "once each")
}

// twoVentes lists pipeline 9 under the name of pipeline 1 as well.
type twoVentes struct{ *sellsy.Client }

func (c twoVentes) ListPipelines(ctx context.Context) ([]connectors.PipelineInfo, error) {
	ps, err := c.Client.ListPipelines(ctx)
	return append(ps, connectors.PipelineInfo{ID: "9", Name: "Ventes"}), err
}

// A pipeline or step name Sellsy does not have, or has twice, pauses the connection before
// anything moves, naming the file, the field as written and what Sellsy has.
func TestAPipelineNameSellsyCannotResolveIsRefused(t *testing.T) {
	tests := []struct {
		name             string
		pipeline, events string
		twoVentes        bool
		want             string
		passToo          bool // the sync pass refuses it too: it cannot tell which opportunities get an affaire
	}{
		{name: "an unknown pipeline", pipeline: `"Grand comptes"`, events: `{"31": QUALIF}`,
			want: `pipelines[1].pipeline: "Grand comptes" is neither the id nor the name of a sellsy pipeline (did you mean Grands comptes?); its pipelines: 1 "Ventes", 3 "Grands comptes", 2 "Partenariats"`, passToo: true},
		{name: "an unknown step", pipeline: `"Grands comptes"`, events: `{Qualification: QUALIF, Gagne: GAGNEE}`,
			want: `pipelines[1].events["Gagne"]: "Gagne" is neither the id nor the name of a step of pipeline "Grands comptes" (3) (did you mean Gagné?); its steps: 31 "Qualification", 32 "Soutenance", 33 "Gagné"`},
		{name: "a name two pipelines have", pipeline: `Ventes`, events: `{"Découverte": QUALIF}`, twoVentes: true,
			want: `pipelines[1].pipeline: "Ventes" is the name of 2 sellsy pipelines, 1 and 9: write the id of the one meant`, passToo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newStageHarness(t, twoPipelinesAs(tt.pipeline, tt.events))
			if tt.twoVentes {
				_, cb, err := h.acts.Conns.Connectors("st")
				require.NoError(t, err)
				h.acts.Conns.use("st", twoVentes{h.sellsy}, cb)
			}
			opp := h.opportunity("Projet", "3", "31")
			_, err := h.ae.ExecuteActivity(h.acts.PropagateStages, StageInput{Connection: "st", IDs: []string{opp}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), ".yaml: "+tt.want, "the file, the field and what Sellsy has")
			_, err = h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
			if !tt.passToo {
				require.NoError(t, err, "a step's name is PipelineSync's business")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Sellsy's pipelines are listed only when the file may name one by its name: a sync pass of a
// file of ids whose opportunities are in pipelines it binds (or beside them, in one it does
// not) lists none, one of names lists them once.
func TestPipelinesAreListedOnlyForNames(t *testing.T) {
	tests := []struct {
		name    string
		objects string
		want    int
	}{
		{"ids", twoPipelines, 0},
		{"a pipeline by name", twoPipelinesAs(`"Grands comptes"`, `{Qualification: QUALIF, "Gagné": GAGNEE}`), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acts, st, ae, sb := sellsyAltior(t, "st", tt.objects)
			ca, cb, err := acts.Conns.Connectors("st")
			require.NoError(t, err)
			h := &stageHarness{t: t, ctx: context.Background(), acts: acts, st: st, ae: ae, sellsy: ca.(*sellsy.Client), altior: cb.(*altior.Client)}
			_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "st", Object: "company", Side: "a", Mode: ModeImport})
			require.NoError(t, err)
			companies, err := h.sellsy.List(h.ctx, connectors.ObjectCompany, connectors.ListQuery{})
			require.NoError(t, err)
			h.company = companies.Records[0].ID
			ventes, grands := h.opportunity("Projet", "1", "11"), h.opportunity("Compte", "3", "31")
			h.opportunity("Partenariat", "2", "21")
			listings := func() int { return sb.Sellsy.Kit().Counts()["GET /v2/opportunities/pipelines"] }
			before := listings()
			_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
			require.NoError(t, err)
			assert.Equal(t, tt.want, listings()-before)
			assert.Equal(t, "E1", h.affaire(ventes).Fields["establishment_id"])
			assert.Equal(t, "E2", h.affaire(grands).Fields["establishment_id"])
		})
	}
}
