package unas

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

// An order modified while a listing runs, but within its window (in the second the listing
// began, or before its end by UNAS's clock when the worker's runs ahead), stays in the window
// and moves to its end. When it is one of the last orders of a page (the next page's
// anchors), the next page resumes after the anchors still in place, not after the order at
// the window's end: the orders between would never be listed (the next listing reads from
// the window's end).
func TestListResumesAfterAnchorsModifiedWithinTheWindow(t *testing.T) {
	tests := []struct {
		name  string
		moved []int // indexes, among the first page's 500 records, of the orders modified
		left  int   // orders of the first page modified after the window, which leave it
	}{
		{"the last order of the page", []int{499}, 0},
		{"the last two", []int{498, 499}, 0},
		{"the middle anchor", []int{498}, 0},
		{"the three anchors", []int{497, 498, 499}, 0},
		{"an anchor and orders before it", []int{10, 20, 499}, 0},
		// the window's end, where the anchors went, comes within the overlap
		{"the three anchors, and 200 orders leave", []int{497, 498, 499}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
			e.s.SeedOrders(0, 700, t0.Add(-500*time.Hour))
			seen := map[string]bool{}
			p, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, p.Records, 500)
			for _, r := range p.Records {
				seen[r.ID] = true
			}
			// the clock does not move: DateMod becomes the window's end, still within it
			for _, i := range tc.moved {
				e.s.SetStatus(p.Records[i].Fields["key"].(string), "Teljesítve")
			}
			e.clk.Advance(time.Minute) // DateMod after the window's end: they leave it
			for _, r := range p.Records[:tc.left] {
				e.s.SetStatus(r.Fields["key"].(string), "Törölve")
			}
			for p.More {
				p, err = e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{Cursor: p.Cursor})
				require.NoError(t, err)
				for _, r := range p.Records {
					seen[r.ID] = true
				}
			}
			var missing []string
			for _, o := range e.s.Dump() {
				if o.Modified.After(t0) {
					continue // comes with the next listing
				}
				if id := OrderID(o.Key, o.Created.In(e.c.loc)); !seen[id] {
					missing = append(missing, id)
				}
			}
			assert.Empty(t, missing, "orders never listed (%d)", len(missing))
		})
	}
}
