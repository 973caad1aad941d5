package sellsyactions

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/crmsync/crmsync/actions/actiontest"
)

// linkedTo returns the company ids the simulator links contact id to.
func linkedTo(h *harness, id int) string {
	for _, c := range h.sim.Dump("contacts") {
		if got, _ := json.Marshal(c["id"]); string(got) == fmt.Sprint(id) {
			ids, _ := json.Marshal(c["_sim"].(map[string]any)["company_ids"])
			return string(ids)
		}
	}
	return ""
}

// A create whose follow-up call (smart tags, a company link) fails as Retryable or
// RateLimited is retried by Temporal. The retry, given the details the failed attempt
// heartbeated (as the server hands them to the next attempt), creates nothing more: it
// resumes from the record created and completes the follow-ups.
func TestCreateRetriedAfterAFollowUpFailsCreatesOnce(t *testing.T) {
	tests := []struct {
		name, activity string
		in             any
		obj            string // the simulator's collection
		failPath       string // the follow-up refused in the first attempt
		status         int
		errType        string
		check          func(t *testing.T, h *harness, out RecordOutput)
	}{
		{"company smart tags, 503", "Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "ACME", SmartTags: []string{"vip"}},
			"companies", "/smart-tags", http.StatusServiceUnavailable, ErrTypeRetryable,
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "ACME", out.Record["name"])
				assert.Equal(t, []string{"vip"}, out.SmartTags)
				assert.Equal(t, []string{"vip"}, h.sim.SmartTags("companies", fmt.Sprint(out.ID)))
			}},
		{"contact smart tags, 429", "Sellsy.CreateContact", ContactInput{LastName: "Lovelace", SmartTags: []string{"a"}, CompanyIDs: []int{1}},
			"contacts", "/smart-tags", http.StatusTooManyRequests, ErrTypeRateLimited,
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "Lovelace", out.Record["last_name"])
				assert.Equal(t, []string{"a"}, h.sim.SmartTags("contacts", fmt.Sprint(out.ID)))
				assert.Equal(t, "[1]", linkedTo(h, out.ID))
			}},
		{"contact company link, 503", "Sellsy.CreateContact", ContactInput{LastName: "Hopper", SmartTags: []string{"b"}, CompanyIDs: []int{1}},
			"contacts", "/companies/1/contacts/", http.StatusServiceUnavailable, ErrTypeRetryable,
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "Hopper", out.Record["last_name"])
				assert.Equal(t, []string{"b"}, out.SmartTags)
				assert.Equal(t, []string{"b"}, h.sim.SmartTags("contacts", fmt.Sprint(out.ID)), "the tag is not added twice")
				assert.Equal(t, "[1]", linkedTo(h, out.ID))
			}},
		{"opportunity smart tags, 429", "Sellsy.CreateOpportunity",
			OpportunityInput{Name: "Renewal", SourceID: 1, PipelineID: 1, StepID: 11, Related: []Related{{"company", 1}}, SmartTags: []string{"x"}},
			"opportunities", "/smart-tags", http.StatusTooManyRequests, ErrTypeRateLimited,
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "Renewal", out.Record["name"])
				assert.Equal(t, []string{"x"}, h.sim.SmartTags("opportunities", fmt.Sprint(out.ID)))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			var beat *created
			h.env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
				var c created
				if d.Get(&c) == nil {
					beat = &c
				}
			})
			before := len(h.sim.Dump(tc.obj))

			h.failPath.Store(&tc.failPath)
			h.failStatus.Store(int64(tc.status))
			var out RecordOutput
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &out))
			assert.Equal(t, tc.errType, ae.Type())
			assert.False(t, ae.NonRetryable())
			require.Equal(t, before+1, len(h.sim.Dump(tc.obj)), "the first attempt created the record")
			require.NotNil(t, beat, "the create heartbeated its id")
			require.Positive(t, beat.ID)

			h.failPath.Store(nil)
			h.env.SetHeartbeatDetails(*beat)
			require.NoError(t, h.run(tc.activity, tc.in, &out))
			assert.Equal(t, beat.ID, out.ID)
			assert.EqualValues(t, beat.ID, out.Record["id"])
			assert.Equal(t, before+1, len(h.sim.Dump(tc.obj)), "the retry created nothing more")
			tc.check(t, h, out)
		})
	}
}

// individualContacts returns the contact ids the simulator links individual id to.
func individualContacts(h *harness, id int) string {
	for _, c := range h.sim.Dump("individuals") {
		if got, _ := json.Marshal(c["id"]); string(got) == fmt.Sprint(id) {
			ids, _ := json.Marshal(c["_sim"].(map[string]any)["contact_ids"])
			return string(ids)
		}
	}
	return ""
}

// A contact's third parties are companies or individuals (the seed's "Third Party IDs"):
// IndividualIDs links it to individuals with POST /individuals/{id}/contacts/{contactId}, on
// create and on update, and a retry after that link failed links once. Only companies could be
// linked.
func TestContactLinkedToIndividuals(t *testing.T) {
	h := newHarness(t, "secret")
	var lea, ind, out RecordOutput
	require.NoError(t, h.run("Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: "Martin"}, &lea))
	require.NoError(t, h.run("Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: "Durand"}, &ind))
	require.NoError(t, h.run("Sellsy.CreateContact", ContactInput{LastName: "Lovelace", CompanyIDs: []int{1}, IndividualIDs: []int{lea.ID}}, &out))
	lovelace := out.ID
	assert.Equal(t, "[1]", linkedTo(h, lovelace))
	assert.Equal(t, fmt.Sprintf("[%d]", lovelace), individualContacts(h, lea.ID), "linked on create")

	require.NoError(t, h.run("Sellsy.UpdateContact", ContactInput{ID: lovelace, IndividualIDs: []int{ind.ID}}, &out))
	assert.Equal(t, fmt.Sprintf("[%d]", lovelace), individualContacts(h, ind.ID), "linked on update")

	ae := actiontest.AppErr(t, h.run("Sellsy.UpdateContact", ContactInput{ID: out.ID, IndividualIDs: []int{424242}}, &out))
	assert.Equal(t, ErrTypeInvalidRecord, ae.Type(), "an individual that does not exist: %v", ae)

	// The link fails once after the create: the retry resumes from the contact created.
	beat := actiontest.LastBeat[created](h.env)
	before := len(h.sim.Dump("contacts"))
	fail := "/individuals/"
	h.failPath.Store(&fail)
	h.failStatus.Store(http.StatusServiceUnavailable)
	ae = actiontest.AppErr(t, h.run("Sellsy.CreateContact", ContactInput{LastName: "Hopper", IndividualIDs: []int{ind.ID}}, &out))
	assert.Equal(t, ErrTypeRetryable, ae.Type())
	require.Positive(t, beat().ID)
	h.failPath.Store(nil)
	h.env.SetHeartbeatDetails(beat())
	require.NoError(t, h.run("Sellsy.CreateContact", ContactInput{LastName: "Hopper", IndividualIDs: []int{ind.ID}}, &out))
	assert.Equal(t, beat().ID, out.ID)
	assert.Equal(t, before+1, len(h.sim.Dump("contacts")), "created once")
	assert.Equal(t, fmt.Sprintf("[%d,%d]", lovelace, out.ID), individualContacts(h, ind.ID), "linked once")
}
