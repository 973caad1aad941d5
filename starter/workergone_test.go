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

// A worker that stopped less than pollerSilence before the command still counts as polling:
// requireWorker let push, quarantine --retry and the dry run start their workflow, and they
// then waited for its result for ever, saying nothing. While they wait they ask whether a
// worker still polls, and once none has for pollerSilence they stop, naming the task queue,
// the workflow left running and what becomes of it; start --wait too.
func TestCommandsThatWaitStopWhenTheWorkerGoes(t *testing.T) {
	push := activities.PushInput{Connection: "c", Object: "contact", Side: "b", ID: "42"}
	tests := []struct {
		args []string
		id   string
		then string // what the message says becomes of the workflow
	}{
		{args: []string{"push", "c", "--id", "42"}, id: workflows.PushWorkflowID(push), then: "`crmsync push c --id 42` run again waits for it"},
		{args: []string{"quarantine", "c", "--retry"}, id: workflows.RetryQuarantineWorkflowID("c"), then: "`crmsync quarantine c --retry` run again waits for it"},
		{args: []string{"start", "import", "c", "--dry-run"}, id: workflows.ImportDryRunWorkflowID("c"), then: "the next `crmsync start import c --dry-run` replaces it"},
		{args: []string{"start", "import", "c", "--wait"}, id: workflows.ImportWorkflowID("c"), then: "`crmsync watch c` follows it"},
	}
	oldEvery := workerCheckEvery
	workerCheckEvery = 10 * time.Millisecond
	t.Cleanup(func() { workerCheckEvery = oldEvery })
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := &fakeTemporal{workflows: map[string]fakeWorkflow{}, goneAfter: 3, results: map[string]any{tt.id: neverEnds}}
			useFake(t, f)
			stderr = &bytes.Buffer{}
			t.Cleanup(func() { stderr = os.Stderr })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, tt.args, &bytes.Buffer{})
			require.Error(t, err)
			assert.NoError(t, ctx.Err(), "the command stopped by itself, not at the test's deadline")
			assert.Equal(t, []string{tt.id}, f.started)
			for _, want := range []string{
				`no worker has polled the task queue "crmsync" for 2m0s`,
				"stopped waiting for " + tt.id,
				"it stays started and runs once a worker polls the task queue again",
				tt.then,
				"`temporal workflow terminate --workflow-id " + tt.id + "` drops it",
			} {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

// Against a dev server: the worker stops right after push has started its workflow, which no
// worker then runs. push gives up once the worker has been silent for pollerSilence (shortened
// here) instead of waiting for ever, and the workflow is left running.
func TestPushStopsWaitingWhenTheWorkerStopsAgainstAServer(t *testing.T) {
	oldSilence, oldEvery := pollerSilence, workerCheckEvery
	pollerSilence, workerCheckEvery = 10*time.Second, 500*time.Millisecond
	t.Cleanup(func() { pollerSilence, workerCheckEvery = oldSilence, oldEvery })
	s := startStubServer(t, "c")
	id := workflows.PushWorkflowID(activities.PushInput{Connection: "c", Object: "contact", Side: "b", ID: "42"})
	go func() {
		// The stand-in worker has no PushRecord: the workflow stays running, its result never sent.
		for {
			if _, err := s.c.DescribeWorkflowExecution(context.Background(), id, ""); err == nil {
				s.worker.Stop()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	stderr = &bytes.Buffer{}
	t.Cleanup(func() { stderr = os.Stderr })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	begun := time.Now()
	err := run(ctx, []string{"push", "c", "--id", "42"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.NoError(t, ctx.Err(), "push stopped by itself")
	assert.Contains(t, err.Error(), "push: stopped waiting for "+id+`: no worker has polled the task queue "crmsync" for 10s`)
	assert.Less(t, time.Since(begun), pollerSilence+10*time.Second)
	d, err := s.c.DescribeWorkflowExecution(context.Background(), id, "")
	require.NoError(t, err)
	assert.Equal(t, "Running", d.GetWorkflowExecutionInfo().GetStatus().String(), "the workflow is left running")
}
