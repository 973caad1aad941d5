package sellsyactions

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// seedOrdered creates, through the activities, clients beta, Alpha, gamma and alpha (their
// ids in that order), contacts Martin Zoé, Bernard and martin Anne, individuals Petit,
// Durand and Roux, and opportunities on
// company 1 due 2026-05-01 (step 12, rank 3), with none (step 11, rank 1), 2026-04-01
// (step 13, rank 4), 2026-06-01 (step 14, rank 2). It returns their ids by name.
func seedOrdered(t *testing.T, h *harness) map[string]int {
	t.Helper()
	ids := map[string]int{}
	for _, n := range []string{"beta", "Alpha", "gamma", "alpha"} {
		var out RecordOutput
		require.NoError(t, h.run("Sellsy.CreateCompany", CompanyInput{Type: "client", Name: n}, &out))
		ids[n] = out.ID
	}
	for _, c := range []ContactInput{{LastName: "Martin", FirstName: "Zoé"}, {LastName: "Bernard"}, {LastName: "martin", FirstName: "Anne"}} {
		var out RecordOutput
		require.NoError(t, h.run("Sellsy.CreateContact", c, &out))
		ids[c.LastName+c.FirstName] = out.ID
	}
	for _, n := range []string{"Petit", "Durand", "Roux"} {
		var out RecordOutput
		require.NoError(t, h.run("Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: n}, &out))
		ids[n] = out.ID
	}
	for _, o := range []OpportunityInput{{Name: "may", StepID: 12, DueDate: "2026-05-01"}, {Name: "none", StepID: 11},
		{Name: "april", StepID: 13, DueDate: "2026-04-01"}, {Name: "june", StepID: 14, DueDate: "2026-06-01"}} {
		o.PipelineID, o.Related = 1, []Related{{"company", 1}}
		var out RecordOutput
		require.NoError(t, h.run("Sellsy.CreateOpportunity", o, &out))
		ids[o.Name] = out.ID
	}
	return ids
}

// A search's order and direction reach Sellsy, which sorts on them, across the activity's
// own pages and across searches continued with next_cursor. They used to be sent without
// the simulator honouring them, so an order was never checked.
func TestSearchOrder(t *testing.T) {
	h := newHarness(t, "secret")
	ids := seedOrdered(t, h)
	contacts := map[string]any{"id": []int{ids["Martin"+"Zoé"], ids["Bernard"], ids["martin"+"Anne"]}}
	tests := []struct {
		name, activity string
		in             SearchInput
		want           []string
	}{
		{"companies by name", "Sellsy.SearchCompanies", SearchInput{Type: "client", Order: "name"}, []string{"Alpha", "alpha", "beta", "gamma"}},
		{"companies by name, desc", "Sellsy.SearchCompanies", SearchInput{Type: "client", Order: "name", Direction: "desc"}, []string{"gamma", "beta", "alpha", "Alpha"}},
		{"companies by id, desc", "Sellsy.SearchCompanies", SearchInput{Type: "client", Order: "id", Direction: "desc"}, []string{"alpha", "gamma", "Alpha", "beta"}},
		{"companies by creation", "Sellsy.SearchCompanies", SearchInput{Type: "client", Order: "created_at"}, []string{"beta", "Alpha", "gamma", "alpha"}},
		{"contacts by name", "Sellsy.SearchContacts", SearchInput{Filters: contacts, Order: "name"}, []string{"Bernard", "martinAnne", "MartinZoé"}},
		{"contacts by name, desc", "Sellsy.SearchContacts", SearchInput{Filters: contacts, Order: "name", Direction: "desc"}, []string{"MartinZoé", "martinAnne", "Bernard"}},
		{"individuals by name", "Sellsy.SearchIndividuals", SearchInput{Type: "client", Order: "name"}, []string{"Durand", "Petit", "Roux"}},
		{"individuals by name, desc", "Sellsy.SearchIndividuals", SearchInput{Order: "name", Direction: "desc"}, []string{"Roux", "Petit", "Durand"}},
		{"individuals by id, desc", "Sellsy.SearchIndividuals", SearchInput{Order: "id", Direction: "desc"}, []string{"Roux", "Durand", "Petit"}},
		{"opportunities by due date", "Sellsy.SearchOpportunities", SearchInput{Order: "due_date"}, []string{"none", "april", "may", "june"}},
		{"opportunities by due date, desc", "Sellsy.SearchOpportunities", SearchInput{Order: "due_date", Direction: "desc"}, []string{"june", "may", "april", "none"}},
		{"opportunities by step rank", "Sellsy.SearchOpportunities", SearchInput{Order: "step_rank"}, []string{"none", "june", "may", "april"}},
	}
	name := func(r map[string]any) string {
		if n, ok := r["name"].(string); ok {
			return n
		}
		first, _ := r["first_name"].(string)
		return r["last_name"].(string) + first
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// One search of them all, then searches of 1 record each continued by cursor.
			var out SearchOutput
			require.NoError(t, h.run(tc.activity, tc.in, &out))
			var got []string
			for _, r := range out.Records {
				got = append(got, name(r))
			}
			assert.Equal(t, tc.want, got)
			assert.Empty(t, out.NextCursor)

			in := tc.in
			in.Limit = 1
			got = nil
			for range tc.want {
				var out SearchOutput
				require.NoError(t, h.run(tc.activity, in, &out))
				require.Len(t, out.Records, 1)
				got = append(got, name(out.Records[0]))
				in.Cursor = out.NextCursor
			}
			assert.Equal(t, tc.want, got, "a record at a time, by cursor")
		})
	}
}

// An order the object's search does not have is refused before any call, as InvalidRecord
// naming order and the orders allowed; Sellsy's own 400 would say only that the value is not
// one of its choices.
func TestSearchOrderRefused(t *testing.T) {
	tests := []struct {
		activity, order string
		allowed         string
	}{
		{"Sellsy.SearchCompanies", "created", "name, id, created_at, updated_at"},
		{"Sellsy.SearchCompanies", "email", "name, id, created_at, updated_at"},
		{"Sellsy.SearchContacts", "updated_at", "id, name, created_at"},
		{"Sellsy.SearchContacts", "last_name", "id, name, created_at"},
		{"Sellsy.SearchIndividuals", "step_rank", "name, id, created_at, updated_at"},
		{"Sellsy.SearchIndividuals", "last_name", "name, id, created_at, updated_at"},
		{"Sellsy.SearchOpportunities", "name", "id, created, step_rank, due_date"},
		{"Sellsy.SearchOpportunities", "created_at", "id, created, step_rank, due_date"},
	}
	for _, tc := range tests {
		t.Run(tc.activity+" "+tc.order, func(t *testing.T) {
			h := newHarness(t, "secret")
			ae := actiontest.AppErr(t, h.run(tc.activity, SearchInput{Order: tc.order}, &SearchOutput{}))
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), `order "`+tc.order+`"`)
			assert.Contains(t, ae.Error(), tc.allowed)
			assert.Zero(t, h.searches.Load(), "refused before any call")
		})
	}
}

// Every order a search accepts is one Sellsy's spec has for that search (checked with
// kin-openapi on the way to the simulator).
func TestSearchOrdersMatchSpec(t *testing.T) {
	proxy, env := specEnv(t, func(s *sim.Server) {
		s.SeedPeople(0, 3)
		s.SeedOpportunities(3)
	})
	require.NoError(t, actiontest.Run(env, "Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: "Durand"}, &RecordOutput{}))
	activities := map[string]string{"companies": "Sellsy.SearchCompanies", "contacts": "Sellsy.SearchContacts",
		"individuals": "Sellsy.SearchIndividuals", "opportunities": "Sellsy.SearchOpportunities"}
	require.Len(t, searchOrders, len(activities))
	for obj, orders := range searchOrders {
		name := activities[obj]
		for _, o := range orders {
			var out SearchOutput
			require.NoError(t, actiontest.Run(env, name, SearchInput{Order: o, Direction: "desc", Limit: 2}, &out), "%s %s", name, o)
			assert.NotEmpty(t, out.Records, "%s %s", name, o)
		}
	}
	assert.Empty(t, proxy.Problems())
}
