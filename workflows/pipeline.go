package workflows

import (
	"time"

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
	Changed  []string         `json:"changed,omitempty"`
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
}

// PipelineSync propagates stage changes of a connection's pipelines (Sellsy opportunity steps
// → Altior affaire events). Webhooks announce changes, which are handled at once; a scan
// every interval confirms every record's stage against the one recorded, so a lost webhook
// delays an event but never drops it. Signals: stage-changed, pause, resume; query progress.
func PipelineSync(ctx workflow.Context, in PipelineInput) error {
	st := in.State
	if st == nil {
		st = &PipelineState{Progress: PipelineProgress{Connection: in.Connection, Phase: PhaseStarting}}
	} else {
		st.Progress.Runs++
	}
	p := &st.Progress
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (PipelineProgress, error) { return *p, nil }); err != nil {
		return err
	}
	ch := st.Control.listen(ctx)
	changed := workflow.GetSignalChannel(ctx, SignalStageChanged)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ids []string
			changed.Receive(ctx, &ids)
			st.Changed = append(st.Changed, ids...)
			p.Announced += len(ids)
		}
	})
	maxScans := in.MaxScansPerRun
	if maxScans <= 0 {
		maxScans = 100
	}
	t := in.Tuning.withDefaults()
	actx := passActivityOptions(ctx, t)
	var a *activities.Activities
	scans, activitiesRun := 0, 0
	for {
		info, err := describe(ctx, in.Connection)
		if err != nil {
			return err
		}
		if st.Control.Paused {
			p.Phase, p.PauseReason = PhasePaused, st.Control.PauseReason
			if err := workflow.Await(ctx, func() bool { return !st.Control.Paused }); err != nil {
				return err
			}
			p.PauseReason = ""
		}
		p.Phase = PhaseSyncing
		// Announced records first, a hundred at a time.
		for len(st.Changed) > 0 && !st.Control.Paused {
			n := min(len(st.Changed), 100)
			var r activities.StageResult
			err := workflow.ExecuteActivity(actx, a.PropagateStages, activities.StageInput{Connection: in.Connection, IDs: st.Changed[:n], Stretch: t.Stretch}).Get(ctx, &r)
			activitiesRun++
			if err != nil {
				if msg := configurationError(err); msg != "" {
					st.Control.pause(msg)
					break
				}
				return err
			}
			p.Totals.Add(r)
			st.Changed = st.Changed[n:]
		}
		if st.Control.Paused {
			continue
		}
		// The confirming scan, when due.
		if !workflow.Now(ctx).Before(p.NextScanAt) {
			in := activities.StageInput{Connection: in.Connection, Stretch: t.Stretch}
			for {
				var r activities.StageResult
				err := workflow.ExecuteActivity(actx, a.PropagateStages, in).Get(ctx, &r)
				activitiesRun++
				if err != nil {
					if msg := configurationError(err); msg != "" {
						st.Control.pause(msg)
						break
					}
					return err
				}
				p.Totals.Add(r)
				if r.Done {
					break
				}
				in.Position = r.Position
			}
			if st.Control.Paused {
				continue
			}
			scans++
			p.Scans++
			p.LastScanAt = workflow.Now(ctx)
			p.NextScanAt = p.LastScanAt.Add(info.Interval)
		}
		if scans >= maxScans || activitiesRun >= t.MaxActivitiesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			st.Control.drain(ctx, ch)
			for {
				var ids []string
				if !changed.ReceiveAsync(&ids) {
					break
				}
				st.Changed = append(st.Changed, ids...)
				p.Announced += len(ids)
			}
			return workflow.NewContinueAsNewError(ctx, PipelineSync, PipelineInput{Connection: in.Connection, Tuning: in.Tuning, State: st, MaxScansPerRun: in.MaxScansPerRun})
		}
		p.Phase = PhaseWaiting
		if _, err := workflow.AwaitWithTimeout(ctx, p.NextScanAt.Sub(workflow.Now(ctx)), func() bool {
			return len(st.Changed) > 0 || st.Control.Paused || st.Control.SyncNow
		}); err != nil {
			return err
		}
		if st.Control.SyncNow {
			st.Control.SyncNow, p.NextScanAt = false, time.Time{}
		}
	}
}
