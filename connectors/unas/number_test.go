package unas

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// An order total UNAS writes as "NaN" or "Inf" is no number: it is read as none rather than
// as a float JSON cannot carry to MiniCRM or into a quarantine entry.
func TestNumNotFinite(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{" 12500.5 ", 12500.5},
		{"NaN", nil},
		{"inf", nil},
		{"", nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, num(tt.in), "%q", tt.in)
	}
}

// A total written the Hungarian way — a decimal comma, the thousands grouped by spaces (a
// no-break space, as a formatter writes them) or dots — is read as the number it is, not
// dropped: the card's total would be empty without a word. A text that is no number at all
// is still none.
func TestNumDecimalCommaAndGroups(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"12700.50", 12700.5},
		{"12700,50", 12700.5},
		{"97,10", 97.1},
		{"12 700", 12700.0},
		{"12\u00a0700,50", 12700.5},
		{"1\u202f234\u202f567,8", 1234567.8},
		{"1.234.567,89", 1234567.89},
		{"-1 490,00", -1490.0},
		{"1,2,3", nil},
		{"12,700.50", nil}, // two separators of the other convention: not guessed
		{"12 70", nil},     // not groups of three
		{"abc", nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, num(tt.in), "%q", tt.in)
	}
}
