package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/connectors"
)

// A number field reads a string as connectors.ParseNumber does (no NaN, no Inf, "1e3" is
// 1000), after the French forms are made plain: spaces around, thousands apart by a space, a
// no-break or a narrow no-break space, and a lone comma as the decimal mark. A comma beside a
// dot is ambiguous ("1,234.5" or "1.234,5") and no number.
func TestAsNumberStrings(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		ok      bool
		plainOK bool // connectors.ParseNumber alone reads it too
	}{
		{"12", 12, true, true},
		{"12.50", 12.5, true, true},
		{"-3.5", -3.5, true, true},
		{"1e3", 1000, true, true},
		{"+7", 7, true, true},
		{" 12 ", 12, true, false},
		{"1,5", 1.5, true, false},
		{"1 234,5", 1234.5, true, false},
		{"1\u00a0200", 1200, true, false},
		{"1\u202f200,75", 1200.75, true, false},
		{"1 234 567", 1234567, true, false},
		{"1,234.5", 0, false, false},
		{"1.234,5", 0, false, false},
		{"1,2,3", 0, false, false},
		{"", 0, false, false},
		{"twelve", 0, false, false},
		{"NaN", 0, false, false},
		{"-Inf", 0, false, false},
		{"infinity", 0, false, false},
		{"1e400", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := asNumber(tt.in)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.want, got)
			}
			plain, err := connectors.ParseNumber(tt.in)
			assert.Equal(t, tt.plainOK, err == nil, "connectors.ParseNumber(%q)", tt.in)
			if tt.plainOK {
				assert.Equal(t, tt.want, plain)
			}
		})
	}
}
