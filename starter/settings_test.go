package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

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
				if f.Anonymous {
					continue // temporalconn.Settings: its fields are visited as promoted fields
				}
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

// A store that accepts the connection and never answers (a database behind a dead proxy)
// makes a command fail, naming the store, once the wait is over: it does not hang.
func TestOpenWorkersStoreGivesUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})

	dsn := "postgres://postgres@" + ln.Addr().String() + "/test?sslmode=disable"
	done := make(chan error, 1)
	go func() {
		st, err := openWorkersStore(context.Background(), dsn, 300*time.Millisecond)
		if st != nil {
			_ = st.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "the workers' store did not answer within 300ms (CRMSYNC_STORE_DSN)")
	case <-time.After(30 * time.Second):
		t.Fatal("openWorkersStore still waits for a store that never answers")
	}
}

// A CRMSYNC_STORE_DSN set but empty (a ${VAR} a deployment left unset) is refused, as the
// worker refuses it, rather than read as "the SQLite store of this machine", which holds
// nothing of the workers'.
func TestEmptyStoreDSNIsRefused(t *testing.T) {
	for _, v := range []string{"", "  "} {
		t.Setenv("CRMSYNC_STORE_DSN", v)
		_, err := loadSettings()
		require.Error(t, err, "%q", v)
		assert.Contains(t, err.Error(), "CRMSYNC_STORE_DSN")
		assert.Contains(t, err.Error(), "empty (leave it unset")
	}
	require.NoError(t, os.Unsetenv("CRMSYNC_STORE_DSN"))
	_, err := loadSettings()
	require.NoError(t, err, "unset: the default")
}
