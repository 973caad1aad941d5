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
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/workflows"
)

// importThenSync is a fakeTemporal whose connection's import completes, and whose sync starts,
// after a few descriptions of the import: what watch sees as it goes from one to the other.
type importThenSync struct {
	*fakeTemporal
	described atomic.Int32
}

func (f *importThenSync) DescribeWorkflowExecution(ctx context.Context, id, run string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	if id == workflows.ImportWorkflowID("cli") && f.described.Add(1) == 3 {
		f.mu.Lock()
		imp := f.workflows[id]
		imp.status, imp.closed = enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, time.Now()
		f.workflows[id] = imp
		f.workflows[workflows.SyncWorkflowID("cli")] = fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING,
			progress: workflows.Progress{Workflow: "IncrementalSync", Connection: "cli", Phase: workflows.PhaseSyncing,
				Objects: []workflows.ObjectProgress{{Object: "contact", Counts: activities.Counts{Read: 12}}}}}
		f.mu.Unlock()
	}
	return f.fakeTemporal.DescribeWorkflowExecution(ctx, id, run)
}

// watch showed "-8234 records/s" when it went from the import to the sync: the rate compared
// the sync's count with the import's. It starts afresh when the workflow shown changes.
func TestWatchRateStartsAfreshWithTheNextWorkflow(t *testing.T) {
	f := &importThenSync{fakeTemporal: &fakeTemporal{workflows: map[string]fakeWorkflow{
		workflows.ImportWorkflowID("cli"): {status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING,
			progress: workflows.Progress{Workflow: "InitialImport", Connection: "cli", Phase: workflows.PhaseImporting,
				Objects: []workflows.ObjectProgress{{Object: "contact", Counts: activities.Counts{Read: 8234}}}}}}}}
	useFake(t, f.fakeTemporal)
	connect = func(client.Options) (client.Client, error) { return f, nil }
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	require.ErrorIs(t, run(ctx, []string{"watch", "cli", "--interval", "20ms"}, &out), context.DeadlineExceeded)
	assert.Contains(t, out.String(), "cli/initial-import")
	assert.Contains(t, out.String(), "cli/incremental-sync [")
	assert.Contains(t, out.String(), "12 read, 0 written, 0 quarantined, 0 records/s", "the sync's first line has no rate yet")
	assert.NotRegexp(t, `-\d+ records/s`, out.String())
}

func TestReadRate(t *testing.T) {
	at := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	type step struct {
		id   string
		read int
		want float64
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first refresh has no rate", []step{{"c/initial-import", 500, 0}}},
		{"same workflow", []step{{"c/initial-import", 500, 0}, {"c/initial-import", 700, 200}}},
		{"the next workflow starts afresh", []step{{"c/initial-import", 8234, 0}, {"c/incremental-sync", 12, 0}, {"c/incremental-sync", 22, 10}}},
		{"a count gone back starts afresh", []step{{"c/incremental-sync", 900, 0}, {"c/incremental-sync", 3, 0}, {"c/incremental-sync", 5, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r readRate
			for i, s := range tt.steps {
				assert.InDelta(t, s.want, r.next(s.id, s.read, at.Add(time.Duration(i)*time.Second)), 0.001, "step %d", i)
			}
		})
	}
}
