package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays histories recorded from real runs of the end-to-end
// test (see e2e; CRMSYNC_RECORD_HISTORY=1 refreshes them). A failure means the workflow code
// now makes different decisions for the same events, which would break running workflows
// after a deploy: version the change with workflow.GetVersion instead.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded history in workflows/testdata")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(InitialImport)
			r.RegisterWorkflow(IncrementalSync)
			r.RegisterWorkflow(PushRecord)
			r.RegisterWorkflow(PipelineSync)
			r.RegisterWorkflow(RetryQuarantine)
			r.RegisterWorkflow(SellsyEvents)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
