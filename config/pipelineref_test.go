package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// A pipeline's value names it by id or by its name in the system; an id wins over a name, a
// name two pipelines share or none has is refused, naming what exists.
func TestResolvePipelines(t *testing.T) {
	listed := []connectors.PipelineInfo{{ID: "1", Name: "Ventes"}, {ID: "3", Name: "Grands comptes"}, {ID: "7", Name: "3"},
		{ID: "8", Name: "Doublon"}, {ID: "9", Name: "Doublon"}, {ID: "5", Name: "Négociations"}}
	tests := []struct {
		name    string
		values  []string
		ids     []string // the resolved ids, when no error
		named   []string // Named() of each, when no error
		wantErr []string
	}{
		{name: "an id", values: []string{"1"}, ids: []string{"1"}, named: []string{"1"}},
		{name: "a name", values: []string{"Grands comptes"}, ids: []string{"3"}, named: []string{`"Grands comptes" (3)`}},
		{name: "spaces around a name", values: []string{" Ventes "}, ids: []string{"1"}},
		{name: "a name written with decomposed accents", values: []string{"Ne\u0301gociations"}, ids: []string{"5"}},
		{name: "an id wins over another pipeline's name", values: []string{"3"}, ids: []string{"3"}, named: []string{"3"}},
		{name: "an id and a name", values: []string{"1", "Grands comptes"}, ids: []string{"1", "3"}},
		{name: "a name two pipelines have", values: []string{"Doublon"},
			wantErr: []string{`pipelines[0].pipeline: "Doublon" is the name of 2 sellsy pipelines, 8 and 9: write the id of the one meant`}},
		{name: "an unknown name", values: []string{"1", "Grand comptes"},
			wantErr: []string{`pipelines[1].pipeline: "Grand comptes" is neither the id nor the name of a sellsy pipeline (did you mean Grands comptes?); its pipelines: 1 "Ventes", 3 "Grands comptes", 7 "3", 8 "Doublon", 9 "Doublon", 5 "Négociations"`}},
		{name: "an unknown id", values: []string{"99"}, wantErr: []string{`pipelines[0].pipeline: "99" is neither the id nor the name of a sellsy pipeline; its pipelines: 1 "Ventes"`}},
		{name: "one pipeline by id and by name", values: []string{"1", "Ventes"},
			wantErr: []string{`pipelines[1].pipeline: "Ventes" is pipeline 1, which pipelines[0] configures already: one configuration per pipeline`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []Pipeline
			for _, v := range tt.values {
				in = append(in, Pipeline{Object: "opportunity", Pipeline: v, Events: map[string]string{"11": "QUALIF"}})
			}
			got, errs := ResolvePipelines(in, "sellsy", listed)
			if wantRefErrors(t, errs, tt.wantErr) {
				return
			}
			require.Empty(t, errs)
			require.Len(t, got, len(tt.ids))
			for i, id := range tt.ids {
				assert.Equal(t, id, got[i].Pipeline)
				if tt.named != nil {
					assert.Equal(t, tt.named[i], got[i].Named())
				}
			}
			assert.Equal(t, tt.values[0], in[0].Pipeline, "the configuration read from the file is left as it is")
		})
	}
}

// Each key of a pipeline's events names a step of that pipeline by id or by name, an id
// winning; a name two steps share, one no step has, or a step bound twice is refused, naming
// the field as written.
func TestResolveEvents(t *testing.T) {
	ventes := []connectors.Stage{{ID: "11", Name: "Découverte"}, {ID: "14", Name: "Proposition"}, {ID: "12", Name: "Négociation"}, {ID: "13", Name: "Signature"}}
	tests := []struct {
		name      string
		stages    []connectors.Stage
		events    map[string]string
		statusMap bool
		want      map[string]string
		wantErr   []string
	}{
		{name: "ids", stages: ventes, events: map[string]string{"11": "QUALIF", "13": "GAGNEE"}, want: map[string]string{"11": "QUALIF", "13": "GAGNEE"}},
		{name: "names", stages: ventes, events: map[string]string{"Découverte": "QUALIF", "Signature": "GAGNEE"}, want: map[string]string{"11": "QUALIF", "13": "GAGNEE"}},
		{name: "ids and names", stages: ventes, events: map[string]string{"11": "QUALIF", "Négociation": "NEGOCIATION"}, want: map[string]string{"11": "QUALIF", "12": "NEGOCIATION"}},
		{name: "a name with decomposed accents", stages: ventes, events: map[string]string{"De\u0301couverte": "QUALIF"}, want: map[string]string{"11": "QUALIF"}},
		{name: "an id wins over another step's name", stages: []connectors.Stage{{ID: "51", Name: "52"}, {ID: "52", Name: "Fin"}},
			events: map[string]string{"52": "GAGNEE"}, want: map[string]string{"52": "GAGNEE"}},
		{name: "a name two steps have", stages: []connectors.Stage{{ID: "41", Name: "Relance"}, {ID: "42", Name: "Relance"}}, events: map[string]string{"Relance": "QUALIF"},
			wantErr: []string{`pipelines[2].events["Relance"]: "Relance" is the name of 2 steps of pipeline "Ventes" (1), 41 and 42: write the id of the one meant`}},
		{name: "an unknown name", stages: ventes, events: map[string]string{"Decuverte": "QUALIF"},
			wantErr: []string{`pipelines[2].events["Decuverte"]: "Decuverte" is neither the id nor the name of a step of pipeline "Ventes" (1) (did you mean Découverte?); its steps: 11 "Découverte", 14 "Proposition", 12 "Négociation", 13 "Signature"`}},
		{name: "a step bound twice", stages: ventes, events: map[string]string{"11": "QUALIF", "Découverte": "PROPOSITION"},
			wantErr: []string{`pipelines[2].events["Découverte"]: "Découverte" is step 11, which events["11"] binds already: bind each step once`}},
		{name: "a status map keeps a status the shop lacks, for its own check to name", stages: []connectors.Stage{{ID: "Új", Name: "Új"}}, statusMap: true,
			events: map[string]string{"Új": "Új", "Törölt": "Lemondva"}, want: map[string]string{"Új": "Új", "Törölt": "Lemondva"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Pipeline{Object: "opportunity", Pipeline: "1", pipelineAs: "Ventes", Events: tt.events} // resolved from "Ventes"
			if tt.statusMap {
				p.StatusMap = "{…}"
			}
			got, errs := p.ResolveEvents(2, tt.stages)
			if wantRefErrors(t, errs, tt.wantErr) {
				return
			}
			require.Empty(t, errs)
			assert.Equal(t, tt.want, got.Events)
			assert.Equal(t, tt.events, p.Events, "the configuration read from the file is left as it is")
		})
	}
}

// A pipeline resolved from names shows the steps as the file wrote them, so that the checks of
// its bindings name what the user wrote.
func TestWrittenSteps(t *testing.T) {
	ventes := []connectors.Stage{{ID: "11", Name: "Découverte"}, {ID: "14", Name: "Proposition"}, {ID: "12", Name: "Négociation"}, {ID: "13", Name: "Signature"}}
	p, errs := Pipeline{Pipeline: "1", Events: map[string]string{"Découverte": "QUALIF", "13": "GAGNEE"}}.ResolveEvents(0, ventes)
	require.Empty(t, errs)
	steps, bindings := p.WrittenSteps([]string{"11", "14", "12", "13"})
	assert.Equal(t, []string{"Découverte", "14", "12", "13"}, steps)
	assert.Equal(t, map[string]string{"Découverte": "QUALIF", "13": "GAGNEE"}, bindings)
	assert.Equal(t, `"Découverte" (11)`, p.StepNamed("11"))
	assert.Equal(t, "13", p.StepNamed("13"))
}

// wantRefErrors asserts that errs are the problems wantErr names, one each and in order, and
// reports whether any is wanted; none wanted, errs is not checked.
func wantRefErrors(t *testing.T, errs []error, wantErr []string) bool {
	t.Helper()
	if len(wantErr) == 0 {
		return false
	}
	require.Len(t, errs, len(wantErr))
	for i, want := range wantErr {
		assert.Contains(t, errs[i].Error(), want)
	}
	return true
}
