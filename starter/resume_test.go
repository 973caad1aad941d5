package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/workflows"
)

// resume --allow-deletes resumes whatever runs: with no IncrementalSync (the import or the
// pipelines alone), it says none holds deletions and resumes the others, rather than fail
// and resume nothing. With nothing running at all, it fails naming the connection.
func TestResumeAllowDeletesWithoutASync(t *testing.T) {
	running := fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING}
	tests := []struct {
		name        string
		running     []string
		wantSignals []string
		wantOut     string
		wantErr     string
	}{
		{name: "the sync runs", running: []string{workflows.SyncWorkflowID("c")},
			wantSignals: []string{"allow-deletes c/incremental-sync", "resume c/incremental-sync"}, wantOut: "allow-deletes sent to c/incremental-sync"},
		{name: "the import alone", running: []string{workflows.ImportWorkflowID("c")},
			wantSignals: []string{"resume c/initial-import"}, wantOut: "allow-deletes: no IncrementalSync runs for c: it alone holds deletions, none is held"},
		{name: "the pipelines alone", running: []string{workflows.PipelineWorkflowID("c")},
			wantSignals: []string{"resume c/pipeline-sync"}, wantOut: "resume sent to c/pipeline-sync"},
		{name: "nothing", wantErr: `resume: no running workflow for connection "c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{workflows: map[string]fakeWorkflow{}}
			for _, id := range tt.running {
				f.workflows[id] = running
			}
			useFake(t, f)
			var out bytes.Buffer
			err := run(context.Background(), []string{"resume", "c", "--allow-deletes"}, &out)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Empty(t, f.signals)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantSignals, f.signals)
			assert.Contains(t, out.String(), tt.wantOut)
		})
	}
}
