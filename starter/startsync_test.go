package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/workflows"
)

// `crmsync start sync` starts only after the connection's import has completed: the import's
// mark keeps the existing records of a side with initial.from_a/from_b false on their side,
// and a sync started first would send them all. --no-import starts it without an import, on
// purpose.
func TestStartSyncWaitsForTheImport(t *testing.T) {
	closed := time.Date(2026, 1, 31, 10, 41, 2, 0, time.Local)
	tests := []struct {
		name      string
		imp       *fakeWorkflow // nil: no import ever started
		sync      *fakeWorkflow // nil: no sync
		args      []string
		wantErr   []string
		wantStart []string
	}{
		// No connection file here (the docker-compose host): whether an import ran before its
		// history was removed cannot be told, and the message gives both ways.
		{name: "no import, no file to tell", args: []string{"start", "sync", "cli"},
			wantErr: []string{"start sync: Temporal knows no initial import of connection cli (cli/initial-import), and this command cannot tell whether one ran before its history was removed (no connection file here names its objects)",
				"if the import did complete, `crmsync start sync cli --no-import`", "if it never ran, run `crmsync start import cli --wait`"}},
		{name: "sync already running", imp: nil, sync: &fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING}, args: []string{"start", "sync", "cli"},
			wantStart: []string{workflows.SyncWorkflowID("cli")}},
		{name: "import running", imp: &fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING}, args: []string{"start", "sync", "cli"},
			wantErr: []string{"start sync: the initial import cli/initial-import is still running: start the sync once it has completed", "crmsync watch cli"}},
		{name: "import terminated", imp: &fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_TERMINATED, closed: closed}, args: []string{"start", "sync", "cli"},
			wantErr: []string{"start sync: the initial import cli/initial-import did not complete (terminated at 2026-01-31 10:41:02): run `crmsync start import cli --wait` first"}},
		{name: "import failed", imp: &fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_FAILED, closed: closed}, args: []string{"start", "sync", "cli"},
			wantErr: []string{"did not complete (failed at 2026-01-31 10:41:02)", "crmsync start import cli --wait"}},
		{name: "import completed", imp: &fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, closed: closed}, args: []string{"start", "sync", "cli"},
			wantStart: []string{workflows.SyncWorkflowID("cli")}},
		{name: "no import, on purpose", args: []string{"start", "sync", "cli", "--no-import"},
			wantStart: []string{workflows.SyncWorkflowID("cli")}},
		{name: "import running, no import on purpose", imp: &fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING}, args: []string{"start", "sync", "--no-import", "cli"},
			wantStart: []string{workflows.SyncWorkflowID("cli")}},
		{name: "the import itself", args: []string{"start", "import", "cli"},
			wantStart: []string{workflows.ImportWorkflowID("cli")}},
		{name: "pipelines need no import", args: []string{"start", "pipelines", "cli"},
			wantStart: []string{workflows.PipelineWorkflowID("cli")}},
		{name: "--no-import for the import", args: []string{"start", "import", "cli", "--no-import"},
			wantErr: []string{"start import: --no-import is for the sync only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{workflows: map[string]fakeWorkflow{}}
			if tt.imp != nil {
				f.workflows[workflows.ImportWorkflowID("cli")] = *tt.imp
			}
			if tt.sync != nil {
				f.workflows[workflows.SyncWorkflowID("cli")] = *tt.sync
			}
			useFake(t, f)
			stderr = &bytes.Buffer{} // the note that the name goes unchecked
			t.Cleanup(func() { stderr = os.Stderr })
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
			} else {
				require.NoError(t, err)
				assert.Contains(t, out.String(), "started "+tt.wantStart[0])
			}
			assert.Equal(t, tt.wantStart, f.started)
		})
	}
}

// --no-import is refused for a connection whose file keeps a side's existing records out
// (initial.from_b: false): only the import does that, and the sync would pause there.
func TestStartSyncNoImportRefusedWhereTheFileNeedsTheImport(t *testing.T) {
	tests := []struct {
		name    string
		initial string
		wantErr string
	}{
		{name: "from_b false", initial: "    initial: {from_b: false}\n", wantErr: "start sync: --no-import: object contact has initial.from_b false"},
		{name: "no initialisation choice", initial: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{workflows: map[string]fakeWorkflow{}}
			useFake(t, f)
			file := filepath.Join(t.TempDir(), "cli.yaml")
			require.NoError(t, os.WriteFile(file, []byte(`name: cli
a: {system: sellsy, credentials: {client_id: L_ID, client_secret: L_SECRET}}
b: {system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: L_USER, password: L_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
`+tt.initial+`    fields: [{a: email, b: email}]
`), 0o600))
			t.Setenv("CRMSYNC_CONNECTIONS", file)
			err := run(context.Background(), []string{"start", "sync", "cli", "--no-import"}, &bytes.Buffer{})
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, []string{workflows.SyncWorkflowID("cli")}, f.started)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), "run `crmsync start import cli --wait`")
			assert.Empty(t, f.started)
		})
	}
}

// An import Temporal no longer knows (the namespace's retention removed its history) does not
// block the sync when the workers' store shows the connection ran before: running the import
// again would mark its sides anew. Without such a cursor, the sync is refused as before.
func TestStartSyncAfterTheImportsHistoryIsGone(t *testing.T) {
	tests := []struct {
		name    string
		cursor  bool
		wantErr string
	}{
		{name: "the store holds the connection's cursors", cursor: true},
		{name: "the store holds none", wantErr: "start sync: connection cli has had no initial import"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTemporal{workflows: map[string]fakeWorkflow{}}
			useFake(t, f)
			var notes bytes.Buffer
			stderr = &notes
			t.Cleanup(func() { stderr = os.Stderr })
			dir := t.TempDir()
			file := filepath.Join(dir, "cli.yaml")
			require.NoError(t, os.WriteFile(file, []byte(`name: cli
a: {system: sellsy, credentials: {client_id: L_ID, client_secret: L_SECRET}}
b: {system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: L_USER, password: L_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    initial: {from_b: false}
    fields: [{a: email, b: email}]
`), 0o600))
			t.Setenv("CRMSYNC_CONNECTIONS", file)
			dsn := "sqlite:" + filepath.Join(dir, "crmsync.db")
			t.Setenv("CRMSYNC_STORE_DSN", dsn)
			st, err := store.Open(context.Background(), dsn)
			require.NoError(t, err)
			if tt.cursor {
				require.NoError(t, st.SetCursor(context.Background(), "cli", "contact", store.SideB, "2026-01-31T10:41:02Z"))
			}
			require.NoError(t, st.Close())

			var out bytes.Buffer
			err = run(context.Background(), []string{"start", "sync", "cli"}, &out)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Empty(t, f.started)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{workflows.SyncWorkflowID("cli")}, f.started)
			assert.Contains(t, notes.String(), "the workers' store holds connection cli's cursors")
		})
	}
}
