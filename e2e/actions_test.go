package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	recordactions "github.com/crmsync/crmsync/actions/records"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

// newsletterSignup is a user's own workflow: it calls the worker's Automation activities by
// name, on crmsync's task queue, without any credential.
func newsletterSignup(ctx workflow.Context, email string) (recordactions.RecordsOutput, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           workflows.TaskQueue,
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var created recordactions.WriteOutput
	err := workflow.ExecuteActivity(ctx, "Automation.Create", recordactions.WriteInput{
		Target:  recordactions.Target{Object: "contact"},
		Records: []recordactions.Record{{Fields: map[string]any{"email": email, "firstname": "Zoé"}}},
	}).Get(ctx, &created)
	if err != nil {
		return recordactions.RecordsOutput{}, err
	}
	if created.Failed > 0 {
		return recordactions.RecordsOutput{}, fmt.Errorf("refused: %s", created.Results[0].Error)
	}
	var found recordactions.RecordsOutput
	err = workflow.ExecuteActivity(ctx, "Automation.Find", recordactions.FindInput{
		Target: recordactions.Target{Object: "contact"}, Field: "email", Values: []string{email},
	}).Get(ctx, &found)
	return found, err
}

// TestRecordActivitiesThroughTheWorker runs a user's workflow against the real worker: the
// worker registered the Automation activities of its connection and serves them.
func TestRecordActivitiesThroughTheWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv := testenv.DevServer(t)
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "ra-id", SellsyClientSecret: "ra-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "ra-user", MauticPassword: "ra-password"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	dir := t.TempDir()
	connFile := filepath.Join(dir, "ra.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(fmt.Sprintf(`name: ra
a: {system: sellsy, settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens}, credentials: {client_id: RA_SELLSY_ID, client_secret: RA_SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: %[2]s}, credentials: {username: RA_MAUTIC_USER, password: RA_MAUTIC_PASSWORD}}
objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]
`, sb.SellsyURL, sb.MauticURL)), 0o600))
	testenv.StartWorker(t, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(), "CRMSYNC_CONNECTIONS=" + connFile, "CRMSYNC_DATA_DIR=" + dir,
		"RA_SELLSY_ID=ra-id", "RA_SELLSY_SECRET=ra-secret", "RA_MAUTIC_USER=ra-user", "RA_MAUTIC_PASSWORD=ra-password",
	})
	const queue = "user-workflows"
	w := worker.New(srv.Client(), queue, worker.Options{})
	w.RegisterWorkflow(newsletterSignup)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "signup-zoe", TaskQueue: queue}, newsletterSignup, "zoe@example.com")
	require.NoError(t, err)
	var found recordactions.RecordsOutput
	require.NoError(t, run.Get(ctx, &found))
	require.Len(t, found.Records, 1)
	assert.Equal(t, "Zoé", found.Records[0].Fields["firstname"])
	assert.Equal(t, 1, sb.Mautic.Count("contact"), "the contact is in Automation")
}
