package weavy

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// A listing paused between two pages (an import waiting on the other side, a connection
// paused) may resume after more records before its offset left their places than a page
// holds: a purge of entrants, or a batch update where Select orders by modification. The
// records that moved up from after the offset were still listed; none may be skipped.
func TestListSkipsNoneWhenMoreThanAPageMoves(t *testing.T) {
	tests := []struct {
		name    string
		order   string
		deleted []int // positions, among the records read, deleted before the next page
		changed []int // positions changed before the next page
	}{
		{"more than a page deleted", sim.OrderInserted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, nil},
		{"a page deleted: the anchors end a page", sim.OrderInserted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, nil},
		{"more than a page deleted, the anchors too", sim.OrderInserted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 21, 22, 23}, nil},
		{"more than a page changed, by modification", sim.OrderModified, nil, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 10, SelectOrder: tc.order})
			e.sim.SeedPeople(0, 300) // 60 customers
			ctx := context.Background()
			var read []connectors.Record
			q := connectors.ListQuery{}
			for range 3 { // 10 records, then 7 new ones a page (3 of each read again)
				p, err := e.client.List(ctx, "company", q)
				require.NoError(t, err)
				require.True(t, p.More)
				read = append(read, p.Records...)
				q.Cursor = p.Cursor
			}
			require.Equal(t, 24, len(read))
			gone := map[string]bool{}
			for _, i := range tc.deleted {
				require.True(t, e.sim.Delete(sim.Customer, read[i].ID))
				gone[read[i].ID] = true
			}
			e.clock.Advance(time.Minute)
			for _, i := range tc.changed {
				res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: read[i].ID, Fields: map[string]any{"city": "Lyon"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			seen := map[string]bool{}
			for _, r := range read {
				seen[r.ID] = true
			}
			for _, id := range listRest(t, e, q) {
				seen[id] = true
			}
			var missed []string
			for _, rec := range e.sim.Dump(sim.Customer) {
				if id := rec["customer_ID"].(string); !seen[id] && !gone[id] {
					missed = append(missed, id)
				}
			}
			assert.Empty(t, missed, "records never listed")
		})
	}
}

// Anchors gone for good (the last records read deleted) are looked for no further back than
// maxBack pages: the listing goes on, with a warning, and still reads every record.
func TestListLooksForItsAnchorsNoFurtherThanMaxBack(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 10})
	e.sim.SeedPeople(0, 1000) // 200 customers
	var logs bytes.Buffer
	e.client.log = slog.New(slog.NewTextHandler(&logs, nil))
	ctx := context.Background()
	read, q := listFirst(t, e, 150)
	gone := map[string]bool{}
	for _, r := range read[len(read)-anchorCount:] {
		require.True(t, e.sim.Delete(sim.Customer, r.ID))
		gone[r.ID] = true
	}
	before := selects(e)
	p, err := e.client.List(ctx, "company", q)
	require.NoError(t, err)
	assert.Equal(t, 1+maxBack, selects(e)-before, "the overlap, then maxBack pages back")
	assert.Contains(t, logs.String(), "records that moved up further may have been skipped")
	seen := map[string]bool{}
	for _, r := range read {
		seen[r.ID] = true
	}
	for q.Cursor = p.Cursor; ; {
		for _, r := range p.Records {
			seen[r.ID] = true
		}
		if !p.More {
			break
		}
		p, err = e.client.List(ctx, "company", q)
		require.NoError(t, err)
		q.Cursor = p.Cursor
	}
	var missed []string
	for _, rec := range e.sim.Dump(sim.Customer) {
		if id := rec["customer_ID"].(string); !seen[id] && !gone[id] {
			missed = append(missed, id)
		}
	}
	assert.Empty(t, missed, "records never listed")
}

// The records that moved up are found also when weavy's page size was lowered meanwhile
// (here from 10 to 5): the pages read back are shorter than the cursor's page size.
func TestListSkipsNoneWhenMoreThanAPageMovesAndPagesShrink(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 10})
	e.sim.SeedPeople(0, 300) // 60 customers
	ctx := context.Background()

	var read []connectors.Record
	q := connectors.ListQuery{}
	for range 3 {
		p, err := e.client.List(ctx, "company", q)
		require.NoError(t, err)
		read = append(read, p.Records...)
		q.Cursor = p.Cursor
	}
	require.Equal(t, 24, len(read))
	for _, r := range read[:15] {
		require.True(t, e.sim.Delete(sim.Customer, r.ID))
	}
	e.sim.SetPageSize(5)
	listed := append(ids(read), listRest(t, e, q)...)
	assert.Empty(t, missed(e, sim.Customer, listed), "records never listed")
}
