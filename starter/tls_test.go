package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
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

// A server reached over TLS that refuses the connection (a certificate of another CA, an API
// key refused) is named with the TLS settings too, not as a server that does not answer at
// CRMSYNC_TEMPORAL_ADDRESS, which would send the user to an address that is right.
func TestDialErrorNamesTheTLSSettings(t *testing.T) {
	tests := []struct {
		name, env, want, notWant string
	}{
		{"plain gRPC", "", "temporal at 127.0.0.1:7233 (CRMSYNC_TEMPORAL_ADDRESS) does not answer: ", "CRMSYNC_TEMPORAL_TLS"},
		{"over TLS", "CRMSYNC_TEMPORAL_TLS", "temporal at 127.0.0.1:7233 (CRMSYNC_TEMPORAL_ADDRESS, over TLS: CRMSYNC_TEMPORAL_TLS_CA, _CERT, _KEY, _SERVER_NAME, CRMSYNC_TEMPORAL_API_KEY) does not answer or refuses the connection: x509: certificate signed by unknown authority", "(CRMSYNC_TEMPORAL_ADDRESS) does not answer"},
		{"with an API key", "CRMSYNC_TEMPORAL_API_KEY", "CRMSYNC_TEMPORAL_API_KEY) does not answer or refuses the connection", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useFake(t, &fakeTemporal{})
			connect = func(client.Options) (client.Client, error) {
				return nil, errors.New("x509: certificate signed by unknown authority")
			}
			t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", "127.0.0.1:7233")
			if tt.env != "" {
				t.Setenv(tt.env, map[string]string{"CRMSYNC_TEMPORAL_TLS": "true", "CRMSYNC_TEMPORAL_API_KEY": "k"}[tt.env])
			}
			err := run(context.Background(), []string{"pause", "c"}, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			if tt.notWant != "" {
				assert.NotContains(t, err.Error(), tt.notWant)
			}
		})
	}
}
