package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
)

// TestOnOpportunityWonEndToEnd runs the example the way it is deployed, against a dev server,
// the Sellsy simulator and crmsync's worker process: the simulator's webhooks reach the
// worker's receiver, whose events: route starts OnOpportunityWon with the opportunity read
// back; the worker also serves the Sellsy.* activities. An open opportunity gets nothing; once
// won it gets a task for its owner and a comment on its company; edited again while won, it
// gets nothing more.
func TestOnOpportunityWonEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv := testenv.DevServer(t)
	sb, err := sandbox.Start(sandbox.Options{SellsyContacts: 5, SellsyClientID: "ex-id", SellsyClientSecret: "ex-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "ex-user", MauticPassword: "ex-password"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	dir := t.TempDir()
	connFile := filepath.Join(dir, "ex.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(fmt.Sprintf(`name: ex
a:
  system: sellsy
  settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "100"}
  credentials: {client_id: EX_SELLSY_ID, client_secret: EX_SELLSY_SECRET, webhook_token: EX_SELLSY_HOOK}
b:
  system: mautic
  settings: {base_url: %[2]s}
  credentials: {username: EX_MAUTIC_USER, password: EX_MAUTIC_PASSWORD}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
events:
  - object: opportunity
    event: updated
    start: {workflow: OnOpportunityWon, task_queue: %[3]s}
`, sb.SellsyURL, sb.MauticURL, TaskQueue)), 0o600))
	crmsync := testenv.StartWorker(t, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(), "CRMSYNC_CONNECTIONS=" + connFile, "CRMSYNC_DATA_DIR=" + dir,
		"CRMSYNC_WEBHOOK_ADDR=127.0.0.1:0", "EX_SELLSY_HOOK=ex-hook-token",
		"CRMSYNC_TASK_QUEUE=ex-crmsync", // not the default: the example calls the activities where they are served
		"EX_SELLSY_ID=ex-id", "EX_SELLSY_SECRET=ex-secret", "EX_MAUTIC_USER=ex-user", "EX_MAUTIC_PASSWORD=ex-password",
	})
	hookAddr := crmsync.ListenAddr(t, "webhook receiver")
	w := worker.New(srv.Client(), TaskQueue, worker.Options{})
	(&Workflows{ActivityQueue: "ex-crmsync", TaskLabelID: sellsysim.Labels[1].ID}).Register(w)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	sb.Sellsy.SetWebhook("http://" + hookAddr + "/webhooks/ex/sellsy/ex-hook-token")

	sl, err := sellsy.New(sellsy.Config{APIURL: sb.SellsyURL + "/v2", TokenURL: sb.SellsyURL + "/oauth2/access-tokens", ClientID: "ex-id", ClientSecret: "ex-secret", RequestsPerSecond: 100})
	require.NoError(t, err)
	companies, err := sl.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	company := companies.Records[0].ID
	created, err := sl.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": "Contrat cadre", "pipeline_id": "1", "step_id": "13"},
		Links: map[string]string{"company": company}}})
	require.NoError(t, err)
	require.NoError(t, created[0].Err)
	id := created[0].ID

	// edit changes the opportunity in Sellsy, whose webhook starts OnOpportunityWon, and returns
	// what that run did. Edits follow each other at once: notifications timestamped to the same
	// second still start a run each, since the record read back differs.
	var done []string
	edit := func(fields map[string]any) Result {
		t.Helper()
		res, err := sl.Update(ctx, sellsy.ObjectOpportunity, []connectors.Record{{ID: id, Fields: fields}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		var run client.WorkflowRun
		testenv.Eventually(t, time.Minute, 100*time.Millisecond, "a run started by the webhook", func() bool {
			list, err := srv.Client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = 'OnOpportunityWon'"})
			require.NoError(t, err)
			for _, e := range list.Executions {
				if !slices.Contains(done, e.Execution.RunId) {
					done = append(done, e.Execution.RunId)
					run = srv.Client().GetWorkflow(ctx, e.Execution.WorkflowId, e.Execution.RunId)
					return true
				}
			}
			return false
		})
		var r Result
		require.NoError(t, run.Get(ctx, &r))
		return r
	}

	assert.Equal(t, Result{Skipped: NotWon}, edit(map[string]any{"status": "open"}))
	assert.Empty(t, sb.Sellsy.DumpDocs("tasks"))

	r := edit(map[string]any{"status": "won"})
	assert.Positive(t, r.TaskID)
	assert.Positive(t, r.CommentID)
	tasks := sb.Sellsy.DumpDocs("tasks")
	require.Len(t, tasks, 1)
	assert.Equal(t, "Kick-off: Contrat cadre", tasks[0]["title"])
	comments := sb.Sellsy.DumpDocs("comments")
	require.Len(t, comments, 1)
	assert.Contains(t, fmt.Sprint(comments[0]["related"]), company)

	assert.Equal(t, Result{Skipped: AlreadyDone}, edit(map[string]any{"note": "Signed on paper too"}))
	assert.Len(t, sb.Sellsy.DumpDocs("tasks"), 1, "no second task")
	assert.Len(t, sb.Sellsy.DumpDocs("comments"), 1, "no second comment")
}
