package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// CRMSYNC_CONNECTIONS separates its files and folders with commas: a list written as a PATH
// (colons) or with semicolons names no file, and the refusal says what the separator is,
// instead of only that no such file exists.
func TestFilesNamesTheSeparator(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	for _, f := range []string{a, b} {
		require.NoError(t, os.WriteFile(f, []byte("name: x\n"), 0o600))
	}
	for _, list := range []string{a + ":" + b, a + ";" + b} {
		_, err := Files(list)
		require.Error(t, err, list)
		assert.Equal(t, list+": no such file or folder (files and folders are separated by commas: "+a+","+b+")", err.Error())
	}
	files, err := Files(a + "," + b)
	require.NoError(t, err)
	assert.Equal(t, []string{a, b}, files)

	// A missing name without a separator in it keeps the plain message.
	_, err = Files(filepath.Join(dir, "c.yaml"))
	require.Error(t, err)
	assert.Equal(t, filepath.Join(dir, "c.yaml")+": no such file or folder", err.Error())
}
