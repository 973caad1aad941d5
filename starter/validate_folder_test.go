package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validate takes a folder as CRMSYNC_CONNECTIONS does: its *.yaml and *.yml files.
func TestValidateAFolder(t *testing.T) {
	good, err := os.ReadFile("../config/examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sellsy-mautic.yaml"), good, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a connection"), 0o600))

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"validate", dir}, &out))
	assert.Contains(t, out.String(), filepath.Join(dir, "sellsy-mautic.yaml")+`: connection "sellsy-mautic" is valid`)

	empty := t.TempDir()
	err = run(context.Background(), []string{"validate", empty}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "validate: no connection file (*.yaml, *.yml) in "+empty)
}
