package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCompactAttention(t *testing.T) {
	tests := []struct {
		name  string
		notes []string
		want  []string
	}{
		{"nothing", []string{}, []string{}},
		{"one pause", []string{"paused: lunch"}, []string{"paused: lunch"}},
		{"sync and pipelines paused alike", []string{"pipelines paused: lunch", "paused: lunch"}, []string{"paused: lunch (sync and pipelines)"}},
		{"paused for different reasons", []string{"pipelines paused: event type GAGNEE deleted", "paused: lunch"},
			[]string{"pipelines paused: event type GAGNEE deleted", "paused: lunch"}},
		{"pipelines alone", []string{"pipelines paused: lunch"}, []string{"pipelines paused: lunch"}},
		{"the same retry twice", []string{"retrying DescribeConnection (Retryable) until 10:00:00", "retrying DescribeConnection (Retryable) until 10:00:00", "paused: lunch"},
			[]string{"retrying DescribeConnection (Retryable) until 10:00:00", "paused: lunch"}},
		{"no worker, and a pause both ways", []string{"no worker answered", "pipelines paused: x", "no worker answered", "paused: x"},
			[]string{"no worker answered", "paused: x (sync and pipelines)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, compactAttention(tt.notes))
		})
	}
}
