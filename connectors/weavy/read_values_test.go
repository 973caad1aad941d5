package weavy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Values are normalised by their dictionary type; a date-time keeps its instant, in UTC.
func TestNormaliseByType(t *testing.T) {
	tests := []struct {
		typ  string
		in   any
		want any
	}{
		{"datetime", "2024-03-01 11:00:00", "2024-03-01 11:00:00"},
		{"datetime", "2024-03-01T11:00:00", "2024-03-01 11:00:00"},
		{"datetime", "2024-03-01T11:00:00+01:00", "2024-03-01 10:00:00"},
		{"datetime", "2024-03-01T11:00:00Z", "2024-03-01 11:00:00"},
		{"datetime", "not a date", "not a date"},
		{"decimal", " 12.5 ", 12.5},
		{"decimal", "NaN", "NaN"}, // text: a NaN would be written again at every pass
		{"decimal", "Inf", "Inf"},
		{"boolean", "1", true},
		{"text", json.Number("007"), "007"},
		{"text", []any{"a", 38476512.0}, []string{"a", "38476512"}},
		{"text", "  ", nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, normalise(tt.typ, tt.in), "%s %#v", tt.typ, tt.in)
	}
}
