package unas

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cursor that parses is written back to the same text's meaning: cursors live in workflow
// history and come back after a restart, so what is read is exactly what was written.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add("1764000000:1764000000:1764003600:1763990000:" + cursor{anchors: []string{"1001-20261125", "1002-20261125"}}.String()[len("0:0:0:0:"):])
	f.Add("1764000000:1764000000:1764003600")
	f.Add("1:2:3:MTAwMQ")
	f.Add("-1:0:0")
	f.Fuzz(func(t *testing.T, s string) {
		k, ok := parseCursor(s)
		if !ok {
			return
		}
		again, ok := parseCursor(k.String())
		require.True(t, ok, "%q written as %q", s, k.String())
		assert.Equal(t, k, again, "%q written as %q", s, k.String())
	})
}

// A message that reads as a ban gives the banned function and a time in the shop's zone;
// anything else is no ban. Never a panic.
func FuzzParseBan(f *testing.F) {
	f.Add("Too much getOrder query, IP is banned till 11.25.2026 14:05:00!")
	f.Add("Too much getOrder query, IP is banned till 11.25.2026 14:05:00")
	f.Add("Too much getOrder query, IP is banned till 13.45.2026 14:05:00")
	loc, err := time.LoadLocation("Europe/Budapest")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, msg string) {
		fn, until, ok := ParseBan(msg, loc)
		if !ok {
			assert.Empty(t, fn)
			assert.True(t, until.IsZero())
			return
		}
		assert.NotEmpty(t, fn, "%q", msg)
		assert.Equal(t, loc, until.Location())
		assert.Contains(t, msg, until.Format(banLayout), "the time read is the one written")
	})
}
