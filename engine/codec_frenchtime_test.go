package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
)

// A time typed in an Automation text field the French way ("9h30", "14h", "14 h 05") — the
// way Sellsy's and Webmecanik's users write it — reaches Sellsy's time field as HH:MM instead
// of quarantining the contact; and compared as Sellsy would hold it, it is no change to
// carry back. What is no time of day stays refused.
func TestFrenchTimeToSellsyTime(t *testing.T) {
	c := NewCodec(FieldSpec{System: "sellsy", Name: "cf.rdv", Type: "time"}, FieldSpec{System: "mautic", Name: "rdv", Type: "text"}, nil)
	tests := []struct {
		in, want string
		err      bool
	}{
		{in: "9h30", want: "09:30"},
		{in: "09h30", want: "09:30"},
		{in: "14h", want: "14:00"},
		{in: "14 h 05", want: "14:05"},
		{in: "14H05", want: "14:05"},
		{in: "9:05", want: "09:05"},
		{in: "24h00", err: true},
		{in: "9h75", err: true},
		{in: "h30", err: true},
		{in: "demain", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := c.BToA(tt.in)
			if tt.err {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "not a time")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want, c.MergeB(tt.in, config.Both), "compared as Sellsy holds it")
		})
	}
}
