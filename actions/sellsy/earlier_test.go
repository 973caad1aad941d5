package sellsyactions

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions/actiontest"
)

// stored counts the simulator's records of a collection.
func stored(h *harness, collection string) int {
	switch collection {
	case "companies", "contacts", "individuals", "opportunities":
		return len(h.sim.Dump(collection))
	}
	return len(h.sim.DumpDocs(collection))
}

var lostCreates = []struct {
	name, activity, collection string
	in                         any
}{
	{"company", "Sellsy.CreateCompany", "companies", CompanyInput{Type: "client", Name: "Lost & Found", Email: "hello@lost.example"}},
	{"individual", "Sellsy.CreateIndividual", "individuals", IndividualInput{Type: "client", FirstName: "Léa", LastName: "Durand", Email: "lea@lost.example"}},
	{"contact by e-mail", "Sellsy.CreateContact", "contacts", ContactInput{FirstName: "Ada", LastName: "Lovelace", Email: "ada@lost.example"}},
	{"contact by name, with follow-ups", "Sellsy.CreateContact", "contacts", ContactInput{FirstName: "Grace", LastName: "Hopper", SmartTags: []string{"navy"}, CompanyIDs: []int{1}}},
	{"opportunity", "Sellsy.CreateOpportunity", "opportunities", OpportunityInput{Name: "Renewal", SourceID: 1, PipelineID: 1, StepID: 11, Related: []Related{{"company", 1}}}},
	{"back-dated opportunity", "Sellsy.CreateOpportunity", "opportunities", OpportunityInput{Name: "Old deal", SourceID: 1, PipelineID: 1, StepID: 11, Related: []Related{{"company", 1}}, Created: "2025-01-15T10:00:00+01:00"}},
	{"task", "Sellsy.CreateTask", "tasks", TaskInput{Title: "Call back", DueDate: "2026-03-05T09:00:00+01:00", LabelID: 1, Related: &Related{"company", 1}}},
	{"event without a related record", "Sellsy.CreateEvent", "calendar-events", EventInput{Title: "Demo", Start: "2026-03-05T09:00:00+01:00", End: "2026-03-05T10:00:00+01:00", LabelID: 3}},
	{"comment", "Sellsy.CreateComment", "comments", CommentInput{Description: "Won — thanks to the demo", Related: Related{"company", 1}}},
}

// A create whose answer is lost after Sellsy made the record (a proxy's timeout, a worker
// gone before it heard back) is retried by Temporal. The retry, given the heartbeat of the
// failed attempt, finds the record instead of creating it a second time.
func TestCreateRetriedAfterALostAnswerCreatesOnce(t *testing.T) {
	for _, tc := range lostCreates {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			beat := actiontest.LastBeat[*created](h.env)
			before := stored(h, tc.collection)

			path := "/v2/" + tc.collection
			h.loseAnswer.Store(&path)
			var out RecordOutput
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &out))
			assert.Equal(t, ErrTypeRetryable, ae.Type(), "a lost answer is retried")
			require.Equal(t, before+1, stored(h, tc.collection), "Sellsy made the record")
			require.NotNil(t, beat())
			require.Equal(t, created{Sent: true}, *beat(), "the attempt said it sent the create")

			h.loseAnswer.Store(nil)
			h.env.SetHeartbeatDetails(*beat())
			require.NoError(t, h.run(tc.activity, tc.in, &out))
			assert.Equal(t, before+1, stored(h, tc.collection), "the retry created nothing more")
			assert.Positive(t, out.ID)
			assert.EqualValues(t, out.ID, out.Record["id"])
			if c, ok := tc.in.(ContactInput); ok && len(c.SmartTags) > 0 {
				assert.Equal(t, c.SmartTags, out.SmartTags, "the follow-ups ran on the record found")
				assert.Equal(t, "[1]", linkedTo(h, out.ID))
			}
		})
	}
}

// The lookup of a lost create reads the candidates newest first by id, and says so: order=id
// with direction=desc on every collection, the agenda's too. Tasks, calendar events and
// comments were searched desc without an order, in whatever order Sellsy takes by default
// (their spec's orders are id and due_date), while the lookup stops at the first record older
// than the activity.
func TestLostCreateLookupOrdersByID(t *testing.T) {
	for _, tc := range lostCreates {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			beat := actiontest.LastBeat[*created](h.env)
			path := "/v2/" + tc.collection
			h.loseAnswer.Store(&path)
			actiontest.AppErr(t, h.run(tc.activity, tc.in, &RecordOutput{}))
			h.loseAnswer.Store(nil)
			h.queriesMu.Lock()
			h.queries = nil
			h.queriesMu.Unlock()
			h.env.SetHeartbeatDetails(*beat())
			require.NoError(t, h.run(tc.activity, tc.in, &RecordOutput{}))
			h.queriesMu.Lock()
			defer h.queriesMu.Unlock()
			require.NotEmpty(t, h.queries, "the retry looked")
			for _, q := range h.queries {
				u, err := url.Parse(q)
				require.NoError(t, err)
				assert.Equal(t, path+"/search", u.Path)
				assert.Equal(t, "id", u.Query().Get("order"), q)
				assert.Equal(t, "desc", u.Query().Get("direction"), q)
			}
		})
	}
}

// A create whose request never reached Sellsy (refused by a proxy) leaves nothing to find:
// the retry looks, finds nothing, and creates the record once.
func TestCreateRetriedAfterARefusedRequestCreatesIt(t *testing.T) {
	for _, tc := range lostCreates {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			beat := actiontest.LastBeat[*created](h.env)
			before := stored(h, tc.collection)

			path := "/v2/" + tc.collection
			h.failPath.Store(&path)
			h.failStatus.Store(http.StatusServiceUnavailable)
			var out RecordOutput
			actiontest.AppErr(t, h.run(tc.activity, tc.in, &out))
			require.Equal(t, before, stored(h, tc.collection))

			h.failPath.Store(nil)
			h.env.SetHeartbeatDetails(*beat())
			require.NoError(t, h.run(tc.activity, tc.in, &out))
			assert.Equal(t, before+1, stored(h, tc.collection), "the retry created the record, once")
			assert.Positive(t, out.ID)
		})
	}
}

func TestRetriedCreateLooksOnlyAtRecentLookAlikes(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now().Add(-time.Hour)
	o := goodCredentials
	o.simNow = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	h := newHarnessWith(t, o)
	beat := actiontest.LastBeat[*created](h.env)
	in := CompanyInput{Type: "client", Name: "Twin"}

	// A company of the same name made an hour ago is not the one a lost answer hid.
	require.NoError(t, h.run("Sellsy.CreateCompany", in, &RecordOutput{}))
	old := stored(h, "companies")
	mu.Lock()
	clock = time.Now()
	mu.Unlock()

	path := "/v2/companies"
	h.loseAnswer.Store(&path)
	actiontest.AppErr(t, h.run("Sellsy.CreateCompany", in, &RecordOutput{}))
	h.loseAnswer.Store(nil)
	h.env.SetHeartbeatDetails(*beat())
	var out RecordOutput
	require.NoError(t, h.run("Sellsy.CreateCompany", in, &out))
	assert.Equal(t, old+1, stored(h, "companies"))
	assert.Equal(t, newest(h, "companies"), out.ID, "the retry returned the company the lost answer made, not the older one")

	// Another company of that name made meanwhile (by someone else) makes it uncertain
	// which is the caller's: the retry creates none and says why.
	require.NoError(t, h.run("Sellsy.Call", CallInput{Method: "POST", Path: "/companies", Body: []byte(`{"type":"client","name":"twin"}`)}, &CallOutput{}))
	ae := actiontest.AppErr(t, h.run("Sellsy.CreateCompany", in, &out))
	assert.Equal(t, ErrTypeUncertainCreate, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, ae.Error(), "2 companies like it were created since")
	assert.Equal(t, old+2, stored(h, "companies"), "nothing more was created")

	// A different company is not mistaken for it.
	require.NoError(t, h.run("Sellsy.CreateCompany", CompanyInput{Type: "supplier", Name: "Twin"}, &out))
	assert.Equal(t, old+3, stored(h, "companies"), "a supplier is not the client an earlier attempt made")
}

// newest is the highest id of the simulator's records of collection.
func newest(h *harness, collection string) int {
	top := 0
	for _, r := range h.sim.Dump(collection) {
		id, err := strconv.Atoi(fmt.Sprint(r["id"]))
		require.NoError(h.t, err)
		top = max(top, id)
	}
	return top
}

// A comment on a busy record (more than a page of comments), whose first attempt failed. A
// create Sellsy refused (a 429, a 503: nothing written) takes back its "sent" heartbeat, so
// the retry creates the comment without a lookup; it used to look, read one page of 100 and
// fail as UncertainCreate: a rate-limited comment was never made. A create whose answer may
// have been lost is looked for newest first, page after page, down to the comments older
// than the activity.
func TestRetriedCommentOnABusyRecord(t *testing.T) {
	const (
		refuse = iota // the POST answered failStatus, nothing written
		lose          // Sellsy wrote the comment, its answer was lost (a proxy's 502)
	)
	tests := []struct {
		name         string
		how          int
		status       int
		older, newer int     // comments on the record made an hour before, and just before the create
		since        int     // comments made by someone else between the attempts
		errType      string  // the first attempt's
		beat         created // the first attempt's last heartbeat
		searches     int64   // search requests of the retry
	}{
		{"rate limited: created without a lookup", refuse, http.StatusTooManyRequests, 0, 101, 0, ErrTypeRateLimited, created{}, 0},
		{"unavailable: created without a lookup", refuse, http.StatusServiceUnavailable, 0, 101, 0, ErrTypeRetryable, created{}, 0},
		{"a proxy's 502, nothing written: every recent comment read, then created", refuse, http.StatusBadGateway, 0, 150, 0, ErrTypeRetryable, created{Sent: true}, 2},
		{"answer lost, 150 comments since: found on the second page", lose, 0, 0, 0, 150, ErrTypeRetryable, created{Sent: true}, 2},
		{"answer lost, 250 older comments: the first page reaches them", lose, 0, 250, 0, 0, ErrTypeRetryable, created{Sent: true}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			clock := time.Now().Add(-time.Hour)
			o := goodCredentials
			o.simNow = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
			h := newHarnessWith(t, o)
			beat := actiontest.LastBeat[*created](h.env)
			admin := h.admin()
			comment := func(n int) {
				for i := 0; i < n; i++ {
					body := fmt.Sprintf(`{"description":"note %d","related":[{"type":"company","id":1}]}`, i)
					_, _, err := admin.Call(context.Background(), "POST", "/comments", nil, []byte(body))
					require.NoError(t, err)
				}
			}
			comment(tc.older)
			mu.Lock()
			clock = time.Now()
			mu.Unlock()
			comment(tc.newer)
			before := stored(h, "comments")

			path := "/v2/comments"
			if tc.how == lose {
				h.loseAnswer.Store(&path)
			} else {
				h.failPath.Store(&path)
				h.failStatus.Store(int64(tc.status))
			}
			in := CommentInput{Description: "Won — thanks to the demo", Related: Related{"company", 1}}
			ae := actiontest.AppErr(t, h.run("Sellsy.CreateComment", in, &RecordOutput{}))
			assert.Equal(t, tc.errType, ae.Type())
			require.NotNil(t, beat())
			assert.Equal(t, tc.beat, *beat())
			h.loseAnswer.Store(nil)
			h.failPath.Store(nil)
			comment(tc.since)

			// Temporal's retry, handed the attempt's last heartbeat.
			h.env.SetHeartbeatDetails(*beat())
			h.searches.Store(0)
			var out RecordOutput
			require.NoError(t, h.run("Sellsy.CreateComment", in, &out))
			assert.Equal(t, before+tc.since+1, stored(h, "comments"), "the comment exists, once")
			assert.Equal(t, in.Description, out.Record["description"])
			assert.Equal(t, tc.searches, h.searches.Load())
		})
	}
}

// A lookup that reads its pages without reaching the records older than the activity
// cannot tell: it creates nothing and fails as UncertainCreate.
func TestRetriedCreateGivesUpAfterItsPages(t *testing.T) {
	defer func(n int) { lookupPages = n }(lookupPages)
	lookupPages = 1
	h := newHarness(t, "secret")
	beat := actiontest.LastBeat[*created](h.env)
	admin := h.admin()
	for i := 0; i < 150; i++ {
		body := fmt.Sprintf(`{"description":"note %d","related":[{"type":"company","id":1}]}`, i)
		_, _, err := admin.Call(context.Background(), "POST", "/comments", nil, []byte(body))
		require.NoError(t, err)
	}
	path := "/v2/comments"
	h.failPath.Store(&path)
	h.failStatus.Store(http.StatusBadGateway)
	in := CommentInput{Description: "Won", Related: Related{"company", 1}}
	actiontest.AppErr(t, h.run("Sellsy.CreateComment", in, &RecordOutput{}))
	h.failPath.Store(nil)
	before := stored(h, "comments")

	h.env.SetHeartbeatDetails(*beat())
	ae := actiontest.AppErr(t, h.run("Sellsy.CreateComment", in, &RecordOutput{}))
	assert.Equal(t, ErrTypeUncertainCreate, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, ae.Error(), "more than 100 comments match its search")
	assert.Equal(t, before, stored(h, "comments"))
}
