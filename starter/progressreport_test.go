package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/workflows"
)

// A command that waits for an import says on stderr, every progressEvery, where it is: a dry
// run of a large connection, or an import at MiniCRM's 60 requests a minute, said nothing
// for many minutes. A sync's --wait does not: its progress is `crmsync status`.
func TestCommandsWaitingForAnImportSayWhereItIs(t *testing.T) {
	running := workflows.Progress{Phase: workflows.PhaseImporting, Object: "contact", Quarantined: 2, Objects: []workflows.ObjectProgress{
		{Object: "company", Done: true, Counts: activities.Counts{Read: 200, CreatedB: 50}},
		{Object: "contact", Counts: activities.Counts{Read: 1000, CreatedB: 240, UpdatedA: 10}},
	}}
	tests := []struct {
		args []string
		id   string
		want string // "" : no report
	}{
		{[]string{"start", "import", "c", "--dry-run"}, workflows.ImportDryRunWorkflowID("c"),
			"crmsync: " + workflows.ImportDryRunWorkflowID("c") + ": importing contact, 1200 records read, 300 would be written, 2 refused so far\n"},
		{[]string{"start", "import", "c", "--wait"}, workflows.ImportWorkflowID("c"),
			"crmsync: " + workflows.ImportWorkflowID("c") + ": importing contact, 1200 records read, 300 written, 2 quarantined so far\n"},
		{[]string{"start", "sync", "c", "--wait", "--no-import"}, workflows.SyncWorkflowID("c"), ""},
	}
	oldEvery := progressEvery
	progressEvery = 20 * time.Millisecond
	t.Cleanup(func() { progressEvery = oldEvery })
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := &fakeTemporal{
				workflows: map[string]fakeWorkflow{tt.id: {status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING, progress: running}},
				results:   map[string]any{tt.id: endsAfter{300 * time.Millisecond, workflows.Progress{Phase: workflows.PhaseDone}}},
			}
			useFake(t, f)
			var errs bytes.Buffer
			stderr = &errs
			t.Cleanup(func() { stderr = os.Stderr })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, run(ctx, tt.args, &bytes.Buffer{}))
			if tt.want == "" {
				assert.NotContains(t, errs.String(), "so far")
				return
			}
			assert.Contains(t, errs.String(), tt.want)
		})
	}
}
