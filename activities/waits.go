package activities

import (
	"context"
	"slices"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/store"
)

// A record that links to a record not paired yet (a contact whose company is at SA = no, or
// was quarantined) cannot take that link across: it is held back (waitsForLink), or its
// other changes go without the link. It would go at its next change only — an incremental
// read never sees it again otherwise. So a page notes in the store what its records wait
// for (store.Waits), and every incremental pass begins with the records whose awaited record
// has been paired since: read again, they go across although they did not change.

// maxReleasedPerPass bounds the waiting records one pass reads again; the others go at the
// next pass.
const maxReleasedPerPass = 2000

// noteWaits records what the records read (ids, before any filter) wait for: those whose
// linked record of this side is not paired (links, from resolveLinks), for each such link.
// Every other record of ids waits for nothing now.
func (p *pass) noteWaits(ctx context.Context, ids []string, links map[string]map[string]linkRef) error {
	if p.in.Plan || len(p.obj.Links) == 0 || len(ids) == 0 {
		return nil
	}
	var waits []store.Wait
	for id, refs := range links {
		for l, ref := range refs {
			mine, theirs := ref.AID, ref.BID
			if p.side == engine.B {
				mine, theirs = ref.BID, ref.AID
			}
			if mine != "" && theirs == "" {
				waits = append(waits, store.Wait{RecordID: id, LinkObject: l, LinkID: mine})
			}
		}
	}
	return p.a.Store.SetWaits(ctx, p.in.Connection, p.in.Object, store.Side(p.side), ids, waits)
}

// releaseWaits reads again and syncs the records of this side that wait for a record paired
// since (noteWaits), a page at a time.
func (p *pass) releaseWaits(ctx context.Context) (Counts, error) {
	var total Counts
	if p.in.Plan || len(p.obj.Links) == 0 {
		return total, nil
	}
	readAt := p.a.now()
	recs, err := p.a.readyRecords(ctx, p.in.Connection, p.in.Object, store.Side(p.side), p.x, p.objX)
	if err != nil {
		return total, err
	}
	for page := range slices.Chunk(recs, p.pageSize) {
		c, err := p.processPage(ctx, page, readAt)
		total.Add(c)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// readyRecords reads again, from x, the records that waited under key (an object of the
// store's waits) for a record now paired, at most maxReleasedPerPass of them (fewer where x
// reads back by id from a scarce budget: connectors.GetLimit). A record x no longer has
// waits for nothing.
func (a *Activities) readyRecords(ctx context.Context, connection, key string, side store.Side, x connectors.Connector, objX string) ([]connectors.Record, error) {
	ids, err := a.Store.ReadyWaits(ctx, connection, key, side, connectors.GetLimit(x, objX, maxReleasedPerPass))
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	recs, err := x.Get(ctx, objX, ids)
	if err != nil {
		return nil, err
	}
	if gone := missingIDs(ids, recs); len(gone) > 0 {
		if err := a.Store.SetWaits(ctx, connection, key, side, gone, nil); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// missingIDs returns the ids of want that recs do not hold.
func missingIDs(want []string, recs []connectors.Record) []string {
	found := make(map[string]bool, len(recs))
	for _, r := range recs {
		found[r.ID] = true
	}
	var out []string
	for _, id := range want {
		if !found[id] {
			out = append(out, id)
		}
	}
	return out
}
