package connectors

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestText(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{38476512.0, "38476512"},
		{1234567.0, "1234567"},
		{12.5, "12.5"},
		{float32(2.5), "2.5"},
		{"007", "007"},
		{json.Number("00123"), "00123"},
		{true, "true"},
		{int64(9007199254740993), "9007199254740993"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Text(tt.in), "%#v", tt.in)
	}
}

func TestJSONKind(t *testing.T) {
	for in, want := range map[string]string{
		"":        "none",
		" \n":     "none",
		`{"a":1}`: "an object",
		" [1]":    "an array",
		`"x"`:     "a string",
		"true":    "true or false",
		"false":   "true or false",
		"null":    "null",
		"-1.5":    "a number",
		"12":      "a number",
	} {
		if got := JSONKind([]byte(in), "none"); got != want {
			t.Errorf("JSONKind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsEmptyJSONArray(t *testing.T) {
	for in, want := range map[string]bool{
		"[]":      true,
		" [ \n ]": true,
		"[0]":     false,
		"[":       false,
		"{}":      false,
		"":        false,
		"null":    false,
	} {
		assert.Equal(t, want, IsEmptyJSONArray([]byte(in)), "%q", in)
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{"12", 12, false},
		{"-3.5", -3.5, false},
		{"1e3", 1000, false},
		{"NaN", 0, true},
		{"nan", 0, true},
		{"Inf", 0, true},
		{"-infinity", 0, true},
		{"1e400", 0, true}, // out of range
		{"twelve", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseNumber(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
