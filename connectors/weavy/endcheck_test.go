package weavy

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// beforeSelect runs do just before the simulator of e serves the first Select at offset at,
// as a weavy user deleting a record (or a record created) in the milliseconds between two
// Selects of a listing would; sizes[n] is the page size from the n-th Select on (as
// resizeAt).
func beforeSelect(e *env, sizes map[int]int, at int, do func()) {
	var mu sync.Mutex
	n, done := 0, false
	e.failWith = func(r *http.Request, body []byte) int {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/Select") {
			return 0
		}
		var b struct{ Offset int }
		_ = json.Unmarshal(body, &b)
		mu.Lock()
		defer mu.Unlock()
		n++
		if size, ok := sizes[n]; ok {
			e.sim.SetPageSize(size)
		}
		if b.Offset == at && !done {
			done = true
			do()
		}
		return 0
	}
}

// A listing ends on a Select at the offset after the last record read that brings nothing
// new, and a page of one is read at its offset after the record before it (readOn). A record
// that leaves its place before that offset (deleted) between the two Selects moves the one
// at the offset before it: were that one the last of the table, and there when the page was
// read (the page was full at weavy's page size, lowered since the previous page or capped
// under load, or 1), or any record of a listing by pages of one, it was never listed, and
// the next pass, which reads the records changed since this one began (less the overlap),
// does not read it either: unchanged, it would be missed for good. A record that entered
// after the page was read (created since) is read by the next pass: only delayed. Every
// record there when the listing began, and not deleted, is read by the listing or the next
// pass.
func TestListMissesNoRecordMovedBetweenTwoSelects(t *testing.T) {
	tests := []struct {
		name  string
		size  int         // the page size the listing starts with
		sizes map[int]int // page size from the n-th Select of the listing on
		order string
		at    int    // the offset of the Select just before which del is deleted
		del   string // a customer read already
		add   bool   // a customer (C0000013) is created there too
	}{
		{"the page size fell to 5 for the last page, full", 10, map[int]int{2: 5}, sim.OrderInserted, 12, "C0000003", false},
		{"the page size fell to 5, the last record read deleted", 10, map[int]int{2: 5}, sim.OrderInserted, 12, "C0000011", false},
		{"pages of one", 1, nil, sim.OrderInserted, 12, "C0000003", false},
		{"pages of one, by modification", 1, nil, sim.OrderModified, 12, "C0000003", false},
		{"pages of one, the last record read deleted", 1, nil, sim.OrderInserted, 12, "C0000011", false},
		{"a record created since the page, then one deleted", 10, nil, sim.OrderInserted, 12, "C0000003", true},
		// pages of one read the record before the offset, then the page at the offset
		// (readOn): a record deleted in between moves the one at the offset before it
		{"pages of one, mid-listing", 1, nil, sim.OrderInserted, 6, "C0000003", false},
		{"pages of one, mid-listing, the last record read deleted", 1, nil, sim.OrderInserted, 6, "C0000005", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: tc.size, SelectOrder: tc.order})
			e.sim.SeedPeople(0, 65) // 13 customers, C0000000 to C0000012
			require.Equal(t, 13, e.sim.Count(sim.Customer))
			e.clock.Advance(time.Hour) // seeded long before the listing: unchanged since
			began := e.clock.Now()
			beforeSelect(e, tc.sizes, tc.at, func() {
				if tc.add {
					e.sim.SeedPeople(65, 5) // C0000013, after C0000012
				}
				require.True(t, e.sim.Delete(sim.Customer, tc.del))
			})
			first, _ := listAll(t, e.client, "company", time.Time{})
			e.failWith = nil
			e.clock.Advance(15 * time.Minute)
			next, _ := listAll(t, e.client, "company", began.Add(-2*time.Minute)) // the default overlap
			listed := append(ids(first), ids(next)...)
			assert.Empty(t, missed(e, sim.Customer, listed), "records never listed, by the listing nor the next pass")
		})
	}
}
