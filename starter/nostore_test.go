package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/store"
)

// The workers' store not found where the command looks (run away from the worker's directory,
// with the default ./data) says which settings point the command at it.
func TestNoStoreNamesTheSettings(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CRMSYNC_CONNECTIONS", exampleFile)
	t.Setenv("CRMSYNC_DATA_DIR", dir)
	err := run(context.Background(), []string{"quarantine", "sellsy-mautic"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.ErrorIs(t, err, store.ErrNoStore)
	assert.Contains(t, err.Error(), "store: no store yet at "+filepath.Join(dir, "crmsync.db"))
	assert.Contains(t, err.Error(), "the workers' store: run this where the worker runs, or give it the worker's CRMSYNC_DATA_DIR or CRMSYNC_STORE_DSN")
}
