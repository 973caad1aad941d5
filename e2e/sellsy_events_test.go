package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/internal/testenv/sellsyworld"
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
	world := sellsyworld.Start(t, sellsyworld.Options{Connection: "ev", Workflow: "recordEvent", TaskQueue: eventsQueue, Contacts: 2})
	srv, sb := world.Server, world.Sandbox
	w := worker.New(srv.Client(), eventsQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(recordEvent, workflow.RegisterOptions{Name: "recordEvent"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	id, _ := world.NewOpportunity(ctx, t, "11")

	// Sellsy answers the next requests 500: the worker's token request and read backs.
	sb.Sellsy.Kit().SetFaults(simkit.Faults{ErrorNext: 3})
	notif := url.Values{"notif": {`{"event":"updated","relatedtype":"opportunity","relatedid":"` + id + `"}`}}
	resp, err := http.Post(world.HookURL, "application/x-www-form-urlencoded", strings.NewReader(notif.Encode()))
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

// syncingWorld starts a sellsyworld of the connection conn, imports it and starts its sync,
// and returns the world and the sync's progress, once its first cycle is done. A failed test
// logs the webhooks Sellsy sent, the sync's progress and the worker's output.
func syncingWorld(ctx context.Context, t *testing.T, conn string) (*sellsyworld.World, func() workflows.Progress) {
	world := sellsyworld.Start(t, sellsyworld.Options{Connection: conn, Workflow: "recordEvent", TaskQueue: eventsQueue, Contacts: 2})
	tc := world.Server.Client()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ImportWorkflowID(conn), TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: conn})
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SyncWorkflowID(conn), TaskQueue: workflows.TaskQueue},
		workflows.IncrementalSync, workflows.SyncInput{Connection: conn})
	require.NoError(t, err)
	progress := func() workflows.Progress {
		var p workflows.Progress
		v, err := tc.QueryWorkflow(context.Background(), workflows.SyncWorkflowID(conn), "", workflows.QueryProgress)
		if err == nil {
			err = v.Get(&p)
		}
		require.NoError(t, err)
		return p
	}
	testenv.Eventually(t, 2*time.Minute, 50*time.Millisecond, "the sync's first cycle", func() bool {
		p := progress()
		return p.Cycles >= 1 && p.Phase == workflows.PhaseWaiting
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("webhooks Sellsy sent %d; sync %+v\nworker:\n%s", world.Sandbox.Sellsy.WebhooksSent(), progress(), world.Worker.Output())
		}
	})
	return world, progress
}

// An events: route asking the connection's sync for sync-now carries a Sellsy edit to
// Automation within seconds of Sellsy's webhook, long before the sync's 15-minute interval:
// the receiver signals the sync at once, reading nothing back (no SellsyEvents workflow for
// the contact), and the sync's own pass reads the change.
func TestSellsyEditReachesAutomationThroughSyncNow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	world, progress := syncingWorld(ctx, t, "nudge")
	sb := world.Sandbox
	cycles := progress().Cycles

	sb.Sellsy.SetWebhook(world.HookURL)
	contact := sb.Sellsy.Dump("contacts")[0]
	moved := "moved-" + contact["email"].(string)
	updated, err := world.Sellsy.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: strconv.FormatFloat(contact["id"].(float64), 'f', -1, 64), Fields: map[string]any{"email": moved}}})
	require.NoError(t, err)
	require.NoError(t, updated[0].Err)
	testenv.Eventually(t, time.Minute, 50*time.Millisecond, "the edit in Automation", func() bool {
		for _, c := range sb.Mautic.Dump("contacts") {
			fields, _ := c["fields"].(map[string]any)
			if all, _ := fields["all"].(map[string]any); all["email"] == moved {
				return true
			}
		}
		return false
	})
	// The record is written before its cycle ends and counts.
	testenv.Eventually(t, time.Minute, 50*time.Millisecond, "a cycle the webhook asked for, not the interval's", func() bool { return progress().Cycles > cycles })
	routed, err := world.Server.Client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = 'SellsyEvents'"})
	require.NoError(t, err)
	assert.Empty(t, routed.Executions, "nothing read back for a sync-now")
}

// The other way: Automation's signed webhook of a contact saved asks the sync to run now, and
// the edit reaches Sellsy within seconds rather than at the sync's next interval.
func TestAutomationEditReachesSellsyThroughItsWebhook(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	world, progress := syncingWorld(ctx, t, "nudge-back")
	sb := world.Sandbox
	cycles := progress().Cycles

	sb.Mautic.SetWebhook(world.ReceiverURL+"/webhooks/nudge-back/mautic", world.MauticSecret())
	contact := sb.Mautic.Dump("contacts")[0]
	ac, err := mautic.New(mautic.Config{BaseURL: sb.MauticURL, Username: "nudge-back-user", Password: "nudge-back-password"})
	require.NoError(t, err)
	updated, err := ac.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: fmt.Sprint(contact["id"]), Fields: map[string]any{"firstname": "Renamed"}}})
	require.NoError(t, err)
	require.NoError(t, updated[0].Err)
	testenv.Eventually(t, time.Minute, 50*time.Millisecond, "the edit in Sellsy", func() bool {
		for _, c := range sb.Sellsy.Dump("contacts") {
			if c["first_name"] == "Renamed" {
				return true
			}
		}
		return false
	})
	// The record is written before its cycle ends and counts.
	testenv.Eventually(t, time.Minute, 50*time.Millisecond, "a cycle the webhook asked for, not the interval's", func() bool { return progress().Cycles > cycles })
}
