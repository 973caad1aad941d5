package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/workflows"
)

// Temporal answers a progress query on a closed workflow with its last state: status and
// watch describe each workflow first, and say of one terminated or failed that it no longer
// runs, and how to start it again, instead of showing it as if it still ran.
func TestStatusAndWatchSayAClosedWorkflowNoLongerRuns(t *testing.T) {
	closed := time.Date(2026, 1, 31, 10, 41, 2, 0, time.Local)
	running := func(phase string) fakeWorkflow {
		return fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING, progress: workflows.Progress{Workflow: "IncrementalSync", Connection: "cli", Phase: phase}}
	}
	imported := fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, closed: closed,
		progress: workflows.Progress{Workflow: "InitialImport", Connection: "cli", Phase: workflows.PhaseDone}}
	// What a closed sync still answers: its phase when it was stopped.
	stale := workflows.Progress{Workflow: "IncrementalSync", Connection: "cli", Phase: workflows.PhaseSyncing}
	tests := []struct {
		name       string
		wfs        map[string]fakeWorkflow
		wantStatus []string
		notStatus  []string
		wantWatch  string // "" : watch ends without error
		watchOut   string
	}{
		{
			name: "sync terminated",
			wfs: map[string]fakeWorkflow{
				workflows.ImportWorkflowID("cli"): imported,
				workflows.SyncWorkflowID("cli"):   {status: enums.WORKFLOW_EXECUTION_STATUS_TERMINATED, closed: closed, progress: stale},
			},
			wantStatus: []string{"cli/incremental-sync\nterminated at 2026-01-31 10:41:02: it no longer runs; start it again with `crmsync start sync cli`",
				"cli/initial-import\ncompleted at 2026-01-31 10:41:02\nInitialImport: done"},
			notStatus: []string{"IncrementalSync: syncing"},
			wantWatch: "watch: cli/incremental-sync terminated at 2026-01-31 10:41:02: it no longer runs; start it again with `crmsync start sync cli`",
		},
		{
			name: "import failed",
			wfs: map[string]fakeWorkflow{
				workflows.ImportWorkflowID("cli"): {status: enums.WORKFLOW_EXECUTION_STATUS_FAILED, closed: closed,
					progress: workflows.Progress{Workflow: "InitialImport", Connection: "cli", Phase: workflows.PhaseImporting}},
			},
			wantStatus: []string{"cli/initial-import\nfailed at 2026-01-31 10:41:02: it no longer runs; start it again with `crmsync start import cli --wait` (`temporal workflow show --workflow-id cli/initial-import` gives the failure)"},
			notStatus:  []string{"InitialImport: importing"},
			wantWatch:  "watch: cli/initial-import failed at 2026-01-31 10:41:02",
		},
		{
			name: "pipelines terminated",
			wfs: map[string]fakeWorkflow{
				workflows.ImportWorkflowID("cli"):   imported,
				workflows.SyncWorkflowID("cli"):     running(workflows.PhaseWaiting),
				workflows.PipelineWorkflowID("cli"): {status: enums.WORKFLOW_EXECUTION_STATUS_TERMINATED, closed: closed, progress: workflows.PipelineProgress{Phase: workflows.PhaseWaiting}},
			},
			wantStatus: []string{"cli/pipeline-sync\nterminated at 2026-01-31 10:41:02: it no longer runs; start it again with `crmsync start pipelines cli`",
				"IncrementalSync: waiting"},
			notStatus: []string{"PipelineSync: waiting"},
			watchOut:  "cli/incremental-sync",
		},
		{
			name: "import done, no sync yet",
			wfs: map[string]fakeWorkflow{
				workflows.ImportWorkflowID("cli"): imported,
			},
			wantStatus: []string{"cli/initial-import\ncompleted at 2026-01-31 10:41:02\nInitialImport: done"},
			watchOut:   "cli/initial-import",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useFake(t, &fakeTemporal{workflows: tt.wfs})
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), []string{"status", "cli"}, &out))
			for _, w := range tt.wantStatus {
				assert.Contains(t, out.String(), w)
			}
			for _, w := range tt.notStatus {
				assert.NotContains(t, out.String(), w)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var watched bytes.Buffer
			err := run(ctx, []string{"watch", "cli", "--interval", "50ms"}, &watched)
			switch {
			case tt.wantWatch != "":
				require.Error(t, err, "a closed workflow other than completed: a non-zero exit")
				assert.Contains(t, err.Error(), tt.wantWatch)
			case tt.watchOut == "cli/incremental-sync":
				assert.ErrorIs(t, err, context.DeadlineExceeded, "a running sync is watched until interrupted")
			default:
				require.NoError(t, err, "a completed import ends the watch")
			}
			if tt.watchOut != "" {
				assert.Contains(t, watched.String(), tt.watchOut)
			}
		})
	}
}
