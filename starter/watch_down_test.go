package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/crmsync/crmsync/workflows"
)

// A Temporal server that stops answering during a watch (a restart, an upgrade) ends it with
// the server named, as when it does not answer at the start, on a line of its own after the
// progress line, instead of the SDK's bare "context deadline exceeded" run on after it.
func TestWatchSaysTemporalStoppedAnswering(t *testing.T) {
	for _, down := range []error{serviceerror.NewUnavailable("connection refused"), serviceerror.NewDeadlineExceeded("context deadline exceeded"), context.DeadlineExceeded} {
		t.Run(down.Error(), func(t *testing.T) {
			sync := fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING,
				progress: workflows.Progress{Workflow: "IncrementalSync", Connection: "c", Phase: workflows.PhaseWaiting}}
			// The first tick describes the import and the sync, then the retries: 3 answers.
			useFake(t, &fakeTemporal{workflows: map[string]fakeWorkflow{workflows.SyncWorkflowID("c"): sync}, err: down, errAfter: 3})
			t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", "temporal.example:7233")
			var out bytes.Buffer
			err := run(context.Background(), []string{"watch", "c", "--interval", "10ms"}, &out)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "watch: temporal at temporal.example:7233 (CRMSYNC_TEMPORAL_ADDRESS) no longer answers: describe c/initial-import: ")
			assert.ErrorIs(t, err, down)
			assert.Contains(t, out.String(), "c/incremental-sync [")
			assert.True(t, strings.HasSuffix(out.String(), "\n"), "the error on a line of its own: %q", out.String())
		})
	}
}
