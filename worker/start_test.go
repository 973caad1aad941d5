package main

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/internal/testenv"
)

// occupied returns an address another listener holds for the test.
func occupied(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// A webhook, metrics or profiler address the worker cannot listen on stops the start, with its
// variable, its value and the reason, before the connection files are even read (here none
// exists): a worker running on without them refuses push URLs, webhooks and /healthz. The
// addresses opened before the one that failed are closed again.
func TestWorkerDoesNotStartWithoutItsAddresses(t *testing.T) {
	// The addresses the worker is to listen on are reserved: a port found free on port 0 could be
	// taken by another test's listener before the worker binds it.
	inUse, webhook, shared := occupied(t), testenv.FreeAddr(t), testenv.FreeAddr(t)
	tests := []struct {
		name string
		env  map[string]string
		want string // a regular expression
	}{
		{"webhook port in use", map[string]string{"CRMSYNC_WEBHOOK_ADDR": inUse},
			`^CRMSYNC_WEBHOOK_ADDR="` + regexp.QuoteMeta(inUse) + `": cannot serve the webhook receiver there: listen tcp ` + regexp.QuoteMeta(inUse) + `: bind: address already in use$`},
		{"metrics port in use", map[string]string{"CRMSYNC_WEBHOOK_ADDR": webhook, "CRMSYNC_METRICS_ADDR": inUse},
			`^CRMSYNC_METRICS_ADDR="` + regexp.QuoteMeta(inUse) + `": cannot serve the metrics there: .*address already in use$`},
		{"profiler port in use", map[string]string{"CRMSYNC_DEBUG_ADDR": inUse}, `^CRMSYNC_DEBUG_ADDR=.*: cannot serve the profiler there`},
		{"two variables, one address", map[string]string{"CRMSYNC_WEBHOOK_ADDR": shared, "CRMSYNC_METRICS_ADDR": shared},
			`^CRMSYNC_METRICS_ADDR="` + regexp.QuoteMeta(shared) + `": cannot serve the metrics there: .*address already in use$`},
		{"no port", map[string]string{"CRMSYNC_WEBHOOK_ADDR": "8090"},
			`^settings: CRMSYNC_WEBHOOK_ADDR="8090": not a host:port address \(missing port in address\), e\.g\. :8090$`},
		{"port out of range", map[string]string{"CRMSYNC_WEBHOOK_ADDR": ":99999"}, `^settings: CRMSYNC_WEBHOOK_ADDR=":99999": port 99999 is out of range`},
		{"no address", map[string]string{"CRMSYNC_METRICS_ADDR": "garbage"}, `^settings: CRMSYNC_METRICS_ADDR="garbage": not a host:port address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearSettings(t)
			t.Setenv("CRMSYNC_CONNECTIONS", filepath.Join(t.TempDir(), "nowhere"))
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			err := run(t.Context(), slog.New(slog.DiscardHandler))
			require.Error(t, err)
			assert.Regexp(t, tt.want, err.Error())
			for _, v := range []string{"CRMSYNC_WEBHOOK_ADDR", "CRMSYNC_METRICS_ADDR", "CRMSYNC_DEBUG_ADDR"} {
				if addr := tt.env[v]; addr != "" && addr != inUse && !strings.Contains(err.Error(), "settings:") {
					ln, err := net.Listen("tcp", addr)
					require.NoError(t, err, "%s is closed again", v)
					require.NoError(t, ln.Close())
				}
			}
		})
	}
}

// startable sets the environment of a worker that starts but for what a test changes: the
// example connection file, its credentials, and a data folder of the test's.
func startable(t *testing.T) {
	t.Helper()
	clearSettings(t)
	t.Setenv("CRMSYNC_CONNECTIONS", filepath.Join(repoRoot, "config/examples/sellsy-mautic.yaml"))
	t.Setenv("CRMSYNC_DATA_DIR", t.TempDir())
	for _, v := range []string{"SELLSY_CLIENT_ID", "SELLSY_CLIENT_SECRET", "MAUTIC_USERNAME", "MAUTIC_PASSWORD"} {
		t.Setenv(v, "x")
	}
}

// What stops the start past the settings (the store, Temporal, the namespace, the Sellsy
// connection) names the variable it comes from. The namespace's case runs against a dev
// server: a namespace that does not exist is said so, with the command that creates it, not
// taken for missing search attributes.
func TestWorkerStartErrorsNameTheirVariable(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	noStore := t.TempDir() // its crmsync.db a folder: no SQLite file opens there
	require.NoError(t, os.Mkdir(filepath.Join(noStore, "crmsync.db"), 0o700))
	temporal := testenv.DevServer(t).FrontendHostPort()
	tests := []struct {
		name      string
		env       map[string]string
		needsTemp bool
		want      string // a regular expression
	}{
		{"store of no known kind", map[string]string{"CRMSYNC_STORE_DSN": "mysql://u:secret@db/crm"}, false,
			`^CRMSYNC_STORE_DSN: store: unsupported DSN scheme "mysql"`},
		{"data folder under a file", map[string]string{"CRMSYNC_DATA_DIR": filepath.Join(notADir, "data")}, false,
			`^CRMSYNC_DATA_DIR="` + regexp.QuoteMeta(filepath.Join(notADir, "data")) + `": mkdir .*: not a directory$`},
		{"data folder where no store opens", map[string]string{"CRMSYNC_DATA_DIR": noStore}, false,
			`^CRMSYNC_DATA_DIR="` + regexp.QuoteMeta(noStore) + `": store: open sqlite ` + regexp.QuoteMeta(filepath.Join(noStore, "crmsync.db"))},
		{"no Temporal there", map[string]string{"CRMSYNC_TEMPORAL_ADDRESS": "127.0.0.1:1"}, false,
			`^temporal at 127\.0\.0\.1:1 \(CRMSYNC_TEMPORAL_ADDRESS\): `},
		{"no such namespace", map[string]string{"CRMSYNC_NAMESPACE": "nosuchns"}, true,
			`^CRMSYNC_NAMESPACE="nosuchns": namespace nosuchns does not exist on the Temporal server at ` + regexp.QuoteMeta(temporal) +
				`: create it with: temporal operator namespace create --namespace nosuchns --address ` + regexp.QuoteMeta(temporal) + ` \(or set CRMSYNC_NAMESPACE to an existing one\)$`},
		{"no such Sellsy connection", map[string]string{"CRMSYNC_SELLSY_CONNECTION": "nope"}, true,
			`^CRMSYNC_SELLSY_CONNECTION="nope": sellsy: .*nope`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			startable(t)
			if tt.needsTemp {
				t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", temporal)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			err := run(t.Context(), slog.New(slog.DiscardHandler))
			require.Error(t, err)
			assert.Regexp(t, tt.want, err.Error())
			assert.NotContains(t, err.Error(), "secret", "a DSN's password is not repeated")
		})
	}
}

// Every credential variable that is empty is named at once, each with its file, connection
// and field: one restart fixes them all, not one a variable.
func TestWorkerNamesEveryMissingCredential(t *testing.T) {
	startable(t)
	t.Setenv("SELLSY_CLIENT_SECRET", "")
	t.Setenv("MAUTIC_PASSWORD", " \r")
	err := run(t.Context(), slog.New(slog.DiscardHandler))
	require.Error(t, err)
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "credentials:\n"), msg)
	for _, want := range []string{"a.credentials.client_secret: environment variable SELLSY_CLIENT_SECRET", "b.credentials.password: environment variable MAUTIC_PASSWORD"} {
		assert.Contains(t, msg, want)
	}
	assert.Contains(t, msg, "sellsy-mautic.yaml")
}
