package sellsyactions

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

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

// lastBeat records the last heartbeat of the harness's activities.
func lastBeat(h *harness) func() *created {
	var mu sync.Mutex
	var beat *created
	h.env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		var c created
		if d.Get(&c) == nil {
			mu.Lock()
			beat = &c
			mu.Unlock()
		}
	})
	return func() *created { mu.Lock(); defer mu.Unlock(); return beat }
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
			beat := lastBeat(h)
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

// A create whose request never reached Sellsy (refused by a proxy) leaves nothing to find:
// the retry looks, finds nothing, and creates the record once.
func TestCreateRetriedAfterARefusedRequestCreatesIt(t *testing.T) {
	for _, tc := range lostCreates {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			beat := lastBeat(h)
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
	beat := lastBeat(h)
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
