package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/internal/testenv"
)

// callOn is a user's workflow calling one activity on crmsync's task queue with the SDK's
// default retry policy (unlimited attempts), as examples/wondeal does.
func callOn(ctx workflow.Context, queue, activity string) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: queue, StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteActivity(ctx, activity, map[string]any{"name": "ACME", "object": "contact", "ids": []string{"1"}}).Get(ctx, nil)
}

// An activity a worker's connection files cannot serve — a Sellsy.* one with no Sellsy
// connection, or with Sellsy connections on several accounts and no
// CRMSYNC_SELLSY_CONNECTION; a record activity of a system no connection has — fails the
// caller's workflow at once as a ConfigurationError naming what to set, instead of being
// unregistered: the SDK fails an unregistered activity type as retryable ("unable to find
// activityType"), so the caller retried it forever with nothing but that in its pending
// activity.
func TestActivityTheWorkerCannotServeFailsAsConfigurationError(t *testing.T) {
	dev := testenv.DevServer(t)
	temporalAddr := dev.FrontendHostPort()
	example, err := os.ReadFile(filepath.Join(repoRoot, "config/examples/sellsy-mautic.yaml"))
	require.NoError(t, err)
	twoAccounts := t.TempDir()
	other := strings.Replace(strings.Replace(string(example), "name: sellsy-mautic", "name: other-account", 1), "127.0.0.1:18081", "127.0.0.1:18091", 2)
	require.NotEqual(t, string(example), other)
	require.NoError(t, os.WriteFile(filepath.Join(twoAccounts, "sellsy-mautic.yaml"), example, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(twoAccounts, "other-account.yaml"), []byte(other), 0o600))
	credentials := []string{"SELLSY_CLIENT_ID=x", "SELLSY_CLIENT_SECRET=x", "MAUTIC_USERNAME=x", "MAUTIC_PASSWORD=x", "WEAVY_USERNAME=x", "WEAVY_PASSWORD=x"}
	for queue, files := range map[string]string{
		"no-sellsy":    filepath.Join(repoRoot, "config/examples/weavy-mautic.yaml"),
		"two-accounts": twoAccounts,
	} {
		testenv.StartWorker(t, append([]string{"CRMSYNC_TEMPORAL_ADDRESS=" + temporalAddr, "CRMSYNC_TASK_QUEUE=" + queue,
			"CRMSYNC_CONNECTIONS=" + files, "CRMSYNC_DATA_DIR=" + t.TempDir(), "CRMSYNC_SELLSY_CONNECTION="}, credentials...))
	}

	c, err := client.Dial(client.Options{HostPort: temporalAddr})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	caller := worker.New(c, "caller", worker.Options{})
	caller.RegisterWorkflow(callOn)
	require.NoError(t, caller.Start())
	t.Cleanup(caller.Stop)

	tests := []struct {
		name, queue, activity string
		want                  []string
	}{
		{"a Sellsy activity, no Sellsy connection", "no-sellsy", "Sellsy.CreateCompany",
			[]string{"no Sellsy connection", "CRMSYNC_CONNECTIONS", "weavy-mautic", `task queue "no-sellsy"`}},
		{"a Sellsy record activity, no Sellsy connection", "no-sellsy", "Sellsy.Get",
			[]string{"no Sellsy connection", "CRMSYNC_CONNECTIONS", "weavy-mautic"}},
		{"a record activity of a system no connection has", "no-sellsy", "Altior.Get",
			[]string{"no Altior connection", "system altior", "CRMSYNC_CONNECTIONS"}},
		{"a Sellsy activity, Sellsy connections on two accounts", "two-accounts", "Sellsy.CreateCompany",
			[]string{"2 connections have a sellsy side", "other-account", "sellsy-mautic", "CRMSYNC_SELLSY_CONNECTION"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{TaskQueue: "caller"}, callOn, tc.queue, tc.activity)
			require.NoError(t, err)
			// Retried, the activity would run past this wait (the default policy's first retry
			// is a second later, and it never stops).
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			err = run.Get(ctx, nil)
			require.Error(t, err)
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) {
				d, derr := c.DescribeWorkflowExecution(t.Context(), run.GetID(), run.GetRunID())
				require.NoError(t, derr)
				for _, p := range d.GetPendingActivities() {
					t.Logf("pending %s: attempt %d, last failure: %s", p.GetActivityType().GetName(), p.GetAttempt(), p.GetLastFailure().GetMessage())
				}
				t.Fatalf("the workflow is still retrying %s (%v)", tc.activity, err)
			}
			t.Logf("%s: %s", tc.activity, ae.Message())
			assert.Equal(t, "ConfigurationError", ae.Type(), ae.Error())
			assert.True(t, ae.NonRetryable())
			for _, w := range tc.want {
				assert.Contains(t, ae.Error(), w)
			}
		})
	}
}
