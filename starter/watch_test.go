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
	"go.temporal.io/api/workflowservice/v1"
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

// earlyDeadline is a fakeTemporal whose server gives up a little before the deadline the
// client sent, as Temporal's frontend does.
type earlyDeadline struct{ *fakeTemporal }

func (f *earlyDeadline) DescribeWorkflowExecution(ctx context.Context, id, run string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	if end, ok := ctx.Deadline(); ok && time.Until(end) < 300*time.Millisecond {
		return nil, serviceerror.NewDeadlineExceeded("context deadline exceeded")
	}
	return f.fakeTemporal.DescribeWorkflowExecution(ctx, id, run)
}

// watch ended by its caller's deadline says so, even when the server answered the deadline
// first: the end is the caller's, not a server failure.
func TestWatchEndsWithItsCallersDeadline(t *testing.T) {
	f := &earlyDeadline{&fakeTemporal{workflows: map[string]fakeWorkflow{
		workflows.SyncWorkflowID("cli"): {status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING,
			progress: workflows.Progress{Workflow: "IncrementalSync", Connection: "cli", Phase: workflows.PhaseWaiting}}}}}
	useFake(t, f.fakeTemporal)
	connect = func(client.Options) (client.Client, error) { return f, nil }
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"watch", "cli", "--interval", "10ms"}, &out)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, out.String(), "cli/incremental-sync")
}

// Only a deadline answer that close to the caller's own deadline counts as the caller's end.
func TestEndedByCaller(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		err     error
		want    bool
	}{
		{"no error", time.Second, nil, false},
		{"server deadline just before ours", 100 * time.Millisecond, serviceerror.NewDeadlineExceeded("context deadline exceeded"), true},
		{"server deadline long before ours", time.Minute, serviceerror.NewDeadlineExceeded("context deadline exceeded"), false},
		{"other server error near our deadline", 100 * time.Millisecond, serviceerror.NewUnavailable("down"), false},
		{"no deadline of ours", 0, serviceerror.NewDeadlineExceeded("context deadline exceeded"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			assert.Equal(t, tc.want, endedByCaller(ctx, tc.err))
		})
	}
}
