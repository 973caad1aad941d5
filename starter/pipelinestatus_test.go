package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/workflows"
)

// status CONN says how many announced stage changes wait (a pause holds them), and how the
// sync and the pipeline sync paused for one reason read in the overview.
func TestStatusOfAPausedPipelineSync(t *testing.T) {
	tests := []struct {
		name    string
		waiting int
		want    string
	}{
		{"changes waiting", 120, "PipelineSync: paused, 2 scans, 5 records announced (120 more waiting); 4 stage moves (1 back), 3 events emitted, 0 not paired yet\npaused: lunch\n"},
		{"none waiting", 0, "PipelineSync: paused, 2 scans, 5 records announced; 4 stage moves (1 back), 3 events emitted, 0 not paired yet\npaused: lunch\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			running := enums.WORKFLOW_EXECUTION_STATUS_RUNNING
			useFake(t, &fakeTemporal{workflows: map[string]fakeWorkflow{
				workflows.ImportWorkflowID("cli"): {status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED,
					progress: workflows.Progress{Workflow: "InitialImport", Connection: "cli", Phase: workflows.PhaseDone}},
				workflows.SyncWorkflowID("cli"): {status: running,
					progress: workflows.Progress{Workflow: "IncrementalSync", Connection: "cli", Phase: workflows.PhasePaused, PauseReason: "lunch"}},
				workflows.PipelineWorkflowID("cli"): {status: running, progress: workflows.PipelineProgress{
					Connection: "cli", Phase: workflows.PhasePaused, PauseReason: "lunch", Scans: 2, Announced: 5, Waiting: tt.waiting,
					Totals: activities.StageResult{Moved: 4, Backward: 1, Emitted: 3}}},
			}})
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), []string{"status", "cli"}, &out))
			assert.Contains(t, out.String(), "cli/pipeline-sync\n"+tt.want)
			var js bytes.Buffer
			require.NoError(t, run(context.Background(), []string{"status", "cli", "--json"}, &js))
			var overview overviewJSON
			require.NoError(t, json.Unmarshal(js.Bytes(), &overview))
			require.Len(t, overview.Connections, 1)
			assert.Equal(t, []string{"paused: lunch (sync and pipelines)"}, overview.Connections[0].Attention)
		})
	}
}
