package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A value map where several A values share a B value, on a field whose values travel to A
// (b_to_a, which validation lets through without values_back), takes a B value back to the
// same A value every time: the least of them, as config.Field.Reversed resolves ties. Taken
// from the map's iteration order, each codec built (each worker, each stretch) wrote Altior's
// MME to Sellsy as mrs on some records and ms on others.
func TestCodecBackIsTheSameEveryTime(t *testing.T) {
	civ := func(s string) FieldSpec { return FieldSpec{System: s, Name: "civility", Type: "select"} }
	tests := []struct {
		name   string
		values map[string]string
		in     string
		want   string
	}{
		{"two A values for one B value", map[string]string{"mr": "M", "mrs": "MME", "ms": "MME"}, "MME", "mrs"},
		{"three", map[string]string{"x3": "X", "x1": "X", "x2": "X"}, "X", "x1"},
		{"one A value", map[string]string{"mr": "M", "mrs": "MME", "ms": "MME"}, "M", "mr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 { // a fresh codec each time, as each stretch builds its own
				got, err := NewCodec(civ("sellsy"), civ("altior"), tt.values).BToA(tt.in)
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
			}
		})
	}
}
