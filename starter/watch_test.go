package main

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/crmsync/crmsync/workflows"
)

// restarting is a fakeTemporal whose first queries no worker answers, as while the worker
// restarts.
type restarting struct {
	*fakeTemporal
	unanswered int32
	n          atomic.Int32
}

func (f *restarting) QueryWorkflow(ctx context.Context, id, run, q string, args ...any) (converter.EncodedValue, error) {
	if f.n.Add(1) <= f.unanswered {
		return nil, serviceerror.NewDeadlineExceeded("no poller")
	}
	return f.fakeTemporal.QueryWorkflow(ctx, id, run, q, args...)
}

// watch outlives queries no worker answers (a rolling restart): it says so and goes on until
// the import completes.
func TestWatchOutlivesUnansweredQueries(t *testing.T) {
	f := &restarting{unanswered: 3, fakeTemporal: &fakeTemporal{workflows: map[string]fakeWorkflow{
		workflows.ImportWorkflowID("cli"): {status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING,
			progress: workflows.Progress{Workflow: "InitialImport", Connection: "cli", Phase: workflows.PhaseDone}}}}}
	useFake(t, f.fakeTemporal)
	connect = func(client.Options) (client.Client, error) { return f, nil }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"watch", "cli", "--interval", "10ms"}, &out))
	assert.Contains(t, out.String(), "no worker answered")
	assert.Contains(t, out.String(), "; waiting")
	assert.Contains(t, out.String(), workflows.PhaseDone)
}

// The overview names a closed workflow's status as status CONN and watch do.
func TestStatusOverviewNamesClosedStatuses(t *testing.T) {
	tests := []struct {
		status enums.WorkflowExecutionStatus
		want   string
	}{
		{enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, `"import": "timed out"`},
		{enums.WORKFLOW_EXECUTION_STATUS_FAILED, `"import": "failed"`},
		{enums.WORKFLOW_EXECUTION_STATUS_TERMINATED, `"import": "terminated"`},
		{enums.WORKFLOW_EXECUTION_STATUS_CANCELED, `"import": "canceled"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			useFake(t, &fakeTemporal{workflows: map[string]fakeWorkflow{
				workflows.ImportWorkflowID("cli"): {status: tt.status, closed: time.Now()}}})
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), []string{"status", "cli", "--json"}, &out))
			assert.Contains(t, out.String(), tt.want)
		})
	}
}
