package connectors

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLocalSince(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	const layout = "2006-01-02 15:04:05"
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"winter", time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC), "2026-01-15 10:00:00"},
		{"summer", time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC), "2026-07-15 11:00:00"},
		{"spring forward", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), "2026-03-29 03:30:00"},
		// Clocks go back at 01:00 UTC on 25 October 2026 (03:00 CEST → 02:00 CET).
		{"an hour before the change", time.Date(2026, 10, 24, 23, 59, 0, 0, time.UTC), "2026-10-25 01:59:00"},
		{"in the hour before the change", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "2026-10-25 01:30:00"},
		{"in the repeated hour", time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC), "2026-10-25 02:10:00"},
		{"after it", time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC), "2026-10-25 03:00:00"},
		{"sub-second", time.Date(2026, 1, 15, 9, 0, 0, 900, time.UTC), "2026-01-15 10:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, LocalSince(tt.in, paris, layout)) })
	}
	// Whatever t is, every change made at or after it has a wall time at or after the filter.
	for start := time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC); start.Before(time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC)); start = start.Add(7 * time.Minute) {
		f := LocalSince(start, paris, layout)
		for d := time.Duration(0); d < 3*time.Hour; d += 5 * time.Minute {
			assert.GreaterOrEqual(t, start.Add(d).In(paris).Format(layout), f, "since %s, change at %s", start, start.Add(d))
		}
	}
}
