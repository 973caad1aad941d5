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
	names := settingNames()
	require.NotEmpty(t, names)
	for field, name := range names {
		require.True(t, strings.HasPrefix(name, "CRMSYNC_"), "Settings.%s reads %s", field, name)
		assert.Contains(t, string(readme), "| `"+name+"` |", "%s (Settings.%s)", name, field)
	}
}

// settingNames are the variables Settings reads, by field, temporalconn.Settings's included
// (the embedded struct itself reads none).
func settingNames() map[string]string {
	names := map[string]string{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Settings]()) {
		if !f.Anonymous {
			names[f.Name] = f.Tag.Get("envconfig")
		}
	}
	return names
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
			clearSettings(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			s, err := loadSettings()
			require.NoError(t, err)
			assert.Equal(t, tt.want, s)
		})
	}
}

// clearSettings unsets every variable the worker reads, with and without its CRMSYNC_ prefix,
// for the test.
func clearSettings(t *testing.T) {
	t.Helper()
	for _, name := range settingNames() {
		for _, v := range []string{name, strings.TrimPrefix(name, "CRMSYNC_")} {
			t.Setenv(v, "")
			os.Unsetenv(v)
		}
	}
}

// A value the worker cannot use is refused at start with its variable, the value and the
// reason, instead of a library's words, a default silently taken (0 activities is the SDK's
// 1,000), or an address found unusable once the worker runs. Every problem is named at once,
// but envconfig stops at the first value of the wrong type.
func TestSettingsRefuseBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // nil: accepted
	}{
		{"defaults", nil, nil},
		{"a word for a number", map[string]string{"CRMSYNC_MAX_CONCURRENT_ACTIVITIES": "lots"},
			[]string{`settings: CRMSYNC_MAX_CONCURRENT_ACTIVITIES="lots": not a whole number (allowed: 1 or more, e.g. 8)`}},
		{"no activity at once", map[string]string{"CRMSYNC_MAX_CONCURRENT_ACTIVITIES": "0"},
			[]string{`CRMSYNC_MAX_CONCURRENT_ACTIVITIES="0": out of range (allowed: 1 or more, e.g. 8)`}},
		{"fewer than none", map[string]string{"CRMSYNC_MAX_CONCURRENT_ACTIVITIES": "-3"}, []string{`CRMSYNC_MAX_CONCURRENT_ACTIVITIES="-3": out of range`}},
		{"a number too large", map[string]string{"CRMSYNC_MAX_CONCURRENT_ACTIVITIES": "99999999999999999999"},
			[]string{`CRMSYNC_MAX_CONCURRENT_ACTIVITIES="99999999999999999999": out of range (allowed: 1 or more, e.g. 8)`}},
		{"one activity", map[string]string{"CRMSYNC_MAX_CONCURRENT_ACTIVITIES": "1"}, nil},
		{"a duration without its unit", map[string]string{"CRMSYNC_STOP_TIMEOUT": "20"},
			[]string{`settings: CRMSYNC_STOP_TIMEOUT="20": not a duration (write it with a unit, e.g. 20s)`}},
		{"a word for a duration", map[string]string{"CRMSYNC_STOP_TIMEOUT": "soon"}, []string{`CRMSYNC_STOP_TIMEOUT="soon": not a duration (write it with a unit, e.g. 20s)`}},
		{"a negative duration", map[string]string{"CRMSYNC_STOP_TIMEOUT": "-5s"},
			[]string{`CRMSYNC_STOP_TIMEOUT="-5s": out of range (allowed: 0s or more, e.g. 20s; 0s cancels the activities at once)`}},
		{"no time to stop", map[string]string{"CRMSYNC_STOP_TIMEOUT": "0s"}, nil},
		{"a port without its colon", map[string]string{"CRMSYNC_WEBHOOK_ADDR": "8090"},
			[]string{`CRMSYNC_WEBHOOK_ADDR="8090": not a host:port address (missing port in address), e.g. :8090`}},
		{"a port out of range", map[string]string{"CRMSYNC_WEBHOOK_ADDR": ":99999"},
			[]string{`CRMSYNC_WEBHOOK_ADDR=":99999": port 99999 is out of range (allowed: 0 to 65535; 0 lets the system choose)`}},
		{"no address", map[string]string{"CRMSYNC_METRICS_ADDR": "garbage"},
			[]string{`CRMSYNC_METRICS_ADDR="garbage": not a host:port address (missing port in address), e.g. :9090`}},
		{"a port name", map[string]string{"CRMSYNC_DEBUG_ADDR": "127.0.0.1:pprof"}, []string{`CRMSYNC_DEBUG_ADDR="127.0.0.1:pprof": port "pprof" is not a number (allowed: 0 to 65535`}},
		{"addresses", map[string]string{"CRMSYNC_WEBHOOK_ADDR": ":8090", "CRMSYNC_METRICS_ADDR": "127.0.0.1:0", "CRMSYNC_DEBUG_ADDR": "[::1]:6060"}, nil},
		{"Temporal without its port", map[string]string{"CRMSYNC_TEMPORAL_ADDRESS": "temporal.internal"},
			[]string{`CRMSYNC_TEMPORAL_ADDRESS="temporal.internal": not a host:port address (missing port in address), e.g. localhost:7233`}},
		{"Temporal on port 0", map[string]string{"CRMSYNC_TEMPORAL_ADDRESS": "temporal.internal:0"}, []string{`port 0 is out of range (allowed: 1 to 65535)`}},
		{"Temporal by a gRPC target", map[string]string{"CRMSYNC_TEMPORAL_ADDRESS": "dns:///temporal.internal:7233"}, nil},
		{"an empty namespace", map[string]string{"CRMSYNC_NAMESPACE": ""}, []string{`CRMSYNC_NAMESPACE="": empty (leave it unset for the default)`}},
		{"a task queue with a stray blank", map[string]string{"CRMSYNC_TASK_QUEUE": "crmsync "}, []string{`CRMSYNC_TASK_QUEUE="crmsync ": has spaces around it`}},
		{"an empty data folder", map[string]string{"CRMSYNC_DATA_DIR": " "}, []string{`CRMSYNC_DATA_DIR=" ": empty`}},
		{"an empty store DSN", map[string]string{"CRMSYNC_STORE_DSN": ""},
			[]string{`CRMSYNC_STORE_DSN="": empty (leave it unset for the SQLite store in CRMSYNC_DATA_DIR)`}},
		{"a blank store DSN", map[string]string{"CRMSYNC_STORE_DSN": " "}, []string{`CRMSYNC_STORE_DSN=" ": empty`}},
		{"an empty data folder beside a DSN", map[string]string{"CRMSYNC_DATA_DIR": "", "CRMSYNC_STORE_DSN": "sqlite:/tmp/x.db"}, nil},
		{"an empty Sellsy connection, as docker-compose.yml passes it", map[string]string{"CRMSYNC_SELLSY_CONNECTION": ""}, nil},
		{"a Sellsy connection with a stray blank", map[string]string{"CRMSYNC_SELLSY_CONNECTION": " shop"}, []string{`CRMSYNC_SELLSY_CONNECTION=" shop": has spaces around it`}},
		{"an empty duration", map[string]string{"CRMSYNC_STOP_TIMEOUT": ""}, []string{`CRMSYNC_STOP_TIMEOUT="": not a duration (write it with a unit, e.g. 20s)`}},
		{"an empty number", map[string]string{"CRMSYNC_MAX_CONCURRENT_ACTIVITIES": ""}, []string{`CRMSYNC_MAX_CONCURRENT_ACTIVITIES="": not a whole number`}},
		{"several at once", map[string]string{"CRMSYNC_MAX_CONCURRENT_ACTIVITIES": "0", "CRMSYNC_STOP_TIMEOUT": "-1s", "CRMSYNC_WEBHOOK_ADDR": "8090"},
			[]string{`CRMSYNC_MAX_CONCURRENT_ACTIVITIES="0": out of range`, `; CRMSYNC_STOP_TIMEOUT="-1s": out of range`, `; CRMSYNC_WEBHOOK_ADDR="8090": not a host:port`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearSettings(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := loadSettings()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
			assert.NotContains(t, err.Error(), "strconv")
			assert.NotContains(t, err.Error(), "envconfig")
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
	var out strings.Builder
	require.NoError(t, usage(&out))
	for _, name := range settingNames() {
		assert.Contains(t, out.String(), name)
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

// The settings docker-compose.yml gives the worker pass its checks as compose passes them
// with nothing set on the host (CRMSYNC_SELLSY_CONNECTION set, but empty).
func TestComposeSettingsAreAccepted(t *testing.T) {
	clearSettings(t)
	for k, v := range loadCompose(t).Services["worker"].Environment {
		if strings.HasPrefix(k, "CRMSYNC_") {
			t.Setenv(k, withDefaults(v))
		}
	}
	_, set := os.LookupEnv("CRMSYNC_SELLSY_CONNECTION")
	require.True(t, set)
	_, err := loadSettings()
	require.NoError(t, err)
}
