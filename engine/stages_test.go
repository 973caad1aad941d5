package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStagePlan(t *testing.T) {
	steps := []string{"lead", "qualified", "proposal", "negotiation", "won"}
	bindings := map[string]string{"qualified": "QUALIF", "proposal": "PROPOSITION", "won": "GAGNEE"}
	tests := []struct {
		name     string
		from, to string
		done     []string
		emit     []string
		backward bool
		err      string
	}{
		{name: "first step bound", from: "lead", to: "qualified", emit: []string{"QUALIF"}},
		{name: "unbound step emits nothing", from: "proposal", to: "negotiation"},
		{name: "jump emits every skipped event in order", from: "lead", to: "won", emit: []string{"QUALIF", "PROPOSITION", "GAGNEE"}},
		{name: "new record counts every step up to its own", to: "proposal", emit: []string{"QUALIF", "PROPOSITION"}},
		{name: "backwards emits nothing", from: "won", to: "qualified", backward: true},
		{name: "same step emits nothing", from: "proposal", to: "proposal"},
		{name: "already emitted events are not emitted again", from: "lead", to: "won", done: []string{"QUALIF", "PROPOSITION"}, emit: []string{"GAGNEE"}},
		{name: "forward again after a move back", from: "qualified", to: "won", done: []string{"QUALIF", "PROPOSITION", "GAGNEE"}},
		{name: "unknown target step", from: "lead", to: "lost", err: `step "lost" is not a step of the pipeline`},
		{name: "unknown last step", from: "gone", to: "won", err: `step "gone" is not a step of the pipeline`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emit, backward, err := StagePlan(steps, bindings, tt.from, tt.to, tt.done)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.emit, emit)
			assert.Equal(t, tt.backward, backward)
		})
	}
}

func TestCheckBindings(t *testing.T) {
	steps := []string{"lead", "qualified", "proposal", "won"}
	events := []string{"QUALIF", "PROPOSITION", "GAGNEE"}
	tests := []struct {
		name     string
		bindings map[string]string
		errs     []string
	}{
		{name: "valid", bindings: map[string]string{"qualified": "QUALIF", "won": "GAGNEE"}},
		{name: "first event missing", bindings: map[string]string{"won": "GAGNEE"}, errs: []string{`the first event "QUALIF" is bound to no step`}},
		{name: "out of order", bindings: map[string]string{"qualified": "QUALIF", "proposal": "GAGNEE", "won": "PROPOSITION"}, errs: []string{`step "won" is bound to event "PROPOSITION", which comes before`}},
		{name: "unknown event and step", bindings: map[string]string{"qualified": "QUALIF", "proposal": "SIGNEE", "lost": "GAGNEE"}, errs: []string{`event "SIGNEE", which does not exist`, `step "lost" is not a step of the pipeline`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := CheckBindings(steps, tt.bindings, events)
			require.Len(t, errs, len(tt.errs), "%v", errs)
			for i, want := range tt.errs {
				assert.Contains(t, errs[i].Error(), want)
			}
		})
	}
}

func TestFollowPlan(t *testing.T) {
	steps := []string{"Beérkezett", "Feldolgozás alatt", "Szállítás alatt", "Teljesítve", "Törölve"}
	bindings := map[string]string{"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed", "Törölve": "Cancelled"}
	tests := []struct {
		name         string
		from, to     string
		want         []string
		wantBackward bool
		wantErr      string
	}{
		{name: "first reading", to: "Beérkezett", want: []string{"New"}},
		{name: "a jump sets only the stage reached", from: "Beérkezett", to: "Törölve", want: []string{"Cancelled"}},
		{name: "back", from: "Teljesítve", to: "Feldolgozás alatt", want: []string{"In progress"}, wantBackward: true},
		{name: "unknown stage", from: "Beérkezett", to: "Visszaküldve", wantErr: `stage "Visszaküldve" is not a stage`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, back, err := FollowPlan(steps, bindings, tt.from, tt.to)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantBackward, back)
		})
	}
	_, _, err := FollowPlan(steps, map[string]string{"Beérkezett": "New"}, "", "Törölve")
	assert.ErrorContains(t, err, `stage "Törölve" is bound to no event`)
}
