package weavy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cursor that parses is written back to the same meaning: cursors live in workflow history
// and come back after a restart.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add("1:200:100:" + cursor{anchors: []string{"C0042@2026-11-25T10:00:00Z"}}.String()[len("0:0:0:"):])
	f.Add("0:10:10::20260301101959")
	f.Add("0:0:0")
	f.Add("2:0:0")
	f.Add("0:-1:0")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := parseCursor(s, 2)
		if err != nil {
			return
		}
		again, err := parseCursor(k.String(), 2)
		require.NoError(t, err, "%q written as %q", s, k.String())
		assert.Equal(t, k, again, "%q written as %q", s, k.String())
	})
}
