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

// An events key that names no step of the pipeline is reported once, at its field, with the
// steps the pipeline has: the bindings check, which would say it again without the field, is
// left out for it, and for it only.
func TestValidateLiveUnknownStepOnce(t *testing.T) {
	sb := sellsyAltiorSandbox(t, nil)
	file := pipelineFile(sb, "1", `{"11": QUALIF, "99": SIGNEE, "13": GAGNEE}`)
	path := filepath.Join(t.TempDir(), "pl.yaml")
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
	err := run(context.Background(), []string{"validate", "--live", path}, &bytes.Buffer{})
	require.Error(t, err)
	msg := err.Error()
	assert.Equal(t, 1, strings.Count(msg, `"99"`+` is neither the id nor the name of a step of pipeline 1`), msg)
	assert.Contains(t, msg, `event "SIGNEE", which does not exist`, "the key's event is still checked")
	assert.NotContains(t, msg, `step "99" is not a step of the pipeline`, msg)
}
