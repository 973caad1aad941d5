package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The command reads the worker's TLS settings: one it cannot use stops it, naming the
// variable, before it dials.
func TestCommandsReadTheTLSSettings(t *testing.T) {
	useFake(t, &fakeTemporal{})
	t.Setenv("CRMSYNC_TEMPORAL_TLS_CERT", "/etc/crmsync/client.pem")
	err := run(context.Background(), []string{"pause", "c"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CRMSYNC_TEMPORAL_TLS_KEY: missing")
}
