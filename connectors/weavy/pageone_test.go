package weavy

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// With weavy's page size at 1 (or 2, whose overlap of one record holds a single anchor), a
// record that leaves its place before the offset between two pages — deleted, or changed in
// an order by modification — moves the next one before the offset. The page is read from a
// record before its offset all the same, so that none is skipped: before, a page of one was
// read at the plain offset and skipped the record that moved up.
func TestListSkipsNoneWithPagesOfOne(t *testing.T) {
	tests := []struct {
		name    string
		order   string
		size    int
		deleted []int // positions among the records read, deleted before the next page
		changed []int // positions changed before the next page
	}{
		{"the last record read deleted", sim.OrderInserted, 1, []int{-1}, nil},
		{"an earlier record deleted", sim.OrderInserted, 1, []int{0}, nil},
		{"two records before the last deleted", sim.OrderInserted, 1, []int{-3, -2}, nil},
		{"the last two records read deleted", sim.OrderInserted, 1, []int{-2, -1}, nil},
		{"the last record read changed, by modification", sim.OrderModified, 1, nil, []int{-1}},
		{"an earlier record changed, by modification", sim.OrderModified, 1, nil, []int{0}},
		{"pages of 2, the last two deleted", sim.OrderInserted, 2, []int{-2, -1}, nil},
		{"pages of 2, the last two changed, by modification", sim.OrderModified, 2, nil, []int{-2, -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: tc.size, SelectOrder: tc.order})
			e.sim.SeedPeople(0, 50) // 10 customers
			ctx := context.Background()
			read, q := listFirst(t, e, 5)
			at := func(i int) string { return read[(i+len(read))%len(read)].ID }
			gone := map[string]bool{}
			for _, i := range tc.deleted {
				require.True(t, e.sim.Delete(sim.Customer, at(i)))
				gone[at(i)] = true
			}
			e.clock.Advance(time.Minute)
			for _, i := range tc.changed {
				res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: at(i), Fields: map[string]any{"city": "Lyon"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
				gone[at(i)] = true // moved to the end: read again, or by the next pass
			}
			listed := append(ids(read), listRest(t, e, q)...)
			var skipped []string
			for _, id := range missed(e, sim.Customer, listed) {
				if !gone[id] {
					skipped = append(skipped, id)
				}
			}
			assert.Empty(t, skipped, "records never listed")
		})
	}
}

// Pages of one record against random deletions and changes between pages, full or
// incremental listings, in either order: every record that was in the listing when it began
// and neither left it nor changed since is listed, and the listing ends.
func TestListSkipsNoneWithPagesOfOneWhateverTheChangesDo(t *testing.T) {
	for seed := range 40 {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			order := []string{sim.OrderInserted, sim.OrderModified}[seed%2]
			e := setup(t, sim.Options{PageSize: 1, SelectOrder: order})
			e.sim.SeedPeople(0, 5*(10+seed))
			ctx := context.Background()
			codes := func() []string {
				var out []string
				for _, rec := range e.sim.Dump(sim.Customer) {
					out = append(out, rec["customer_ID"].(string))
				}
				return out
			}
			excused := map[string]bool{}
			q := connectors.ListQuery{}
			if seed%4 >= 2 { // incremental: every other customer changed since
				e.clock.Advance(time.Hour)
				q.Since = e.clock.Now()
				e.clock.Advance(time.Minute)
				for i, id := range codes() {
					if i%2 == 0 {
						res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: id, Fields: map[string]any{"city": "Lyon"}}})
						require.NoError(t, err)
						require.NoError(t, res[0].Err)
					} else {
						excused[id] = true
					}
				}
				e.clock.Advance(time.Minute)
			}
			recs, _, err := listUpTo(t, e.client, "company", q, 500, func(calls int, listed []connectors.Record) {
				all := codes()
				if len(all) == 0 {
					return
				}
				switch (calls*7 + seed) % 5 {
				case 0: // the last record listed
					if n := len(listed); n > 0 && e.sim.Delete(sim.Customer, listed[n-1].ID) {
						excused[listed[n-1].ID] = true
					}
				case 1:
					id := all[(calls*13+seed)%len(all)]
					e.sim.Delete(sim.Customer, id)
					excused[id] = true
				case 2:
					e.clock.Advance(time.Second)
					id := all[(calls*11+seed)%len(all)]
					res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: id, Fields: map[string]any{"city": fmt.Sprint("city ", calls)}}})
					require.NoError(t, err)
					require.NoError(t, res[0].Err)
					excused[id] = true
				}
			})
			require.NoError(t, err)
			listed := ids(recs)
			var skipped []string
			for _, id := range missed(e, sim.Customer, listed) {
				if !excused[id] {
					skipped = append(skipped, id)
				}
			}
			assert.Empty(t, skipped, "%s order: records never listed", order)
		})
	}
}

// With pages of one, more records leaving the listing before the offset than maxBack pages
// hold (here 15) are still looked back past: the anchors are looked for at least
// maxBackRecords records back, whatever the page size, and none of the records that moved up
// is skipped, without a warning.
func TestListWithPagesOfOneLooksBackPastManyDeletions(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 1})
	e.sim.SeedPeople(0, 250) // 50 customers
	var logs bytes.Buffer
	e.client.log = slog.New(slog.NewTextHandler(&logs, nil))
	read, q := listFirst(t, e, 30)
	for _, r := range read[10:25] {
		require.True(t, e.sim.Delete(sim.Customer, r.ID))
	}
	listed := append(ids(read), listRest(t, e, q)...)
	assert.Empty(t, missed(e, sim.Customer, listed), "records never listed")
	assert.NotContains(t, logs.String(), "may have been skipped")
}

// A weavy that ignores offset is told apart with pages of one too: the listing fails with
// the error naming it instead of reading the first record for ever.
func TestListWithPagesOfOneOnAServerIgnoringOffset(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 1, IgnoreOffset: true})
	e.sim.SeedPeople(0, 50)
	_, _, err := listUpTo(t, e.client, "company", connectors.ListQuery{}, 20, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "weavy Select ignores offset for customer")
}

// A listing whose page size falls between two of its pages (5 to 1) goes back to where the
// short page read back ended, before records it read already. The anchors it keeps are the
// records just before that place, not the previous page's as well, which are after it: one of
// those changed since, met again at that place, was taken for a record read already, and the
// listing failed saying weavy ignores offset (a configuration error, which pauses the sync).
// Since a server ignoring offset is told by its first page read again (firstPageAgain), that
// failure no longer shows: the cursor's anchors are checked themselves.
func TestListWhosePageSizeFallsKeepsNoAnchorAfterItsPlace(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 5})
	e.sim.SeedPeople(0, 25) // 5 customers
	ctx := context.Background()
	p, err := e.client.List(ctx, "company", connectors.ListQuery{})
	require.NoError(t, err)
	require.True(t, p.More)
	require.Len(t, p.Records, 5)
	listed := ids(p.Records)
	last := listed[4]
	e.sim.SetPageSize(1)
	p, err = e.client.List(ctx, "company", connectors.ListQuery{Cursor: p.Cursor})
	require.NoError(t, err)
	require.True(t, p.More, "a short page read back is not the last: weavy's page size fell")
	k, err := parseCursor(p.Cursor, 1)
	require.NoError(t, err)
	require.Less(t, k.offset, 5, "the listing went back")
	require.NotEmpty(t, k.anchors)
	for _, a := range k.anchors {
		id, _, _ := strings.Cut(a, "@")
		assert.Contains(t, listed[:k.offset], id, "an anchor after the listing's place, offset %d", k.offset)
	}
	e.clock.Advance(time.Minute)
	res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: last, Fields: map[string]any{"city": "Lyon"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	rest := listRest(t, e, connectors.ListQuery{Cursor: p.Cursor})
	assert.Contains(t, rest, last, "changed since it was read: listed again")
}

// A listing whose page size falls to one between two of its pages, while more records before
// its offset left the listing than its overlap holds, looks back for its anchors: the page
// read back is one record, not an anchor, and the overlap of a page of one is none, so the
// next was read at the plain offset, skipping the records that moved up before it.
func TestListWhosePageSizeFallsToOneLooksBackForItsAnchors(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 10})
	e.sim.SeedPeople(0, 100) // 20 customers
	ctx := context.Background()
	p, err := e.client.List(ctx, "company", connectors.ListQuery{})
	require.NoError(t, err)
	require.True(t, p.More)
	listed := ids(p.Records)
	require.Len(t, listed, 10)
	e.sim.SetPageSize(1)
	for _, id := range listed[2:6] { // more than the overlap of a page of 10 (3)
		require.True(t, e.sim.Delete(sim.Customer, id))
	}
	listed = append(listed, listRest(t, e, connectors.ListQuery{Cursor: p.Cursor})...)
	assert.Empty(t, missed(e, sim.Customer, listed), "records never listed")
}
