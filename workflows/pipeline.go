package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// SignalStageChanged tells PipelineSync that side-A records changed stage (the webhook
// receiver sends it with their ids). Ids only: no personal data enters the history.
const SignalStageChanged = "stage-changed"

// PipelineWorkflowID is the id of a connection's PipelineSync.
func PipelineWorkflowID(connection string) string { return connection + "/pipeline-sync" }

// PipelineInput starts PipelineSync. State is set only by continue-as-new.
type PipelineInput struct {
	Connection string         `json:"connection"`
	Tuning     Tuning         `json:"tuning,omitzero"`
	State      *PipelineState `json:"state,omitempty"`
	// MaxScansPerRun bounds history between continue-as-new (default 100).
	MaxScansPerRun int `json:"max_scans_per_run,omitempty"`
}

// PipelineState is carried from one run to the next.
type PipelineState struct {
	Progress PipelineProgress `json:"progress"`
	Control  control          `json:"control"`
	// Scan is the place of a scan interrupted by continue-as-new or a pause, resumed there.
	Scan *ScanPlace `json:"scan,omitempty"`
	// ScanInterval is the interval NextScanAt was set from (fixes.intervalFromAnyRead).
	ScanInterval time.Duration `json:"scan_interval,omitempty"`
}

// ScanPlace is where a confirming scan stands: its position and when it began.
type ScanPlace struct {
	Position string    `json:"position"`
	Start    time.Time `json:"start"`
}

// PipelineProgress is what the `progress` query of PipelineSync returns.
type PipelineProgress struct {
	Connection  string                 `json:"connection"`
	Phase       string                 `json:"phase"`
	PauseReason string                 `json:"pause_reason,omitempty"`
	Scans       int                    `json:"scans"`
	Announced   int                    `json:"announced"` // records announced by webhooks
	Totals      activities.StageResult `json:"totals"`
	LastScanAt  time.Time              `json:"last_scan_at,omitzero"`
	NextScanAt  time.Time              `json:"next_scan_at,omitzero"`
	Runs        int                    `json:"runs"`
	// Waiting counts the records announced and not handled yet: a pause holds them, or
	// their batch runs. Only the query fills it.
	Waiting int `json:"waiting,omitempty"`
}

// pipelineDetails is what the web UI shows at the top of a PipelineSync's page.
func pipelineDetails(p *PipelineProgress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** — connection `%s`, pipeline sync", p.Phase, p.Connection)
	if p.PauseReason != "" {
		fmt.Fprintf(&b, "\n\nPaused: %s\n\nFix it, then send the `resume` signal.", p.PauseReason)
	}
	t := p.Totals
	fmt.Fprintf(&b, "\n\n| scans | announced | checked | moved | events | back | pending | quarantined |\n|---|---|---|---|---|---|---|---|\n| %d | %d | %d | %d | %d | %d | %d | %d |\n",
		p.Scans, p.Announced, t.Checked, t.Moved, t.Emitted, t.Backward, t.Pending, t.Quarantined)
	if !p.NextScanAt.IsZero() && p.Phase == PhaseWaiting {
		fmt.Fprintf(&b, "\nNext scan at %s (send `sync-now` to run it at once).", p.NextScanAt.Format(time.RFC3339))
	}
	return b.String()
}

// PipelineSync propagates stage changes of a connection's pipelines (Sellsy opportunity steps
// → Altior affaire events). Webhooks announce changes, which are handled at once; a scan
// every interval confirms every record's stage against the one recorded, so a lost webhook
// delays an event but never drops it. Signals: stage-changed, pause, resume, sync-now; query
// progress.
func PipelineSync(ctx workflow.Context, in PipelineInput) error {
	st := in.State
	if st == nil {
		st = &PipelineState{Progress: PipelineProgress{Connection: in.Connection, Phase: PhaseStarting}}
	} else {
		st.Progress.Runs++
	}
	p := &st.Progress
	running := 0 // the announced batch under way, out of the queue (requeue)
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (PipelineProgress, error) {
		q := *p
		q.Waiting = len(st.Control.Changed) + running
		return q, nil
	}); err != nil {
		return err
	}
	// Histories begun before version 1 replay without the phase attribute; from version 1
	// the phase is a search attribute, as for the other workflows, so that the web UI lists
	// it and the workers' crmsync_paused gauge reads it.
	phaseAttribute := workflow.GetVersion(ctx, "pipeline-phase-attribute", workflow.DefaultVersion, 1) == 1
	// From version 1 of pipeline-counts the list shows its counts too, and the workflow's
	// page its details (the pause reason among them), as for the other workflows.
	counts := workflow.GetVersion(ctx, "pipeline-counts", workflow.DefaultVersion, 1) == 1
	published := ""
	setPhase := func(phase string) {
		p.Phase = phase
		if phaseAttribute && phase != published {
			attrs := []temporal.SearchAttributeUpdate{AttrConnection.ValueSet(in.Connection), AttrPhase.ValueSet(phase)}
			if counts {
				attrs = append(attrs, AttrRecords.ValueSet(int64(p.Totals.Checked)), AttrQuarantined.ValueSet(int64(p.Totals.Quarantined)))
			}
			_ = workflow.UpsertTypedSearchAttributes(ctx, attrs...)
			published = phase
		}
		if counts {
			workflow.SetCurrentDetails(ctx, pipelineDetails(p)) //workflowcheck:ignore
		}
	}
	// From version 1 of pipeline-pause-at-once a pause shows as it comes, so that the scan
	// running then stops at its next page (PropagateStages asks), and an announced batch
	// that ran to its end leaves the queue even when a pause came meanwhile.
	pauseAtOnce := workflow.GetVersion(ctx, "pipeline-pause-at-once", workflow.DefaultVersion, 1) == 1
	// From version 1 of pipeline-requeue-announced an announced batch leaves the queue while
	// it runs (see below).
	requeue := workflow.GetVersion(ctx, "pipeline-requeue-announced", workflow.DefaultVersion, 1) == 1
	ch := st.Control.listen(ctx)
	ctl := &st.Control
	if pauseAtOnce {
		// setPhase skips a phase already published, as the recorded histories did.
		ctl.showPauses(&p.Phase, &p.PauseReason, PhaseSyncing, false, func() { setPhase(p.Phase) })
	}
	maxScans := in.MaxScansPerRun
	if maxScans <= 0 {
		maxScans = 100
	}
	t := in.Tuning.withDefaults()
	actx := passActivityOptions(ctx, t)
	var a *activities.Activities
	// The runner's budget: its activities and signals bound this run too.
	r := &runner{connection: in.Connection, tuning: t, ctl: ctl, fixes: getFixes(ctx)}
	ctl.queue(r.fixes.boundedQueues, t.MaxQueuedIDs)
	ctl.settles = r.fixes.settleSignals
	ctl.settlesAll = r.fixes.settleAll
	ctl.countAll = r.fixes.countAllSignals
	fx := r.fixes
	scans := 0
	continueAsNew := func() error {
		ctl.drain(ctx, ch)
		return workflow.NewContinueAsNewError(ctx, PipelineSync, PipelineInput{Connection: in.Connection, Tuning: in.Tuning, State: st, MaxScansPerRun: in.MaxScansPerRun})
	}
	// A bad file pauses the connection until it is fixed and resumed.
	// resumed shows the phase before the pause again; the loop sets the next one at once.
	phase := ""
	paused := func(reason string) {
		phase = p.Phase
		p.PauseReason = reason
		setPhase(PhasePaused)
	}
	resumed := func() {
		p.PauseReason = ""
		setPhase(phase)
	}
	spent := func() bool { return r.budgetSpent(ctx) }
	describeFile := func() (activities.ConnectionInfo, error) {
		info, err := describeOrPause(ctx, in.Connection, fx, ctl, paused, resumed, spent)
		r.count()
		if err == nil && fx.intervalFromAnyRead && st.ScanInterval != 0 && info.Interval != st.ScanInterval && !p.LastScanAt.IsZero() && !p.NextScanAt.IsZero() {
			p.NextScanAt = p.LastScanAt.Add(info.Interval)
			st.ScanInterval = info.Interval
		}
		return info, err
	}
	// propagate runs one PropagateStages; a configuration error pauses the connection.
	refused := false // the last propagate met a configuration error
	propagate := func(si activities.StageInput) (activities.StageResult, error) {
		var res activities.StageResult
		err := workflow.ExecuteActivity(actx, a.PropagateStages, si).Get(ctx, &res)
		ctl.settle(ctx)
		r.activities++
		msg := configurationError(err)
		refused = msg != ""
		if refused {
			ctl.pause(msg)
			return res, nil
		}
		p.Totals.Add(res)
		if counts {
			workflow.SetCurrentDetails(ctx, pipelineDetails(p)) //workflowcheck:ignore
		}
		return res, err
	}
	info, err := describeFile()
	if errors.Is(err, errContinueAsNew) {
		return continueAsNew() // still paused: so is the next run
	} else if err != nil {
		return err
	}
	for {
		if ctl.Paused {
			p.PauseReason = ctl.PauseReason
			setPhase(PhasePaused)
			// Announcements received during a long pause must not fill the run either.
			if err := workflow.Await(ctx, func() bool { return !ctl.Paused || (fx.bounded && spent()) }); err != nil {
				return err
			}
			if ctl.Paused {
				return continueAsNew()
			}
			p.PauseReason = ""
		}
		setPhase(PhaseSyncing)
		// Announced records first, a hundred at a time.
		for len(ctl.Changed) > 0 && !ctl.Paused {
			// A stream of announcements must not grow one run's history without end: the
			// ids not yet handled go on in the next run.
			if fx.bounded && spent() {
				return continueAsNew()
			}
			n := min(len(ctl.Changed), 100)
			batch := ctl.Changed[:n]
			if requeue {
				// Out of the queue while it runs: a record announced again meanwhile moved
				// after the batch may have read it, and is queued again, not taken for a
				// repeat of what the batch holds.
				batch = slices.Clone(batch)
				ctl.Changed = ctl.Changed[n:]
				running = n // the progress query counts it as waiting
			}
			_, err := propagate(activities.StageInput{Connection: in.Connection, IDs: batch, Stretch: t.Stretch})
			running = 0
			if err != nil {
				return err
			}
			handled := !ctl.Paused || (pauseAtOnce && !refused)
			switch {
			case handled && !requeue:
				ctl.Changed = ctl.Changed[n:]
			case !handled && requeue:
				ctl.putBack(batch) // it runs again after the resume
			}
			if handled {
				p.Announced += n
			}
		}
		// The confirming scan, when due.
		if !ctl.Paused && (st.Scan != nil || !workflow.Now(ctx).Before(p.NextScanAt)) {
			si := activities.StageInput{Connection: in.Connection, Stretch: t.Stretch, ScanStart: workflow.Now(ctx)}
			if st.Scan != nil {
				si.Position, si.ScanStart = st.Scan.Position, st.Scan.Start
			}
			for !ctl.Paused {
				// A scan of many stretches must not grow one run's history without end,
				// nor start again from the beginning after a pause.
				if fx.bounded {
					st.Scan = &ScanPlace{Position: si.Position, Start: si.ScanStart}
					if spent() {
						return continueAsNew()
					}
				}
				r, err := propagate(si)
				if err != nil {
					return err
				}
				if fx.bounded && refused {
					break // this stretch goes again after the resume
				}
				if r.Done {
					st.Scan = nil
					scans++
					p.Scans++
					p.LastScanAt = workflow.Now(ctx)
					p.NextScanAt = p.LastScanAt.Add(info.Interval)
					st.ScanInterval = info.Interval
					break
				}
				si.Position = r.Position
				if fx.bounded {
					st.Scan.Position = si.Position
				}
			}
		}
		if ctl.Paused {
			continue
		}
		if scans >= maxScans || spent() {
			return continueAsNew()
		}
		setPhase(PhaseWaiting)
		woken := func() bool { return len(ctl.Changed) > 0 || ctl.Paused || ctl.SyncNow }
		if !fx.pipelineRecheck {
			if _, err := workflow.AwaitWithTimeout(ctx, p.NextScanAt.Sub(workflow.Now(ctx)), woken); err != nil {
				return err
			}
		}
		for fx.pipelineRecheck {
			// A long wait reads the file again every fileRecheck: an interval changed on
			// the running connection moves the next scan at once, to the last one plus the
			// new interval, not after the interval in force when the wait began.
			d := p.NextScanAt.Sub(workflow.Now(ctx))
			if d <= 0 {
				break
			}
			if _, err := workflow.AwaitWithTimeout(ctx, min(d, fileRecheck), woken); err != nil {
				return err
			}
			if woken() || d <= fileRecheck {
				break
			}
			// Rereads while nothing happens must not fill the run either.
			if fx.bounded && spent() {
				return continueAsNew()
			}
			before := info.Interval
			if info, err = describeFile(); errors.Is(err, errContinueAsNew) {
				return continueAsNew()
			} else if err != nil {
				return err
			}
			if info.Interval != before && !p.LastScanAt.IsZero() {
				p.NextScanAt = p.LastScanAt.Add(info.Interval)
				setPhase(PhaseWaiting) // shows the next scan's time
			}
		}
		if ctl.SyncNow {
			ctl.SyncNow, p.NextScanAt = false, time.Time{}
		}
		// Read the file's settings again: a changed interval applies from the next scan.
		if info, err = describeFile(); errors.Is(err, errContinueAsNew) {
			return continueAsNew()
		} else if err != nil {
			return err
		}
	}
}
