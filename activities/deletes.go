package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.temporal.io/sdk/activity"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/internal/heartbeat"
	"github.com/crmsync/crmsync/store"
)

// deleteChunk is how many reported ids PropagateDeletes handles between two heartbeats of its
// progress: a retry redoes at most this many.
const deleteChunk = 100

// deleteProgress is what PropagateDeletes heartbeats: how many of its ids are handled, and
// what became of them.
type deleteProgress struct {
	Done   int
	Result DeleteResult
}

// PropagateDeletes handles records reported deleted on one side. A report is a hint, never
// trusted: each record is looked up first, and only one that is really gone counts. Its
// counterpart is then deleted when the connection propagates deletions from that side, and
// the pair forgotten; otherwise the pair stays, so that the record is not created again
// on the side it was deleted from. The ids are handled a chunk at a time and the number
// done heartbeated, so a long batch (a read and a delete per id, at the systems' quotas)
// stays alive and a retry resumes after the last chunk done.
func (a *Activities) PropagateDeletes(ctx context.Context, in DeleteInput) (DeleteResult, error) {
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
	for prog.Done < len(in.IDs) {
		end := min(prog.Done+deleteChunk, len(in.IDs))
		d, err := p.propagateDeletes(ctx, in.IDs[prog.Done:end])
		if err != nil {
			d.Add(prog.Result)
			return d, toTemporal(err)
		}
		prog.Result.Add(d)
		prog.Done = end
		alive.Commit(ctx, prog)
	}
	return prog.Result, nil
}

func (p *pass) propagateDeletes(ctx context.Context, ids []string) (DeleteResult, error) {
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
func (a *Activities) Reconcile(ctx context.Context, in ReconcileInput) (ReconcileResult, error) {
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
		d, err := p.propagateDeletes(ctx, ids)
		if err != nil {
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
	}
	return res, nil
}
