package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/internal/heartbeat"
	"github.com/crmsync/crmsync/store"
)

// deleteChunk is how many reported ids PropagateDeletes handles between two heartbeats of its
// progress: a retry redoes at most this many.
var deleteChunk = 100 // a variable for the tests

// deleteProgress is what PropagateDeletes heartbeats: how many of its ids are handled, and
// what became of them.
type deleteProgress struct {
	Done   int
	Result DeleteResult
}

// PropagateDeletes handles records reported deleted on one side. A report is a hint, never
// trusted: each record is looked up first, and only one that is really gone counts — asked
// for at its own address where the system allows (confirmGone), and not merged into another
// (mergedInto). Its
// counterpart is then deleted when the connection propagates deletions from that side, and
// the pair forgotten; otherwise the pair stays, so that the record is not created again
// on the side it was deleted from. The ids are handled a chunk at a time and the number
// done heartbeated, so a long batch (a read and a delete per id, at the systems' quotas)
// stays alive and a retry resumes after the last chunk done.
func (a *Activities) PropagateDeletes(ctx context.Context, in DeleteInput) (_ DeleteResult, err error) {
	defer recoverAs("PropagateDeletes", func() string {
		return fmt.Sprintf("deletions of %s %s announced on side %s", in.Connection, in.Object, in.Side)
	}, &err)
	var prog deleteProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &prog); err != nil || prog.Done < 0 || prog.Done > len(in.IDs) {
			prog = deleteProgress{} // not this input's progress: start over (each step is idempotent)
		}
	}
	alive := heartbeat.Start(ctx, prog, heartbeat.Options{})
	defer alive.Stop()
	p, err := a.newPass(ctx, PassInput{Connection: in.Connection, Object: in.Object, Side: in.Side})
	if err != nil {
		return prog.Result, toTemporal(err)
	}
	if p.pauses.pausedOnRetry(ctx) {
		// Paused during the backoff: the ids left wait for the resume, from the last chunk
		// done (the workflow takes a completed batch for handled).
		return prog.Result, pausedError(fmt.Sprintf("connection %s is paused: the deletions announced on side %s wait for the resume (%d of %d done)", in.Connection, in.Side, prog.Done, len(in.IDs)))
	}
	for prog.Done < len(in.IDs) {
		end := min(prog.Done+deleteChunk, len(in.IDs))
		d, err := p.propagateDeletes(ctx, in.IDs[prog.Done:end], in.Guard.left(prog.Result.Propagated))
		if err != nil {
			d.Add(prog.Result)
			var held *guardHeld
			if errors.As(err, &held) { // none of this chunk was deleted
				return d, held.temporal(HeldDeletes{Handled: prog.Done, Result: prog.Result})
			}
			return d, toTemporal(err)
		}
		prog.Result.Add(d)
		prog.Done = end
		alive.Commit(ctx, prog)
	}
	return prog.Result, nil
}

// guardHeld is schedule.max_deletes holding deletions back: the activity ends with a
// configuration error (the connection pauses for a check) whose details say what it did
// before.
type guardHeld struct{ msg string }

func (g *guardHeld) Error() string { return g.msg }

func (g *guardHeld) temporal(done any) error {
	return temporal.NewNonRetryableApplicationError(g.msg, ErrTypeConfiguration, nil, done)
}

// left is what the guard allows once done more deletions are made (-1: no limit).
func (g DeleteGuard) left(done int) int {
	if !g.Limited {
		return -1
	}
	return g.Allowance - done
}

// propagateDeletes handles ids reported deleted; allowance (-1: no limit) bounds the
// counterparts it may delete.
func (p *pass) propagateDeletes(ctx context.Context, ids []string, allowance int) (DeleteResult, error) {
	var res DeleteResult
	if len(ids) == 0 {
		return res, nil
	}
	xSide := store.Side(p.side)
	pairs, err := p.a.Store.Pairs(ctx, p.in.Connection, p.in.Object, xSide, ids)
	if err != nil {
		return res, err
	}
	var paired []string
	for _, id := range ids {
		if _, ok := pairs[id]; ok {
			paired = append(paired, id)
		} else {
			res.Unknown++
		}
	}
	if len(paired) == 0 {
		return res, nil
	}
	// Only what a successful read does not return is gone; a failed read deletes nothing.
	still, err := p.x.Get(ctx, p.objX, paired)
	if err != nil {
		return res, err
	}
	exists := make(map[string]bool, len(still))
	for _, r := range still {
		exists[r.ID] = true
	}
	var gone, others []string
	for _, id := range paired {
		if exists[id] {
			res.NotDeleted++
			continue
		}
		gone = append(gone, id)
		others = append(others, p.otherID(pairs[id]))
	}
	if len(gone) == 0 {
		return res, nil
	}
	if !p.obj.DeletesFrom(p.in.Side) {
		res.Kept += len(gone)
		return res, nil
	}
	if gone, others, err = p.confirmGone(ctx, gone, others, &res); err != nil || len(gone) == 0 {
		return res, err
	}
	if gone, others, err = p.mergedInto(ctx, gone, others, &res); err != nil || len(gone) == 0 {
		return res, err
	}
	if allowance >= 0 && len(gone) > allowance {
		// A mass deletion (a list emptied by mistake, a sync gone wrong on the other
		// side) must not travel whole: past schedule.max_deletes, nothing more is deleted
		// until someone has looked. The ids stay queued for after the resume.
		return res, &guardHeld{fmt.Sprintf("%s: %d more %s records deleted on %s would go past schedule.max_deletes (%d left of %d): none of them is deleted on %s. If the deletions were meant, `crmsync resume %s --allow-deletes`; if not, restore them on %s and resume",
			p.conn.File, len(gone), p.in.Object, p.x.System(), allowance, p.conn.Schedule.DeleteLimit(), p.y.System(), p.conn.Name, p.x.System())}
	}
	results, err := p.y.Delete(ctx, p.objY, others)
	if err != nil {
		return res, err
	}
	var done []string
	// A delete refused for a reason that is not the record's (a spent quota, an outage, a
	// revoked token: Sellsy reports them per record when another delete succeeded) fails the
	// call once the pairs of what was deleted are forgotten: the workflow waits, retries or
	// pauses the connection, and nothing is quarantined for it.
	var retry error
	for i, r := range results {
		if i >= len(gone) {
			break
		}
		if r.Err != nil && !notFound(r.Err) {
			if connectors.KindOf(r.Err) != connectors.KindInvalid {
				if retry == nil {
					retry = r.Err
				}
				continue
			}
			if err := p.quarantine(ctx, xSide, connectors.Record{ID: gone[i]}, fmt.Sprintf("deleted on %s, but deleting %s record %s was refused: %v", p.x.System(), p.y.System(), others[i], r.Err)); err != nil {
				return res, err
			}
			continue
		}
		done = append(done, gone[i]) // deleted, or already gone (404): either way the pair is over
		res.Propagated++
	}
	if err := p.a.Store.DeletePairs(ctx, p.in.Connection, p.in.Object, xSide, done); err != nil {
		return res, err
	}
	return res, retry
}

// confirmGone keeps, of the records a lookup left out, those side x confirms deleted one by
// one (connectors.GoneConfirmer), with their counterparts: a lookup answered wrongly, or a
// role that hides records, must not delete their counterparts. The others count as left
// out. A record the credentials may not see fails the call as a configuration error: the
// connection pauses with the message.
func (p *pass) confirmGone(ctx context.Context, gone, others []string, res *DeleteResult) ([]string, []string, error) {
	confirmed, err := p.confirmedGone(ctx, gone)
	if err != nil {
		return nil, nil, err
	}
	var keptGone, keptOthers []string
	for i, id := range gone {
		if slices.Contains(confirmed, id) {
			keptGone, keptOthers = append(keptGone, id), append(keptOthers, others[i])
			continue
		}
		res.LeftOut++
		activity.GetLogger(ctx).Warn("a lookup left out a record that exists: its counterpart is not deleted",
			"connection", p.in.Connection, "object", p.in.Object, "side", p.in.Side, "record", id)
	}
	return keptGone, keptOthers, nil
}

// confirmedGone returns those of ids, left out by a lookup of side x, that side x confirms
// deleted at their own address (connectors.GoneConfirmer); a system that cannot confirm is
// taken at its lookup's word.
func (p *pass) confirmedGone(ctx context.Context, ids []string) ([]string, error) {
	gc, ok := p.x.(connectors.GoneConfirmer)
	if !ok {
		return ids, nil
	}
	return gc.Gone(ctx, p.objX, ids)
}

// mergedInto hands the counterpart of a record merged away on side x to the record it was
// merged into: Automation and Sellsy delete the losing record of a merge, and the person
// lives on in a record of side x that has the counterpart's match key. If that survivor is
// not paired, the counterpart is paired with it (an empty snapshot: the next change of either
// merges them as a first match does) instead of being deleted. A survivor already paired —
// both records of the merge had been synced — leaves the deletion to go as configured. It
// returns the records whose counterparts are still to delete.
func (p *pass) mergedInto(ctx context.Context, gone, others []string, res *DeleteResult) ([]string, []string, error) {
	xField, yField := p.side.MatchField(p.obj.Match), p.side.Other().MatchField(p.obj.Match)
	if !p.obj.MatchesOnKey() || xField == config.RecordID || yField == config.RecordID ||
		strings.HasPrefix(xField, "cf.") || strings.HasPrefix(yField, "cf.") {
		return gone, others, nil // keys compared exactly, or ids: not found again by a search
	}
	ys, err := p.y.Get(ctx, p.objY, others)
	if err != nil {
		return nil, nil, err
	}
	keyOf := map[string]string{} // counterpart id → its match key
	var keys []string
	for _, y := range ys {
		if k := engine.MatchKey(y.Fields[yField]); k != "" {
			keyOf[y.ID] = k
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return gone, others, nil
	}
	xs, err := p.x.FindByKey(ctx, p.objX, xField, keys)
	if err != nil {
		return nil, nil, err
	}
	survivor, holders := map[string]string{}, map[string]int{}
	var survivors []string
	for _, x := range xs {
		k := engine.MatchKey(x.Fields[xField])
		holders[k]++
		survivor[k] = x.ID
		survivors = append(survivors, x.ID)
	}
	taken, err := p.a.Store.Pairs(ctx, p.in.Connection, p.in.Object, store.Side(p.side), survivors)
	if err != nil {
		return nil, nil, err
	}
	var keepGone, keepOthers []string
	var moved []store.Pair
	for i, id := range gone {
		k := keyOf[others[i]]
		s, one := survivor[k], holders[k] == 1
		if _, paired := taken[s]; k == "" || !one || paired {
			keepGone, keepOthers = append(keepGone, id), append(keepOthers, others[i])
			continue
		}
		pair := store.Pair{AID: s, BID: others[i], SyncedAt: p.a.now().UTC()}
		if p.side == engine.B {
			pair.AID, pair.BID = others[i], s
		}
		moved = append(moved, pair) // replaces the pair of the record merged away
		res.Merged++
		activity.GetLogger(ctx).Info("a record merged into another: its counterpart goes with the survivor",
			"connection", p.in.Connection, "object", p.in.Object, "side", p.in.Side, "record", id, "survivor", s, "counterpart", others[i])
	}
	return keepGone, keepOthers, p.a.Store.SavePairs(ctx, p.in.Connection, p.in.Object, moved)
}

// notFound reports whether a delete failed because the record was not there: it is gone, as
// the delete wanted.
func notFound(err error) bool {
	var e *connectors.Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// reconcilePage is how many pairs a reconciliation reads at a time.
const reconcilePage = 200

// Reconcile looks for records of one side deleted without a webhook saying so: it reads the
// id map in pages, looks the side's records up, and handles the missing ones as
// PropagateDeletes does. It heartbeats its place, so a retried stretch resumes.
func (a *Activities) Reconcile(ctx context.Context, in ReconcileInput) (_ ReconcileResult, err error) {
	defer recoverAs("Reconcile", func() string {
		return fmt.Sprintf("reconciliation of %s %s on side %s", in.Connection, in.Object, in.Side)
	}, &err)
	p, err := a.newPass(ctx, PassInput{Connection: in.Connection, Object: in.Object, Side: in.Side})
	if err != nil {
		return ReconcileResult{}, toTemporal(err)
	}
	res := ReconcileResult{After: in.After}
	if activity.HasHeartbeatDetails(ctx) {
		var hb ReconcileResult
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil {
			res = hb
		}
	}
	if p.pauses.pausedOnRetry(ctx) {
		return res, nil // paused during the backoff: the rest after the resume, from here
	}
	limit := newStretchLimit(ctx, in.Stretch)
	alive := heartbeat.Start(ctx, res, heartbeat.Options{})
	defer alive.Stop()
	checked := res.Checked // before this attempt
	pageSize := cmp.Or(in.PageSize, reconcilePage)
	for !res.Done && !limit.reached() {
		pairs, err := a.Store.ListPairs(ctx, in.Connection, in.Object, res.After, pageSize)
		if err != nil {
			return res, err
		}
		if len(pairs) == 0 {
			res.Done = true
			break
		}
		ids := make([]string, len(pairs))
		for i, pr := range pairs {
			ids[i] = p.xID(pr)
		}
		d, err := p.propagateDeletes(ctx, ids, in.Guard.left(res.Deletes.Propagated))
		if err != nil {
			var held *guardHeld
			if errors.As(err, &held) { // this page deleted nothing: it is checked again
				return res, held.temporal(res)
			}
			if passingFailure(ctx, err, res.Checked > checked) {
				return res, nil
			}
			return res, toTemporal(err)
		}
		d.NotDeleted = 0 // records still there are the normal case here, not stale reports
		res.Deletes.Add(d)
		res.Checked += len(pairs)
		res.After = pairs[len(pairs)-1].AID
		res.Done = len(pairs) < pageSize
		alive.Commit(ctx, res)
		if p.pauses.pausedNow(ctx) {
			break // a pause holds deletions: the rest after the resume, from here
		}
	}
	return res, nil
}
