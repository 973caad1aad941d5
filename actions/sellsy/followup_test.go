package sellsyactions

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions/actiontest"
)

// A call made after the record's own write (its smart tags, a contact's link to a company)
// that fails names the record and the step. After a create, the error says the record was
// created and carries it as details: an InvalidRecord for a company id that does not exist
// said only "POST /companies/{id}/contacts/{id}: not found", and a caller fixing the input
// and creating again made the contact twice.
func TestFollowUpFailureNamesTheRecord(t *testing.T) {
	tests := []struct {
		name, activity string
		in             any
		obj            string // the simulator's collection
		failPath       string // a follow-up refused with 400 ("": none)
		created        bool
		wantType       string
		want           []string // in the message, %d being the record's id
	}{
		{"create contact, unknown company", "Sellsy.CreateContact", ContactInput{LastName: "Lovelace", CompanyIDs: []int{1, 999}},
			"contacts", "", true, ErrTypeInvalidRecord, []string{"contact %d was created", "linking it to company 999", "not found"}},
		{"create contact, unknown individual", "Sellsy.CreateContact", ContactInput{LastName: "Hopper", IndividualIDs: []int{999}},
			"contacts", "", true, ErrTypeInvalidRecord, []string{"contact %d was created", "linking it to individual 999"}},
		{"create company, tags refused", "Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "ACME", SmartTags: []string{"vip"}},
			"companies", "/smart-tags", true, ErrTypeInvalidRecord, []string{"company %d was created", "adding its smart tags"}},
		{"create opportunity, tags refused", "Sellsy.CreateOpportunity",
			OpportunityInput{Name: "Renewal", SourceID: 1, PipelineID: 1, StepID: 11, Related: []Related{{"company", 1}}, SmartTags: []string{"x"}},
			"opportunities", "/smart-tags", true, ErrTypeInvalidRecord, []string{"opportunity %d was created", "adding its smart tags"}},
		{"update contact, unknown company", "Sellsy.UpdateContact", ContactInput{ID: firstContact, CompanyIDs: []int{1, 999}},
			"contacts", "", false, ErrTypeInvalidRecord, []string{"contact %d", "linking it to company 999", "not found"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			if tc.failPath != "" {
				h.failStatus.Store(http.StatusBadRequest)
				h.failPath.Store(&tc.failPath)
			}
			before := len(h.sim.Dump(tc.obj))
			err := h.run(tc.activity, tc.in, &RecordOutput{})
			ae := actiontest.AppErr(t, err)
			assert.Equal(t, tc.wantType, ae.Type())
			assert.True(t, ae.NonRetryable())

			id := firstContact
			if tc.created {
				recs := h.sim.Dump(tc.obj)
				require.Len(t, recs, before+1, "the record was created")
				id = int(recs[len(recs)-1]["id"].(float64))
				var out RecordOutput
				require.True(t, ae.HasDetails(), "the created record comes as the error's details")
				require.NoError(t, ae.Details(&out))
				assert.Equal(t, id, out.ID)
			}
			for _, w := range tc.want {
				if strings.Contains(w, "%d") {
					w = fmt.Sprintf(w, id)
				}
				assert.Contains(t, ae.Message(), w)
			}
		})
	}
}
