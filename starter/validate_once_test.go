package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validate --live runs several checks on a side (rights, schedule, settings); a refused login
// fails each of them alike, and the mistake is said once.
func TestValidateLiveSaysARefusedLoginOnce(t *testing.T) {
	sb, data := unasMiniCRMExample(t)
	t.Setenv("UNAS_API_KEY", "not-the-key")
	path := filepath.Join(t.TempDir(), "unas-minicrm.yaml")
	require.NoError(t, os.WriteFile(path, []byte(unasMiniCRMURLs(sb, data)), 0o600))
	err := run(context.Background(), []string{"validate", "--live", path}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unas: login refused")
	assert.Equal(t, 1, strings.Count(err.Error(), "login refused"), err.Error())
}
