package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/store"
)

// The quarantine entries of an object removed from the connection file stayed for ever: a
// retry leaves them for the user to see, and nothing dropped them. The listing names such
// objects and how to drop their entries; --forget OBJECT drops them, saying how many, and
// refuses an object the connection still has (its entries are for --retry), an object with no
// entry (a misspelling), and, with no connection file to check the object against, any.
func TestQuarantineForgetsAnObjectNoLongerInTheConnection(t *testing.T) {
	dir := t.TempDir()
	example, err := os.ReadFile(exampleFile)
	require.NoError(t, err)
	file := filepath.Join(dir, "cli.yaml")
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(example), "name: sellsy-mautic", "name: cli", 1)), 0o600))
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	entries := []store.QuarantineEntry{
		{Connection: "cli", Object: "contact", Side: store.SideB, RecordID: "1", Reason: "has no email", At: at},
		{Connection: "cli", Object: "deal", Side: store.SideA, RecordID: "7", Reason: "no stage", At: at},
		{Connection: "cli", Object: "deal", Side: store.SideB, RecordID: "8", Reason: "no stage", At: at},
	}
	tests := []struct {
		name        string
		args        []string
		connections string // CRMSYNC_CONNECTIONS; "": dir
		want        []string
		notWant     []string
		wantErr     []string
		wantLeft    map[string]int
	}{
		{name: "the listing says how", args: []string{"quarantine", "cli"},
			want: []string{"record 7: no stage",
				"2 entries of object deal, which connection cli (" + file + ") no longer has: nothing retries them; `crmsync quarantine cli --forget deal` drops them"},
			wantLeft: map[string]int{"contact": 1, "deal": 2}},
		{name: "forget", args: []string{"quarantine", "cli", "--forget", "deal"},
			want:     []string{"dropped 2 entries of object deal from connection cli's quarantine", "contact side b record 1: has no email"},
			notWant:  []string{"record 7", "--forget deal"},
			wantLeft: map[string]int{"contact": 1}},
		{name: "an object still in the connection", args: []string{"quarantine", "--forget", "contact", "cli"},
			wantErr:  []string{"quarantine --forget: object contact is still in connection cli (" + file + "): its entries are the sync's, for `crmsync quarantine cli --retry` once their cause is fixed; remove the object from the file first to drop them"},
			wantLeft: map[string]int{"contact": 1, "deal": 2}},
		{name: "an object with no entry", args: []string{"quarantine", "cli", "--forget", "dael"},
			wantErr:  []string{`quarantine --forget: no entry of object "dael" is in connection cli's quarantine (did you mean deal?) (objects in it: contact (1), deal (2))`},
			wantLeft: map[string]int{"contact": 1, "deal": 2}},
		{name: "no connection file", args: []string{"quarantine", "cli", "--forget", "deal"}, connections: "./nowhere",
			wantErr:  []string{"quarantine --forget: the object is checked against the connection file, to keep the entries of an object the connection still has: no connection file read here (CRMSYNC_CONNECTIONS=./nowhere"},
			wantLeft: map[string]int{"contact": 1, "deal": 2}},
		{name: "with --retry", args: []string{"quarantine", "cli", "--forget", "deal", "--retry"},
			wantErr:  []string{"quarantine: --forget and --retry go one at a time"},
			wantLeft: map[string]int{"contact": 1, "deal": 2}},
		{name: "empty", args: []string{"quarantine", "cli", "--forget", ""},
			wantErr:  []string{"quarantine: --forget is empty: name the object whose entries to drop"},
			wantLeft: map[string]int{"contact": 1, "deal": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "crmsync.db")
			st, err := store.Open(ctx, dsn)
			require.NoError(t, err)
			for _, e := range entries {
				require.NoError(t, st.Quarantine(ctx, e))
			}
			require.NoError(t, st.Close())
			t.Setenv("CRMSYNC_STORE_DSN", dsn)
			t.Setenv("CRMSYNC_CONNECTIONS", dir)
			if tt.connections != "" {
				t.Setenv("CRMSYNC_CONNECTIONS", tt.connections)
			}

			var out bytes.Buffer
			err = run(ctx, tt.args, &out)
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
			} else {
				require.NoError(t, err)
			}
			for _, w := range tt.want {
				assert.Contains(t, out.String(), w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, out.String(), w)
			}

			st, err = store.OpenExisting(ctx, dsn)
			require.NoError(t, err)
			defer st.Close()
			left, err := st.QuarantineByObject(ctx, "cli")
			require.NoError(t, err)
			assert.Equal(t, tt.wantLeft, left)
		})
	}
}
