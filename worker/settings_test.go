package main

import (
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every setting the worker reads is documented in the README's table of settings.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	settings := reflect.TypeFor[Settings]()
	require.Positive(t, settings.NumField())
	for i := range settings.NumField() {
		name := settings.Field(i).Tag.Get("envconfig")
		require.True(t, strings.HasPrefix(name, "CRMSYNC_"), "Settings.%s reads %s", settings.Field(i).Name, name)
		assert.Contains(t, string(readme), "| `"+name+"` |", "%s (Settings.%s)", name, settings.Field(i).Name)
	}
}

// The settings come from the CRMSYNC_* variables only: an unprefixed NAMESPACE or
// CONNECTIONS left in the environment (envconfig's fallback) changes nothing.
func TestSettingsReadOnlyCRMSYNCVariables(t *testing.T) {
	unprefixed := map[string]string{"TEMPORAL_ADDRESS": "stray:7233", "NAMESPACE": "stray", "TASK_QUEUE": "stray",
		"CONNECTIONS": "/stray", "DATA_DIR": "/stray", "STORE_DSN": "sqlite:/stray.db", "MAX_CONCURRENT_ACTIVITIES": "99",
		"STOP_TIMEOUT": "99s", "SELLSY_CONNECTION": "stray", "WEBHOOK_ADDR": ":1", "DEBUG_ADDR": ":2", "METRICS_ADDR": ":3"}
	defaults := Settings{TemporalAddress: "localhost:7233", Namespace: "default", TaskQueue: "crmsync",
		Connections: "./connections", DataDir: "./data", MaxConcurrentActivities: 8, StopTimeout: 20 * time.Second}
	tests := []struct {
		name string
		env  map[string]string
		want Settings
	}{
		{"unprefixed variables are ignored", unprefixed, defaults},
		{"CRMSYNC_ variables are read", map[string]string{"CRMSYNC_NAMESPACE": "prod", "CRMSYNC_CONNECTIONS": "/etc/crmsync", "CRMSYNC_WEBHOOK_ADDR": ":8090", "NAMESPACE": "stray"},
			func() Settings {
				s := defaults
				s.Namespace, s.Connections, s.WebhookAddr = "prod", "/etc/crmsync", ":8090"
				return s
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range reflect.VisibleFields(reflect.TypeFor[Settings]()) {
				name := f.Tag.Get("envconfig")
				t.Setenv(name, "")
				os.Unsetenv(name)
				t.Setenv(strings.TrimPrefix(name, "CRMSYNC_"), "")
				os.Unsetenv(strings.TrimPrefix(name, "CRMSYNC_"))
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

// -h prints the usage with every variable and ends the process with 0; an unknown argument
// is refused instead of starting the worker with the defaults.
func TestWorkerArguments(t *testing.T) {
	t.Setenv("CRMSYNC_WEBHOOK_ADDR", "")
	tests := []struct {
		args   []string
		code   int
		done   bool
		stdout []string
		stderr string
	}{
		{nil, 0, false, nil, ""},
		{[]string{"-h"}, 0, true, []string{"usage: crmsync-worker", "CRMSYNC_CONNECTIONS", "(./connections)", "CRMSYNC_METRICS_ADDR"}, ""},
		{[]string{"--help"}, 0, true, []string{"CRMSYNC_TEMPORAL_ADDRESS", "(localhost:7233)"}, ""},
		{[]string{"help"}, 0, true, []string{"CRMSYNC_TASK_QUEUE"}, ""},
		{[]string{"--namespace", "x"}, 2, true, nil, `unknown argument "--namespace"`},
		{[]string{"healthcheck"}, 1, true, nil, "CRMSYNC_WEBHOOK_ADDR is not set"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr strings.Builder
			code, done := command(t.Context(), tt.args, &stdout, &stderr)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.done, done)
			for _, want := range tt.stdout {
				assert.Contains(t, stdout.String(), want)
			}
			assert.Contains(t, stderr.String(), tt.stderr)
		})
	}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Settings]()) {
		var out strings.Builder
		require.NoError(t, usage(&out))
		assert.Contains(t, out.String(), f.Tag.Get("envconfig"))
	}
}

// A connection file that cannot be loaded is reported with the variable that named it.
func TestWorkerLoadErrorNamesCRMSYNCConnections(t *testing.T) {
	tests := []struct {
		connections string
		want        string
	}{
		// os's words ("stat ./nowhere: …") or config's own ("./nowhere: no such file or folder").
		{"./nowhere", `connection files \(CRMSYNC_CONNECTIONS=\./nowhere\): (stat )?\./nowhere: no such file`},
		{t.TempDir(), "connection files: none found in"},
	}
	for _, tt := range tests {
		t.Run(tt.connections, func(t *testing.T) {
			t.Setenv("CRMSYNC_CONNECTIONS", tt.connections)
			err := run(t.Context(), slog.New(slog.DiscardHandler))
			require.Error(t, err)
			assert.Regexp(t, tt.want, err.Error())
			assert.Contains(t, err.Error(), "CRMSYNC_CONNECTIONS")
		})
	}
}
