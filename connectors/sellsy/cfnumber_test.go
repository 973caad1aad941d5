package sellsy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A numeric custom field given "NaN" or "Inf" as text (a text field on the other side) is
// refused naming why, as an opportunity's amount is, not sent: read back it is no number
// (decimal), so the value would differ from its source and be written again at every pass.
func TestNumericCustomFieldNotFinite(t *testing.T) {
	tests := []struct {
		typ, in string
		want    any
		why     string
	}{
		{"numeric", "12.5", "12.5", ""},
		{"numeric", "NaN", nil, "not a number"},
		{"numeric", "Inf", nil, "not a number"},
		{"amount", "-infinity", nil, "not a number"},
		{"numeric-with-unit", "nan", nil, "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.in, func(t *testing.T) {
			d := &cfDef{ID: 1, Code: "n", Type: tt.typ, Currency: "EUR", Unit: "6"}
			got, why := d.toAPI(tt.in)
			assert.Equal(t, tt.why, why)
			if tt.why != "" {
				assert.Nil(t, got)
			} else {
				assert.NotNil(t, got)
			}
		})
	}
}
