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
