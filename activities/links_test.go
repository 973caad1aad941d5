package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/store"
)

// unlinker is a side-B connector that can take a contact's company off.
type unlinker struct{ connectors.Connector }

func (unlinker) CanUnlink(object, link string) bool {
	return object == connectors.ObjectContact && link == connectors.ObjectCompany
}

// What x's pass plans and snapshots for a contact's company link, side A read: "A1" is the
// company last synced, B1 its id on B; "A2"/B2 another paired company.
func TestPlanLinksRemovals(t *testing.T) {
	const none, unknown = "", "?"
	tests := []struct {
		name      string
		x         string // x's link read: an A id, none, or unknown
		snapshot  string // the pair's link last synced, none (no pair: created)
		y         string // y's link read: a B id, none, or unknown
		canUnlink bool
		wantY     map[string]string
		wantSnap  any
	}{
		{"removed, y holds it, y unlinks", none, "A1", "B1", true, map[string]string{"company": "", "company@was": "B1"}, ""},
		{"removed, y holds it, y cannot unlink", none, "A1", "B1", false, nil, "A1"},
		{"removed, y moved since: y's move is kept", none, "A1", "B2", true, nil, "A1"},
		{"removed on both", none, "A1", none, true, nil, ""},
		{"removed, y unknown", none, "A1", unknown, true, nil, "A1"},
		{"none against none", none, none, none, true, nil, ""},
		{"none, y linked since: y's pass takes it", none, none, "B2", true, nil, ""},
		{"unknown on x", unknown, "A1", "B1", true, nil, "A1"},
		{"moved on x", "A2", "A1", "B1", true, map[string]string{"company": "B2"}, "A2"},
		{"created without a link", none, "-", "-", true, nil, nil},
	}
	conn := &config.Connection{Objects: []config.Object{
		{Name: "company", AObject: "company", BObject: "company"},
		{Name: "contact", AObject: "contact", BObject: "contact", Links: []string{"company"}},
	}}
	refs := map[string]linkRef{"A1": {AID: "A1", BID: "B1"}, "A2": {AID: "A2", BID: "B2"}, none: {}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pass{conn: conn, obj: &conn.Objects[1], side: engine.A, objY: connectors.ObjectContact, y: noUnlink{}}
			if tt.canUnlink {
				p.y = unlinker{}
			}
			it := &item{x: connectors.Record{ID: "x"}, decision: engine.Decision{Snapshot: map[string]any{}}}
			if tt.x != unknown {
				it.links = map[string]linkRef{"company": refs[tt.x]}
			}
			if tt.snapshot != "-" {
				it.pair = &store.Pair{AID: "x", BID: "y", Snapshot: map[string]any{"@company": tt.snapshot}}
				it.synced = map[string]string{"company": refs[tt.snapshot].BID}
				it.y = &connectors.Record{ID: "y"}
				if tt.y != unknown {
					it.y.Links = map[string]string{"company": tt.y}
				}
			}
			linkX, linkY := p.planLinks(it)
			assert.Nil(t, linkX)
			assert.Equal(t, tt.wantY, linkY)
			p.snapshotLinks(it, linkY)
			assert.Equal(t, tt.wantSnap, it.decision.Snapshot["@company"])
			if it.pair != nil {
				assert.Equal(t, tt.x == tt.snapshot, p.linksUnchanged(it), "unchanged")
			}
		})
	}
}
