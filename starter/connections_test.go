package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/workflows"
)

const exampleFile = "../config/examples/sellsy-mautic.yaml"

// Bad input is refused before anything is started or sent: a misspelt connection (the worker
// only paused the workflow, and --wait waited for ever), an --object push's workflow would
// fail on, an empty --objects, an interval NewTicker panics on.
func TestBadInputIsRefusedBeforeTheServer(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	require.NoError(t, os.WriteFile(broken, []byte("name: [broken"), 0o600))
	t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", "127.0.0.1:1") // nothing may be sent
	tests := []struct {
		connections string
		args        []string
		want        string
	}{
		{exampleFile, []string{"start", "import", "sellsy-mautik", "--wait"}, `start import: no connection named "sellsy-mautik" in CRMSYNC_CONNECTIONS=` + exampleFile + ` (did you mean sellsy-mautic?) (connections: sellsy-mautic)`},
		{exampleFile, []string{"start", "sync", "nope"}, `start sync: no connection named "nope" in CRMSYNC_CONNECTIONS=` + exampleFile + ` (connections: sellsy-mautic)`},
		{exampleFile, []string{"start", "pipelines", "sellsy-mautik"}, `start pipelines: no connection named "sellsy-mautik"`},
		{exampleFile, []string{"start", "import", "sellsy-mautik", "--dry-run"}, `start import: no connection named "sellsy-mautik"`},
		// Flags may come before the word too, as before or after the arguments of any command.
		{exampleFile, []string{"start", "--wait", "import", "sellsy-mautik"}, `start import: no connection named "sellsy-mautik"`},
		{exampleFile, []string{"start", "--frob", "sync", "sellsy-mautic"}, "start sync: flag provided but not defined: -frob"},
		// The name may be in a file that does not load: that file is named with its reason.
		{exampleFile + "," + broken, []string{"start", "import", "nope"}, `(connections: sellsy-mautic); it may be in a file that does not load: ` + broken},
		{exampleFile, []string{"push", "sellsy-mautik", "--id", "1"}, `push: no connection named "sellsy-mautik"`},
		{exampleFile, []string{"push", "sellsy-mautic", "--id", "1", "--object", "compny"}, `push: --object "compny" is not an object of connection sellsy-mautic (` + exampleFile + `) (did you mean company?): its objects are company, contact`},
		{exampleFile, []string{"push", "sellsy-mautic", "--email", "a@example.com", "--object", "order"}, `push: --object "order" is not an object of connection sellsy-mautic`},
		{"./nowhere", []string{"push", "sellsy-mautic", "--email", "a@example.com"}, `push: --email looks the record up through the connection file: no connection file read here (CRMSYNC_CONNECTIONS=./nowhere: `},
		// A PipelineSync of a connection without pipelines would scan nothing, for ever.
		{exampleFile, []string{"start", "pipelines", "sellsy-mautic"}, `start pipelines: connection sellsy-mautic (` + exampleFile + `) has no pipelines: section: PipelineSync would propagate nothing; add one to the file first`},
		{exampleFile, []string{"quarantine", "sellsy-mautik", "--retry"}, `quarantine --retry: no connection named "sellsy-mautik"`},
		{exampleFile, []string{"resync", "sellsy-mautic", "--objects", ""}, "resync: --objects is empty: leave it out to resync every object"},
		{exampleFile, []string{"resync", "--objects=", "sellsy-mautic"}, "resync: --objects is empty"},
		{exampleFile, []string{"watch", "sellsy-mautic", "--interval", "0s"}, "watch: --interval 0s: give a positive refresh interval, such as 1s"},
		{exampleFile, []string{"watch", "sellsy-mautic", "--interval", "-1s"}, "watch: --interval -1s: give a positive"},
		// What passes the checks goes on to the server (unreachable here).
		{exampleFile, []string{"start", "import", "sellsy-mautic"}, "temporal at 127.0.0.1:1"},
		{exampleFile, []string{"start", "--dry-run", "import", "sellsy-mautic"}, "temporal at 127.0.0.1:1"},
		{exampleFile, []string{"push", "sellsy-mautic", "--id", "1", "--object", "company"}, "temporal at 127.0.0.1:1"},
		{exampleFile, []string{"watch", "sellsy-mautic", "--interval", "10ms"}, "temporal at 127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Setenv("CRMSYNC_CONNECTIONS", tt.connections)
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Without connection files to read (a host that reaches only Temporal), start and push --id
// say on stderr that the name goes unchecked, and go on.
func TestUncheckedNameGoesOnWithANote(t *testing.T) {
	t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", "127.0.0.1:1")
	empty := t.TempDir()
	tests := []struct {
		connections string
		args        []string
		wantNote    string
	}{
		{"./nowhere", []string{"start", "import", "x", "--wait"}, `crmsync: note: start import: connection "x" not checked: no connection file read here (CRMSYNC_CONNECTIONS=./nowhere: `},
		{empty, []string{"start", "sync", "x"}, `crmsync: note: start sync: connection "x" not checked: no connection file read here (CRMSYNC_CONNECTIONS=` + empty + `: no connection file there)`},
		{"./nowhere", []string{"push", "x", "--id", "1", "--object", "order"}, `crmsync: note: push: connection "x" and --object "order" not checked: no connection file read here`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Setenv("CRMSYNC_CONNECTIONS", tt.connections)
			var note bytes.Buffer
			stderr = &note
			t.Cleanup(func() { stderr = os.Stderr })
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "temporal at 127.0.0.1:1", "on to the server")
			assert.Contains(t, note.String(), tt.wantNote)
		})
	}
}

// A connection without workflows is more likely misspelt when the files do not have it: the
// error then names those they have instead of telling to start it. With no file to read, a
// name Temporal knows no workflow of matches nothing, and is not told to be started either.
func TestNoWorkflowHint(t *testing.T) {
	ended := map[string]fakeWorkflow{workflows.ImportWorkflowID("sellsy-mautik"): {status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED}}
	tests := []struct {
		connections, name string
		workflows         map[string]fakeWorkflow
		want              string
	}{
		{exampleFile, "sellsy-mautic", nil, " (start one with `crmsync start sync sellsy-mautic`)"},
		{exampleFile, "sellsy-mautik", nil, `: no connection named "sellsy-mautik" in CRMSYNC_CONNECTIONS=` + exampleFile + ` (did you mean sellsy-mautic?) (connections: sellsy-mautic)`},
		{"./nowhere", "sellsy-mautik", ended, " (start one with `crmsync start sync sellsy-mautik`)"},
		{"./nowhere", "sellsy-mautik", nil, `: Temporal knows no workflow of connection "sellsy-mautik", and no connection file read here (CRMSYNC_CONNECTIONS=./nowhere: ./nowhere: no such file or folder) to check the name: check its spelling`},
	}
	for _, tt := range tests {
		t.Run(tt.connections+" "+tt.name, func(t *testing.T) {
			f := &fakeTemporal{workflows: tt.workflows}
			assert.Equal(t, tt.want, noWorkflowHint(context.Background(), f, settings{Connections: tt.connections}, tt.name, "start sync"))
		})
	}
}
