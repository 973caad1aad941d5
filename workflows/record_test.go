package workflows

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/internal/testenv"
)

// TestRecordVersionedHistories records, on a dev server with stand-in activities, histories
// that take the paths added behind GetVersion (a bad file's pause, merged deletions, the walk
// by name), so that TestReplayRecordedHistories guards them as it guards the older ones.
// Run it with CRMSYNC_RECORD_WORKFLOW_HISTORY=1 and TEMPORAL_CLI; it overwrites those three
// files, so run it when a workflow change is meant to change them.
func TestRecordVersionedHistories(t *testing.T) {
	recordingAsked(t, "1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := recordingServer(t)

	// Each connection's file is bad on its first reading, then fixed.
	var mu sync.Mutex
	described := map[string]int{}
	describe := func(_ context.Context, conn string) (activities.ConnectionInfo, error) {
		mu.Lock()
		defer mu.Unlock()
		described[conn]++
		if described[conn] == 1 {
			return activities.ConnectionInfo{}, temporal.NewNonRetryableApplicationError(conn+".yaml: objects[0].fields[2].direction: must be both, a_to_b or b_to_a", activities.ErrTypeConfiguration, nil)
		}
		return activities.ConnectionInfo{Objects: []string{"company", "contact"}, Interval: 2 * time.Second, ASystem: "sellsy", BSystem: "mautic"}, nil
	}
	w := worker.New(c, "record", worker.Options{})
	w.RegisterWorkflow(InitialImport)
	w.RegisterWorkflow(IncrementalSync)
	w.RegisterWorkflow(PipelineSync)
	for name, fn := range map[string]any{
		"DescribeConnection": describe,
		"SyncPass": func(_ context.Context, in activities.PassInput) (activities.PassResult, error) {
			return activities.PassResult{Done: in.Position != "", Position: "1", Counts: activities.Counts{Read: 1}}, nil
		},
		"Stats": func(context.Context, string) (activities.StoreStats, error) { return activities.StoreStats{}, nil },
		"PropagateDeletes": func(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
			return activities.DeleteResult{Propagated: len(in.IDs)}, nil
		},
		"PropagateStages": func(_ context.Context, in activities.StageInput) (activities.StageResult, error) {
			return activities.StageResult{Checked: len(in.IDs), Done: true}, nil
		},
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	require.NoError(t, w.Start())
	defer w.Stop()

	phase := func(id string) string { return publishedPhase(ctx, c, id) }
	waitPhase := func(id, want string) {
		require.Eventually(t, func() bool { return phase(id) == want }, time.Minute, 100*time.Millisecond, "%s: %s", id, want)
	}
	status := func(id, runID string) enums.WorkflowExecutionStatus {
		d, err := c.DescribeWorkflowExecution(ctx, id, runID)
		if err != nil {
			return enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED
		}
		return d.WorkflowExecutionInfo.Status
	}
	write := func(id, runID, name string) {
		path := filepath.Join("testdata", name+".json")
		require.NoError(t, testenv.WriteHistory(ctx, c, id, runID, path))
		t.Logf("recorded %s", path)
	}
	opts := func(id string) client.StartWorkflowOptions {
		return client.StartWorkflowOptions{ID: id, TaskQueue: "record"}
	}

	// IncrementalSync: paused by the bad file, resumed; a cycle in two stretches per pass;
	// deletions announced while waiting; a second cycle, then continue-as-new.
	run, err := c.ExecuteWorkflow(ctx, opts(SyncWorkflowID("demo")), IncrementalSync, SyncInput{Connection: "demo", MaxCyclesPerRun: 2})
	require.NoError(t, err)
	waitPhase(run.GetID(), PhasePaused)
	require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), "", SignalResume, nil))
	waitPhase(run.GetID(), PhaseWaiting)
	for _, ids := range [][]string{{"7", "9"}, {"9", "11"}} {
		require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), "", SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: ids}))
	}
	require.Eventually(t, func() bool {
		return status(run.GetID(), run.GetRunID()) == enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
	}, time.Minute, 100*time.Millisecond)
	write(run.GetID(), run.GetRunID(), "incremental-sync-bad-file-deletes")
	require.NoError(t, c.TerminateWorkflow(ctx, run.GetID(), "", "recorded"))

	// PipelineSync: paused by the bad file, resumed; a scan; an announced change; a second
	// scan, then continue-as-new.
	run, err = c.ExecuteWorkflow(ctx, opts(PipelineWorkflowID("pipe")), PipelineSync, PipelineInput{Connection: "pipe", MaxScansPerRun: 2})
	require.NoError(t, err)
	waitPhase(run.GetID(), PhasePaused)
	require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), "", SignalResume, nil))
	waitPhase(run.GetID(), PhaseWaiting)
	require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), "", SignalStageChanged, []string{"42", "43"}))
	require.Eventually(t, func() bool {
		return status(run.GetID(), run.GetRunID()) == enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
	}, time.Minute, 100*time.Millisecond)
	write(run.GetID(), run.GetRunID(), "pipeline-sync-bad-file")
	require.NoError(t, c.TerminateWorkflow(ctx, run.GetID(), "", "recorded"))

	// InitialImport: paused by the bad file, resumed, then done.
	run, err = c.ExecuteWorkflow(ctx, opts(ImportWorkflowID("imp")), InitialImport, ImportInput{Connection: "imp"})
	require.NoError(t, err)
	waitPhase(run.GetID(), PhasePaused)
	require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), "", SignalResume, nil))
	require.NoError(t, run.Get(ctx, nil))
	write(run.GetID(), run.GetRunID(), "initial-import-bad-file")
}

// TestRecordPauseAndSliceHistory records an IncrementalSync that takes the paths of the later
// versions (bounded-signal-queues, reconcile-in-slices, pause-holds-deletes-resume-reads-file,
// deletes-guard):
// a queue that overflows, a reconciliation a stretch a cycle carried through continue-as-new,
// a pause during a mass deletion, a resync, one that does not decode, and a resume. Run it
// with CRMSYNC_RECORD_WORKFLOW_HISTORY=pause-slices and TEMPORAL_CLI; it overwrites
// testdata/incremental-sync-pause-slices.json.
func TestRecordPauseAndSliceHistory(t *testing.T) {
	recordingAsked(t, "pause-slices")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := recordingServer(t)
	id := SyncWorkflowID("slices")
	var mu sync.Mutex
	deleteCalls := 0
	w := worker.New(c, "record", worker.Options{})
	w.RegisterWorkflow(IncrementalSync)
	for name, fn := range map[string]any{
		"DescribeConnection": func(context.Context, string) (activities.ConnectionInfo, error) {
			return activities.ConnectionInfo{Objects: []string{"company", "contact"}, Interval: 2 * time.Second, ASystem: "sellsy", BSystem: "mautic",
				Reconcile: time.Hour, ReconcileObjects: []string{"contact"}, MaxDeletes: 1000}, nil
		},
		"SyncPass": func(_ context.Context, in activities.PassInput) (activities.PassResult, error) {
			return activities.PassResult{Done: true, Counts: activities.Counts{Read: 1}}, nil
		},
		"Stats":        func(context.Context, string) (activities.StoreStats, error) { return activities.StoreStats{}, nil },
		"ResetCursors": func(context.Context, activities.ResetInput) error { return nil },
		"Reconcile": func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
			return activities.ReconcileResult{After: in.After + "1", Done: in.After != "", Checked: 1}, nil
		},
		"PropagateDeletes": func(ctx context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
			mu.Lock()
			deleteCalls++
			first := deleteCalls == 1
			mu.Unlock()
			if first { // an operator pauses during the first chunk
				if err := c.SignalWorkflow(ctx, id, "", SignalPause, "is this mass deletion intended?"); err != nil {
					return activities.DeleteResult{}, err
				}
			}
			return activities.DeleteResult{Propagated: len(in.IDs)}, nil
		},
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	require.NoError(t, w.Start())
	defer w.Stop()

	phase := func() string { return publishedPhase(ctx, c, id) }
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "record"}, IncrementalSync,
		SyncInput{Connection: "slices", MaxCyclesPerRun: 4, Tuning: Tuning{MaxQueuedIDs: 300, ReconcileStretches: 1}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return phase() == PhaseWaiting }, time.Minute, 50*time.Millisecond)
	ids := make([]string, 450)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	require.NoError(t, c.SignalWorkflow(ctx, id, "", SignalDeleted, DeletedRequest{Object: "contact", Side: "b", IDs: ids}))
	require.Eventually(t, func() bool { return phase() == PhasePaused }, time.Minute, 50*time.Millisecond)
	require.NoError(t, c.SignalWorkflow(ctx, id, "", SignalResync, map[string]any{"objects": []string{"contact"}, "since": "2026-01-31"}))
	require.NoError(t, c.SignalWorkflow(ctx, id, "", SignalResync, ResyncRequest{Objects: []string{"company"}}))
	require.NoError(t, c.SignalWorkflow(ctx, id, "", SignalResume, nil))
	awaitContinuedAsNew(ctx, t, c, id, run.GetRunID(), 2*time.Minute, 100*time.Millisecond)
	saveRecording(ctx, t, c, id, run.GetRunID(), "incremental-sync-pause-slices")
}

// TestRecordAllowHeldHistory records an IncrementalSync that takes the path of
// allow-deletes-held-reconciliation: a reconciliation that schedule.max_deletes holds (the
// connection pauses), a resume with allow-deletes, and the held reconciliation carried on
// without a limit past the end of the cycle after the resume, into the next cycle, then
// continue-as-new with the allowance in the state. Run it with
// CRMSYNC_RECORD_WORKFLOW_HISTORY=allow-held and TEMPORAL_CLI; it overwrites
// testdata/incremental-sync-allow-held.json.
func TestRecordAllowHeldHistory(t *testing.T) {
	recordingAsked(t, "allow-held")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := recordingServer(t)
	id := SyncWorkflowID("held")
	type stretch struct {
		after string
		guard activities.DeleteGuard
		held  bool
	}
	var mu sync.Mutex
	var got []stretch
	w := worker.New(c, "record", worker.Options{})
	w.RegisterWorkflow(IncrementalSync)
	for name, fn := range map[string]any{
		"DescribeConnection": func(context.Context, string) (activities.ConnectionInfo, error) {
			return activities.ConnectionInfo{Objects: []string{"company", "contact"}, Interval: 2 * time.Second, ASystem: "sellsy", BSystem: "mautic",
				Reconcile: time.Hour, ReconcileObjects: []string{"contact"}, MaxDeletes: 5}, nil
		},
		"SyncPass": func(context.Context, activities.PassInput) (activities.PassResult, error) {
			return activities.PassResult{Done: true, Counts: activities.Counts{Read: 1}}, nil
		},
		"Stats":        func(context.Context, string) (activities.StoreStats, error) { return activities.StoreStats{}, nil },
		"ResetCursors": func(context.Context, activities.ResetInput) error { return nil },
		"PropagateDeletes": func(_ context.Context, in activities.DeleteInput) (activities.DeleteResult, error) {
			return activities.DeleteResult{Propagated: len(in.IDs)}, nil
		},
		// Side a of contact: six stretches deleting three records each; side b: one, none.
		// Past the guard's allowance a stretch is held, its place kept.
		"Reconcile": func(_ context.Context, in activities.ReconcileInput) (activities.ReconcileResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if in.Side == "b" {
				return activities.ReconcileResult{Done: true, Checked: 1}, nil
			}
			s := stretch{after: in.After, guard: in.Guard}
			if in.Guard.Limited && 3 > in.Guard.Allowance {
				s.held = true
				got = append(got, s)
				return activities.ReconcileResult{}, temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("held.yaml: 3 more contact records deleted on mautic would go past schedule.max_deletes (%d left of 5)", in.Guard.Allowance),
					activities.ErrTypeConfiguration, nil, activities.ReconcileResult{After: in.After})
			}
			got = append(got, s)
			return activities.ReconcileResult{After: in.After + "1", Done: len(in.After) == 5, Checked: 1,
				Deletes: activities.DeleteResult{Propagated: 3}}, nil
		},
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	require.NoError(t, w.Start())
	defer w.Stop()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "record"}, IncrementalSync,
		SyncInput{Connection: "held", MaxCyclesPerRun: 3, Tuning: Tuning{ReconcileStretches: 2}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return publishedPhase(ctx, c, id) == PhasePaused }, time.Minute, 50*time.Millisecond)
	// `crmsync resume --allow-deletes`: allow-deletes, then resume.
	require.NoError(t, c.SignalWorkflow(ctx, id, "", SignalAllowDeletes, nil))
	require.NoError(t, c.SignalWorkflow(ctx, id, "", SignalResume, nil))
	awaitContinuedAsNew(ctx, t, c, id, run.GetRunID(), 2*time.Minute, 100*time.Millisecond)
	free, limit := activities.DeleteGuard{}, func(n int) activities.DeleteGuard { return activities.DeleteGuard{Limited: true, Allowance: n} }
	mu.Lock()
	require.Equal(t, []stretch{
		{"", limit(5), false}, {"1", limit(2), true}, // cycle 1: held, paused
		{"1", free, false}, {"11", free, false}, // cycle 2, after the resume: allowed
		{"111", free, false}, {"1111", free, false}, // cycle 3: still allowed (the new path)
	}, got, "the recording did not take the allow-deletes-held-reconciliation path")
	mu.Unlock()
	saveRecording(ctx, t, c, id, run.GetRunID(), "incremental-sync-allow-held")
}

// TestRecordPipelineRecheckHistory records a PipelineSync that takes the path of
// pipeline-recheck-interval: a scan, then a wait of an hour that reads the connection file
// again after fileRecheck (15 minutes, in real time: the recording takes about 16 minutes),
// finds the interval shortened to 2 seconds and scans at once, then continue-as-new. Run it
// with CRMSYNC_RECORD_WORKFLOW_HISTORY=pipeline-recheck, TEMPORAL_CLI and -timeout 30m; it
// overwrites testdata/pipeline-sync-recheck-interval.json.
func TestRecordPipelineRecheckHistory(t *testing.T) {
	recordingAsked(t, "pipeline-recheck")
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	c := recordingServer(t)
	id := PipelineWorkflowID("recheck")
	var mu sync.Mutex
	edited := false
	var scans []time.Time
	w := worker.New(c, "record", worker.Options{})
	w.RegisterWorkflow(PipelineSync)
	for name, fn := range map[string]any{
		"DescribeConnection": func(context.Context, string) (activities.ConnectionInfo, error) {
			mu.Lock()
			defer mu.Unlock()
			interval := time.Hour
			if edited {
				interval = 2 * time.Second
			}
			return activities.ConnectionInfo{Objects: []string{"opportunity"}, Interval: interval, ASystem: "sellsy", BSystem: "altior"}, nil
		},
		"PropagateStages": func(_ context.Context, in activities.StageInput) (activities.StageResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if len(in.IDs) == 0 && in.Position == "" {
				scans = append(scans, time.Now())
			}
			return activities.StageResult{Checked: 1, Done: true}, nil
		},
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	require.NoError(t, w.Start())
	defer w.Stop()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "record"}, PipelineSync,
		PipelineInput{Connection: "recheck", MaxScansPerRun: 2})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return publishedPhase(ctx, c, id) == PhaseWaiting }, time.Minute, 50*time.Millisecond)
	// The interval is edited while the first wait (an hour) runs: the reread at fileRecheck
	// moves the next scan to the last one plus 2 seconds, that is at once.
	mu.Lock()
	edited = true
	mu.Unlock()
	t.Logf("waiting %s for the wait to read the file again", fileRecheck)
	awaitContinuedAsNew(ctx, t, c, id, run.GetRunID(), fileRecheck+3*time.Minute, time.Second)
	mu.Lock()
	require.Len(t, scans, 2)
	gap := scans[1].Sub(scans[0])
	mu.Unlock()
	require.True(t, gap >= fileRecheck && gap < fileRecheck+2*time.Minute,
		"the second scan %s after the first, not at the reread after %s", gap, fileRecheck)
	saveRecording(ctx, t, c, id, run.GetRunID(), "pipeline-sync-recheck-interval")
}

// recordingAsked skips a recorder unless CRMSYNC_RECORD_WORKFLOW_HISTORY asks for it.
func recordingAsked(t *testing.T, which string) {
	t.Helper()
	if os.Getenv("CRMSYNC_RECORD_WORKFLOW_HISTORY") != which {
		t.Skipf("set CRMSYNC_RECORD_WORKFLOW_HISTORY=%s (and TEMPORAL_CLI) to record", which)
	}
}

// awaitContinuedAsNew waits until the run of id has continued as new.
func awaitContinuedAsNew(ctx context.Context, t *testing.T, c client.Client, id, runID string, timeout, tick time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		d, err := c.DescribeWorkflowExecution(ctx, id, runID)
		return err == nil && d.WorkflowExecutionInfo.Status == enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
	}, timeout, tick)
}

// saveRecording writes the history of run id into testdata/<name>.json, then ends it.
func saveRecording(ctx context.Context, t *testing.T, c client.Client, id, runID, name string) {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	require.NoError(t, testenv.WriteHistory(ctx, c, id, runID, path))
	t.Logf("recorded %s", path)
	require.NoError(t, c.TerminateWorkflow(ctx, id, "", "recorded"))
}

// recordingServer starts a dev server with crmsync's search attributes and returns its client.
func recordingServer(t *testing.T) client.Client {
	var attrs []string
	for name, typ := range SearchAttributeTypes() {
		attrs = append(attrs, "--search-attribute", name+"="+typ)
	}
	return testenv.DevServer(t, attrs...).Client()
}

// publishedPhase is the phase a workflow's progress query answers ("" while it cannot answer).
func publishedPhase(ctx context.Context, c client.Client, id string) string {
	v, err := c.QueryWorkflow(ctx, id, "", QueryProgress)
	if err != nil {
		return ""
	}
	var p struct {
		Phase string `json:"phase"`
	}
	if v.Get(&p) != nil {
		return ""
	}
	return p.Phase
}
