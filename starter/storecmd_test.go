package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/store"
)

// crmsync store copy moves the workers' SQLite store into an empty PostgreSQL database (the
// step to several workers): the id map and its snapshots, cursors and quarantine arrive, so
// the workers started on it go on where the one worker stopped. Mistakes are named before
// anything is written.
func TestStoreCopyCommand(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	src := "sqlite:" + filepath.Join(dataDir, "crmsync.db")
	t.Setenv("CRMSYNC_STORE_DSN", src) // the workers' store, --from's default
	pg := testenv.PostgresDSN(t)

	tests := []struct {
		name    string
		args    []string
		worker  bool // a worker holds the SQLite store (the first cases only: then it stops)
		wantErr string
		wantOut string
	}{
		{name: "the worker still runs", args: []string{"copy", "--to", pg}, worker: true, wantErr: "a worker uses this SQLite store"},
		{name: "no --to", args: []string{"copy"}, wantErr: "--to is missing"},
		{name: "an argument instead of --to", args: []string{"copy", pg}, wantErr: "unexpected arguments"},
		{name: "another subcommand", args: []string{"move", "--to", pg}, wantErr: `unknown subcommand "move"`},
		{name: "onto itself", args: []string{"copy", "--to", src}, wantErr: "name one store"},
		{name: "copied", args: []string{"copy", "--to", pg}, wantOut: "copied 2 pairs, 1 cursors, 1 quarantine, 0 quota uses, 0 link waits, 0 record notes from " + filepath.Join(dataDir, "crmsync.db") + " to postgres://postgres@127.0.0.1:5432/"},
		{name: "again: the destination holds the copy", args: []string{"copy", "--to", pg}, wantErr: "it holds 2 pairs, 1 cursors, 1 quarantine"},
	}
	worker, err := store.Open(ctx, src)
	require.NoError(t, err)
	require.NoError(t, worker.SavePairs(ctx, "shop", "contact", []store.Pair{
		{AID: "1", BID: "101", Snapshot: map[string]any{"email": "ana@acme.test"}, SyncedAt: time.Now()},
		{AID: "2", BID: "102", Snapshot: map[string]any{"email": "bo@acme.test"}, SyncedAt: time.Now()}}))
	require.NoError(t, worker.SetCursor(ctx, "shop", "contact", store.SideA, "2026-12-08T10:00:00Z"))
	require.NoError(t, worker.Quarantine(ctx, store.QuarantineEntry{Connection: "shop", Object: "contact", Side: store.SideB, RecordID: "9", Reason: "email: empty", Record: []byte(`{}`), At: time.Now()}))
	stopped := false
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.worker && !stopped {
				require.NoError(t, worker.Close())
				stopped = true
			}
			var out bytes.Buffer
			err := run(ctx, append([]string{"store"}, tt.args...), &out)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, out.String(), tt.wantOut)
		})
	}
	if !stopped {
		require.NoError(t, worker.Close())
	}

	dst, err := store.Open(ctx, pg)
	require.NoError(t, err)
	defer dst.Close()
	pairs, err := dst.Pairs(ctx, "shop", "contact", store.SideA, []string{"1", "2"})
	require.NoError(t, err)
	assert.Equal(t, "bo@acme.test", pairs["2"].Snapshot["email"])
	cursor, _, err := dst.Cursor(ctx, "shop", "contact", store.SideA)
	require.NoError(t, err)
	assert.Equal(t, "2026-12-08T10:00:00Z", cursor)
	n, err := dst.CountQuarantine(ctx, "shop")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}
