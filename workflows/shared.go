// Package workflows holds crmsync's deterministic workflow code: InitialImport backfills a
// connection, IncrementalSync keeps it in step. They carry cursors and counts only; records
// stay inside activities.
package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// TaskQueue is where crmsync's workflows and activities run.
const TaskQueue = "crmsync"

// Signal, query and workflow names, part of the CLI's and users' contract.
const (
	SignalPause   = "pause"
	SignalResume  = "resume"
	SignalResync  = "resync"
	SignalSyncNow = "sync-now"
	SignalDeleted = "deleted"
	// SignalAllowDeletes lets the deletions held by schedule.max_deletes go, with the resume
	// that follows it (`crmsync resume --allow-deletes`): announced ones until their queue is empty,
	// a held reconciliation until it has checked the whole id map.
	SignalAllowDeletes = "allow-deletes"
	QueryProgress      = "progress"
)

// Phases shown in the progress query, search attributes and the web UI.
const (
	PhaseStarting  = "starting"
	PhaseImporting = "importing"
	PhaseSyncing   = "syncing"
	PhaseWaiting   = "waiting"
	PhasePaused    = "paused"
	PhaseDone      = "done"
)

// Search attributes that show a connection's state in the web UI list, without personal data.
var (
	AttrConnection  = temporal.NewSearchAttributeKeyKeyword("CrmConnection")
	AttrPhase       = temporal.NewSearchAttributeKeyKeyword("CrmPhase")
	AttrRecords     = temporal.NewSearchAttributeKeyInt64("CrmRecordsRead")
	AttrQuarantined = temporal.NewSearchAttributeKeyInt64("CrmQuarantined")
)

// SearchAttributeTypes lists the custom search attributes, for registering them on a server.
func SearchAttributeTypes() map[string]string {
	return map[string]string{"CrmConnection": "Keyword", "CrmPhase": "Keyword", "CrmRecordsRead": "Int", "CrmQuarantined": "Int"}
}

// ImportWorkflowID and SyncWorkflowID are the readable ids of a connection's workflows.
func ImportWorkflowID(connection string) string { return connection + "/initial-import" }

// SyncWorkflowID is the id of a connection's IncrementalSync.
func SyncWorkflowID(connection string) string { return connection + "/incremental-sync" }

// ResyncRequest asks IncrementalSync to read objects again from Since (zero: everything).
type ResyncRequest struct {
	Objects []string  `json:"objects,omitempty"`
	Since   time.Time `json:"since,omitempty"`
}

// DeletedRequest tells IncrementalSync that records were deleted on one side (the webhook
// receiver sends it). Ids only: no personal data enters the history.
type DeletedRequest struct {
	Object string   `json:"object"`
	Side   string   `json:"side"`
	IDs    []string `json:"ids"`
}

// Tuning bounds the size of activities; zero values take the defaults. Tests shorten them.
type Tuning struct {
	Stretch  time.Duration // running time of one activity (about a minute)
	PageSize int
	// MaxActivitiesPerRun bounds history: the workflow continues as new past it, or earlier
	// when the server suggests it.
	MaxActivitiesPerRun int
	// HeartbeatTimeout detects a lost worker; its activity is retried from the last page.
	HeartbeatTimeout time.Duration
	// MaxSignalsPerRun keeps a run well under the server's limit of signals per execution
	// (10,000 by default) when webhooks announce a mass deletion or stage change.
	MaxSignalsPerRun int `json:",omitempty"`
	// MaxQueuedIDs bounds the ids of announced deletions (and of stage changes) a workflow
	// keeps while it is paused or busy: past it, deletions are left to the next
	// reconciliation and stage changes to the next scan.
	MaxQueuedIDs int `json:",omitempty"`
	// ReconcileStretches bounds the stretches a reconciliation runs in one cycle (default
	// 5, a few minutes): the rest of a large id map is checked at the next cycles.
	ReconcileStretches int `json:",omitempty"`
}

func (t Tuning) withDefaults() Tuning {
	if t.Stretch <= 0 {
		t.Stretch = activities.DefaultStretch
	}
	if t.PageSize <= 0 {
		t.PageSize = activities.DefaultPageSize
	}
	if t.MaxActivitiesPerRun <= 0 {
		t.MaxActivitiesPerRun = 500
	}
	if t.HeartbeatTimeout <= 0 {
		t.HeartbeatTimeout = 20 * time.Second
	}
	if t.MaxSignalsPerRun <= 0 {
		t.MaxSignalsPerRun = 2000
	}
	if t.MaxQueuedIDs <= 0 {
		t.MaxQueuedIDs = 10000
	}
	if t.ReconcileStretches <= 0 {
		t.ReconcileStretches = 5
	}
	return t
}

// ObjectProgress is the progress of one object of a connection.
type ObjectProgress struct {
	Object string            `json:"object"`
	Done   bool              `json:"done"`
	Counts activities.Counts `json:"counts"`
	Pairs  int               `json:"pairs"`
}

// Progress is what the `progress` query returns, and what `crmsync status` prints.
type Progress struct {
	Connection  string           `json:"connection"`
	Workflow    string           `json:"workflow"`
	Phase       string           `json:"phase"`
	PauseReason string           `json:"pause_reason,omitempty"`
	Object      string           `json:"object,omitempty"` // being synced now
	Side        string           `json:"side,omitempty"`
	Objects     []ObjectProgress `json:"objects"`
	Cycles      int              `json:"cycles,omitempty"`
	LastCycleAt time.Time        `json:"last_cycle_at,omitzero"`
	// Deletes counts what became of deletions (webhooks and reconciliations).
	Deletes         activities.DeleteResult `json:"deletes,omitzero"`
	LastReconcileAt time.Time               `json:"last_reconcile_at,omitzero"`
	// FullReads counts the cycles that read everything again (schedule.full_read), the last
	// at LastFullReadAt.
	FullReads      int       `json:"full_reads,omitempty"`
	LastFullReadAt time.Time `json:"last_full_read_at,omitzero"`
	NextCycleAt    time.Time `json:"next_cycle_at,omitzero"`
	Quarantined    int       `json:"quarantined"`
	Started        time.Time `json:"started"`
	Runs           int       `json:"runs"` // continue-as-new generations
}

func (p *Progress) object(name string) *ObjectProgress {
	for i := range p.Objects {
		if p.Objects[i].Object == name {
			return &p.Objects[i]
		}
	}
	p.Objects = append(p.Objects, ObjectProgress{Object: name})
	return &p.Objects[len(p.Objects)-1]
}

// Total adds up the counts of every object.
func (p *Progress) Total() activities.Counts {
	var t activities.Counts
	for _, o := range p.Objects {
		t.Add(o.Counts)
	}
	return t
}

// passActivityOptions retries transient failures without end (a backfill must persevere; the
// UI shows the attempts and the last failure) and never retries configuration errors.
func passActivityOptions(ctx workflow.Context, t Tuning) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// A stretch stops after its current page; on a slow API (MiniCRM: a request a second,
		// a page of 100 records several minutes) that page may be long. Pages heartbeat while
		// they run, so a lost worker is found by the heartbeat timeout; this only bounds a
		// stuck one.
		StartToCloseTimeout: t.Stretch + time.Hour,
		HeartbeatTimeout:    t.HeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        2 * time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeConfiguration},
		},
	})
}

func shortActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeConfiguration},
		},
	})
}

// configurationError returns the message of a configuration error, or "" for any other.
func configurationError(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeConfiguration {
		return appErr.Message()
	}
	return ""
}

// heldDetails decodes into v what an activity did before it failed with a configuration
// error that carries it (schedule.max_deletes holding deletions back).
func heldDetails(err error, v any) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(v) == nil
}

// showDetails sets the workflow page's current details from the progress. It makes no
// command, so a run may call it anywhere: a run continued as new starts with no details (the
// search attributes are carried over, not they), and it may wait an interval before it
// publishes.
func showDetails(ctx workflow.Context, p *Progress) {
	// details formats with fmt.Fprintf into a strings.Builder: deterministic, whatever
	// workflowcheck assumes of fmt.
	workflow.SetCurrentDetails(ctx, details(p)) //workflowcheck:ignore
}

// publishPaused shows the workflow paused, with the reason, in its progress and the UI.
func publishPaused(ctx workflow.Context, p *Progress, reason string) {
	p.Phase, p.PauseReason = PhasePaused, reason
	publish(ctx, p)
}

// publish shows the progress in the web UI: search attributes for the list, current details
// for the workflow page.
func publish(ctx workflow.Context, p *Progress) {
	t := p.Total()
	_ = workflow.UpsertTypedSearchAttributes(ctx,
		AttrConnection.ValueSet(p.Connection),
		AttrPhase.ValueSet(p.Phase),
		AttrRecords.ValueSet(int64(t.Read)),
		AttrQuarantined.ValueSet(int64(p.Quarantined)),
	)
	showDetails(ctx, p)
	if !p.LastCycleAt.IsZero() {
		workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"connection": p.Connection, "workflow": p.Workflow}).
			Gauge(MetricLastCycle).Update(float64(p.LastCycleAt.Unix()))
	}
}

// MetricLastCycle is when IncrementalSync last finished a cycle (unix seconds): alert when it
// falls behind the interval. The SDK leaves it out while a workflow replays; a worker the
// workflow moved away from keeps an older value, which max() by connection passes over.
// Whether a connection is paused and its quarantine are read by the worker from visibility
// and the store (worker/gauges.go), true on every worker.
const MetricLastCycle = "crmsync_last_cycle_timestamp_seconds"

func details(p *Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** — connection `%s`", p.Phase, p.Connection)
	if p.PauseReason != "" {
		fmt.Fprintf(&b, "\n\nPaused: %s\n\nFix it, then send the `resume` signal.", p.PauseReason)
	}
	if p.Object != "" && p.Phase != PhaseWaiting && p.Phase != PhasePaused {
		fmt.Fprintf(&b, "\n\nNow: %s, reading side %s", p.Object, p.Side)
	}
	b.WriteString("\n\n| object | read | created A | created B | updated A | updated B | conflicts | quarantined |\n|---|---|---|---|---|---|---|---|\n")
	for _, o := range p.Objects {
		c := o.Counts
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d |\n", o.Object, c.Read, c.CreatedA, c.CreatedB, c.UpdatedA, c.UpdatedB, c.Conflicts, c.Quarantined)
	}
	if !p.NextCycleAt.IsZero() && p.Phase == PhaseWaiting {
		fmt.Fprintf(&b, "\nNext cycle at %s (send `sync-now` to run it at once).", p.NextCycleAt.Format(time.RFC3339))
	}
	return b.String()
}
