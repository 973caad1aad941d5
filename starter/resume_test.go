package main

import (
	"bytes"
	"context"
	"strings"
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

// `crmsync resume CONN` resumed every running workflow of the connection: while its
// InitialImport ran, the sync paused for it (as `crmsync start import` asks) was resumed too,
// and both wrote the same records. While the import runs, resume leaves the sync as it is,
// resumes the import and the pipelines, and fails naming the import and when to resume the
// sync; --allow-deletes is kept for that later resume. The dry run is no import of records.
func TestResumeLeavesTheSyncWhileTheImportRuns(t *testing.T) {
	running := enums.WORKFLOW_EXECUTION_STATUS_RUNNING
	paused := fakeWorkflow{status: running, phase: workflows.PhasePaused}
	done := fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, phase: workflows.PhaseDone}
	tests := []struct {
		name        string
		workflows   map[string]fakeWorkflow
		args        []string
		wantSignals []string
		wantErr     []string
	}{
		{name: "import and sync", workflows: map[string]fakeWorkflow{workflows.ImportWorkflowID("c"): paused, workflows.SyncWorkflowID("c"): paused},
			args:        []string{"resume", "c"},
			wantSignals: []string{"resume c/initial-import"},
			wantErr: []string{"resume: not sent to c/incremental-sync: connection c's initial import c/initial-import is running: the sync resumed now would write the same records beside it",
				"resume the sync once the import has completed (`crmsync watch c` follows it; `crmsync start import c --wait` waits for an import it starts), with `crmsync resume c`"}},
		{name: "import, sync and pipelines", workflows: map[string]fakeWorkflow{workflows.ImportWorkflowID("c"): paused, workflows.SyncWorkflowID("c"): paused, workflows.PipelineWorkflowID("c"): paused},
			args:        []string{"resume", "c"},
			wantSignals: []string{"resume c/initial-import", "resume c/pipeline-sync"},
			wantErr:     []string{"not sent to c/incremental-sync"}},
		{name: "import and sync, allow-deletes", workflows: map[string]fakeWorkflow{workflows.ImportWorkflowID("c"): paused, workflows.SyncWorkflowID("c"): paused},
			args:        []string{"resume", "c", "--allow-deletes"},
			wantSignals: []string{"resume c/initial-import"},
			wantErr:     []string{"not sent to c/incremental-sync", "with `crmsync resume c --allow-deletes`"}},
		{name: "import alone", workflows: map[string]fakeWorkflow{workflows.ImportWorkflowID("c"): paused},
			args: []string{"resume", "c"}, wantSignals: []string{"resume c/initial-import"}},
		{name: "import completed", workflows: map[string]fakeWorkflow{workflows.ImportWorkflowID("c"): done, workflows.SyncWorkflowID("c"): paused},
			args: []string{"resume", "c"}, wantSignals: []string{"resume c/incremental-sync"}},
		{name: "dry run beside the sync", workflows: map[string]fakeWorkflow{workflows.ImportDryRunWorkflowID("c"): paused, workflows.SyncWorkflowID("c"): paused},
			args: []string{"resume", "c"}, wantSignals: []string{"resume c/incremental-sync"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{workflows: tt.workflows}
			useFake(t, f)
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			assert.Equal(t, tt.wantSignals, f.signals)
			for _, s := range tt.wantSignals {
				assert.Contains(t, out.String(), strings.Replace(s, " ", " sent to ", 1))
			}
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	var usage bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-h"}, &usage))
	assert.Contains(t, usage.String(), "resume them (the sync not while the import runs: both\n")
}
