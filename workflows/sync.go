package workflows

import (
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/activities"
)

// SyncInput starts IncrementalSync. State is set only by continue-as-new.
type SyncInput struct {
	Connection string     `json:"connection"`
	Tuning     Tuning     `json:"tuning,omitzero"`
	State      *SyncState `json:"state,omitempty"`
	// MaxCyclesPerRun bounds history between continue-as-new (default 100).
	MaxCyclesPerRun int `json:"max_cycles_per_run,omitempty"`
}

// SyncState is carried from one run to the next.
type SyncState struct {
	Progress Progress `json:"progress"`
	Walk     Walk     `json:"walk"`
	InCycle  bool     `json:"in_cycle"`
	// Waiting: the last run ended after a cycle, so this one starts with the wait.
	Waiting bool    `json:"waiting,omitempty"`
	Control control `json:"control"`
	// Reconcile is the place of a reconciliation under way (fixes.reconcileSlices): it runs
	// a few stretches a cycle, so that a large id map does not hold the cycles for an hour.
	Reconcile *ReconcilePosition `json:"reconcile,omitempty"`
	// CycleDeletes counts the records the deletions webhooks announced deleted since the
	// current cycle began (fixes.deletesGuard), against schedule.max_deletes.
	CycleDeletes int `json:"cycle_deletes,omitempty"`
	// WaitInterval is the interval NextCycleAt was set from (fixes.intervalFromAnyRead).
	WaitInterval time.Duration `json:"wait_interval,omitempty"`
	// DeletesHeld says schedule.max_deletes held announced deletions back and they are still
	// queued (fixes.heldDeletesCount): the cycles that start meanwhile keep CycleDeletes, so
	// that what went before the hold still counts after a plain resume, which starts one.
	DeletesHeld bool `json:"deletes_held,omitempty"`
}

// ReconcilePosition is where a reconciliation carries on: the object and side it checks, and
// the last side-A id checked. Again asks for another, whole, once this one ends: deletions
// were dropped from a full queue while it ran, maybe behind its place.
type ReconcilePosition struct {
	Object string `json:"object"`
	Side   string `json:"side"`
	After  string `json:"after,omitempty"`
	Again  bool   `json:"again,omitempty"`
	// Deleted counts the records this reconciliation deleted (fixes.deletesGuard): it spans
	// cycles, and schedule.max_deletes bounds it whole, as it bounds a cycle's webhooks.
	Deleted int `json:"deleted,omitempty"`
	// Held says schedule.max_deletes held this reconciliation back, and nothing has gone
	// through since (fixes.allowHeld). Allowed says an allow-deletes let it go: it keeps the
	// allowance until it is done, across cycles, pauses and runs, and the next
	// reconciliation is bounded again.
	Held    bool `json:"held,omitempty"`
	Allowed bool `json:"allowed,omitempty"`
}

// IncrementalSync keeps a connection in step: every interval it reads what changed on both
// sides since the cursors (minus an overlap window), merges and writes, then waits. It runs
// until cancelled. Signals: pause, resume, resync (ResyncRequest), sync-now; query: progress.
func IncrementalSync(ctx workflow.Context, in SyncInput) error {
	st := in.State
	if st == nil {
		st = &SyncState{Progress: Progress{
			Connection: in.Connection, Workflow: "IncrementalSync", Phase: PhaseStarting,
			Started: workflow.Now(ctx),
		}}
	} else {
		st.Progress.Runs++
	}
	maxCycles := in.MaxCyclesPerRun
	if maxCycles <= 0 {
		maxCycles = 100
	}
	p := &st.Progress
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return *p, nil }); err != nil {
		return err
	}
	showDetails(ctx, p)
	ch := st.Control.listen(ctx)
	continueAsNew := func() error {
		st.Control.drain(ctx, ch)
		return workflow.NewContinueAsNewError(ctx, IncrementalSync, SyncInput{Connection: in.Connection, Tuning: in.Tuning, State: st, MaxCyclesPerRun: in.MaxCyclesPerRun})
	}

	r := &runner{connection: in.Connection, tuning: in.Tuning.withDefaults(), progress: p, ctl: &st.Control, walk: &st.Walk,
		fixes: getFixes(ctx)}
	st.Control.queue(r.fixes.boundedQueues, r.tuning.MaxQueuedIDs)
	st.Control.strict = r.fixes.pauseHolds
	st.Control.countAll = r.fixes.countAllSignals
	st.Control.settles = r.fixes.settleSignals
	st.Control.settlesAll = r.fixes.settleAll
	st.Control.publishAtOnce(ctx, r.fixes.publishPauseAtOnce, p)
	// A bad file pauses the connection until it is fixed and resumed.
	paused := func(reason string) { publishPaused(ctx, p, reason) }
	resumed := func() {
		// Not the phase before the pause: a run may begin paused (carried over).
		p.Phase, p.PauseReason = PhaseSyncing, ""
		if st.Waiting {
			p.Phase = PhaseWaiting
		}
		publish(ctx, p)
	}
	spent := func() bool { return r.budgetSpent(ctx) }
	info, err := describeOrPause(ctx, in.Connection, r.fixes, &st.Control, paused, resumed, spent)
	if errors.Is(err, errContinueAsNew) {
		return continueAsNew() // still paused: so is the next run
	} else if err != nil {
		return err
	}
	r.count()
	// use takes the settings of the file as read.
	use := func(fresh activities.ConnectionInfo) {
		info = fresh
		r.skipSides(info.NoSync)
		r.maxDeletes = info.MaxDeletes
		if r.fixes.intervalFromAnyRead && st.Waiting && st.WaitInterval != 0 && info.Interval != st.WaitInterval && !p.LastCycleAt.IsZero() {
			p.NextCycleAt = p.LastCycleAt.Add(info.Interval)
			st.WaitInterval = info.Interval
			publish(ctx, p)
		}
	}
	for _, o := range info.Objects {
		p.object(o)
	}
	use(info)
	cycles := 0
	var a *activities.Activities
	// reread reads the file's settings again; a bad file pauses the connection until fixed.
	fileReadAt := workflow.Now(ctx)
	reread := func() error {
		fresh, err := describeOrPause(ctx, in.Connection, r.fixes, &st.Control, paused, resumed, spent)
		r.count()
		fileReadAt = workflow.Now(ctx)
		switch {
		case err == nil:
			use(fresh)
		case !r.fixes.pauseOnBadFile: // runs before the fix keep the last file on any error
		case errors.Is(err, errContinueAsNew), temporal.IsCanceledError(err):
			return err
		}
		return nil
	}
	for {
		if st.Waiting {
			recheck := time.Duration(0)
			if r.fixes.recheckInterval {
				recheck = fileRecheck
			}
			if err := wait(ctx, st, info, recheck); err != nil {
				return err
			}
			if err := r.propagateDeletes(ctx, st, info.Objects); errors.Is(err, errContinueAsNew) {
				return continueAsNew() // still waiting: the next run handles the rest first
			} else if err != nil {
				return err
			}
			if st.Waiting { // woken by deletions, or to read the file: the cycle is not due yet
				// Deletion signals alone can fill a run's history: check it here too.
				if r.fixes.bounded && r.budgetSpent(ctx) {
					return continueAsNew()
				}
				if r.fixes.recheckInterval && !workflow.Now(ctx).Before(fileReadAt.Add(fileRecheck)) {
					// A long wait reads the file again now and then: an interval changed
					// on the running connection applies now, not after the old one.
					before := info.Interval
					if err := reread(); errors.Is(err, errContinueAsNew) {
						return continueAsNew()
					} else if err != nil {
						return err
					}
					if info.Interval != before && !p.LastCycleAt.IsZero() {
						p.NextCycleAt = p.LastCycleAt.Add(info.Interval)
						publish(ctx, p)
					}
				}
				continue
			}
			// Read the file's settings again: a changed interval applies from the next wait.
			if err := reread(); errors.Is(err, errContinueAsNew) {
				return continueAsNew()
			} else if err != nil {
				return err
			}
		}
		if st.Control.Paused {
			publishPaused(ctx, p, st.Control.PauseReason)
			// Signals (deletions) received during a long pause must not fill the run either.
			if err := workflow.Await(ctx, func() bool { return !st.Control.Paused || (r.fixes.bounded && r.budgetSpent(ctx)) }); err != nil {
				return err
			}
			if st.Control.Paused {
				return continueAsNew()
			}
			p.PauseReason = ""
			if r.fixes.pauseHolds {
				// The fix the pause asked for may be in the file (an object taken out, a
				// right that cannot be granted): read it again before going on.
				fresh, err := describeOrPause(ctx, in.Connection, r.fixes, &st.Control, paused, resumed, spent)
				r.count()
				switch {
				case errors.Is(err, errContinueAsNew):
					return continueAsNew()
				case err != nil:
					return err
				}
				use(fresh)
				for _, o := range info.Objects {
					p.object(o)
				}
			}
		}
		if !st.InCycle {
			fullRead(ctx, st, info)
			for len(st.Control.Resync) > 0 {
				req := st.Control.Resync[0]
				reset := activities.ResetInput{Connection: in.Connection, Objects: req.Objects, Since: req.Since}
				err := workflow.ExecuteActivity(shortActivityOptions(ctx), a.ResetCursors, reset).Get(ctx, nil)
				st.Control.settleAfter(ctx)
				r.count()
				if err != nil {
					if msg := configurationError(err); msg != "" {
						workflow.GetLogger(ctx).Error("resync refused", "reason", msg)
					} else {
						return err
					}
				}
				st.Control.Resync = st.Control.Resync[1:]
			}
			st.InCycle, st.Walk = true, Walk{CycleStart: workflow.Now(ctx)}
			if !st.DeletesHeld { // held ones count what went before them until they are gone
				st.CycleDeletes = 0
			}
			for i := range p.Objects {
				p.Objects[i].Done = false // done in this cycle, not in an earlier one
			}
		}
		p.Phase = PhaseSyncing
		publish(ctx, p)
		err := r.run(ctx, info.Objects, activities.ModeIncremental)
		switch {
		case errors.Is(err, errPaused):
			continue
		case errors.Is(err, errContinueAsNew):
			return continueAsNew()
		case err != nil:
			return err
		}
		st.InCycle = false
		p.Cycles++
		cycles++
		p.LastCycleAt = workflow.Now(ctx)
		p.Object, p.Side = "", ""
		toWait := func() {
			p.NextCycleAt = p.LastCycleAt.Add(info.Interval)
			st.WaitInterval = info.Interval
			st.Waiting = true
			if st.Control.Paused {
				// Paused during the cycle's last activities: what asks before writing (a
				// push, the passes) must not take the connection for running meanwhile.
				publishPaused(ctx, p, st.Control.PauseReason)
			} else {
				p.Phase = PhaseWaiting
				publish(ctx, p)
			}
		}
		if err := r.propagateDeletes(ctx, st, info.Objects); errors.Is(err, errContinueAsNew) {
			// The cycle is done: the next run waits, handling the deletions left first.
			toWait()
			return continueAsNew()
		} else if err != nil {
			return err
		}
		// Deletions dropped from a full queue are found by reconciling now; a queue that
		// fills again meanwhile asks for the next cycle's.
		overflow := st.Control.Overflow
		st.Control.Overflow = false
		due := len(info.ReconcileObjects) > 0 && (overflow || !workflow.Now(ctx).Before(p.LastReconcileAt.Add(info.Reconcile)))
		if r.fixes.reconcileSlices {
			switch {
			case st.Reconcile == nil && due:
				st.Reconcile = &ReconcilePosition{}
			case st.Reconcile != nil && overflow:
				st.Reconcile.Again = true
			}
			if st.Reconcile != nil {
				if err := reconcileSlice(ctx, r, st, info.ReconcileObjects); err != nil {
					return err
				}
			}
		} else if due {
			if err := reconcile(ctx, r, info.ReconcileObjects); err != nil {
				return err
			}
		}
		if st.Control.AllowDeletes && !(r.fixes.allowUntilDone && (st.Control.Paused || len(st.Control.Deleted) > 0)) {
			// The held deletions went with this cycle: the limit holds again, counted
			// afresh from here. A cycle that a pause cut short (or that left deletions
			// queued) keeps it: the rest go after the resume, as allowed. A reconciliation
			// that was held carries its own allowance until it is done (pos.Allowed).
			st.Control.AllowDeletes, st.CycleDeletes = false, 0
			if st.Reconcile != nil {
				st.Reconcile.Deleted = 0
			}
		}
		refreshStats(ctx, p, &st.Control)
		r.count()
		toWait()
		if cycles >= maxCycles || r.budgetSpent(ctx) {
			return continueAsNew()
		}
	}
}

// fullRead asks the cycle about to start to read everything again when schedule.full_read is
// due: the first cycle starts the clock (the import has just read everything).
func fullRead(ctx workflow.Context, st *SyncState, info activities.ConnectionInfo) {
	p := &st.Progress
	switch now := workflow.Now(ctx); {
	case info.FullRead <= 0:
	case p.LastFullReadAt.IsZero():
		p.LastFullReadAt = now
	case !now.Before(p.LastFullReadAt.Add(info.FullRead)):
		st.Control.Resync = append(st.Control.Resync, ResyncRequest{})
		p.LastFullReadAt = now
		p.FullReads++
	}
}

// wait sleeps until the next cycle is due, or until a signal asks for one sooner (sync-now,
// resync) or for a pause.
func wait(ctx workflow.Context, st *SyncState, info activities.ConnectionInfo, recheck time.Duration) error {
	p := &st.Progress
	if p.NextCycleAt.IsZero() {
		p.NextCycleAt = workflow.Now(ctx).Add(info.Interval)
	}
	if d := p.NextCycleAt.Sub(workflow.Now(ctx)); d > 0 {
		if recheck > 0 && d > recheck {
			d = recheck // wakes to read the file again (fixes.recheckInterval)
		}
		if _, err := workflow.AwaitWithTimeout(ctx, d, func() bool {
			return st.Control.SyncNow || st.Control.Paused || len(st.Control.Resync) > 0 || len(st.Control.Deleted) > 0
		}); err != nil {
			return err
		}
		if !st.Control.SyncNow && !st.Control.Paused && len(st.Control.Resync) == 0 && workflow.Now(ctx).Before(p.NextCycleAt) {
			return nil // only deletions to handle: keep waiting afterwards
		}
	}
	st.Waiting = false
	st.Control.SyncNow = false
	p.NextCycleAt = time.Time{}
	return nil
}

// fileRecheck is how often a long wait reads the connection file again.
const fileRecheck = 15 * time.Minute

// deleteChunk bounds the ids of one PropagateDeletes: it reads and deletes them one by one.
const deleteChunk = 200

// propagateDeletes hands the deletions webhooks announced to an activity, which checks each
// one and deletes counterparts where the connection says so. Deletions queued for one object
// and side go in one call, a chunk at a time; it returns errContinueAsNew when the run's
// budget is spent, the ids not yet handled staying in the state.
func (r *runner) propagateDeletes(ctx workflow.Context, st *SyncState, objects []string) error {
	if len(st.Control.Deleted) == 0 || (r.fixes.pauseOnRefusedDeletes && st.Control.Paused) {
		return nil // paused: the ids wait for the resume
	}
	if !r.fixes.bounded {
		return propagateDeletesV0(ctx, r.connection, st)
	}
	var a *activities.Activities
	// A chunk reads and deletes record by record: heartbeats, not a one-minute limit, tell
	// a lost worker from a long batch.
	actx := passActivityOptions(ctx, r.tuning)
	for {
		// Signals received while the last chunk ran join their object's queue.
		st.Control.Deleted = mergeDeleted(st.Control.Deleted)
		if len(st.Control.Deleted) == 0 {
			st.DeletesHeld = false
			return nil
		}
		if r.budgetSpent(ctx) {
			return errContinueAsNew
		}
		if r.fixes.pauseHolds && st.Control.Paused {
			return nil // paused meanwhile: the ids left wait for the resume
		}
		req := st.Control.Deleted[0]
		if r.fixes.pauseOnRefusedDeletes && (!slices.Contains(objects, req.Object) || !slices.Contains(sides, req.Side)) {
			// Not this connection's (a misrouted webhook): a pause could never be fixed.
			workflow.GetLogger(ctx).Error("deletion report for an object the connection does not sync dropped", "object", req.Object, "side", req.Side, "ids", len(req.IDs))
			st.Control.Deleted = st.Control.Deleted[1:]
			continue
		}
		n := min(len(req.IDs), deleteChunk)
		in := activities.DeleteInput{Connection: r.connection, Object: req.Object, Side: req.Side, IDs: req.IDs[:n], Guard: r.deleteGuard(st.CycleDeletes)}
		var res activities.DeleteResult
		err := workflow.ExecuteActivity(actx, a.PropagateDeletes, in).Get(ctx, &res)
		r.ctl.settle(ctx)
		r.activities++
		if err != nil {
			msg := configurationError(err)
			switch {
			case msg == "":
				return err
			case r.fixes.pauseOnRefusedDeletes:
				// A revoked credential or a broken file: pause with the message; the ids
				// stay queued and go again after the resume. Past schedule.max_deletes, what
				// the chunk deleted before counts, and its ids leave the queue.
				var held activities.HeldDeletes
				if heldDetails(err, &held) {
					st.DeletesHeld = r.fixes.heldDeletesCount
					st.Progress.Deletes.Add(held.Result)
					st.CycleDeletes += held.Result.Propagated
					st.Control.Deleted[0].IDs = st.Control.Deleted[0].IDs[min(held.Handled, n):]
					if len(st.Control.Deleted[0].IDs) == 0 {
						st.Control.Deleted = st.Control.Deleted[1:]
					}
				}
				r.ctl.pause(msg)
				return nil
			default:
				workflow.GetLogger(ctx).Error("deletion report refused", "reason", msg)
			}
		}
		st.Progress.Deletes.Add(res)
		st.CycleDeletes += res.Propagated
		// Index again: the signal handler may have appended (and moved) the queue meanwhile.
		st.Control.Deleted[0].IDs = st.Control.Deleted[0].IDs[n:]
		if len(st.Control.Deleted[0].IDs) == 0 {
			st.Control.Deleted = st.Control.Deleted[1:]
		}
	}
}

// mergeDeleted joins the requests for the same object and side, in the order they first came,
// without repeating an id (a webhook delivered twice).
func mergeDeleted(reqs []DeletedRequest) []DeletedRequest {
	var out []DeletedRequest
	seen := map[string]bool{}
	for _, req := range reqs {
		i := slices.IndexFunc(out, func(o DeletedRequest) bool { return o.Object == req.Object && o.Side == req.Side })
		if i < 0 {
			out = append(out, DeletedRequest{Object: req.Object, Side: req.Side})
			i = len(out) - 1
		}
		for _, id := range req.IDs {
			if key := req.Object + "\x00" + req.Side + "\x00" + id; !seen[key] {
				seen[key] = true
				out[i].IDs = append(out[i].IDs, id)
			}
		}
	}
	return out
}

// propagateDeletesV0 is propagateDeletes for runs begun before deletions were merged.
func propagateDeletesV0(ctx workflow.Context, connection string, st *SyncState) error {
	var a *activities.Activities
	for len(st.Control.Deleted) > 0 {
		req := st.Control.Deleted[0]
		in := activities.DeleteInput{Connection: connection, Object: req.Object, Side: req.Side, IDs: req.IDs}
		var res activities.DeleteResult
		if err := workflow.ExecuteActivity(shortActivityOptions(ctx), a.PropagateDeletes, in).Get(ctx, &res); err != nil {
			if msg := configurationError(err); msg != "" {
				workflow.GetLogger(ctx).Error("deletion report refused", "reason", msg)
			} else {
				return err
			}
		}
		st.Progress.Deletes.Add(res)
		st.Control.Deleted = st.Control.Deleted[1:]
	}
	return nil
}

// reconcile checks the id maps of the objects that propagate deletions against both sides,
// for deletions no webhook announced. A pause stops it between two stretches, and a
// configuration error pauses the connection (reconcileYields): it is then not done, and runs
// again after the resume.
func reconcile(ctx workflow.Context, r *runner, objects []string) error {
	connection, t, p := r.connection, r.tuning, r.progress
	var a *activities.Activities
	actx := passActivityOptions(ctx, t)
	for _, o := range objects {
		for _, side := range sides {
			in := activities.ReconcileInput{Connection: connection, Object: o, Side: side, Stretch: t.Stretch}
			for {
				if r.fixes.reconcileYields && r.ctl.Paused {
					// Not done: it runs again, whole, at the end of the first cycle after
					// the resume.
					return nil
				}
				var res activities.ReconcileResult
				err := workflow.ExecuteActivity(actx, a.Reconcile, in).Get(ctx, &res)
				r.ctl.settle(ctx)
				r.count()
				if err != nil {
					msg := configurationError(err)
					switch {
					case msg == "":
						return err
					case r.fixes.reconcileYields:
						// A credential that may not see what it must (a role that hides
						// records): pause with the message, reconcile again after the resume.
						r.ctl.pause(msg)
						return nil
					}
					workflow.GetLogger(ctx).Error("reconciliation refused", "reason", msg)
					break
				}
				p.Deletes.Add(res.Deletes)
				if res.Done {
					break
				}
				in.After = res.After
			}
		}
	}
	p.LastReconcileAt = workflow.Now(ctx)
	return nil
}

// reconcileSlice carries a reconciliation on from its place for at most
// Tuning.ReconcileStretches stretches, so that the next cycle is not held back: a large id
// map is checked over several cycles (and runs), the place kept in the state. A pause stops
// it between two stretches and a configuration error pauses the connection; either way it
// carries on from its place after the resume. When the last side of the last object is
// checked it is done, and starts again when due (or at once when Again asks).
func reconcileSlice(ctx workflow.Context, r *runner, st *SyncState, objects []string) error {
	pos, t, p := st.Reconcile, r.tuning, r.progress
	oi := slices.Index(objects, pos.Object)
	si := slices.Index(sides, pos.Side)
	if oi < 0 || si < 0 { // just begun, or its object left the file: from the start
		oi, si, pos.After = 0, 0, ""
	}
	if r.fixes.allowHeld && pos.Held && r.ctl.AllowDeletes {
		// The allowance is for what this reconciliation held: it lets the rest go however
		// many cycles that takes (it ran out at the end of the first, and the next slice held
		// the rest again), then ends with it.
		pos.Held, pos.Allowed = false, true
	}
	var a *activities.Activities
	actx := passActivityOptions(ctx, t)
	for n := 0; oi < len(objects); {
		pos.Object, pos.Side = objects[oi], sides[si]
		if n >= t.ReconcileStretches || r.ctl.Paused || r.budgetSpent(ctx) {
			return nil // the rest at the next cycle
		}
		guard := r.deleteGuard(pos.Deleted)
		if pos.Allowed {
			guard = activities.DeleteGuard{}
		}
		in := activities.ReconcileInput{Connection: r.connection, Object: pos.Object, Side: pos.Side, After: pos.After, Stretch: t.Stretch,
			Guard: guard}
		var res activities.ReconcileResult
		err := workflow.ExecuteActivity(actx, a.Reconcile, in).Get(ctx, &res)
		r.ctl.settle(ctx)
		r.count()
		n++
		if err != nil {
			msg := configurationError(err)
			if msg == "" {
				return err
			}
			// A credential that may not see what it must (a role that hides records):
			// pause with the message, carry on from here after the resume. Past
			// schedule.max_deletes, the stretch's deletions count and its place is kept.
			var held activities.ReconcileResult
			if heldDetails(err, &held) {
				p.Deletes.Add(held.Deletes)
				pos.Deleted += held.Deletes.Propagated
				pos.After = held.After
				pos.Held = r.fixes.allowHeld
			}
			r.ctl.pause(msg)
			return nil
		}
		p.Deletes.Add(res.Deletes)
		pos.Deleted += res.Deletes.Propagated
		pos.After = res.After
		pos.Held = false // what was held went within the limit (the records restored)
		if !res.Done {
			continue
		}
		pos.After = ""
		if si++; si == len(sides) {
			oi, si = oi+1, 0
		}
	}
	p.LastReconcileAt = workflow.Now(ctx)
	st.Reconcile = nil
	if pos.Again {
		st.Reconcile = &ReconcilePosition{}
	}
	return nil
}
