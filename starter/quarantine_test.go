package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/store"
)

// quarantine shows the newest entries up to --limit and says how many there are in all;
// a limit that is not positive is refused.
func TestQuarantineListsTheNewestAndCountsTheRest(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "crmsync.db")
	st, err := store.Open(ctx, dsn)
	require.NoError(t, err)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		require.NoError(t, st.Quarantine(ctx, store.QuarantineEntry{Connection: "cli", Object: "contact", Side: store.SideB,
			RecordID: fmt.Sprint(i + 1), Reason: "has no email", At: at.Add(time.Duration(i) * time.Minute)}))
	}
	require.NoError(t, st.Close())
	t.Setenv("CRMSYNC_STORE_DSN", dsn)
	t.Setenv("CRMSYNC_CONNECTIONS", "./nowhere")

	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
		wantErr string
	}{
		{"fewer than the limit", []string{"quarantine", "cli"}, []string{"record 1:", "record 5:"}, []string{"newest"}, ""},
		{"as many as the limit", []string{"quarantine", "cli", "--limit", "5"}, []string{"record 1:"}, []string{"newest"}, ""},
		{"more than the limit", []string{"quarantine", "cli", "--limit", "2"}, []string{"record 5:", "record 4:",
			"the newest 2 of 5 shown: `crmsync quarantine cli --limit 5` shows them all"}, []string{"record 3:"}, ""},
		{"zero", []string{"quarantine", "cli", "--limit", "0"}, nil, nil, "--limit 0: give a positive number"},
		{"negative", []string{"quarantine", "cli", "--limit", "-3"}, nil, nil, "--limit -3: give a positive number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(ctx, tt.args, &out)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			for _, w := range tt.want {
				assert.Contains(t, out.String(), w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, out.String(), w)
			}
		})
	}
}
