package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/workflows"
)

// With a CRMSYNC_TASK_QUEUE other than the workers', status said no worker had polled it and
// to start crmsync-worker with that task queue: the wrong advice, the workers being there, on
// the queue the connection's workflows run on. It names that queue instead. A task queue no
// worker ever polled is not said to have gone unpolled "for 2m0s".
func TestNoWorkerAdviceNamesTheWorkflowsTaskQueue(t *testing.T) {
	const conn = "sellsy-mautic" // exampleFile's
	running := fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING, progress: workflows.Progress{Phase: workflows.PhaseWaiting}}
	wfs := map[string]fakeWorkflow{workflows.SyncWorkflowID(conn): running}
	const otherQueue = `Workflows of connection sellsy-mautic run on the task queue "crmsync", not on "other", this command's (CRMSYNC_TASK_QUEUE), which no worker polls: set CRMSYNC_TASK_QUEUE=crmsync, the workflows' task queue, as the workers have it (1 worker polls "crmsync").`
	const neverPolled = `No worker polls the task queue "crmsync": nothing runs until one does. Start crmsync-worker (with CRMSYNC_TASK_QUEUE=crmsync) and look at its log.`
	tests := []struct {
		name      string
		queue     string // CRMSYNC_TASK_QUEUE
		noWorker  bool   // no worker polls any task queue
		onlyQueue string // the one task queue a worker polls
		args      []string
		want      string
		wantErr   string
	}{
		{name: "status, another queue", queue: "other", onlyQueue: "crmsync", args: []string{"status"}, want: otherQueue},
		{name: "status CONN, another queue", queue: "other", onlyQueue: "crmsync", args: []string{"status", conn}, want: otherQueue},
		{name: "status, never polled", queue: "crmsync", noWorker: true, args: []string{"status"}, want: neverPolled},
		{name: "status CONN, never polled", queue: "crmsync", noWorker: true, args: []string{"status", conn}, want: neverPolled},
		{name: "push, never polled", queue: "crmsync", noWorker: true, args: []string{"push", conn, "--id", "1"},
			wantErr: `push: no worker polls the task queue "crmsync": nothing would run the workflow`},
	}
	old := workerGrace
	workerGrace = 0
	t.Cleanup(func() { workerGrace = old })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useFake(t, &fakeTemporal{workflows: wfs, noWorker: tt.noWorker, onlyQueue: tt.onlyQueue})
			t.Setenv("CRMSYNC_CONNECTIONS", exampleFile)
			t.Setenv("CRMSYNC_TASK_QUEUE", tt.queue)
			stderr = &bytes.Buffer{}
			t.Cleanup(func() { stderr = os.Stderr })
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "for 2m0s")
				return
			}
			require.NoError(t, err)
			assert.Contains(t, out.String(), tt.want)
			assert.NotContains(t, out.String(), "for 2m0s", "never polled")
			assert.NotContains(t, out.String(), "Start crmsync-worker (with CRMSYNC_TASK_QUEUE=other)", "the workers poll another task queue")
		})
	}
}
