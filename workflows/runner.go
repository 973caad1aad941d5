package workflows

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// control holds what signals asked for. Signals are applied by one coroutine as they arrive
// and drained before continue-as-new so that none is lost.
type control struct {
	Paused      bool            `json:"paused"`
	PauseReason string          `json:"pause_reason,omitempty"`
	Resync      []ResyncRequest `json:"resync,omitempty"`
	SyncNow     bool            `json:"sync_now,omitempty"`
	// Deleted holds deletions announced by webhooks, handled between cycles.
	Deleted []DeletedRequest `json:"deleted,omitempty"`
	// Changed holds the ids of records a webhook said changed stage (PipelineSync).
	Changed []string `json:"changed,omitempty"`
	// Overflow says deletions were dropped from a full queue: the next cycle reconciles,
	// which finds them.
	Overflow bool `json:"overflow,omitempty"`
	// AllowDeletes lifts schedule.max_deletes until the held deletions are done.
	AllowDeletes bool `json:"allow_deletes,omitempty"`
	// signals counts the deletion and stage-change signals of this run (not carried over),
	// and with countAll (fixes.countAllSignals) every other signal too: a flood of sync-now
	// or pause signals fills a history as well.
	signals  int
	countAll bool
	// maxQueued, when not 0, bounds the ids Deleted and Changed hold, without repeats
	// (fixes.boundedQueues): a paused connection keeps what webhooks announce, and its state
	// must stay under Temporal's payload limit through a mass deletion.
	maxQueued int
	// strict drops a resync whose input does not decode (fixes.pauseHolds): the SDK logs it
	// and leaves the request empty, which would read every object again from the start.
	strict bool
	// settles lets the listener apply the signals of a workflow task before the workflow
	// acts on the state (fixes.settleSignals; see settle).
	settles bool
	// settlesAll settles after every activity, not only after the passes, deletions,
	// reconciliations and stage propagations (fixes.settleAll): a pause that came with the
	// answer of a describe, a cursor reset or a statistics read holds the next write too.
	settlesAll bool
	// onPause and onResume, when set (fixes.publishPauseAtOnce), show a pause or a resume
	// as the signal comes, not once the running activity ends: what checks for a pause from
	// outside (a push, the pass itself between two pages) sees it at once.
	onPause  func(reason string)
	onResume func()
}

// queue applies the boundedQueues fix with its bound.
func (c *control) queue(on bool, max int) {
	if on {
		c.maxQueued = max
	}
}

type channels struct {
	pause, resume, resync, syncNow, deleted, stageChanged, allowDeletes workflow.ReceiveChannel
}

func (c *control) listen(ctx workflow.Context) *channels {
	ch := &channels{
		pause:        workflow.GetSignalChannel(ctx, SignalPause),
		resume:       workflow.GetSignalChannel(ctx, SignalResume),
		resync:       workflow.GetSignalChannel(ctx, SignalResync),
		syncNow:      workflow.GetSignalChannel(ctx, SignalSyncNow),
		deleted:      workflow.GetSignalChannel(ctx, SignalDeleted),
		stageChanged: workflow.GetSignalChannel(ctx, SignalStageChanged),
		allowDeletes: workflow.GetSignalChannel(ctx, SignalAllowDeletes),
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			c.addHandlers(sel, ch)
			sel.Select(ctx)
		}
	})
	return ch
}

func (c *control) addHandlers(sel workflow.Selector, ch *channels) {
	sel.AddReceive(ch.pause, func(rc workflow.ReceiveChannel, _ bool) {
		var reason string
		rc.ReceiveAsync(&reason)
		c.countOther()
		c.pause(reason)
		if c.onPause != nil {
			c.onPause(c.PauseReason)
		}
	})
	sel.AddReceive(ch.resume, func(rc workflow.ReceiveChannel, _ bool) {
		rc.ReceiveAsync(nil)
		c.countOther()
		was := c.Paused
		c.Paused, c.PauseReason = false, ""
		if was && c.onResume != nil {
			c.onResume()
		}
	})
	sel.AddReceive(ch.resync, func(rc workflow.ReceiveChannel, _ bool) {
		var req ResyncRequest
		ok := rc.ReceiveAsync(&req)
		c.countOther()
		if !ok && c.strict {
			return // not decoded: the SDK logged it with the error
		}
		c.Resync = append(c.Resync, req)
	})
	sel.AddReceive(ch.allowDeletes, func(rc workflow.ReceiveChannel, _ bool) {
		rc.ReceiveAsync(nil)
		c.countOther()
		c.AllowDeletes = true
	})
	sel.AddReceive(ch.syncNow, func(rc workflow.ReceiveChannel, _ bool) {
		rc.ReceiveAsync(nil)
		c.countOther()
		c.SyncNow = true
	})
	sel.AddReceive(ch.deleted, func(rc workflow.ReceiveChannel, _ bool) {
		var req DeletedRequest
		rc.ReceiveAsync(&req)
		c.signals++
		switch {
		case len(req.IDs) == 0:
		case c.maxQueued == 0:
			c.Deleted = append(c.Deleted, req)
		default:
			var dropped bool
			if c.Deleted, dropped = keepDeleted(mergeDeleted(append(c.Deleted, req)), c.maxQueued); dropped {
				c.Overflow = true
			}
		}
	})
	sel.AddReceive(ch.stageChanged, func(rc workflow.ReceiveChannel, _ bool) {
		var ids []string
		rc.ReceiveAsync(&ids)
		c.signals++
		if c.maxQueued == 0 {
			c.Changed = append(c.Changed, ids...)
			return
		}
		queued := make(map[string]bool, len(c.Changed))
		for _, id := range c.Changed {
			queued[id] = true
		}
		for _, id := range ids {
			switch {
			case queued[id]:
			case len(c.Changed) >= c.maxQueued:
				c.SyncNow = true // the scan confirms every record's stage
			default:
				queued[id] = true
				c.Changed = append(c.Changed, id)
			}
		}
	})
}

// putBack puts a batch of announced ids taken out of Changed back at its head, without
// repeats; beyond the bound, the next scan confirms what does not fit.
func (c *control) putBack(batch []string) {
	merged := slices.Clone(batch)
	in := make(map[string]bool, len(batch))
	for _, id := range batch {
		in[id] = true
	}
	for _, id := range c.Changed {
		if !in[id] {
			merged = append(merged, id)
		}
	}
	if c.maxQueued > 0 && len(merged) > c.maxQueued {
		merged, c.SyncNow = merged[:c.maxQueued], true
	}
	c.Changed = merged
}

// countOther counts a signal other than a deletion or a stage change, with countAll.
func (c *control) countOther() {
	if c.countAll {
		c.signals++
	}
}

// keepDeleted keeps the first max ids of the queue, and reports whether it dropped any.
func keepDeleted(reqs []DeletedRequest, max int) ([]DeletedRequest, bool) {
	left := max
	for i := range reqs {
		if len(reqs[i].IDs) >= left {
			dropped := len(reqs[i].IDs) > left || i < len(reqs)-1
			reqs[i].IDs = reqs[i].IDs[:left]
			if left == 0 {
				return reqs[:i], dropped
			}
			return reqs[:i+1], dropped
		}
		left -= len(reqs[i].IDs)
	}
	return reqs, false
}

func (c *control) pause(reason string) {
	switch {
	case reason == "" && c.Paused && c.PauseReason != "":
		// A pause without a reason keeps the one in force: the system's (a credential
		// refused, a file that no longer validates) says what to fix.
		return
	case reason == "":
		reason = "paused by a user"
	}
	c.Paused, c.PauseReason = true, reason
}

// settle lets the listener apply the signals that came in the same workflow task as what
// woke the workflow (an activity's completion and a pause together). The SDK hands such a
// signal to the listener's waiting selector, out of the channel, but runs the workflow's own
// coroutine first: without this, the workflow started one more write after a pause it had
// received, and continue-as-new carried the state over without the signal (a pause, a
// resume, announced deletions lost). Yielding to a coroutine started now lets every older
// one, the listener, run first; it records no command.
func (c *control) settle(ctx workflow.Context) {
	if !c.settles {
		return
	}
	yieldToListener(ctx)
}

// settleAfter is settle after the other activities (describe, cursor resets, statistics),
// for the runs that settle after every activity (fixes.settleAll).
func (c *control) settleAfter(ctx workflow.Context) {
	if !c.settlesAll {
		return
	}
	yieldToListener(ctx)
}

// yieldToListener lets every older coroutine, the signal listener among them, run first.
func yieldToListener(ctx workflow.Context) {
	yielded := false
	workflow.Go(ctx, func(workflow.Context) { yielded = true })
	_ = workflow.Await(ctx, func() bool { return yielded })
}

// publishAtOnce sets onPause and onResume to show the phase of p in the workflow list and
// the progress query as the signals come: paused with its reason, then the phase before the
// pause again (the workflow publishes the rest once it acts on them). The query must agree
// with the list: `crmsync status` reads it, and an activity waiting out an hour's quota would
// otherwise leave it saying "syncing" for that hour.
func (c *control) publishAtOnce(ctx workflow.Context, on bool, p *Progress) {
	if !on {
		return
	}
	// A pause the workflow made by itself shows as it is until the workflow acts on the resume.
	c.showPauses(&p.Phase, &p.PauseReason, "", true, func() {
		_ = workflow.UpsertTypedSearchAttributes(ctx, AttrPhase.ValueSet(p.Phase))
	})
}

// showPauses sets onPause and onResume to show a pause as its signal comes: phase paused with
// its reason, then on resume the phase the pause found. show publishes them after each change.
// A resume whose pause found the phase paused already (the workflow paused by itself) shows
// orElse, or leaves both as they are when orElse is "". forget drops the phase found once
// resumed, so that a later pause finding the phase paused resumes to orElse; PipelineSync
// keeps it, as its recorded histories did.
func (c *control) showPauses(phase, reason *string, orElse string, forget bool, show func()) {
	before := "" // the phase the pause signal found
	c.onPause = func(why string) {
		if *phase != PhasePaused {
			before = *phase
		}
		*phase, *reason = PhasePaused, why
		show()
	}
	c.onResume = func() {
		if to := cmp.Or(before, orElse); to != "" {
			*phase, *reason = to, ""
		}
		if forget {
			before = ""
		}
		show()
	}
}

// drain applies the signals received but not yet handled, before continue-as-new.
func (c *control) drain(ctx workflow.Context, ch *channels) {
	c.settle(ctx)
	for {
		sel := workflow.NewSelector(ctx)
		c.addHandlers(sel, ch)
		if !sel.HasPending() {
			return
		}
		sel.Select(ctx)
	}
}

// Walk is where a workflow is in its walk over objects and sides; it survives
// continue-as-new and pauses.
type Walk struct {
	ObjectIndex int `json:"object_index"`
	// Object names the object at ObjectIndex: a file reloaded across continue-as-new may have
	// added, removed or reordered objects, and one object's cursor must never go to another.
	Object    string                `json:"object,omitempty"`
	SideIndex int                   `json:"side_index"`
	Pass      activities.PassResult `json:"pass"`
	// CycleStart is when the incremental cycle (or the import) began: its passes may share a
	// read made since.
	CycleStart time.Time `json:"cycle_start,omitzero"`
}

var sides = []string{"a", "b"}

var (
	errPaused        = errors.New("paused")
	errContinueAsNew = errors.New("continue as new")
)

// runner runs passes for one workflow run.
type runner struct {
	connection string
	tuning     Tuning
	progress   *Progress
	ctl        *control
	walk       *Walk
	activities int               // started in this run
	skip       map[string]string // "object/side" passes not to read, and the mode they run in instead
	plan       bool              // a dry run: passes write nothing
	fixes      fixes
	maxDeletes int // ConnectionInfo.MaxDeletes of the file last read
}

// deleteGuard is what the deletions of the cycle, done already, leave to the next batch.
func (r *runner) deleteGuard(done int) activities.DeleteGuard {
	if !r.fixes.deletesGuard || r.maxDeletes <= 0 || r.ctl.AllowDeletes {
		return activities.DeleteGuard{}
	}
	return activities.DeleteGuard{Limited: true, Allowance: max(0, r.maxDeletes-done)}
}

// fixes are behaviours added after histories were recorded: each run decides them once, at its
// start, with workflow.GetVersion, so that a history recorded before them replays unchanged.
type fixes struct {
	// pauseOnBadFile: a configuration error from describe (a bad connection file) pauses the
	// connection with its message instead of failing the run.
	pauseOnBadFile bool
	// bounded: every activity counts toward MaxActivitiesPerRun, the loops that handle
	// signals check for continue-as-new, and deletions are merged and chunked.
	bounded bool
	// walkByName: the walk finds its object by name in a reloaded file.
	walkByName bool
	// pauseOnRefusedDeletes: a configuration error from PropagateDeletes (a revoked
	// credential) pauses the connection and keeps the ids, instead of dropping them.
	pauseOnRefusedDeletes bool
	// boundedQueues: the deletions and stage changes webhooks announce are queued without
	// repeats, up to Tuning.MaxQueuedIDs (control.maxQueued).
	boundedQueues bool
	// reconcileYields: a reconciliation stops between two stretches when the connection is
	// paused (no deletion is propagated while paused) and is run again whole after the resume.
	reconcileYields bool
	// reconcileSlices: a reconciliation runs at most Tuning.ReconcileStretches stretches a
	// cycle and carries on from its place (SyncState.Reconcile) at the next, across
	// continue-as-new and pauses.
	reconcileSlices bool
	// pauseHolds: a pause stops announced deletions between two chunks, a resume reads the
	// connection file again (the fix the pause asked for may be in it), and a signal whose
	// input does not decode is dropped (a resync that did not decode was a full resync).
	pauseHolds bool
	// deletesGuard: the deletions of one cycle delete at most ConnectionInfo.MaxDeletes
	// records (schedule.max_deletes); past it the connection pauses until resumed with
	// allow-deletes.
	deletesGuard bool
	// settleSignals: the signals of a workflow task are applied before the workflow looks at
	// its state after an activity, and before continue-as-new (control.settle).
	settleSignals bool
	// publishPauseAtOnce: the import and the sync publish the paused phase as the pause
	// signal comes (control.onPause), and their passes stop at the next page.
	publishPauseAtOnce bool
	// recheckInterval: a wait longer than fileRecheck reads the connection file again every
	// fileRecheck, and a changed interval moves the next cycle at once.
	recheckInterval bool
	// settleAll: the signals of a workflow task are applied after every activity
	// (control.settleAfter), not only after those settleSignals covers.
	settleAll bool
	// allowUntilDone: allow-deletes lasts until the held deletions are done: a cycle that a
	// pause cut short does not spend it.
	allowUntilDone bool
	// allowHeld: an allow-deletes given for a reconciliation that schedule.max_deletes held
	// lasts until that reconciliation is done (ReconcilePosition.Allowed), not to the end of
	// the cycle after the resume.
	allowHeld bool
	// pipelineRecheck: PipelineSync's wait reads the connection file again every fileRecheck,
	// and a changed interval moves the next scan at once (recheckInterval for PipelineSync).
	pipelineRecheck bool
	// intervalFromAnyRead: a changed interval moves the pending cycle or scan whichever read
	// of the file sees it first (a run's first describe, one after a wake or a resume).
	intervalFromAnyRead bool
	// countAllSignals: every signal counts toward MaxSignalsPerRun, not only deletions and
	// stage changes, and a paused import continues as new once they fill its run.
	countAllSignals bool
	// heldDeletesCount: announced deletions that schedule.max_deletes held back keep the count
	// of what went before them across the cycle a plain resume starts (SyncState.DeletesHeld),
	// instead of a fresh allowance.
	heldDeletesCount bool
	// importFilePauseSpent: an import paused by a bad connection file continues as new once
	// signals fill its run, as it does paused by a user (countAllSignals).
	importFilePauseSpent bool
}

func getFixes(ctx workflow.Context) fixes {
	return fixes{
		pauseOnBadFile:        workflow.GetVersion(ctx, "describe-pauses-on-bad-file", workflow.DefaultVersion, 1) == 1,
		bounded:               workflow.GetVersion(ctx, "bounded-signal-loops", workflow.DefaultVersion, 1) == 1,
		walkByName:            workflow.GetVersion(ctx, "walk-object-by-name", workflow.DefaultVersion, 1) == 1,
		pauseOnRefusedDeletes: workflow.GetVersion(ctx, "deletes-pause-on-configuration-error", workflow.DefaultVersion, 1) == 1,
		boundedQueues:         workflow.GetVersion(ctx, "bounded-signal-queues", workflow.DefaultVersion, 1) == 1,
		reconcileYields:       workflow.GetVersion(ctx, "reconcile-yields-to-pause", workflow.DefaultVersion, 1) == 1,
		reconcileSlices:       workflow.GetVersion(ctx, "reconcile-in-slices", workflow.DefaultVersion, 1) == 1,
		pauseHolds:            workflow.GetVersion(ctx, "pause-holds-deletes-resume-reads-file", workflow.DefaultVersion, 1) == 1,
		deletesGuard:          workflow.GetVersion(ctx, "deletes-guard", workflow.DefaultVersion, 1) == 1,
		settleSignals:         workflow.GetVersion(ctx, "settle-signals", workflow.DefaultVersion, 1) == 1,
		publishPauseAtOnce:    workflow.GetVersion(ctx, "publish-pause-at-once", workflow.DefaultVersion, 1) == 1,
		recheckInterval:       workflow.GetVersion(ctx, "recheck-interval", workflow.DefaultVersion, 1) == 1,
		settleAll:             workflow.GetVersion(ctx, "settle-after-every-activity", workflow.DefaultVersion, 1) == 1,
		allowUntilDone:        workflow.GetVersion(ctx, "allow-deletes-until-done", workflow.DefaultVersion, 1) == 1,
		allowHeld:             workflow.GetVersion(ctx, "allow-deletes-held-reconciliation", workflow.DefaultVersion, 1) == 1,
		pipelineRecheck:       workflow.GetVersion(ctx, "pipeline-recheck-interval", workflow.DefaultVersion, 1) == 1,
		intervalFromAnyRead:   workflow.GetVersion(ctx, "interval-from-any-read", workflow.DefaultVersion, 1) == 1,
		countAllSignals:       workflow.GetVersion(ctx, "count-every-signal", workflow.DefaultVersion, 1) == 1,
		heldDeletesCount:      workflow.GetVersion(ctx, "held-deletes-keep-count", workflow.DefaultVersion, 1) == 1,
		importFilePauseSpent:  workflow.GetVersion(ctx, "import-file-pause-counts-signals", workflow.DefaultVersion, 1) == 1,
	}
}

// count counts an activity other than SyncPass toward the cap (runs before the fix did not).
func (r *runner) count() {
	if r.fixes.bounded {
		r.activities++
	}
}

// budgetSpent says whether this run should continue as new: its activities or (from the
// bounded fix) the signals it received reached the cap, or the server suggests it (history
// size or length).
func (r *runner) budgetSpent(ctx workflow.Context) bool {
	return r.activities >= r.tuning.MaxActivitiesPerRun || (r.fixes.bounded && r.ctl.signals >= r.tuning.MaxSignalsPerRun) ||
		workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// findObject puts the walk back on its object after the file was reloaded: at its index if it
// is still there, else where it moved; an object gone from the file loses its pass, and the
// object now at that index starts from the beginning.
func (w *Walk) findObject(objects []string) {
	if w.Object == "" || (w.ObjectIndex < len(objects) && objects[w.ObjectIndex] == w.Object) {
		return
	}
	if i := slices.Index(objects, w.Object); i >= 0 {
		w.ObjectIndex = i
		return
	}
	w.SideIndex, w.Pass, w.Object = 0, activities.PassResult{}, ""
}

// skipSides makes the incremental sync skip the sides from which no field travels.
func (r *runner) skipSides(noSync []string) {
	r.skip = map[string]string{}
	for _, s := range noSync {
		r.skip[s] = activities.ModeSkip
	}
}

// run walks objects in order, each on side a then side b, chaining stretches until every
// pass is done. It returns errPaused when the connection is paused (by a user or by a
// configuration error) and errContinueAsNew when history should be trimmed; the walk keeps
// its place for both.
func (r *runner) run(ctx workflow.Context, objects []string, mode string) error {
	actx := passActivityOptions(ctx, r.tuning)
	var a *activities.Activities
	if r.fixes.walkByName {
		r.walk.findObject(objects)
	}
	for r.walk.ObjectIndex < len(objects) {
		object := objects[r.walk.ObjectIndex]
		if r.fixes.walkByName {
			r.walk.Object = object
		}
		side := sides[r.walk.SideIndex]
		passMode := mode
		if m, ok := r.skip[object+"/"+side]; ok {
			passMode = m
		}
		for {
			if r.ctl.Paused {
				return errPaused
			}
			if r.budgetSpent(ctx) {
				return errContinueAsNew
			}
			r.progress.Object, r.progress.Side = object, side
			in := activities.PassInput{
				Connection: r.connection, Object: object, Side: side, Mode: passMode,
				Position: r.walk.Pass.Position, Since: r.walk.Pass.Since, PassStart: r.walk.Pass.PassStart, AsOf: r.walk.Pass.AsOf,
				Stretch: r.tuning.Stretch, PageSize: r.tuning.PageSize, CycleStart: r.walk.CycleStart, Plan: r.plan,
			}
			if _, skipped := r.skip[object+"/"+sides[0]]; r.plan && r.walk.SideIndex > 0 && !skipped {
				in.PlanMatchedByOther = true
			}
			var res activities.PassResult
			err := workflow.ExecuteActivity(actx, a.SyncPass, in).Get(ctx, &res)
			r.ctl.settle(ctx)
			r.activities++
			if err != nil {
				if msg := configurationError(err); msg != "" {
					r.ctl.pause(msg)
					return errPaused
				}
				return err
			}
			r.progress.object(object).Counts.Add(res.Counts)
			r.progress.Quarantined += res.Counts.Quarantined
			res.Counts = activities.Counts{}
			r.walk.Pass = res
			publish(ctx, r.progress)
			if res.Done {
				r.walk.Pass = activities.PassResult{}
				break
			}
		}
		r.walk.SideIndex++
		if r.walk.SideIndex == len(sides) {
			r.progress.object(object).Done = true
			r.walk.SideIndex = 0
			r.walk.ObjectIndex++
			r.walk.Object = ""
			// The import shows each object's pairs as it finishes, not only at the end.
			if mode == activities.ModeImport && !r.plan && workflow.GetVersion(ctx, "import-stats-per-object", workflow.DefaultVersion, 1) == 1 {
				refreshStats(ctx, r.progress, r.ctl)
				r.count()
				publish(ctx, r.progress)
			}
		}
	}
	return nil
}

// refreshStats reads pairs and quarantine counts from the store into the progress.
func refreshStats(ctx workflow.Context, p *Progress, ctl *control) {
	var a *activities.Activities
	var st activities.StoreStats
	err := workflow.ExecuteActivity(shortActivityOptions(ctx), a.Stats, p.Connection).Get(ctx, &st)
	ctl.settleAfter(ctx)
	if err != nil {
		workflow.GetLogger(ctx).Warn("store statistics unavailable", "error", err)
		return
	}
	for _, name := range workflow.DeterministicKeys(st.Pairs) {
		p.object(name).Pairs = st.Pairs[name]
	}
	p.Quarantined = st.Quarantined
}

// describeOrPause is describe for a workflow that must not end on a bad connection file: a
// configuration error pauses the connection with its message (shown by paused), waits for the
// resume signal and reads the file again. Runs before the fix return the error. While paused,
// spent (nil: never) says when signals have filled the run: it returns errContinueAsNew.
func describeOrPause(ctx workflow.Context, connection string, f fixes, ctl *control, paused func(reason string), resumed func(), spent func() bool) (activities.ConnectionInfo, error) {
	for {
		info, err := describe(ctx, connection)
		ctl.settleAfter(ctx)
		msg := configurationError(err)
		if msg == "" || !f.pauseOnBadFile {
			return info, err
		}
		ctl.pause(msg)
		paused(ctl.PauseReason)
		if err := workflow.Await(ctx, func() bool { return !ctl.Paused || (spent != nil && spent()) }); err != nil {
			return info, err
		}
		if ctl.Paused {
			return info, errContinueAsNew
		}
		resumed()
	}
}

// describe reads the connection's objects and schedule.
func describe(ctx workflow.Context, connection string) (activities.ConnectionInfo, error) {
	var a *activities.Activities
	var info activities.ConnectionInfo
	err := workflow.ExecuteActivity(shortActivityOptions(ctx), a.DescribeConnection, connection).Get(ctx, &info)
	return info, err
}
