package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CLI's settings come from the CRMSYNC_* variables only: an unprefixed NAMESPACE or
// CONNECTIONS left in the environment (envconfig's fallback) changes nothing.
func TestSettingsReadOnlyCRMSYNCVariables(t *testing.T) {
	defaults := settings{TemporalAddress: "localhost:7233", Namespace: "default", TaskQueue: "crmsync",
		Connections: "./connections", DataDir: "./data", StoreDSN: "sqlite:" + filepath.Join("data", "crmsync.db")}
	tests := []struct {
		name string
		env  map[string]string
		want settings
	}{
		{"unprefixed variables are ignored", map[string]string{"TEMPORAL_ADDRESS": "stray:7233", "NAMESPACE": "stray",
			"TASK_QUEUE": "stray", "CONNECTIONS": "/stray", "DATA_DIR": "/stray", "STORE_DSN": "sqlite:/stray.db",
			"SELLSY_CONNECTION": "stray"}, defaults},
		{"CRMSYNC_ variables are read", map[string]string{"CRMSYNC_NAMESPACE": "prod", "CRMSYNC_CONNECTIONS": "/etc/crmsync",
			"CRMSYNC_STORE_DSN": "postgres://db/crmsync", "CRMSYNC_SELLSY_CONNECTION": "acme", "NAMESPACE": "stray",
			"STORE_DSN": "sqlite:/stray.db", "SELLSY_CONNECTION": "stray"},
			settings{TemporalAddress: "localhost:7233", Namespace: "prod", TaskQueue: "crmsync", Connections: "/etc/crmsync",
				DataDir: "./data", StoreDSN: "postgres://db/crmsync", SellsyConnection: "acme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range reflect.VisibleFields(reflect.TypeFor[settings]()) {
				name := f.Tag.Get("envconfig")
				require.True(t, strings.HasPrefix(name, "CRMSYNC_"), "settings.%s reads %s", f.Name, name)
				for _, v := range []string{name, strings.TrimPrefix(name, "CRMSYNC_")} {
					t.Setenv(v, "")
					require.NoError(t, os.Unsetenv(v))
				}
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			s, err := loadSettings()
			require.NoError(t, err)
			assert.Equal(t, tt.want, s)
		})
	}
}
