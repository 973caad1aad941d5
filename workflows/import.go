package workflows

import (
	"errors"

	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// ImportInput starts InitialImport. State is set only by continue-as-new.
type ImportInput struct {
	Connection string `json:"connection"`
	// DryRun reads, matches and merges everything as the import would, counts what it would
	// create, update and refuse, and writes nothing (`crmsync start import --dry-run`). Run
	// it under ImportDryRunWorkflowID.
	DryRun bool         `json:"dry_run,omitempty"`
	Tuning Tuning       `json:"tuning,omitzero"`
	State  *ImportState `json:"state,omitempty"`
}

// ImportDryRunWorkflowID names a connection's dry run of its import.
func ImportDryRunWorkflowID(connection string) string { return connection + "/import-dry-run" }

// ImportState is carried from one run to the next.
type ImportState struct {
	Progress Progress `json:"progress"`
	Walk     Walk     `json:"walk"`
	Control  control  `json:"control"`
}

// InitialImport backfills a connection: every object in dependency order (companies before
// contacts), side A then side B, matching records on their keys and creating what is
// missing on the other side. One activity runs a stretch of pages; the workflow sees a
// handful of activities per object and continues as new to keep its history bounded. Signals
// pause and resume; query progress.
func InitialImport(ctx workflow.Context, in ImportInput) (Progress, error) {
	st := in.State
	if st == nil {
		// Its passes may share reads made since it began (objects derived from one listing).
		name := "InitialImport"
		if in.DryRun {
			name = "InitialImport (dry run)"
		}
		st = &ImportState{Progress: Progress{
			Connection: in.Connection, Workflow: name, Phase: PhaseStarting,
			Started: workflow.Now(ctx),
		}, Walk: Walk{CycleStart: workflow.Now(ctx)}}
	} else {
		st.Progress.Runs++
	}
	p := &st.Progress
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return *p, nil }); err != nil {
		return *p, err
	}
	showDetails(ctx, p)
	ch := st.Control.listen(ctx)

	r := &runner{connection: in.Connection, tuning: in.Tuning.withDefaults(), progress: p, ctl: &st.Control, walk: &st.Walk,
		skip: map[string]string{}, plan: in.DryRun, fixes: getFixes(ctx)}
	st.Control.strict = r.fixes.pauseHolds
	st.Control.countAll = r.fixes.countAllSignals
	st.Control.settles = r.fixes.settleSignals
	st.Control.settlesAll = r.fixes.settleAll
	st.Control.publishAtOnce(ctx, r.fixes.publishPauseAtOnce, p)
	continueAsNew := func() error {
		st.Control.drain(ctx, ch)
		return workflow.NewContinueAsNewError(ctx, InitialImport, ImportInput{Connection: in.Connection, DryRun: in.DryRun, Tuning: in.Tuning, State: st})
	}
	// A bad file pauses the import until it is fixed and resumed; signals fill that pause's
	// run as they fill a user's (fixes.importFilePauseSpent).
	var spent func() bool
	if r.fixes.importFilePauseSpent {
		spent = func() bool { return r.budgetSpent(ctx) }
	}
	var info activities.ConnectionInfo
	readFile := func() error {
		var err error
		info, err = describeOrPause(ctx, in.Connection, r.fixes, &st.Control, func(reason string) { publishPaused(ctx, p, reason) },
			func() { p.PauseReason = "" }, spent)
		if err != nil {
			return err
		}
		r.count()
		for _, o := range info.Objects {
			p.object(o)
		}
		r.skip = map[string]string{}
		for _, s := range info.NoImport {
			r.skip[s] = activities.ModeMark
		}
		return nil
	}
	if err := readFile(); errors.Is(err, errContinueAsNew) {
		return *p, continueAsNew() // still paused: so is the next run
	} else if err != nil {
		return *p, err
	}
	for {
		p.Phase, p.PauseReason = PhaseImporting, ""
		publish(ctx, p)
		err := r.run(ctx, info.Objects, activities.ModeImport)
		switch {
		case err == nil:
			// A pause that came during the last stretch has nothing left to hold.
			p.Phase, p.PauseReason, p.Object, p.Side = PhaseDone, "", "", ""
			if !in.DryRun {
				refreshStats(ctx, p, &st.Control)
				r.count()
			}
			publish(ctx, p)
			return *p, nil
		case errors.Is(err, errPaused):
			publishPaused(ctx, p, st.Control.PauseReason)
			spent := func() bool { return r.fixes.countAllSignals && r.budgetSpent(ctx) }
			if err := workflow.Await(ctx, func() bool { return !st.Control.Paused || spent() }); err != nil {
				return *p, err
			}
			if st.Control.Paused {
				// Signals filled the run while paused: the next run waits on, paused.
				return *p, continueAsNew()
			}
			if r.fixes.pauseHolds {
				// The fix the pause asked for may be in the file: read it again.
				if err := readFile(); errors.Is(err, errContinueAsNew) {
					return *p, continueAsNew()
				} else if err != nil {
					return *p, err
				}
			}
		case errors.Is(err, errContinueAsNew):
			return *p, continueAsNew()
		default:
			return *p, err
		}
	}
}
