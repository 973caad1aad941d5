package main

import (
	"context"
	"fmt"
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
	"github.com/crmsync/crmsync/internal/testenv/sellsyworld"
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
	// The worker serves the Sellsy.* activities on a task queue of its own, not the default:
	// the example calls them where they are served.
	world := sellsyworld.Start(t, sellsyworld.Options{Connection: "ex", Workflow: "OnOpportunityWon", TaskQueue: TaskQueue, CrmsyncQueue: "ex-crmsync", Contacts: 5})
	srv, sb, sl := world.Server, world.Sandbox, world.Sellsy
	w := worker.New(srv.Client(), TaskQueue, worker.Options{})
	(&Workflows{ActivityQueue: "ex-crmsync", TaskLabelID: sellsysim.Labels[1].ID}).Register(w)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	sb.Sellsy.SetWebhook(world.HookURL)
	id, company := world.NewOpportunity(ctx, t, "13")

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
