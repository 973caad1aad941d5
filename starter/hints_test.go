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

	"github.com/crmsync/crmsync/workflows"
)

// sync-now and resync while only the import runs said to start the sync, which start sync
// refuses until the import has completed: they say the import runs and when the sync starts.
// With no connection file to check the name, a name Temporal knows nothing of (a typo, likely)
// was told to be started: they say no workflow of that name runs instead.
func TestNoRunningWorkflowHints(t *testing.T) {
	const conn = "sellsy-mautic" // exampleFile's
	importing := map[string]fakeWorkflow{workflows.ImportWorkflowID(conn): {status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING}}
	ended := map[string]fakeWorkflow{workflows.SyncWorkflowID(conn): {status: enums.WORKFLOW_EXECUTION_STATUS_TERMINATED, closed: time.Now()}}
	const importRuns = "connection sellsy-mautic's initial import sellsy-mautic/initial-import is running, and its sync sellsy-mautic/incremental-sync does not run yet: the sync starts once the import has completed, with `crmsync start sync sellsy-mautic` (`crmsync watch sellsy-mautic` follows the import)"
	const nothingKnown = `: Temporal knows no workflow of connection "sellsy-mautik", and no connection file read here (CRMSYNC_CONNECTIONS=./nowhere`
	tests := []struct {
		name        string
		connections string
		workflows   map[string]fakeWorkflow
		args        []string
		want        string
		wantNot     string
	}{
		{name: "sync-now while the import runs", connections: exampleFile, workflows: importing, args: []string{"sync-now", conn},
			want: `sync-now: no running sync or pipeline sync for connection "sellsy-mautic": ` + importRuns, wantNot: "start one"},
		{name: "resync while the import runs", connections: exampleFile, workflows: importing, args: []string{"resync", conn},
			want: "resync: no running sellsy-mautic/incremental-sync (the sync of connection \"sellsy-mautic\"): " + importRuns + "; the import reads every record already", wantNot: "start one"},
		{name: "sync-now, nothing runs", connections: exampleFile, workflows: map[string]fakeWorkflow{}, args: []string{"sync-now", conn},
			want: "(start one with `crmsync start sync sellsy-mautic`)"},
		{name: "pause, no file, a name Temporal does not know", connections: "./nowhere", workflows: map[string]fakeWorkflow{}, args: []string{"pause", "sellsy-mautik"},
			want: `pause: no running workflow for connection "sellsy-mautik"` + nothingKnown, wantNot: "start one"},
		{name: "resync, no file, a name Temporal does not know", connections: "./nowhere", workflows: map[string]fakeWorkflow{}, args: []string{"resync", "sellsy-mautik"},
			want: nothingKnown, wantNot: "start one"},
		{name: "status, no file, a name Temporal does not know", connections: "./nowhere", workflows: map[string]fakeWorkflow{}, args: []string{"status", "sellsy-mautik"},
			want: nothingKnown, wantNot: "start one"},
		{name: "pause, no file, a connection whose sync ended", connections: "./nowhere", workflows: ended, args: []string{"pause", conn},
			want: "(start one with `crmsync start sync sellsy-mautic`)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useFake(t, &fakeTemporal{workflows: tt.workflows})
			t.Setenv("CRMSYNC_CONNECTIONS", tt.connections)
			stderr = &bytes.Buffer{}
			t.Cleanup(func() { stderr = os.Stderr })
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			if tt.wantNot != "" {
				assert.NotContains(t, err.Error(), tt.wantNot)
			}
			assert.False(t, strings.HasSuffix(err.Error(), ":"), "a complete sentence")
		})
	}
}
