package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/workflows"
)

// stubServer is a dev server whose task queue a stand-in worker serves: workflows under the
// names of crmsync's that publish their phase, answer the progress query and pause on the
// pause signal as crmsync's do, without the systems behind them. It is for what the command
// reads of them: phases, queries, whether a worker answers.
type stubServer struct {
	c      client.Client
	worker worker.Worker
}

// startStubServer starts a dev server on which a query waits for a worker gone a moment ago
// for the whole test (as for 20 s by default, matching.queryPollerUnavailableWindow), serves
// its task queue with the stand-in workflows, and points the command at it, with a connection
// file for each of names.
func startStubServer(t *testing.T, names ...string) *stubServer {
	t.Helper()
	srv := testenv.DevServer(t, "--dynamic-config-value", `matching.queryPollerUnavailableWindow="1h"`)
	c, err := client.Dial(client.Options{HostPort: srv.FrontendHostPort(), Logger: quietLogger{}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, searchattr.Ensure(ctx, c, "default"))
	w := worker.New(c, "crmsync", worker.Options{})
	w.RegisterWorkflowWithOptions(stubImport, workflow.RegisterOptions{Name: "InitialImport"})
	w.RegisterWorkflowWithOptions(stubRunning, workflow.RegisterOptions{Name: "IncrementalSync"})
	w.RegisterWorkflowWithOptions(stubRunning, workflow.RegisterOptions{Name: "PipelineSync"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop) // a second Stop does nothing

	dir := t.TempDir()
	example, err := os.ReadFile(exampleFile)
	require.NoError(t, err)
	for _, name := range names {
		file := strings.Replace(string(example), "name: sellsy-mautic", "name: "+name, 1)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(file), 0o600))
	}
	t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", srv.FrontendHostPort())
	t.Setenv("CRMSYNC_CONNECTIONS", dir)
	t.Setenv("CRMSYNC_DATA_DIR", t.TempDir())
	return &stubServer{c: c, worker: w}
}

// start starts a stand-in workflow under its crmsync id, and waits until it has published its
// phase.
func (s *stubServer) start(t *testing.T, id, typ, connection string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "crmsync"}, typ, workflows.SyncInput{Connection: connection})
	require.NoError(t, err)
	testenv.Eventually(t, 30*time.Second, 50*time.Millisecond, id+" publishing its phase", func() bool { return s.phase(t, id) != "" })
}

// phase is the phase a workflow last published.
func (s *stubServer) phase(t *testing.T, id string) string {
	t.Helper()
	d, err := s.c.DescribeWorkflowExecution(context.Background(), id, "")
	require.NoError(t, err)
	return searchattr.Keyword(d.GetWorkflowExecutionInfo().GetSearchAttributes(), workflows.AttrPhase)
}

// stubImport stands for InitialImport: it completes at once, done.
func stubImport(ctx workflow.Context, in workflows.ImportInput) (workflows.Progress, error) {
	p := workflows.Progress{Connection: in.Connection, Workflow: "InitialImport", Phase: workflows.PhaseDone}
	if err := workflow.SetQueryHandler(ctx, workflows.QueryProgress, func() (workflows.Progress, error) { return p, nil }); err != nil {
		return p, err
	}
	return p, workflow.UpsertTypedSearchAttributes(ctx, workflows.AttrConnection.ValueSet(in.Connection), workflows.AttrPhase.ValueSet(p.Phase))
}

// stubQuarantined is the quarantine count stubRunning answers and publishes.
const stubQuarantined = 2

// stubRunning stands for IncrementalSync and PipelineSync: it waits between cycles until
// stopped, and pauses on the pause signal. It publishes its phase and quarantine count.
func stubRunning(ctx workflow.Context, in workflows.SyncInput) error {
	p := workflows.Progress{Connection: in.Connection, Workflow: workflow.GetInfo(ctx).WorkflowType.Name, Phase: workflows.PhaseWaiting, Quarantined: stubQuarantined}
	if err := workflow.SetQueryHandler(ctx, workflows.QueryProgress, func() (workflows.Progress, error) { return p, nil }); err != nil {
		return err
	}
	publish := func() error {
		return workflow.UpsertTypedSearchAttributes(ctx, workflows.AttrConnection.ValueSet(in.Connection), workflows.AttrPhase.ValueSet(p.Phase),
			workflows.AttrQuarantined.ValueSet(int64(p.Quarantined)))
	}
	if err := publish(); err != nil {
		return err
	}
	pause := workflow.GetSignalChannel(ctx, workflows.SignalPause)
	for {
		pause.Receive(ctx, &p.PauseReason)
		p.Phase = workflows.PhasePaused
		if err := publish(); err != nil {
			return err
		}
	}
}
