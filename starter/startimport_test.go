package main

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/workflows"
)

// `crmsync start import` while the connection's IncrementalSync runs started a second writer
// of the same records: the import reads every record again beside the sync, moves the sync's
// cursors back to its own start, and marks anew a side whose existing records stay out
// (initial.from_a/from_b false), holding back for good the records created there since the
// first import that the sync had not sent yet. It is refused, naming the sync and what to run
// instead; a paused sync writes nothing, and the import the pause message asks for goes on,
// with a note to resume the sync only once the import has completed.
func TestStartImportBesideARunningSync(t *testing.T) {
	running := enums.WORKFLOW_EXECUTION_STATUS_RUNNING
	tests := []struct {
		name      string
		sync      *fakeWorkflow // nil: no sync
		pipelines *fakeWorkflow // nil: no pipeline sync
		args      []string
		wantErr   []string
		wantNote  string
		wantStart []string
	}{
		{name: "sync waiting between cycles", sync: &fakeWorkflow{status: running, phase: workflows.PhaseWaiting}, args: []string{"start", "import", "cli"},
			wantErr: []string{"start import: connection cli's sync cli/incremental-sync is running (waiting): an import now would write the same records beside it",
				"`crmsync resync cli`", "`crmsync pause cli` first (start the import once `crmsync status cli` shows the sync paused)", "`crmsync resume cli` once the import has completed"}},
		{name: "sync in a cycle", sync: &fakeWorkflow{status: running, phase: workflows.PhaseSyncing}, args: []string{"start", "import", "cli", "--wait"},
			wantErr: []string{"cli/incremental-sync is running (syncing)"}},
		// Started, its first task not yet run (no worker): nothing says it will not write.
		{name: "sync with no phase yet", sync: &fakeWorkflow{status: running}, args: []string{"start", "import", "cli"},
			wantErr: []string{"connection cli's sync cli/incremental-sync is running: an import now"}},
		{name: "sync paused", sync: &fakeWorkflow{status: running, phase: workflows.PhasePaused}, args: []string{"start", "import", "cli", "--wait"},
			wantNote:  "crmsync: note: start import: the sync cli/incremental-sync is paused: leave it paused until the import has completed, then `crmsync resume cli` (resumed before, both would write the same records)",
			wantStart: []string{workflows.ImportWorkflowID("cli")}},
		{name: "sync terminated", sync: &fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_TERMINATED, closed: time.Now()}, args: []string{"start", "import", "cli"},
			wantStart: []string{workflows.ImportWorkflowID("cli")}},
		{name: "no sync", args: []string{"start", "import", "cli"},
			wantStart: []string{workflows.ImportWorkflowID("cli")}},
		// Stage moves are no records' writes: the pipelines run beside the import.
		{name: "pipelines alone", pipelines: &fakeWorkflow{status: running, phase: workflows.PhaseWaiting}, args: []string{"start", "import", "cli"},
			wantStart: []string{workflows.ImportWorkflowID("cli")}},
		// A dry run writes nothing: it may preview beside the sync.
		{name: "dry run beside the sync", sync: &fakeWorkflow{status: running, phase: workflows.PhaseWaiting}, args: []string{"start", "import", "cli", "--dry-run"},
			wantStart: []string{workflows.ImportDryRunWorkflowID("cli")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{workflows: map[string]fakeWorkflow{}, results: map[string]any{
				workflows.ImportWorkflowID("cli"): workflows.Progress{Workflow: "InitialImport", Phase: workflows.PhaseDone},
			}}
			if tt.sync != nil {
				f.workflows[workflows.SyncWorkflowID("cli")] = *tt.sync
			}
			if tt.pipelines != nil {
				f.workflows[workflows.PipelineWorkflowID("cli")] = *tt.pipelines
			}
			useFake(t, f)
			var notes bytes.Buffer
			stderr = &notes
			t.Cleanup(func() { stderr = os.Stderr })
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				assert.Empty(t, f.started, "nothing started")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantStart, f.started)
			assert.Contains(t, out.String(), "started "+tt.wantStart[0])
			if tt.wantNote != "" {
				assert.Contains(t, notes.String(), tt.wantNote)
			} else {
				assert.NotContains(t, notes.String(), "incremental-sync")
			}
		})
	}
}

// Against a server, `crmsync start import` refuses while the connection's sync runs, reading
// the phase the sync published; once `crmsync pause` has paused it, the import starts, with
// the note to resume the sync once the import has completed.
func TestStartImportBesideTheSyncAgainstAServer(t *testing.T) {
	s := startStubServer(t, "c1")
	s.start(t, workflows.ImportWorkflowID("c1"), "InitialImport", "c1")
	s.start(t, workflows.SyncWorkflowID("c1"), "IncrementalSync", "c1")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	err := run(ctx, []string{"start", "import", "c1", "--wait"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "start import: connection c1's sync c1/incremental-sync is running (waiting): an import now would write the same records beside it")
	var usage bytes.Buffer
	require.NoError(t, run(ctx, []string{"start", "-h"}, &usage))
	assert.Contains(t, usage.String(), "The import is\nrefused while the connection's sync runs unpaused")

	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"pause", "c1", "--reason", "re-import"}, &out))
	assert.Contains(t, out.String(), "pause sent to c1/incremental-sync")
	testenv.Eventually(t, 30*time.Second, 50*time.Millisecond, "the sync paused", func() bool { return s.phase(t, workflows.SyncWorkflowID("c1")) == workflows.PhasePaused })
	var notes bytes.Buffer
	stderr = &notes
	t.Cleanup(func() { stderr = os.Stderr })
	out.Reset()
	require.NoError(t, run(ctx, []string{"start", "import", "c1", "--wait"}, &out))
	assert.Contains(t, out.String(), "started c1/initial-import")
	assert.Contains(t, out.String(), "InitialImport: done")
	assert.Contains(t, notes.String(), "the sync c1/incremental-sync is paused: leave it paused until the import has completed, then `crmsync resume c1`")
}
