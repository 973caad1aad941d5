package main

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
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/webhooks"
)

// TestOnOpportunityWonEndToEnd runs the example against a dev server, the Sellsy simulator and
// crmsync's worker process (which serves the Sellsy.* activities): a won opportunity gets a
// task for its owner and a comment on its company; an open one gets nothing.
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
  credentials: {client_id: EX_SELLSY_ID, client_secret: EX_SELLSY_SECRET}
b:
  system: mautic
  settings: {base_url: %[2]s}
  credentials: {username: EX_MAUTIC_USER, password: EX_MAUTIC_PASSWORD}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`, sb.SellsyURL, sb.MauticURL)), 0o600))
	testenv.StartWorker(t, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(), "CRMSYNC_CONNECTIONS=" + connFile, "CRMSYNC_DATA_DIR=" + dir,
		"EX_SELLSY_ID=ex-id", "EX_SELLSY_SECRET=ex-secret", "EX_MAUTIC_USER=ex-user", "EX_MAUTIC_PASSWORD=ex-password",
	})
	w := worker.New(srv.Client(), TaskQueue, worker.Options{})
	w.RegisterWorkflow(OnOpportunityWon)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

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

	start := func(status string) Result {
		t.Helper()
		res, err := sl.Update(ctx, sellsy.ObjectOpportunity, []connectors.Record{{ID: id, Fields: map[string]any{"status": status}}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		recs, err := sl.Get(ctx, sellsy.ObjectOpportunity, []string{id}) // as the webhook receiver reads it back
		require.NoError(t, err)
		require.Len(t, recs, 1)
		in := webhooks.EventInput{Connection: "ex", Object: "opportunity", Event: "updated", ID: id, Fields: recs[0].Fields, Links: recs[0].Links}
		run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "won-" + status, TaskQueue: TaskQueue}, OnOpportunityWon, in)
		require.NoError(t, err)
		var r Result
		require.NoError(t, run.Get(ctx, &r))
		return r
	}

	assert.Equal(t, Result{Skipped: "not won"}, start("open"))
	assert.Empty(t, sb.Sellsy.DumpDocs("tasks"))

	r := start("won")
	assert.Positive(t, r.TaskID)
	assert.Positive(t, r.CommentID)
	tasks := sb.Sellsy.DumpDocs("tasks")
	require.Len(t, tasks, 1)
	assert.Equal(t, "Kick-off: Contrat cadre", tasks[0]["title"])
	comments := sb.Sellsy.DumpDocs("comments")
	require.Len(t, comments, 1)
	assert.Contains(t, fmt.Sprint(comments[0]["related"]), company)
}
