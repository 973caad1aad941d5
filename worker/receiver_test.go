package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// signalsOnly takes the signals of Automation's deletion webhook and starts nothing.
type signalsOnly struct{}

func (signalsOnly) SignalWorkflow(context.Context, string, string, string, any) error { return nil }
func (signalsOnly) SignalWithStartWorkflow(context.Context, string, string, any, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, errors.New("no starts here")
}
func (signalsOnly) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, errors.New("no starts here")
}

// The receiver reads the worker's connection files through the activities' Connections: an
// edit applies to the next delivery, without a restart, as it does to the syncs; a file that
// no longer validates refuses its connection's deliveries.
func TestReceiverFollowsTheWorkersFiles(t *testing.T) {
	t.Setenv("SHOP_SECRET", "old-secret")
	t.Setenv("SHOP_NEW_SECRET", "new-secret")
	src, err := os.ReadFile(filepath.Join(repoRoot, "config/examples/sellsy-mautic.yaml"))
	require.NoError(t, err)
	base := strings.Replace(string(src), "    password: MAUTIC_PASSWORD\n", "    password: MAUTIC_PASSWORD\n    webhook_secret: SHOP_SECRET\n", 1)
	require.NotEqual(t, string(src), base)

	const delivery = `{"mautic.lead_post_delete":[{"id":17,"contact":{"id":17},"timestamp":"2026-11-25T10:00:00+00:00"}]}`
	tests := []struct {
		name   string
		edited string
		status map[string]int // secret signing the delivery → answer
	}{
		{name: "secret changed", edited: strings.Replace(base, "webhook_secret: SHOP_SECRET", "webhook_secret: SHOP_NEW_SECRET", 1),
			status: map[string]int{"old-secret": http.StatusUnauthorized, "new-secret": http.StatusOK}},
		{name: "file no longer validates", edited: strings.Replace(base, "direction: both", "direction: sideways", 1),
			status: map[string]int{"old-secret": http.StatusServiceUnavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "conn.yaml")
			require.NoError(t, os.WriteFile(file, []byte(base), 0o600))
			c, err := config.Load(file)
			require.NoError(t, err)
			connections := activities.NewConnections([]*config.Connection{c})
			srv := httptest.NewServer(newReceiver(signalsOnly{}, "crmsync", []*config.Connection{c}, connections, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
			t.Cleanup(srv.Close)
			post := func(secret string) int {
				req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/"+c.Name+"/mautic", strings.NewReader(delivery))
				require.NoError(t, err)
				req.Header.Set("Webhook-Signature", simkit.SignHMAC([]byte(delivery), secret))
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				return resp.StatusCode
			}
			require.Equal(t, http.StatusOK, post("old-secret"))

			require.NoError(t, os.WriteFile(file, []byte(tt.edited), 0o600))
			later := time.Now().Add(time.Hour) // seen as changed whatever the time resolution
			require.NoError(t, os.Chtimes(file, later, later))
			for secret, status := range tt.status {
				assert.Equal(t, status, post(secret), "signed with %s", secret)
			}
		})
	}
}
