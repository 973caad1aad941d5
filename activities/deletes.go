package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// PropagateDeletes handles records reported deleted on one side. A report is a hint, never
// trusted: each record is looked up first, and only one that is really gone counts. Its
// counterpart is then deleted when the connection propagates deletions from that side, and
// the pair forgotten; otherwise the pair stays, so that the record is not created again
// on the side it was deleted from.
func (a *Activities) PropagateDeletes(ctx context.Context, in DeleteInput) (DeleteResult, error) {
	p, err := a.newPass(ctx, PassInput{Connection: in.Connection, Object: in.Object, Side: in.Side})
	if err != nil {
		return DeleteResult{}, toTemporal(err)
	}
	res, err := p.propagateDeletes(ctx, in.IDs)
	return res, toTemporal(err)
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
	for i, r := range results {
		if r.Err != nil {
			if err := p.quarantine(ctx, xSide, connectors.Record{ID: gone[i]}, fmt.Sprintf("deleted on %s, but deleting %s record %s was refused: %v", p.x.System(), p.y.System(), others[i], r.Err)); err != nil {
				return res, err
			}
			continue
		}
		done = append(done, gone[i])
		res.Propagated++
	}
	return res, p.a.Store.DeletePairs(ctx, p.in.Connection, p.in.Object, xSide, done)
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
	alive := startKeepAlive(ctx, res)
	defer alive.stop()
	for !res.Done && !limit.reached() {
		pairs, err := a.Store.ListPairs(ctx, in.Connection, in.Object, res.After, reconcilePage)
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
			return res, toTemporal(err)
		}
		d.NotDeleted = 0 // records still there are the normal case here, not stale reports
		res.Deletes.Add(d)
		res.Checked += len(pairs)
		res.After = pairs[len(pairs)-1].AID
		res.Done = len(pairs) < reconcilePage
		alive.commit(ctx, res)
	}
	return res, nil
}
