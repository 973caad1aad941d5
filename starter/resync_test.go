package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resync --since reads records again from a date: a date to come is a mistake (a cursor only
// moves back), refused before anything is sent.
func TestResyncRefusesASinceInTheFuture(t *testing.T) {
	// Two days on: a bare date counts as today wherever it is today somewhere (up to UTC+14).
	tomorrow := time.Now().UTC().Add(48 * time.Hour)
	tests := []struct {
		since string
		want  string
	}{
		{since: tomorrow.Format("2006-01-02"), want: "resync: --since " + tomorrow.Format("2006-01-02") + " is in the future"},
		{since: tomorrow.Format(time.RFC3339), want: "is in the future"},
		{since: "2999-12-31", want: "give the date from which to read the records again, today or earlier"},
	}
	t.Setenv("CRMSYNC_CONNECTIONS", "./nowhere")
	t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", "127.0.0.1:1") // never reached
	for _, tt := range tests {
		t.Run(tt.since, func(t *testing.T) {
			err := run(context.Background(), []string{"resync", "c", "--since", tt.since}, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	// Today's date, in Paris just after midnight still tomorrow's date in UTC: not refused as
	// to come (the command goes on, and fails only to reach the server here).
	for _, day := range []string{time.Now().UTC().Format("2006-01-02"), time.Now().UTC().Add(10 * time.Hour).Format("2006-01-02")} {
		err := run(context.Background(), []string{"resync", "c", "--since", day}, &bytes.Buffer{})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "in the future", day)
	}
}
