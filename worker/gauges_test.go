package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/workflows"
)

// phases stands in for crmsync's workflows: it publishes the phase each "phase" signal gives.
func phases(ctx workflow.Context, connection string) error {
	ch := workflow.GetSignalChannel(ctx, "phase")
	for {
		var phase string
		ch.Receive(ctx, &phase)
		if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.AttrConnection.ValueSet(connection), workflows.AttrPhase.ValueSet(phase)); err != nil {
			return err
		}
	}
}

// The gauges come from visibility and the store, not from the worker that ran the workflow:
// the collector here has run none of them, and reports each one's phase as it changes. On the
// dev server, and on the Temporal server with its visibility in PostgreSQL, as in production.
func TestConnectionGaugesReadVisibilityAndTheStore(t *testing.T) {
	servers := []struct {
		name   string
		client func(t *testing.T) client.Client
	}{
		{"dev server", func(t *testing.T) client.Client { return testenv.DevServer(t).Client() }},
		{"server on PostgreSQL", func(t *testing.T) client.Client {
			c := testenv.StartProductionServer(t, "postgres://postgres@127.0.0.1:5432/test").Client()
			t.Cleanup(c.Close)
			return c
		}},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) { gaugesFollowTheWorkflows(t, srv.client(t)) })
	}
}

func gaugesFollowTheWorkflows(t *testing.T, c client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, searchattr.Ensure(ctx, c, "default"))

	const queue = "gauges"
	w := worker.New(c, queue, worker.Options{})
	for _, name := range []string{"IncrementalSync", "InitialImport", "PipelineSync"} {
		w.RegisterWorkflowWithOptions(phases, workflow.RegisterOptions{Name: name})
	}
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	start := func(id, workflowType, connection, phase string) {
		t.Helper()
		opts := client.StartWorkflowOptions{ID: id, TaskQueue: queue}
		var err error
		if phase == "" {
			_, err = c.ExecuteWorkflow(ctx, opts, workflowType, connection)
		} else {
			_, err = c.SignalWithStartWorkflow(ctx, id, "phase", phase, opts, workflowType, connection)
		}
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.TerminateWorkflow(context.Background(), id, "", "test over") })
	}
	start("shop/incremental-sync", "IncrementalSync", "shop", workflows.PhasePaused)
	start("shop/initial-import", "InitialImport", "shop", workflows.PhaseSyncing)
	start("shop/import-dry-run", "InitialImport", "shop", workflows.PhasePaused)
	start("legacy/pipeline-sync", "PipelineSync", "legacy", "") // started without attributes

	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "crmsync.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	for _, id := range []string{"7", "8"} {
		require.NoError(t, st.Quarantine(ctx, store.QuarantineEntry{Connection: "shop", Object: "contact", Side: store.SideA, RecordID: id, Reason: "no option", At: time.Now()}))
	}

	gauges := newConnectionGauges(c, "default", queue, st, []string{"shop", "legacy"}, slog.New(slog.DiscardHandler))
	gauges.ttl = 0
	registry := promclient.NewRegistry()
	registry.MustRegister(gauges)
	read := func() map[string]float64 {
		families, err := registry.Gather()
		require.NoError(t, err)
		got := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				key := f.GetName()
				for _, l := range m.GetLabel() {
					key += " " + l.GetName() + "=" + l.GetValue()
				}
				got[key] = m.GetGauge().GetValue()
			}
		}
		return got
	}
	want := map[string]float64{
		"crmsync_paused connection=shop workflow=IncrementalSync": 1,
		"crmsync_paused connection=shop workflow=InitialImport":   1, // its dry run is paused
		"crmsync_paused connection=legacy workflow=PipelineSync":  0,
		"crmsync_quarantined connection=shop":                     2,
		"crmsync_quarantined connection=legacy":                   0,
	}
	var got map[string]float64
	testenv.Eventually(t, 30*time.Second, 200*time.Millisecond, "the gauges", func() bool {
		got = read()
		return equalGauges(got, want)
	})

	require.NoError(t, c.SignalWorkflow(ctx, "shop/incremental-sync", "", "phase", workflows.PhaseWaiting))
	require.NoError(t, c.TerminateWorkflow(ctx, "shop/import-dry-run", "", "done"))
	require.NoError(t, st.ClearQuarantine(ctx, "shop", "contact", store.SideA, "7"))
	want["crmsync_paused connection=shop workflow=IncrementalSync"] = 0
	want["crmsync_paused connection=shop workflow=InitialImport"] = 0
	want["crmsync_quarantined connection=shop"] = 1
	testenv.Eventually(t, 30*time.Second, 200*time.Millisecond, "the gauges after the resume", func() bool {
		got = read()
		return equalGauges(got, want)
	})
}

func equalGauges(got, want map[string]float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return false
		}
	}
	return true
}

// stuckTemporal answers no list until the caller gives up.
type stuckTemporal struct{}

func (stuckTemporal) ListWorkflow(ctx context.Context, _ *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// With Temporal unreachable, a scrape still answers in time: the paused gauges are left out
// (never reported stale) and the rest is there.
func TestConnectionGaugesWhenTemporalDoesNotAnswer(t *testing.T) {
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "crmsync.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	var logs bytes.Buffer
	gauges := newConnectionGauges(stuckTemporal{}, "default", "crmsync", st, []string{"shop"}, slog.New(slog.NewTextHandler(&logs, nil)))
	gauges.timeout = 100 * time.Millisecond
	registry := promclient.NewRegistry()
	registry.MustRegister(gauges)
	began := time.Now()
	families, err := registry.Gather()
	require.NoError(t, err)
	assert.Less(t, time.Since(began), 2*time.Second)
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	assert.Equal(t, []string{MetricQuarantined}, names)
	assert.Contains(t, logs.String(), "metrics: crmsync_paused left out")
	assert.Contains(t, logs.String(), "context deadline exceeded")
}
