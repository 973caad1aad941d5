package utf8text

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestValid(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"UTF-8 kept", "Kovács és Társa", "Kovács és Társa"},
		{"Latin-2 bytes replaced", "Kov\xe1cs \xe9s", "Kov\uFFFDcs \uFFFDs"},
		{"a cut character replaced", "abc\xc3", "abc\uFFFD"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Valid(tt.in))
		})
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"shorter", "abc", 5, "abc"},
		{"at a boundary", "abcdef", 3, "abc"},
		{"inside a two-byte letter", "ab" + "é" + "c", 3, "ab"},
		{"inside a four-byte character", "a🙂", 3, "a"},
		{"zero", "é", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Cut(tt.in, tt.n)
			assert.Equal(t, tt.want, got)
			assert.True(t, utf8.ValidString(got))
			assert.LessOrEqual(t, len(got), max(tt.n, 0))
			assert.True(t, strings.HasPrefix(tt.in, got))
		})
	}
}
