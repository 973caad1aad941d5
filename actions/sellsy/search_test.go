package sellsyactions

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
)

const seededContacts = 250 // contacts 1000001..1000250

func contactIDs(recs []map[string]any) []int {
	ids := make([]int, 0, len(recs))
	for _, r := range recs {
		ids = append(ids, int(r["id"].(float64)))
	}
	return ids
}

func idRange(from, n, step int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i*step
	}
	return out
}

// Limit is the total: the activity reads as many pages of 100 as it takes, and returns
// them in order with the cursor that continues after them.
func TestSearchPagesForTheCaller(t *testing.T) {
	tests := []struct {
		name       string
		in         SearchInput
		maxBytes   int
		ids        []int
		pages      int // search requests made
		more       bool
		truncated  bool
		restIDs    []int // what a search of the rest, from NextCursor, returns
		restCalled int
	}{
		{"default limit", SearchInput{}, 0, idRange(firstContact, 25, 1), 1, true, false, nil, 0},
		{"three pages, a short last", SearchInput{Limit: 300}, 0, idRange(firstContact, seededContacts, 1), 3, false, false, nil, 0},
		{"two pages and a part, desc", SearchInput{Limit: 230, Direction: "desc"}, 0, idRange(firstContact+seededContacts-1, 230, -1), 3, true, false,
			idRange(firstContact+19, 20, -1), 1},
		{"exactly all (the total confirmed by an empty page)", SearchInput{Limit: seededContacts}, 0, idRange(firstContact, seededContacts, 1), 4, false, false, nil, 0},
		// A page of 100 simulated contacts is about 74 kB of JSON.
		{"byte bound: two pages, not the third", SearchInput{Limit: 1000}, 160_000, idRange(firstContact, 200, 1), 3, true, true, nil, 0},
		{"byte bound: one page, not the second", SearchInput{Limit: 1000}, 100_000, idRange(firstContact, 100, 1), 2, true, true, nil, 0},
		{"byte bound reached by the first page", SearchInput{Limit: 1000}, 1, idRange(firstContact, 100, 1), 1, true, true, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := goodCredentials
			o.maxResultBytes = tc.maxBytes
			h := newHarnessWith(t, o)
			h.sim.SeedPeople(1, seededContacts-1)
			var out SearchOutput
			require.NoError(t, h.run("Sellsy.SearchContacts", tc.in, &out))
			assert.Equal(t, seededContacts, out.Total)
			assert.Equal(t, tc.more, out.NextCursor != "")
			assert.Equal(t, tc.truncated, out.Truncated)
			assert.Equal(t, tc.ids, contactIDs(out.Records))
			assert.EqualValues(t, tc.pages, h.searches.Load())
			if tc.truncated {
				// Within the bound (a first page is always returned), and the rest follows
				// from the cursor.
				if len(out.Records) > searchPageSize {
					raw, err := json.Marshal(out.Records)
					require.NoError(t, err)
					assert.LessOrEqual(t, len(raw), tc.maxBytes)
				}
				got := contactIDs(out.Records)
				in := tc.in
				for out.NextCursor != "" {
					in.Cursor = out.NextCursor
					out = SearchOutput{}
					require.NoError(t, h.run("Sellsy.SearchContacts", in, &out))
					got = append(got, contactIDs(out.Records)...)
				}
				assert.Equal(t, idRange(firstContact, seededContacts, 1), got)
				return
			}
			if tc.restIDs == nil {
				return
			}
			in := tc.in
			in.Cursor = out.NextCursor
			var rest SearchOutput
			require.NoError(t, h.run("Sellsy.SearchContacts", in, &rest))
			assert.Equal(t, tc.restIDs, contactIDs(rest.Records))
			assert.Empty(t, rest.NextCursor)
			assert.EqualValues(t, tc.pages+tc.restCalled, h.searches.Load())
		})
	}
}

// A search that fails in the middle heartbeats the pages it read; the retried attempt gets
// them back as heartbeat details and reads only the pages after them.
func TestSearchResumesFromHeartbeat(t *testing.T) {
	all := idRange(firstContact, seededContacts, 1)
	tests := []struct {
		name   string
		failAt int64 // the search request answered 503 in the first attempt (0: no first attempt)
		given  any   // heartbeat details set by hand instead
		pages  int64 // search requests of the retried attempt
		ids    []int
	}{
		{"third page failed", 3, nil, 1, all},
		{"second page failed", 2, nil, 2, all},
		{"every page read, the answer lost", 0, searchProgress{Records: []map[string]any{{"id": 7.0}}, Total: 1}, 0, []int{7}},
		{"another version's details start again", 0, "not a progress", 3, all},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			h.sim.SeedPeople(1, seededContacts-1)
			in := SearchInput{Limit: 300}
			details := tc.given
			if tc.failAt > 0 {
				h.failAt.Store(tc.failAt)
				var last searchProgress
				h.env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
					require.NoError(t, d.Get(&last))
				})
				ae := h.run("Sellsy.SearchContacts", in, &SearchOutput{})
				require.Error(t, ae)
				assert.Equal(t, ErrTypeRetryable, actiontest.AppErr(t, ae).Type())
				require.Len(t, last.Records, int(tc.failAt-1)*searchPageSize, "every page read before the failure is heartbeated")
				assert.NotEmpty(t, last.Cursor)
				details = last
				h.failAt.Store(0)
			}
			h.env.SetHeartbeatDetails(details)
			h.searches.Store(0)
			var out SearchOutput
			require.NoError(t, h.run("Sellsy.SearchContacts", in, &out))
			assert.Equal(t, tc.ids, contactIDs(out.Records))
			assert.Empty(t, out.NextCursor)
			assert.Equal(t, tc.pages, h.searches.Load())
		})
	}
}

// A search keeps heartbeating while a page is slow to come (a spent minute window is waited
// out inside the call, up to a minute), so a HeartbeatTimeout shorter than that pause does not
// time the activity out; the details are the progress before the page. It used to heartbeat
// only after each page.
func TestSearchHeartbeatsWhileAPageIsSlow(t *testing.T) {
	var mu sync.Mutex
	var beats []int // records in each heartbeat made while a page was read
	o := goodCredentials
	o.heartbeatEvery = 20 * time.Millisecond
	o.heartbeat = func(_ context.Context, details ...any) {
		mu.Lock()
		defer mu.Unlock()
		beats = append(beats, len(details[0].(searchProgress).Records))
	}
	h := newHarnessWith(t, o)
	h.sim.SeedPeople(1, seededContacts-1)
	h.delay.Store(int64(300 * time.Millisecond))
	var out SearchOutput
	require.NoError(t, h.run("Sellsy.SearchContacts", SearchInput{Limit: 200}, &out))
	assert.Len(t, out.Records, 200)
	mu.Lock()
	defer mu.Unlock()
	assert.Greater(t, len(beats), 4, "heartbeats during the two slow pages: %v", beats)
	if assert.NotEmpty(t, beats) {
		assert.Equal(t, 0, beats[0], "while the first page is read, the progress before it")
	}
	n100 := 0
	for _, b := range beats {
		if b == 100 {
			n100++
		}
	}
	assert.Greater(t, n100, 1, "while the second page is read, the first page's records, beyond the page's own commit: %v", beats)
}

// A search that reads the last record returns no cursor, even when the last page is full
// (the limit, or the page size, falls on the last record): the cursor after it used to be
// returned, for a search that found nothing more. Sellsy's total is no proof of the end
// (records read may have left the result meanwhile), so a full last page is confirmed by
// one more, empty, page: one record asked for when the limit is reached. From a cursor the
// total counts the records before it too, so no such check is made.
func TestSearchEndsOnItsLastRecord(t *testing.T) {
	tests := []struct {
		name     string
		contacts int
		in       SearchInput
		fromPrev int // the search continues a first one of this limit (0: none)
		ids      []int
		more     bool
		pages    int64
	}{
		{"limit on the last of 3", 3, SearchInput{Limit: 3}, 0, idRange(firstContact, 3, 1), false, 2},
		{"limit before the last", 3, SearchInput{Limit: 2}, 0, idRange(firstContact, 2, 1), true, 1},
		{"limit beyond the last", 3, SearchInput{Limit: 10}, 0, idRange(firstContact, 3, 1), false, 1},
		{"desc, limit on the last", 3, SearchInput{Limit: 3, Direction: "desc"}, 0, idRange(firstContact+2, 3, -1), false, 2},
		{"a full last page of 100", 200, SearchInput{Limit: 500}, 0, idRange(firstContact, 200, 1), false, 3},
		{"two full pages, the limit on the last", 200, SearchInput{Limit: 200}, 0, idRange(firstContact, 200, 1), false, 3},
		{"filtered: the one match", 3, SearchInput{Limit: 1, Filters: map[string]any{"id": []int{firstContact + 1}}}, 0, []int{firstContact + 1}, false, 2},
		{"from a cursor, the rest", 3, SearchInput{Limit: 10}, 1, idRange(firstContact+1, 2, 1), false, 1},
		{"from a cursor, a full page on the last", 3, SearchInput{Limit: 2}, 1, idRange(firstContact+1, 2, 1), true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			h.sim.SeedPeople(1, tc.contacts-1)
			in := tc.in
			if tc.fromPrev > 0 {
				var first SearchOutput
				require.NoError(t, h.run("Sellsy.SearchContacts", SearchInput{Limit: tc.fromPrev, Direction: in.Direction}, &first))
				require.NotEmpty(t, first.NextCursor)
				in.Cursor = first.NextCursor
				h.searches.Store(0)
			}
			var out SearchOutput
			require.NoError(t, h.run("Sellsy.SearchContacts", in, &out))
			assert.Equal(t, tc.ids, contactIDs(out.Records))
			assert.Equal(t, tc.more, out.NextCursor != "", "next_cursor %q", out.NextCursor)
			assert.Equal(t, tc.pages, h.searches.Load())
		})
	}
}

// Records already read that leave the result while a search pages (deleted, converted)
// lower Sellsy's total below the records read. The search goes on to Sellsy's own end (a
// short page), so the records after them are returned, or reachable through next_cursor.
// It used to take "records read ≥ total" for the end and lose them.
func TestSearchGoesOnWhenTheTotalShrinks(t *testing.T) {
	tests := []struct {
		name    string
		limit   int
		retried bool // the deletions come between a failed attempt and its retry
		ids     []int
		rest    []int // what a search from next_cursor returns (nil: no next_cursor)
	}{
		{"deleted while it pages", 1000, false, idRange(firstContact, seededContacts, 1), nil},
		{"deleted before a retry resumes", 1000, true, idRange(firstContact, seededContacts, 1), nil},
		{"the limit where the shrunk total says the end", 200, false, idRange(firstContact, 200, 1), idRange(firstContact+200, 50, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			h.sim.SeedPeople(1, seededContacts-1)
			admin := h.admin()
			// 60 contacts of the first page are deleted in Sellsy.
			deleteFirst := func() {
				for id := firstContact; id < firstContact+60; id++ {
					_, _, err := admin.Call(context.Background(), "DELETE", "/contacts/"+strconv.Itoa(id), nil, nil)
					require.NoError(t, err)
				}
			}
			in := SearchInput{Limit: tc.limit}
			if tc.retried {
				h.failAt.Store(2)
				beats := actiontest.LastBeat[searchProgress](h.env)
				require.Error(t, h.run("Sellsy.SearchContacts", in, &SearchOutput{}))
				h.failAt.Store(0)
				deleteFirst()
				h.env.SetHeartbeatDetails(beats())
			} else {
				hook := func(n int64) {
					if n == 2 {
						deleteFirst()
					}
				}
				h.onSearch.Store(&hook)
			}
			var out SearchOutput
			require.NoError(t, h.run("Sellsy.SearchContacts", in, &out))
			assert.Equal(t, tc.ids, contactIDs(out.Records))
			assert.Equal(t, seededContacts-60, out.Total)
			if tc.rest == nil {
				assert.Empty(t, out.NextCursor)
				return
			}
			require.NotEmpty(t, out.NextCursor, "the records after the limit are reachable")
			var rest SearchOutput
			require.NoError(t, h.run("Sellsy.SearchContacts", SearchInput{Limit: tc.limit, Cursor: out.NextCursor}, &rest))
			assert.Equal(t, tc.rest, contactIDs(rest.Records))
		})
	}
}

// typeDocs returns the doc comments of the package's types, by name.
func typeDocs(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range []string{"search.go", "agenda.go", "records.go"} {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	pkg, err := doc.NewFromFiles(fset, files, "github.com/crmsync/crmsync/actions/sellsy")
	require.NoError(t, err)
	out := map[string]string{}
	for _, ty := range pkg.Types {
		out[ty.Name] = ty.Doc
	}
	return out
}

// SearchInput's documentation names each object's filter on the last update as Sellsy has it
// — companies and individuals updated_at, contacts updated, opportunities none — and each
// name it gives works on its object while the others are refused. It used to give "updated"
// as if every object had it. The input types say what Sellsy's V2 cannot take from the
// seed's dialogs.
func TestSearchFilterNamesAsDocumented(t *testing.T) {
	docs := typeDocs(t)
	search := docs["SearchInput"]
	for _, line := range []string{
		`companies    "updated_at": {"start", "end"}`,
		`individuals  "updated_at": {"start", "end"}`,
		`contacts     "updated": {"start", "end"}`,
		`opportunities none: "created", "updated_status"`,
		"no filter on a company's business sector",
	} {
		assert.Contains(t, search, line)
	}
	for typ, gap := range map[string]string{
		"EventInput":       "and no recurrence for an event",
		"TaskInput":        "the seed's task dialog's start and end times cannot be sent",
		"CommentInput":     "A comment cannot be on a task",
		"OpportunityInput": "opportunity has no type",
	} {
		assert.Contains(t, docs[typ], gap, typ)
	}

	h := newHarness(t, "secret")
	since := map[string]any{"start": "2020-01-01T00:00:00Z"}
	tests := []struct {
		activity, filter string
		ok               bool
	}{
		{"Sellsy.SearchCompanies", "updated_at", true},
		{"Sellsy.SearchCompanies", "updated", false},
		{"Sellsy.SearchIndividuals", "updated_at", true},
		{"Sellsy.SearchIndividuals", "updated", false},
		{"Sellsy.SearchContacts", "updated", true},
		{"Sellsy.SearchContacts", "updated_at", false},
		{"Sellsy.SearchOpportunities", "updated_status", true},
		{"Sellsy.SearchOpportunities", "updated", false},
		{"Sellsy.SearchOpportunities", "updated_at", false},
	}
	for _, tc := range tests {
		t.Run(tc.activity+" "+tc.filter, func(t *testing.T) {
			err := h.run(tc.activity, SearchInput{Filters: map[string]any{tc.filter: since}}, &SearchOutput{})
			if tc.ok {
				require.NoError(t, err)
				return
			}
			ae := actiontest.AppErr(t, err)
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
		})
	}
}
