package activities

import (
	"context"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/store"
)

// linkRef is a record's link to a record of another object, with the ids of the linked
// record on both sides ("" when that side is not known: the linked record is not paired).
// Both empty: the read knows the record links to nothing (connectors.Record.Links holds "").
type linkRef struct {
	AID, BID string
}

// none reports whether the read knows the record has no such link.
func (r linkRef) none() bool { return r.AID == "" && r.BID == "" }

// resolveLinks finds, for every record of the page, the ids on both sides of the records it
// links to, through the id map of the linked objects. A link the read knows is none is kept
// as such; one it does not know is left out.
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
		var pairs map[string]store.Pair
		if len(ids) > 0 {
			var err error
			if pairs, err = p.a.Store.Pairs(ctx, p.in.Connection, l, xSide, ids); err != nil {
				return nil, err
			}
		}
		for _, r := range records {
			id, known := r.Links[key]
			if !known {
				continue
			}
			ref := linkRef{} // none, unless id names a record
			pr, paired := pairs[id]
			switch {
			case id == "":
			case p.side == engine.A:
				ref.AID = id
				if paired {
					ref.BID = pr.BID
				}
			default:
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

// resolveSynced finds, for the records read with no link to l where their pair's last sync
// had one, the id on side y of the record that link was to (item.synced): a removal goes to
// y only while y still holds that very link. "" when it is not paired any more.
func (p *pass) resolveSynced(ctx context.Context, items []*item) error {
	for _, l := range p.obj.Links {
		removed := map[*item]string{} // → the side-A id of the link last synced
		var aIDs []string
		for _, it := range items {
			if ref, ok := it.links[l]; ok && ref.none() {
				if id := syncedLink(it, l); id != "" {
					removed[it] = id
					aIDs = append(aIDs, id)
				}
			}
		}
		if len(removed) == 0 {
			continue
		}
		var pairs map[string]store.Pair
		// The snapshot holds side-A ids: y's own on side B's pass, through the id map on side A's.
		if p.side == engine.A {
			var err error
			if pairs, err = p.a.Store.Pairs(ctx, p.in.Connection, l, store.SideA, aIDs); err != nil {
				return err
			}
		}
		for it, aID := range removed {
			if it.synced == nil {
				it.synced = map[string]string{}
			}
			if p.side == engine.B {
				it.synced[l] = aID
			} else {
				it.synced[l] = pairs[aID].BID
			}
		}
	}
	return nil
}

// syncedLink returns the side-A id of the record's link to l as last synced ("" for none).
func syncedLink(it *item, l string) string {
	if it.pair == nil {
		return ""
	}
	id, _ := engine.Canon(it.pair.Snapshot[linkKey(l)]).(string)
	return id
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

// linkChanged reports whether x's link to object l differs from the last sync (none against
// a synced link is a change, none against none is not).
func (p *pass) linkChanged(it *item, l string) bool {
	if it.pair == nil {
		return true
	}
	return !engine.Equal(it.links[l].AID, it.pair.Snapshot[linkKey(l)])
}

// planLinks returns the links to write on each side: a link changed on x since the last sync
// is copied to y when the linked record is paired, and a link x no longer has is taken off y
// where it can be (unlinks). A link changed on y is copied back by y's own pass, so x's pass
// leaves it alone.
func (p *pass) planLinks(it *item) (linkX, linkY map[string]string) {
	for _, l := range p.obj.Links {
		ref, ok := it.links[l]
		if !ok || !p.linkChanged(it, l) {
			continue
		}
		key := p.conn.LinkKey(l, string(p.side.Other()))
		want := ref.BID
		if p.side == engine.B {
			want = ref.AID
		}
		switch {
		case ref.none() && !p.unlinks(it, l, key):
			continue
		case ref.none():
		case want == "":
			continue // the linked record is not paired yet: it goes once it is (releaseWaits)
		case it.y != nil && it.y.Links[key] == want:
			continue
		}
		if linkY == nil {
			linkY = map[string]string{}
		}
		linkY[key] = want
		if ref.none() {
			linkY[connectors.LinkWas(key)] = it.synced[l] // removed only while it goes there
		}
	}
	return nil, linkY
}

// unlinks reports whether x's removal of its link to l is written to y (under key): y still
// holds the link last synced (a link y changed since is newer, and goes the other way), and
// y's system can take it off. A record created on y gets no empty link.
func (p *pass) unlinks(it *item, l, key string) bool {
	if it.y == nil {
		return false
	}
	if held := it.y.Links[key]; held == "" || held != it.synced[l] {
		return false
	}
	u, ok := p.y.(connectors.Unlinker)
	return ok && u.CanUnlink(p.objY, key)
}

// snapshotLinks records in the new snapshot the links both sides hold once linkY is written:
// a removal as none once y has none too, so that y's pass finds y unchanged and never links
// x again; while y keeps the link (it cannot unlink, or it changed it), the link last synced.
func (p *pass) snapshotLinks(it *item, linkY map[string]string) {
	for _, l := range p.obj.Links {
		key := linkKey(l)
		ref, read := it.links[l]
		switch {
		case read && ref.none() && p.linkChanged(it, l) && p.noneOnY(it, l, linkY):
			it.decision.Snapshot[key] = "" // set, or the old snapshot's link would be kept
		case ref.AID != "" && ref.BID != "" && p.linkChanged(it, l):
			it.decision.Snapshot[key] = ref.AID
		case it.pair != nil:
			it.decision.Snapshot[key] = it.pair.Snapshot[key]
		}
	}
}

// noneOnY reports whether y has no link to l once linkY is written: taken off now, or read
// as none.
func (p *pass) noneOnY(it *item, l string, linkY map[string]string) bool {
	if it.y == nil {
		return false
	}
	key := p.conn.LinkKey(l, string(p.side.Other()))
	if id, planned := linkY[key]; planned {
		return id == ""
	}
	id, known := it.y.Links[key]
	return known && id == ""
}
