package weavy

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// A page that brings again, at a later offset, the records just read is what a weavy that
// ignores offset answers, but also what a weavy that honours it answers when records entered
// the query before them between the two Selects (in an order by insertion, a record changed
// since an incremental listing began, or given the e-mail a lookup looks for) or when the
// record just read changed and moved to the end (in an order by modification). Taken for a
// server ignoring offset, that paused the connection (KindConfig); the records are listed,
// and found, instead.
func TestRecordsMovedForwardAreNotAServerIgnoringOffset(t *testing.T) {
	t.Run("listing", func(t *testing.T) {
		tests := []struct {
			name  string
			order string
			enter string // changed just before the Select after C0000004 is read
		}{
			{"a record enters before the offset, by insertion", sim.OrderInserted, "C0000002"},
			{"the record just read changes, by modification", sim.OrderModified, "C0000004"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e := setup(t, sim.Options{PageSize: 1, SelectOrder: tc.order})
				e.sim.SeedPeople(0, 50) // 10 customers
				w := e.newClient(t)
				e.clock.Advance(time.Hour)
				since := e.clock.Now()
				e.clock.Advance(time.Minute)
				for _, id := range []string{"C0000000", "C0000004", "C0000006"} {
					change(t, w, "company", id, map[string]any{"city": "Lyon"})
				}
				e.clock.Advance(time.Minute)
				// pages of one: C0000000 at 0, C0000004 at 1; the page after C0000004 is read
				// at 2 once C0000004 is read again at 1
				beforeSelect(t, e, nil, 2, func() { change(t, w, "company", tc.enter, map[string]any{"city": "Nantes"}) })
				recs, _ := listAll(t, e.client, "company", since)
				assert.Subset(t, ids(recs), []string{"C0000000", "C0000004", "C0000006"})
			})
		}
	})
	t.Run("lookup", func(t *testing.T) {
		e, w := lookupEnv(t, 1, "c:CC0000005", "c:CC0000007")
		// CC0000005 at 0; before the Select at 1, CC0000003 takes the e-mail and moves it there
		beforeSelect(t, e, nil, 1, func() { change(t, w, "contact", "c:CC0000003", map[string]any{"email": email}) })
		recs, err := e.client.FindByKey(context.Background(), "contact", "email", []string{email})
		require.NoError(t, err)
		assert.Subset(t, ids(recs), []string{"c:CC0000005", "c:CC0000007"}, fmt.Sprint(ids(recs)))
	})
	t.Run("lookup, the query emptied before its first page is read again", func(t *testing.T) {
		// An empty first page is not the page answered again: the query emptied in between,
		// and the lookup ends, rather than pause the connection with 'ignores offset'.
		e, w := lookupEnv(t, 1, "c:CC0000005", "c:CC0000007")
		// CC0000005 at 0; CC0000003 takes the e-mail before the Select at 1, which answers
		// CC0000005 again; every match loses it before the first page is read again
		atSelects(t, e, EntityCustomerContact, map[int]func(){
			2: func() { change(t, w, "contact", "c:CC0000003", map[string]any{"email": email}) },
			3: func() {
				for _, id := range []string{"c:CC0000003", "c:CC0000005", "c:CC0000007"} {
					change(t, w, "contact", id, map[string]any{"email": "other@example.com"})
				}
			},
		})
		recs, err := e.client.FindByKey(context.Background(), "contact", "email", []string{email})
		require.NoError(t, err)
		assert.Equal(t, []string{"c:CC0000005"}, ids(recs))
	})
	t.Run("lookup, after a page shorter than the page size", func(t *testing.T) {
		// A page of records read already that moved forward says nothing of the page size:
		// the short page before it, full or not, does not lower it when the page after it
		// brings new records.
		var matches []string
		for i := 10; i < 16; i++ {
			matches = append(matches, fmt.Sprintf("c:CC%07d", i))
		}
		e, w := lookupEnv(t, 3, matches...)
		require.Equal(t, 3, e.client.pages.get(EntityCustomerContact))
		// CC10-12 at 0; CC13-14 at 3 (page size 2); at 5 (page size 3 again) CC12-14, once
		// CC1-3 took the e-mail; the first page again is CC1-3; CC15 at 8; nothing at 9
		atSelects(t, e, EntityCustomerContact, map[int]func(){
			2: func() { e.sim.SetPageSize(2) },
			3: func() {
				e.sim.SetPageSize(3)
				for i := 1; i < 4; i++ {
					change(t, w, "contact", fmt.Sprintf("c:CC%07d", i), map[string]any{"email": email})
				}
			},
		})
		recs, err := e.client.FindByKey(context.Background(), "contact", "email", []string{email})
		require.NoError(t, err)
		assert.Subset(t, ids(recs), []string{"c:CC0000010", "c:CC0000011", "c:CC0000012", "c:CC0000013", "c:CC0000014", "c:CC0000015"})
		assert.Equal(t, 3, e.client.pages.get(EntityCustomerContact), "the page size remembered")
	})
}

// email is the e-mail the lookups of TestRecordsMovedForwardAreNotAServerIgnoringOffset look for.
const email = "shared@example.com"

// lookupEnv is a weavy of pages of size with people 0..49, the contacts matches given email,
// a client that has learned the tables' page sizes (a lookup that finds nothing), and a
// second client, a weavy user's, to change records with.
func lookupEnv(t *testing.T, size int, matches ...string) (*env, *Client) {
	e := setup(t, sim.Options{PageSize: size})
	e.sim.SeedPeople(0, 50)
	w := e.newClient(t)
	for _, id := range matches {
		change(t, w, "contact", id, map[string]any{"email": email})
	}
	_, err := e.client.FindByKey(context.Background(), "contact", "email", []string{"nobody@example.com"})
	require.NoError(t, err)
	return e, w
}

// change updates a record of object through w, a weavy user's client.
func change(t *testing.T, w *Client, object, id string, fields map[string]any) {
	res, err := w.Update(context.Background(), object, []connectors.Record{{ID: id, Fields: fields}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
}

// atSelects runs do[n] just before the simulator of e serves the n-th Select of entity (from
// 1), as a weavy user changing records between two Selects would.
// The test fails if fewer Selects of entity come than do names: some never ran.
func atSelects(t *testing.T, e *env, entity string, do map[int]func()) {
	var ran atomic.Int32
	n := 0
	onSelect(e, func(_ int, ent string, _ int) {
		if ent != entity {
			return
		}
		n++
		if f := do[n]; f != nil {
			ran.Add(1)
			f()
		}
	})
	t.Cleanup(func() { assert.Equal(t, len(do), int(ran.Load()), "actions run at Selects of %s", entity) })
}

// A weavy that ignores offset is told apart from records that moved forward by its first page,
// read again, even when its page size changes just before that Select: the first page and the
// page answered are compared over the shorter's length. Compared whole, a first page shorter
// by one was taken for records moved forward, and the listing then ended without an error
// after its first page.
func TestServerIgnoringOffsetWhosePageSizeChangesIsToldApart(t *testing.T) {
	for _, size := range []int{2, 5} {
		t.Run(fmt.Sprint("page size 3 to ", size), func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 3, IgnoreOffset: true})
			e.sim.SeedPeople(0, 115) // 23 customers
			// Selects: the first page at 0; the next from 2, its records all anchors; the
			// page after it at 5, the first page again; then the first page at 0
			resizeAt(e, map[int]int{4: size})
			_, _, err := listUpTo(t, e.client, "company", connectors.ListQuery{}, 20, nil)
			require.Error(t, err, "the listing ended without an error")
			assert.Contains(t, err.Error(), "weavy Select ignores offset for customer")
		})
	}
}
