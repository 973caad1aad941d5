package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/webhooks"
	"github.com/crmsync/crmsync/workflows"
)

// eventsQueue is where the test's own workflow, started by the events: route, runs.
const eventsQueue = "e2e-sellsy-events"

// recordEvent is a user's workflow started by an events: route: it returns what it was given.
func recordEvent(_ workflow.Context, in webhooks.EventInput) (webhooks.EventInput, error) {
	return in, nil
}

// TestSellsyEventOutlivesAFailedReadBack: a Sellsy delivery whose record cannot be read back
// at once (Sellsy answers 500s) is answered 200 all the same — Sellsy may never send it again
// — and the record's SellsyEvents workflow, on crmsync's worker, reads it back once Sellsy
// answers and starts the route's workflow with the record. The receiver used to read it back
// while Sellsy waited, and answered 503: the event was lost unless Sellsy sent it again.
func TestSellsyEventOutlivesAFailedReadBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv := testenv.DevServer(t)
	sb, err := sandbox.Start(sandbox.Options{SellsyContacts: 2, SellsyClientID: "ev-id", SellsyClientSecret: "ev-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "ev-user", MauticPassword: "ev-password"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	dir := t.TempDir()
	connFile := filepath.Join(dir, "ev.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(fmt.Sprintf(`name: ev
a:
  system: sellsy
  settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "100"}
  credentials: {client_id: EV_SELLSY_ID, client_secret: EV_SELLSY_SECRET, webhook_token: EV_SELLSY_HOOK}
b:
  system: mautic
  settings: {base_url: %[2]s}
  credentials: {username: EV_MAUTIC_USER, password: EV_MAUTIC_PASSWORD}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
events:
  - object: opportunity
    event: updated
    start: {workflow: recordEvent, task_queue: %[3]s}
`, sb.SellsyURL, sb.MauticURL, eventsQueue)), 0o600))
	crmsync := testenv.StartWorker(t, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(), "CRMSYNC_CONNECTIONS=" + connFile, "CRMSYNC_DATA_DIR=" + dir,
		"CRMSYNC_WEBHOOK_ADDR=127.0.0.1:0", "EV_SELLSY_HOOK=ev-hook-token",
		"EV_SELLSY_ID=ev-id", "EV_SELLSY_SECRET=ev-secret", "EV_MAUTIC_USER=ev-user", "EV_MAUTIC_PASSWORD=ev-password",
	})
	hookAddr := crmsync.ListenAddr(t, "webhook receiver")
	w := worker.New(srv.Client(), eventsQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(recordEvent, workflow.RegisterOptions{Name: "recordEvent"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	sl, err := sellsy.New(sellsy.Config{APIURL: sb.SellsyURL + "/v2", TokenURL: sb.SellsyURL + "/oauth2/access-tokens", ClientID: "ev-id", ClientSecret: "ev-secret", RequestsPerSecond: 100})
	require.NoError(t, err)
	companies, err := sl.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	created, err := sl.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": "Contrat cadre", "pipeline_id": "1", "step_id": "11"},
		Links: map[string]string{"company": companies.Records[0].ID}}})
	require.NoError(t, err)
	require.NoError(t, created[0].Err)
	id := created[0].ID

	// Sellsy answers the next requests 500: the worker's token request and read backs.
	sb.Sellsy.Kit().SetFaults(simkit.Faults{ErrorNext: 3})
	notif := url.Values{"notif": {`{"event":"updated","relatedtype":"opportunity","relatedid":"` + id + `"}`}}
	resp, err := http.Post("http://"+hookAddr+"/webhooks/ev/sellsy/ev-hook-token", "application/x-www-form-urlencoded", strings.NewReader(notif.Encode()))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "answered once Temporal holds the event")

	var started *workflowservice.ListWorkflowExecutionsResponse
	testenv.Eventually(t, 2*time.Minute, 200*time.Millisecond, "the route's workflow started once Sellsy answers", func() bool {
		started, err = srv.Client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = 'recordEvent'"})
		require.NoError(t, err)
		return len(started.Executions) == 1
	})
	assert.Equal(t, 0, sb.Sellsy.Kit().Faulted()-3, "every fault was met by the read back's first attempts")
	e := started.Executions[0]
	var got webhooks.EventInput
	require.NoError(t, srv.Client().GetWorkflow(ctx, e.Execution.WorkflowId, e.Execution.RunId).Get(ctx, &got))
	assert.Equal(t, "ev", got.Connection)
	assert.Equal(t, "updated", got.Event)
	assert.Equal(t, id, got.ID)
	assert.Equal(t, "Contrat cadre", got.Fields["name"])

	router := srv.Client().GetWorkflow(ctx, workflows.SellsyEventsWorkflowID("ev", "opportunity", id), "")
	require.NoError(t, router.Get(ctx, nil), "the record's SellsyEvents workflow ended, its event routed")
	desc, err := srv.Client().DescribeWorkflowExecution(ctx, router.GetID(), "")
	require.NoError(t, err)
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.WorkflowExecutionInfo.Status)
	if os.Getenv("CRMSYNC_RECORD_HISTORY") == "1" { // for the replay test (workflows)
		require.NoError(t, testenv.WriteHistory(ctx, srv.Client(), router.GetID(), "", filepath.Join("..", "workflows", "testdata", "sellsy-events.json")))
	}
}
