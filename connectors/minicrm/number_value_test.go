package minicrm

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A number field read as text "NaN" or "Inf" stays text: as a float it could be neither
// written to the other side nor kept in a quarantine entry (JSON has no NaN), and NaN, unequal
// to itself, would be written again at every pass.
func TestNumberValueThatIsNotFinite(t *testing.T) {
	tests := []struct {
		in   any
		want any
	}{
		{"12.5", 12.5},
		{"NaN", "NaN"},
		{"-Inf", "-Inf"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, value(tt.in, "Float"), "%#v", tt.in)
	}
}
