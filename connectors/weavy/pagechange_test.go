package weavy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// resizeAt makes the simulator of e answer its n-th Select (from 1, counted from now) and
// the later ones with the page size sizes[n], as an administrator changing it or a server
// capping its answers under load would; it returns the count of Selects so far.
func resizeAt(e *env, sizes map[int]int) func() int {
	return onSelect(e, func(n int, _ string, _ int) {
		if size, ok := sizes[n]; ok {
			e.sim.SetPageSize(size)
		}
	})
}

// onSelect runs do just before the simulator of e serves each Select from now, one at a time,
// with its count (from 1), its entity and its offset; it returns the count of Selects so far.
func onSelect(e *env, do func(n int, entity string, offset int)) func() int {
	var mu sync.Mutex
	n := 0
	e.failWith = func(r *http.Request, body []byte) int {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/Select") {
			return 0
		}
		var b struct {
			EntityName string
			Offset     int
		}
		_ = json.Unmarshal(body, &b)
		mu.Lock()
		defer mu.Unlock()
		n++
		do(n, b.EntityName, b.Offset)
		return 0
	}
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// missed returns the codes of table's records that ids lacks.
func missed(e *env, table string, ids []string) []string {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	var out []string
	for _, rec := range e.sim.Dump(table) {
		code := rec[table+"_ID"].(string)
		switch table {
		case sim.CustomerContact:
			code = PrefixContact + code
		case sim.Marketing:
			code = PrefixEntrant + code
		}
		if !seen[code] {
			out = append(out, code)
		}
	}
	return out
}

// listFirst lists companies from the start until at least n are read, every page but the
// listing's last, and returns the records read and the query that goes on from there.
func listFirst(t *testing.T, e *env, n int) ([]connectors.Record, connectors.ListQuery) {
	t.Helper()
	var read []connectors.Record
	q := connectors.ListQuery{}
	for len(read) < n {
		p, err := e.client.List(context.Background(), "company", q)
		require.NoError(t, err)
		require.True(t, p.More, "the listing ended before %d records", n)
		read = append(read, p.Records...)
		q.Cursor = p.Cursor
	}
	return read, q
}

// listRest lists companies from q's cursor to the end of the listing and returns the ids read.
func listRest(t *testing.T, e *env, q connectors.ListQuery) []string {
	t.Helper()
	recs, _, err := listUpTo(t, e.client, "company", q, 100_000, nil)
	require.NoError(t, err)
	return ids(recs)
}

// weavy's page size may change in the middle of a listing (an administrator changes it, or
// the server caps its answers under load), by ten times or more: a page shorter than the
// page size the listing pages by is not its last, nor is a page read back from before its
// offset that holds only records already read. Every record is listed whatever the page
// size does.
func TestListReadsEveryRecordWhateverThePageSizeDoes(t *testing.T) {
	cycle := map[int]int{} // under load: the page size differs from one Select to the next
	for n, size := range []int{100, 7, 50, 3, 100, 1, 20, 9} {
		for k := n + 1; k <= 400; k += 8 {
			cycle[k] = size
		}
	}
	tests := []struct {
		name   string
		object string
		size   int         // the page size the listing starts with
		people int         // a customer per 5, a contact each
		sizes  map[int]int // page size from the n-th Select of the listing on
	}{
		{"shrinks 10×: 100 to 10 after the first page", "company", 100, 1500, map[int]int{2: 10}},
		{"shrinks 20×: 100 to 5 after the first page", "company", 100, 1500, map[int]int{2: 5}},
		{"shrinks 100×: 100 to 1 after the first page", "company", 100, 1500, map[int]int{2: 1}},
		{"shrinks 10× after two pages", "company", 100, 1500, map[int]int{3: 10}},
		{"shrinks 10× before what would be the last page", "company", 100, 750, map[int]int{2: 10}},
		{"shrinks 10× for the check of a short last page", "company", 100, 750, map[int]int{3: 10}},
		{"shrinks 10× after a page that ends the table", "company", 10, 250, map[int]int{5: 1}},
		{"shrinks 10× after the last page, full", "company", 10, 225, map[int]int{7: 1}},
		{"shrinks 100× after the last page, full", "company", 100, 1400, map[int]int{4: 1}},
		{"grows 10×: 10 to 100", "company", 10, 1500, map[int]int{3: 100}},
		{"shrinks, then grows back", "company", 100, 1500, map[int]int{2: 5, 6: 100}},
		{"differs from one Select to the next", "company", 100, 1500, cycle},
		{"shrinks 10× in the contacts, then the entrants", "contact", 100, 750, map[int]int{2: 10, 25: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: tc.size})
			e.sim.SeedPeople(0, tc.people)
			e.sim.SeedEntrants(10000, 150)
			count := resizeAt(e, tc.sizes)
			recs, _ := listAll(t, e.client, tc.object, time.Time{})
			tables := []string{sim.Customer}
			if tc.object == "contact" {
				tables = []string{sim.CustomerContact, sim.Marketing}
			}
			for _, table := range tables {
				gone := missed(e, table, ids(recs))
				t.Logf("%d Selects; %s: %d of %d records never listed", count(), table, len(gone), e.sim.Count(table))
				assert.Empty(t, gone, "%s records never listed", table)
			}
		})
	}
}

// What a listing costs with a steady page size: a Select a page (the first from its offset,
// the next ones from a few records before it), and two more: one at the offset after the last
// record read, which answers nothing, and one just before it, which finds that record still
// in its place (endsAt). A page that holds only records read already (read back after a full
// page) ends a listing only after those Selects too. A listing that read nothing costs its
// one Select.
func TestListCallsWithASteadyPageSize(t *testing.T) {
	tests := []struct {
		name            string
		size, people    int
		since           bool // an incremental listing of the records changed since
		pages, selected int  // List answers and Selects
	}{
		{"pages, the last short", 7, 150, false, 7, 9},
		{"a full page, then a short one", 100, 600, false, 2, 4},
		{"pages, the last ends the table", 8, 240, false, 10, 12},
		{"the table in one page", 100, 100, false, 2, 4},
		{"an empty table", 100, 0, false, 1, 1},
		{"pages of one", 1, 50, false, 11, 31}, // then 3 a page: the record before, the page, the check
		{"incremental, five changes", 100, 1500, true, 1, 3},
		{"incremental, no change", 100, 1500, true, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: tc.size})
			e.sim.SeedPeople(0, tc.people)
			ctx := context.Background()
			var since time.Time
			want := tc.people / 5
			if tc.since {
				listAll(t, e.client, "company", time.Time{}) // learns the page size
				e.clock.Advance(time.Hour)
				since = e.clock.Now()
				e.clock.Advance(time.Minute)
				want = 0
				if tc.name != "incremental, no change" {
					for i := range 5 {
						res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: fmt.Sprintf("C%07d", 40*i+3), Fields: map[string]any{"city": "Lyon"}}})
						require.NoError(t, err)
						require.NoError(t, res[0].Err)
					}
					want = 5
				}
			}
			before := selects(e)
			recs, pages := listAll(t, e.client, "company", since)
			assert.Len(t, recs, want)
			assert.Equal(t, tc.pages, pages, "List answers")
			assert.Equal(t, tc.selected, selects(e)-before, "Selects")
		})
	}
}

// A listing by pages of one whose record read last leaves its place between readOn's Select
// past the page and the check of that record's place (C0000003 deleted before the Select at
// 6 or 8): the page is read again from the record before the offset, and the end check
// readOn made is not made again by endsAt (36 Selects; 37 when it was).
func TestListCallsWhenReadOnFindsTheLastRecordMoved(t *testing.T) {
	for _, at := range []int{6, 8} {
		t.Run(fmt.Sprint("deleted before the Select at ", at), func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 1})
			e.sim.SeedPeople(0, 50) // 10 customers
			beforeSelect(t, e, nil, at, func() { require.True(t, e.sim.Delete(sim.Customer, "C0000003")) })
			before := selects(e)
			recs, pages := listAll(t, e.client, "company", time.Time{})
			assert.Len(t, recs, 10, "C0000003 was read before it was deleted")
			assert.Equal(t, 12, pages, "List answers")
			assert.Equal(t, 36, selects(e)-before, "Selects")
		})
	}
}

// Records that leave their places while a listing waits between two pages (deleted, or
// changed in an order by modification) are looked for from the anchors as usual when weavy's
// page size fell meanwhile below the overlap: the page read back ends before the offset and
// is read again from the overlap of its own length, or pages of that length back.
func TestListSkipsNoneWhenPagesShrinkTenfoldAndRecordsMove(t *testing.T) {
	tests := []struct {
		name    string
		order   string
		size    int // the page size after the first two pages
		deleted int // records deleted among those read, just before the last anchorCount
		changed int // records changed among those read, just before the last anchorCount
	}{
		{"shrinks to 10, 5 deleted", sim.OrderInserted, 10, 5, 0},
		{"shrinks to 5, 2 deleted", sim.OrderInserted, 5, 2, 0},
		{"shrinks to 5, 15 deleted", sim.OrderInserted, 5, 15, 0},
		{"shrinks to 2, 7 deleted", sim.OrderInserted, 2, 7, 0},
		{"shrinks to 5, 15 changed, by modification", sim.OrderModified, 5, 0, 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 100, SelectOrder: tc.order})
			e.sim.SeedPeople(0, 1500) // 300 customers
			ctx := context.Background()
			var read []connectors.Record
			q := connectors.ListQuery{}
			for range 2 {
				p, err := e.client.List(ctx, "company", q)
				require.NoError(t, err)
				require.True(t, p.More)
				read = append(read, p.Records...)
				q.Cursor = p.Cursor
			}
			require.Len(t, read, 190)
			before := read[:len(read)-anchorCount] // the anchors stay, shifted
			for _, r := range before[len(before)-tc.deleted:] {
				require.True(t, e.sim.Delete(sim.Customer, r.ID))
			}
			e.clock.Advance(time.Minute)
			for _, r := range before[len(before)-tc.changed:] {
				res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: r.ID, Fields: map[string]any{"city": "Lyon"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			e.sim.SetPageSize(tc.size)
			listed := append(ids(read), listRest(t, e, q)...)
			t.Logf("%d Selects, %d records listed", selects(e), len(listed))
			assert.Empty(t, missed(e, sim.Customer, listed), "records never listed")
		})
	}
}

// An incremental listing reads the records changed since a time: a record changed while the
// listing runs enters its window, before the offset as well as after it, and moves the later
// ones away from the start. None that was in the window when the listing began is skipped for
// that, even when more enter before the offset than a page holds; those that entered are
// read by the next pass, which reads from the time this one began.
func TestListSkipsNoneWhenRecordsEnterTheWindowMidListing(t *testing.T) {
	odd := func(n int) []int { // the first n odd customers
		var out []int
		for i := range n {
			out = append(out, 2*i+1)
		}
		return out
	}
	tests := []struct {
		name    string
		every   int   // the window: every so many customers, changed before the listing
		read    int   // records the listing reads before the changes
		entered []int // customers changed before the offset while the listing waits
	}{
		{"fewer than the overlap", 2, 24, odd(2)},
		{"fewer than a page", 2, 38, odd(8)},
		{"more than a page", 2, 73, odd(24)},
		{"more than ten pages", 2, 241, odd(110)},
		// the anchors are customers 140, 150 and 160: the page read back ends with the second,
		// the page after it with the third
		{"between the anchors", 10, 17, []int{1, 2, 3, 4, 5, 6, 7, 141, 151, 152, 153, 154, 155, 156, 157, 158, 159}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 10})
			e.sim.SeedPeople(0, 2500) // 500 customers
			ctx := context.Background()
			update := func(i int) {
				res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: fmt.Sprintf("C%07d", i), Fields: map[string]any{"city": "Lyon"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			e.clock.Advance(time.Hour)
			since := e.clock.Now()
			e.clock.Advance(time.Minute)
			var window []string // the customers changed before the listing
			for i := 0; i < 500; i += tc.every {
				update(i)
				window = append(window, fmt.Sprintf("C%07d", i))
			}
			e.clock.Advance(time.Minute)
			var ids []string
			q := connectors.ListQuery{Since: since}
			for len(ids) < tc.read {
				p, err := e.client.List(ctx, "company", q)
				require.NoError(t, err)
				for _, r := range p.Records {
					ids = append(ids, r.ID)
				}
				q.Cursor = p.Cursor
			}
			require.Len(t, ids, tc.read)
			for _, i := range tc.entered {
				update(i)
			}
			ids = append(ids, listRest(t, e, q)...)
			listed := map[string]bool{}
			for _, id := range ids {
				listed[id] = true
			}
			var missing []string
			for _, id := range window {
				if !listed[id] {
					missing = append(missing, id)
				}
			}
			t.Logf("%d Selects, %d records listed", selects(e), len(ids))
			assert.Empty(t, missing, "records of the window never listed")
		})
	}
}

// A lookup pages by the plain offset until a Select brings nothing new: a page size lowered
// tenfold or more in the middle of it does not end it early either.
func TestLookupReadsEveryMatchWhateverThePageSizeDoes(t *testing.T) {
	tests := []struct {
		name  string
		sizes map[int]int
	}{
		{"shrinks 10×", map[int]int{2: 10}},
		{"shrinks 100×", map[int]int{2: 1}},
		{"grows 10×", map[int]int{1: 10, 3: 100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 100})
			e.sim.SeedPeople(0, 1500) // 300 customers, none blocked
			// a first lookup learns the page size
			_, err := e.client.FindByKey(context.Background(), "company", "name", []string{"nobody"})
			require.NoError(t, err)
			resizeAt(e, tc.sizes)
			recs, err := e.client.FindByKey(context.Background(), "company", "blocked", []string{"false"})
			require.NoError(t, err)
			assert.Empty(t, missed(e, sim.Customer, ids(recs)), "customers not found")
		})
	}
}

// A page read back that ends before the offset may also mean that the table now ends there:
// more records were deleted before the offset, while the listing waited, than remained after
// it. The anchors are then looked for pages of the listing's page size back, as before the
// page size could be taken for lowered: none of the records after them is skipped.
func TestListSkipsNoneWhenTheTableNowEndsBeforeTheOffset(t *testing.T) {
	e := setup(t, sim.Options{PageSize: 100})
	e.sim.SeedPeople(0, 3000) // 600 customers
	var logs bytes.Buffer
	e.client.log = slog.New(slog.NewTextHandler(&logs, nil))
	ctx := context.Background()
	var read []connectors.Record
	q := connectors.ListQuery{}
	for range 5 {
		p, err := e.client.List(ctx, "company", q)
		require.NoError(t, err)
		read = append(read, p.Records...)
		q.Cursor = p.Cursor
	}
	require.Len(t, read, 460)
	for _, r := range read[200:345] { // the table ends at 455, 5 records before the offset
		require.True(t, e.sim.Delete(sim.Customer, r.ID))
	}
	listed := append(ids(read), listRest(t, e, q)...)
	assert.Empty(t, missed(e, sim.Customer, listed), "records never listed")
	assert.NotContains(t, logs.String(), "may have been skipped")
}

// A page found back from the offset that ends with an anchor changed since it was read holds
// only records read already but ends at the offset: not a server ignoring offset. With pages
// of 3 (an overlap of 1) the last record read changed makes the listing look back for the
// others; it goes on, every record listed, instead of pausing the connection.
func TestListGoesOnWhenItsLastRecordChanged(t *testing.T) {
	for _, order := range []string{sim.OrderInserted, sim.OrderModified} {
		t.Run(order, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 3, SelectOrder: order})
			e.sim.SeedPeople(0, 100) // 20 customers
			ctx := context.Background()
			var ids []string
			q := connectors.ListQuery{}
			for range 2 {
				p, err := e.client.List(ctx, "company", q)
				require.NoError(t, err)
				for _, r := range p.Records {
					ids = append(ids, r.ID)
				}
				q.Cursor = p.Cursor
			}
			e.clock.Advance(time.Minute)
			res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: ids[len(ids)-1], Fields: map[string]any{"city": "Lyon"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			ids = append(ids, listRest(t, e, q)...)
			assert.Empty(t, missed(e, sim.Customer, ids), "records never listed")
		})
	}
}

// Listings against a weavy whose page size changes at random (1 to 100 records) while records are deleted and changed between pages, in either
// order, full or incremental: every record that was in the listing when it began and that
// neither left it nor changed since (those the next pass reads) is listed, without an error.
func TestListSkipsNoneWhateverThePageSizeAndTheChangesDo(t *testing.T) {
	sizes := []int{1, 2, 3, 5, 7, 10, 20, 50, 100}
	// Besides the first 120, the seeds of 1500 that found a page size falling to one (or
	// from a page of one) skipping records or taken for a server ignoring offset, and 1079:
	// a page found back that ended with an anchor and an anchor changed since (pagesBack).
	var seeds []uint64
	for s := range uint64(120) {
		seeds = append(seeds, s)
	}
	seeds = append(seeds, 294, 522, 594, 654, 689, 712, 782, 817, 897, 980, 1079, 1214, 1310, 1344, 1389, 1444)
	for _, seed := range seeds {
		r := rand.New(rand.NewPCG(seed, 7))
		order := []string{sim.OrderInserted, sim.OrderModified}[r.IntN(2)]
		e := setup(t, sim.Options{PageSize: sizes[r.IntN(len(sizes))], SelectOrder: order})
		e.sim.SeedPeople(0, 5*(1+r.IntN(150)))
		ctx := context.Background()
		update := func(id string) {
			res, err := e.client.Update(ctx, "company", []connectors.Record{{ID: id, Fields: map[string]any{"city": fmt.Sprint("city ", r.IntN(1000))}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
		}
		codes := func() []string {
			var out []string
			for _, rec := range e.sim.Dump(sim.Customer) {
				out = append(out, rec["customer_ID"].(string))
			}
			return out
		}
		excused := map[string]bool{} // not in the listing, deleted or changed while it ran
		q := connectors.ListQuery{}
		if r.IntN(2) == 0 { // incremental: a third of the customers changed since
			e.clock.Advance(time.Hour)
			q.Since = e.clock.Now()
			e.clock.Advance(time.Minute)
			for _, id := range codes() {
				if r.IntN(3) == 0 {
					update(id)
				} else {
					excused[id] = true
				}
			}
			e.clock.Advance(time.Minute)
		}
		schedule := map[int]int{}
		for n := range 400 {
			if r.IntN(4) == 0 {
				schedule[n+1] = sizes[r.IntN(len(sizes))]
			}
		}
		resizeAt(e, schedule)
		recs, _, err := listUpTo(t, e.client, "company", q, 2000, func(int, []connectors.Record) {
			if all := codes(); len(all) > 0 && r.IntN(4) == 0 {
				e.clock.Advance(time.Second)
				for range r.IntN(30) {
					id := all[r.IntN(len(all))]
					update(id)
					excused[id] = true
				}
			}
			if all := codes(); len(all) > 0 && r.IntN(5) == 0 {
				for range r.IntN(8) {
					id := all[r.IntN(len(all))]
					e.sim.Delete(sim.Customer, id)
					excused[id] = true
				}
			}
		}, "seed ", seed)
		require.NoError(t, err, "seed %d", seed)
		var skipped []string
		for _, id := range missed(e, sim.Customer, ids(recs)) {
			if !excused[id] {
				skipped = append(skipped, id)
			}
		}
		assert.Empty(t, skipped, "seed %d (%s order): records never listed", seed, order)
	}
}
