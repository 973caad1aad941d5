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

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/workflows"
)

// push, quarantine --retry and start import --dry-run wait for their workflow's result: with
// no worker polling the task queue (none runs, or CRMSYNC_TASK_QUEUE is not the worker's) they
// waited for ever, saying nothing, and left behind a workflow no worker serves, holding its id
// (the next push of the record joins it). They refuse instead, saying why. The other starts go
// on (a worker may come later) with a note on stderr.
func TestCommandsThatWaitRefuseWhenNoWorkerPolls(t *testing.T) {
	push := activities.PushInput{Connection: "c", Object: "contact", Side: "b", ID: "42"}
	const noWorker = `no worker polls the task queue "crmsync"`
	tests := []struct {
		args     []string
		wantErr  string // "": started, with wantNote on stderr
		wantNote string
		started  string
	}{
		{args: []string{"push", "c", "--id", "42"}, wantErr: "push: " + noWorker},
		{args: []string{"quarantine", "c", "--retry"}, wantErr: "quarantine --retry: " + noWorker},
		{args: []string{"start", "import", "c", "--dry-run"}, wantErr: "start import: " + noWorker},
		{args: []string{"start", "import", "c"}, wantNote: "crmsync: note: start import: " + noWorker + ": c/initial-import waits until one does", started: workflows.ImportWorkflowID("c")},
		{args: []string{"start", "pipelines", "c"}, wantNote: "crmsync: note: start pipelines: " + noWorker, started: workflows.PipelineWorkflowID("c")},
	}
	old := workerGrace
	workerGrace = 100 * time.Millisecond
	t.Cleanup(func() { workerGrace = old })
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := &fakeTemporal{workflows: map[string]fakeWorkflow{}, noWorker: true,
				results: map[string]any{workflows.PushWorkflowID(push): activities.Counts{Read: 1, CreatedA: 1}}}
			useFake(t, f)
			var note bytes.Buffer
			stderr = &note
			t.Cleanup(func() { stderr = os.Stderr })
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), "start crmsync-worker, or set CRMSYNC_TASK_QUEUE and CRMSYNC_NAMESPACE to the worker's")
				assert.Empty(t, f.started, "nothing started")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{tt.started}, f.started)
			assert.Contains(t, note.String(), tt.wantNote)
		})
	}
}

// A worker that starts as the command runs (a deploy; the worker logs that it started before
// it polls) is given a few seconds to poll: the command goes on once it does.
func TestCommandsThatWaitGiveAStartingWorkerTime(t *testing.T) {
	push := activities.PushInput{Connection: "c", Object: "contact", Side: "b", ID: "42"}
	f := &fakeTemporal{workflows: map[string]fakeWorkflow{}, idleFor: 2,
		results: map[string]any{workflows.PushWorkflowID(push): activities.Counts{Read: 1, CreatedA: 1}}}
	useFake(t, f)
	stderr = &bytes.Buffer{}
	t.Cleanup(func() { stderr = os.Stderr })
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"push", "c", "--id", "42"}, &out))
	assert.Contains(t, out.String(), "created 1")
	assert.Equal(t, []string{workflows.PushWorkflowID(push)}, f.started)
}

// A start asks once whether a worker polls: a dry run, which requireWorker lets through only
// once one does, asked again for the note of the starts that go on without one.
func TestStartDescribesTheTaskQueueOnce(t *testing.T) {
	tests := [][]string{
		{"start", "import", "c", "--dry-run"},
		{"start", "import", "c"},
		{"start", "pipelines", "c"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := &fakeTemporal{workflows: map[string]fakeWorkflow{}, results: map[string]any{}}
			useFake(t, f)
			stderr = &bytes.Buffer{}
			t.Cleanup(func() { stderr = os.Stderr })
			_ = run(context.Background(), args, &bytes.Buffer{}) // what comes after the start is not this test's
			require.NotEmpty(t, f.started)
			assert.Equal(t, 1, f.queues)
		})
	}
}
