package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/crmsync/crmsync/workflows"
)

// Once no worker has polled the task queue for a while (matching.queryPollerUnavailableWindow,
// 20 s by default), the server no longer waits for one to answer a query: it rejects it at
// once. The worker gone is when an operator needs status most: it says no worker answered, as
// when the query times out, instead of failing.
func TestStatusAndWatchWhenTheServerSaysNoWorkerPolls(t *testing.T) {
	// What the frontend answers (matching's errNoRecentPoller).
	const conn = "sellsy-mautic" // exampleFile's, for the overview
	noPoller := serviceerror.NewFailedPrecondition("no poller seen for task queue recently, worker may be down")
	running := fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING, queryErr: noPoller}
	done := fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, closed: time.Now(), queryErr: noPoller}
	wfs := map[string]fakeWorkflow{
		workflows.ImportWorkflowID(conn):   done,
		workflows.SyncWorkflowID(conn):     running,
		workflows.PipelineWorkflowID(conn): running,
	}
	tests := []struct {
		args []string
		want string
	}{
		{args: []string{"status"}, want: errNoAnswer.Error()},
		{args: []string{"status", conn}, want: "sellsy-mautic/incremental-sync\nquery sellsy-mautic/incremental-sync: " + errNoAnswer.Error()},
		{args: []string{"status", conn, "--json"}, want: `"attention": [`},
	}
	for _, tt := range tests {
		t.Run(tt.args[len(tt.args)-1], func(t *testing.T) {
			useFake(t, &fakeTemporal{workflows: wfs})
			t.Setenv("CRMSYNC_CONNECTIONS", exampleFile)
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), tt.args, &out), "%v", tt.args)
			assert.Contains(t, out.String(), tt.want)
		})
	}
	t.Run("json", func(t *testing.T) {
		useFake(t, &fakeTemporal{workflows: wfs})
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), []string{"status", "--json", conn}, &out))
		var one overviewJSON
		require.NoError(t, json.Unmarshal(out.Bytes(), &one))
		require.Len(t, one.Connections, 1)
		assert.Equal(t, []string{errNoAnswer.Error()}, one.Connections[0].Attention)
		assert.Equal(t, "running", one.Connections[0].Sync, "no phase published: running")
	})
	t.Run("watch", func(t *testing.T) {
		useFake(t, &fakeTemporal{workflows: wfs})
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		var out bytes.Buffer
		err := run(ctx, []string{"watch", conn, "--interval", "50ms"}, &out)
		assert.ErrorIs(t, err, context.DeadlineExceeded, "a worker restarting is waited for, until interrupted")
		assert.Contains(t, out.String(), "sellsy-mautic/incremental-sync query sellsy-mautic/incremental-sync: "+errNoAnswer.Error()+"; waiting")
	})
}
