package sellsyactions

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// deletes are the delete activities, with the collection each deletes from, the name its
// errors give a record, and how to make one to delete (its id).
var deletes = []struct {
	activity, collection, record string
	make                         func(t *testing.T, h *harness) int
}{
	{"Sellsy.DeleteCompany", "companies", "company", func(t *testing.T, h *harness) int {
		return made(t, h, "Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "ACME"})
	}},
	{"Sellsy.DeleteIndividual", "individuals", "individual", func(t *testing.T, h *harness) int {
		return made(t, h, "Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: "Durand"})
	}},
	{"Sellsy.DeleteContact", "contacts", "contact", func(t *testing.T, h *harness) int {
		return made(t, h, "Sellsy.CreateContact", ContactInput{LastName: "Lovelace", CompanyIDs: []int{1}})
	}},
	{"Sellsy.DeleteOpportunity", "opportunities", "opportunity", func(t *testing.T, h *harness) int {
		return made(t, h, "Sellsy.CreateOpportunity", OpportunityInput{Name: "Renewal", PipelineID: 1, StepID: 11, Related: []Related{{"company", 1}}})
	}},
	{"Sellsy.DeleteEvent", "calendar-events", "calendar event", func(t *testing.T, h *harness) int {
		return made(t, h, "Sellsy.CreateEvent", EventInput{Title: "Demo", Start: "2026-03-05T09:00:00Z", End: "2026-03-05T10:00:00Z", LabelID: 3})
	}},
	{"Sellsy.DeleteTask", "tasks", "task", func(t *testing.T, h *harness) int {
		return made(t, h, "Sellsy.CreateTask", TaskInput{Title: "Call", DueDate: "2026-03-05T09:00:00Z", LabelID: 1, Related: &Related{"company", 1}})
	}},
	{"Sellsy.DeleteComment", "comments", "comment", func(t *testing.T, h *harness) int {
		return made(t, h, "Sellsy.CreateComment", CommentInput{Description: "Won", Related: Related{"company", 1}})
	}},
}

func made(t *testing.T, h *harness, activity string, in any) int {
	t.Helper()
	var out RecordOutput
	require.NoError(t, h.run(activity, in, &out), activity)
	require.NotZero(t, out.ID)
	return out.ID
}

// Each delete activity deletes its record (and only it); a record Sellsy does not have (a
// 404: one already deleted, an id of nothing) and an id that is no Sellsy id are
// InvalidRecord, not retried, naming the record.
func TestDeleteActivities(t *testing.T) {
	for _, tc := range deletes {
		t.Run(tc.activity, func(t *testing.T) {
			h := newHarness(t, "secret")
			id, other := tc.make(t, h), tc.make(t, h)
			before := stored(h, tc.collection)

			var out DeleteOutput
			require.NoError(t, h.run(tc.activity, DeleteInput{ID: id}, &out))
			assert.Equal(t, DeleteOutput{ID: id}, out)
			assert.Equal(t, before-1, stored(h, tc.collection))
			ae := actiontest.AppErr(t, h.run("Sellsy.Call", CallInput{Method: "GET", Path: fmt.Sprintf("/%s/%d", tc.collection, id)}, &CallOutput{}))
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type(), "gone")
			require.NoError(t, h.run("Sellsy.Call", CallInput{Method: "GET", Path: fmt.Sprintf("/%s/%d", tc.collection, other)}, &CallOutput{}), "the other stays")

			for _, bad := range []struct {
				name string
				in   any
				want string
			}{
				{"deleted already", DeleteInput{ID: id}, fmt.Sprintf("%s %d does not exist", tc.record, id)},
				{"no such record", DeleteInput{ID: 424242}, fmt.Sprintf("%s 424242 does not exist", tc.record)},
				{"zero", DeleteInput{}, tc.record + " id 0"},
				{"negative", DeleteInput{ID: -3}, tc.record + " id -3"},
				{"an id as text", map[string]any{"id": "12"}, `"id"`},
				{"another field", map[string]any{"id": other, "type": "client"}, `"type"`},
			} {
				t.Run(bad.name, func(t *testing.T) {
					ae := actiontest.AppErr(t, h.run(tc.activity, bad.in, &out))
					assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
					assert.True(t, ae.NonRetryable())
					assert.Contains(t, ae.Error(), bad.want)
				})
			}
			assert.Equal(t, before-1, stored(h, tc.collection), "the refused inputs deleted nothing")
		})
	}
}

// A delete whose answer is lost after Sellsy carried it out is sent again: by the client
// within the attempt (a DELETE may be repeated), or by Temporal in a new attempt, which finds
// the earlier one's heartbeat. Either way the repeat finds no record, and the activity
// reports the record deleted (already_deleted), not missing. An attempt whose DELETE Sellsy
// refused (503: nothing done) does not count as sent: a 404 after it is no such record.
func TestDeleteRetriedAfterALostAnswer(t *testing.T) {
	t.Run("within the attempt", func(t *testing.T) {
		h := newHarness(t, "secret")
		id := made(t, h, "Sellsy.CreateTask", TaskInput{Title: "Call", DueDate: "2026-03-05T09:00:00Z", LabelID: 1, Related: &Related{"company", 1}})
		path := fmt.Sprintf("/v2/tasks/%d", id)
		h.loseAnswerOnce.Store(&path)
		var out DeleteOutput
		require.NoError(t, h.run("Sellsy.DeleteTask", DeleteInput{ID: id}, &out))
		assert.Equal(t, DeleteOutput{ID: id, AlreadyDeleted: true}, out)
		assert.Empty(t, h.sim.DumpDocs("tasks"))
	})
	t.Run("in a new attempt", func(t *testing.T) {
		h := newHarness(t, "secret")
		beat := actiontest.LastBeat[actions.CallSent](h.env)
		id := made(t, h, "Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "ACME"})
		require.NoError(t, h.run("Sellsy.DeleteCompany", DeleteInput{ID: id}, &DeleteOutput{}))
		assert.Equal(t, actions.CallSent{Sent: true}, beat(), "the attempt said it sent the delete")

		h.env.SetHeartbeatDetails(actions.CallSent{Sent: true}) // the attempt before this one sent it, and heard nothing
		var out DeleteOutput
		require.NoError(t, h.run("Sellsy.DeleteCompany", DeleteInput{ID: id}, &out))
		assert.Equal(t, DeleteOutput{ID: id, AlreadyDeleted: true}, out)
	})
	t.Run("refused, then no such record", func(t *testing.T) {
		h := newHarness(t, "secret")
		beat := actiontest.LastBeat[actions.CallSent](h.env)
		path := "/v2/companies/424242"
		h.failPath.Store(&path)
		h.failStatus.Store(http.StatusServiceUnavailable)
		ae := actiontest.AppErr(t, h.run("Sellsy.DeleteCompany", DeleteInput{ID: 424242}, &DeleteOutput{}))
		assert.Equal(t, ErrTypeRetryable, ae.Type())
		assert.Equal(t, actions.CallSent{}, beat(), "nothing was done: the retry need not take a 404 for its own")

		h.failPath.Store(nil)
		h.env.SetHeartbeatDetails(beat())
		ae = actiontest.AppErr(t, h.run("Sellsy.DeleteCompany", DeleteInput{ID: 424242}, &DeleteOutput{}))
		assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
		assert.Contains(t, ae.Error(), "company 424242 does not exist")
	})
}

// The DELETEs the delete activities send, and the simulator's answers (204, no body), are
// those of Sellsy's spec (Companies_removeCompany, Individuals_…, Contacts_removeContact,
// Opportunities_…, Calendar_deleteEvent, Tasks_removeTask, Comments_removeComment), checked
// with kin-openapi against the excerpt.
func TestDeleteActivitiesMatchSpec(t *testing.T) {
	proxy, env := specEnv(t, func(s *sim.Server) { s.SeedPeople(0, 1); s.SeedOpportunities(1) })
	h := &harness{t: t, env: env}
	ids := map[string]int{"opportunities": firstOpportunity}
	ids["companies"] = made(t, h, "Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "ACME"})
	ids["contacts"] = made(t, h, "Sellsy.CreateContact", ContactInput{LastName: "Lovelace"})
	ids["individuals"] = made(t, h, "Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: "Durand"})
	ids["calendar-events"] = made(t, h, "Sellsy.CreateEvent", EventInput{Title: "Demo", Start: "2026-03-05T09:00:00Z", End: "2026-03-05T10:00:00Z", LabelID: 3})
	ids["tasks"] = made(t, h, "Sellsy.CreateTask", TaskInput{Title: "Call", DueDate: "2026-03-05T09:00:00Z", LabelID: 1, Related: &Related{"company", 1}})
	ids["comments"] = made(t, h, "Sellsy.CreateComment", CommentInput{Description: "Won", Related: Related{"company", 1}})
	var want []string
	for _, tc := range deletes {
		require.NoError(t, h.run(tc.activity, DeleteInput{ID: ids[tc.collection]}, &DeleteOutput{}), tc.activity)
		want = append(want, fmt.Sprintf("DELETE /v2/%s/%d", tc.collection, ids[tc.collection]))
	}
	var sent []string
	for _, op := range proxy.Seen() {
		if strings.HasPrefix(op, "DELETE ") {
			sent = append(sent, op)
		}
	}
	assert.Equal(t, want, sent)
	assert.Empty(t, proxy.Problems())
}
