package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/workflows"
)

// A worker gone a moment ago (killed, its machine lost) answers no query, and the server waits
// for it until each query's deadline: status asked each workflow of each connection in turn,
// waiting queryTimeout for every one, a minute and more for a few connections, when an operator
// needs it most. Once a query has gone unanswered, status sends no more (those already sent,
// for the connections asked about side by side, wait together): it waits queryTimeout once,
// and says, as before, that no worker answered, with the phase each workflow last published.
func TestStatusAnswersPromptlyWhenNoWorkerAnswers(t *testing.T) {
	old := queryTimeout
	queryTimeout = 400 * time.Millisecond
	t.Cleanup(func() { queryTimeout = old })
	var names []string // more than status asks about at once
	for i := range overviewConcurrency + 2 {
		names = append(names, fmt.Sprintf("c%d", i+1))
	}
	dir := t.TempDir()
	example, err := os.ReadFile(exampleFile)
	require.NoError(t, err)
	wfs := map[string]fakeWorkflow{}
	for _, name := range names {
		file := strings.Replace(string(example), "name: sellsy-mautic", "name: "+name, 1)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(file), 0o600))
		wfs[workflows.ImportWorkflowID(name)] = fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, closed: time.Now(), phase: workflows.PhaseDone, unanswered: true}
		wfs[workflows.SyncWorkflowID(name)] = fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING, phase: workflows.PhaseWaiting, unanswered: true}
		wfs[workflows.PipelineWorkflowID(name)] = fakeWorkflow{status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING, phase: workflows.PhaseSyncing, unanswered: true}
	}
	tests := []struct {
		args []string
		want []string
	}{
		// Twenty queries unanswered, one after another: 8 s.
		{args: []string{"status"}, want: []string{
			"c3          done    waiting  —       —           —           syncing    —            " + errNoAnswer.Error(),
			`No worker polls the task queue "crmsync": nothing runs until one does.`}},
		{args: []string{"status", "--json"}, want: []string{`"sync": "waiting"`, `"pipelines": "syncing"`, `"workers": 0`}},
		// Three: the completed import's too, 1.2 s.
		{args: []string{"status", "c2"}, want: []string{
			"c2/initial-import\ncompleted at ",
			"query c2/initial-import: " + errNoAnswer.Error() + "\nlast published: done\n\n",
			"c2/incremental-sync\nquery c2/incremental-sync: " + errNoAnswer.Error() + "\nlast published: waiting\n\n",
			"c2/pipeline-sync\nquery c2/pipeline-sync: " + errNoAnswer.Error() + "\nlast published: syncing\n"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			useFake(t, &fakeTemporal{workflows: wfs, noWorker: true})
			t.Setenv("CRMSYNC_CONNECTIONS", dir)
			var out bytes.Buffer
			began := time.Now()
			require.NoError(t, run(context.Background(), tt.args, &out))
			took := time.Since(began)
			assert.Less(t, took, 2*queryTimeout, "the worker is waited for once, not once per workflow")
			assert.GreaterOrEqual(t, took, queryTimeout, "the worker is given its time to answer")
			for _, w := range tt.want {
				assert.Contains(t, out.String(), w)
			}
		})
	}
}

// Against a server, with the worker gone a moment ago: every query waits for it, and status
// asked each workflow of each connection in turn, until each query's deadline (the server
// gives up on one after about 2.5 s of its 5: 15 s for these three connections, 7.5 s for
// `status c1`). It answers within one queryTimeout, saying that no worker answered, with the
// phase each workflow last published.
func TestStatusWithTheWorkerGoneAgainstAServer(t *testing.T) {
	names := []string{"c1", "c2", "c3"}
	s := startStubServer(t, names...)
	for _, name := range names {
		s.start(t, workflows.ImportWorkflowID(name), "InitialImport", name)
		s.start(t, workflows.SyncWorkflowID(name), "IncrementalSync", name)
		s.start(t, workflows.PipelineWorkflowID(name), "PipelineSync", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, run(ctx, []string{"pause", "c2"}, &bytes.Buffer{}))
	// Both workflows that show paused below: the pipelines hear the pause apart from the sync.
	testenv.Eventually(t, 30*time.Second, 50*time.Millisecond, "c2 paused", func() bool {
		return s.phase(t, workflows.SyncWorkflowID("c2")) == workflows.PhasePaused && s.phase(t, workflows.PipelineWorkflowID("c2")) == workflows.PhasePaused
	})
	s.worker.Stop()

	tests := []struct {
		args []string
		want []string
	}{
		// QUARANTINED: the count each sync last published, which Temporal keeps.
		{args: []string{"status"}, want: []string{
			"c1          done    waiting  —       —           —           waiting    2            " + errNoAnswer.Error() + "\n",
			"c2          done    paused   —       —           —           paused     2            " + errNoAnswer.Error() + "\n",
			"With no worker answering, QUARANTINED is the count each workflow last published"}},
		{args: []string{"status", "--json"}, want: []string{`"sync": "paused"`, `"quarantined": 2`}},
		{args: []string{"status", "c1"}, want: []string{
			"c1/initial-import\ncompleted at ",
			"query c1/initial-import: " + errNoAnswer.Error() + "\nlast published: done\n\n",
			"c1/incremental-sync\nquery c1/incremental-sync: " + errNoAnswer.Error() + "\nlast published: waiting, 2 in quarantine\n\n",
			"c1/pipeline-sync\nquery c1/pipeline-sync: " + errNoAnswer.Error() + "\nlast published: waiting, 2 in quarantine\n"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			began := time.Now()
			require.NoError(t, run(ctx, tt.args, &out))
			took := time.Since(began)
			assert.Less(t, took, queryTimeout+time.Second, "the worker is waited for once, not once per workflow")
			for _, w := range tt.want {
				assert.Contains(t, out.String(), w)
			}
		})
	}
}

// With no worker answering, status's QUARANTINED column showed "—" for every connection,
// though Temporal keeps, without a worker, the count each workflow last published
// (CrmQuarantined): the sync's, or the import's before there is a sync, as when a worker
// answers. The table says those counts are the last published; --json gives them as
// quarantined. A worker's answer is shown over the published count.
func TestStatusShowsThePublishedQuarantineWhenNoWorkerAnswers(t *testing.T) {
	old := queryTimeout
	queryTimeout = 100 * time.Millisecond
	t.Cleanup(func() { queryTimeout = old })
	running, completed := enums.WORKFLOW_EXECUTION_STATUS_RUNNING, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name      string
		workflows map[string]fakeWorkflow
		wantRow   string
		wantJSON  string // "": no quarantined in the JSON
		wantNote  bool
	}{
		{name: "the sync's",
			workflows: map[string]fakeWorkflow{
				workflows.ImportWorkflowID("c1"): {status: completed, closed: time.Now(), phase: workflows.PhaseDone, quarantined: n(7), unanswered: true},
				workflows.SyncWorkflowID("c1"):   {status: running, phase: workflows.PhaseWaiting, quarantined: n(3), unanswered: true}},
			wantRow: "c1          done    waiting  —       —           —           —          3            " + errNoAnswer.Error(), wantJSON: `"quarantined": 3`, wantNote: true},
		{name: "the import's, before there is a sync",
			workflows: map[string]fakeWorkflow{
				workflows.ImportWorkflowID("c1"): {status: running, phase: workflows.PhaseImporting, quarantined: n(2), unanswered: true}},
			wantRow: "c1          importing  —     —       —           —           —          2            " + errNoAnswer.Error(), wantJSON: `"quarantined": 2`, wantNote: true},
		{name: "none published yet",
			workflows: map[string]fakeWorkflow{
				workflows.ImportWorkflowID("c1"): {status: completed, closed: time.Now(), phase: workflows.PhaseDone, quarantined: n(7), unanswered: true},
				workflows.SyncWorkflowID("c1"):   {status: running, unanswered: true}},
			wantRow: "c1          done    running  —       —           —           —          —            " + errNoAnswer.Error()},
		{name: "a worker answers",
			workflows: map[string]fakeWorkflow{
				workflows.SyncWorkflowID("c1"): {status: running, phase: workflows.PhaseWaiting, quarantined: n(3),
					progress: workflows.Progress{Phase: workflows.PhaseWaiting, Quarantined: 5, Cycles: 1}}},
			wantRow: "c1          —       waiting  1       —           —           —          5            —", wantJSON: `"quarantined": 5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			example, err := os.ReadFile(exampleFile)
			require.NoError(t, err)
			file := strings.Replace(string(example), "name: sellsy-mautic", "name: c1", 1)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "c1.yaml"), []byte(file), 0o600))
			useFake(t, &fakeTemporal{workflows: tt.workflows})
			t.Setenv("CRMSYNC_CONNECTIONS", dir)

			var out bytes.Buffer
			require.NoError(t, run(context.Background(), []string{"status"}, &out))
			assert.Contains(t, out.String(), tt.wantRow+"\n")
			note := "With no worker answering, QUARANTINED is the count each workflow last published"
			if tt.wantNote {
				assert.Contains(t, out.String(), note)
			} else {
				assert.NotContains(t, out.String(), note)
			}

			out.Reset()
			require.NoError(t, run(context.Background(), []string{"status", "--json"}, &out))
			if tt.wantJSON != "" {
				assert.Contains(t, out.String(), tt.wantJSON)
			} else {
				assert.NotContains(t, out.String(), `"quarantined"`)
			}
		})
	}
}
