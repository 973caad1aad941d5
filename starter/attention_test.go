package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// ATTENTION says each thing once: a pause of the sync and of the pipeline sync for the same
// reason is one note, and a note two workflows share (the same retry) appears once.
func TestAttentionNotes(t *testing.T) {
	const retry = "retrying DescribeConnection (Retryable) until 10:00:00"
	tests := []struct {
		name                    string
		before                  []string // notes of the workflows' retries and answers
		paused, pipelinesPaused string
		want                    []string
	}{
		{"nothing", nil, "", "", nil},
		{"one pause", nil, "lunch", "", []string{"paused: lunch"}},
		{"sync and pipelines paused alike", nil, "lunch", "lunch", []string{"paused: lunch (sync and pipelines)"}},
		{"paused for different reasons", nil, "lunch", "event type GAGNEE deleted",
			[]string{"pipelines paused: event type GAGNEE deleted", "paused: lunch"}},
		{"pipelines alone", nil, "", "lunch", []string{"pipelines paused: lunch"}},
		{"the same retry twice", []string{retry, retry}, "lunch", "", []string{retry, "paused: lunch"}},
		{"no worker twice, and a pause both ways", []string{"no worker answered", "no worker answered"}, "x", "x",
			[]string{"no worker answered", "paused: x (sync and pipelines)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var notes []string
			for _, n := range tt.before {
				notes = addNote(notes, n)
			}
			for _, n := range pauseNotes(tt.paused, tt.pipelinesPaused) {
				notes = addNote(notes, n)
			}
			assert.Equal(t, tt.want, notes)
		})
	}
}
