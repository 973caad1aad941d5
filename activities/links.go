package activities

import (
	"context"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/store"
)

// linkRef is a record's link to a record of another object, with the ids of the linked
// record on both sides ("" when that side is not known: the linked record is not paired).
type linkRef struct {
	AID, BID string
}

// resolveLinks finds, for every record of the page, the ids on both sides of the records it
// links to, through the id map of the linked objects.
func (p *pass) resolveLinks(ctx context.Context, records []connectors.Record, xSide store.Side) (map[string]map[string]linkRef, error) {
	out := map[string]map[string]linkRef{}
	for _, l := range p.obj.Links {
		key := p.conn.LinkKey(l, string(p.side))
		var ids []string
		for _, r := range records {
			if id := r.Links[key]; id != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		pairs, err := p.a.Store.Pairs(ctx, p.in.Connection, l, xSide, ids)
		if err != nil {
			return nil, err
		}
		for _, r := range records {
			id := r.Links[key]
			if id == "" {
				continue
			}
			ref := linkRef{}
			pr, paired := pairs[id]
			if p.side == engine.A {
				ref.AID = id
				if paired {
					ref.BID = pr.BID
				}
			} else {
				ref.BID = id
				if paired {
					ref.AID = pr.AID
				}
			}
			if out[r.ID] == nil {
				out[r.ID] = map[string]linkRef{}
			}
			out[r.ID][l] = ref
		}
	}
	return out, nil
}

// linksUnchanged reports whether the record's links are the ones last synced.
func (p *pass) linksUnchanged(it *item) bool {
	for _, l := range p.obj.Links {
		if !engine.Equal(it.links[l].AID, it.pair.Snapshot[linkKey(l)]) {
			return false
		}
	}
	return true
}

// linkChanged reports whether x's link to object l differs from the last sync.
func (p *pass) linkChanged(it *item, l string) bool {
	if it.pair == nil {
		return true
	}
	return !engine.Equal(it.links[l].AID, it.pair.Snapshot[linkKey(l)])
}

// planLinks returns the links to write on each side: a link changed on x since the last sync
// is copied to y when the linked record is paired. A link changed on y is copied back by
// y's own pass, so x's pass leaves it alone.
func (p *pass) planLinks(it *item) (linkX, linkY map[string]string) {
	for _, l := range p.obj.Links {
		ref, ok := it.links[l]
		if !ok || !p.linkChanged(it, l) {
			continue
		}
		want := ref.BID
		if p.side == engine.B {
			want = ref.AID
		}
		if want == "" {
			continue // the linked record is not paired yet: it goes once it is (releaseWaits)
		}
		key := p.conn.LinkKey(l, string(p.side.Other()))
		if it.y != nil && it.y.Links[key] == want {
			continue
		}
		if linkY == nil {
			linkY = map[string]string{}
		}
		linkY[key] = want
	}
	return nil, linkY
}

// snapshotLinks records in the new snapshot the links both sides hold once written.
func (p *pass) snapshotLinks(it *item) {
	for _, l := range p.obj.Links {
		key := linkKey(l)
		ref := it.links[l]
		known := ref.AID != "" && ref.BID != ""
		switch {
		case known && p.linkChanged(it, l):
			it.decision.Snapshot[key] = ref.AID
		case it.pair != nil:
			it.decision.Snapshot[key] = it.pair.Snapshot[key]
		}
	}
}
