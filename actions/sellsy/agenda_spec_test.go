package sellsyactions

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/sellsy/sim/spectest"
)

// specEnv is an activity environment whose actions call the simulator, seeded by seed,
// through a proxy that checks requests and answers against Sellsy's spec.
func specEnv(t *testing.T, seed func(*sim.Server)) (*spectest.Proxy, *testsuite.TestActivityEnvironment) {
	t.Helper()
	s := sim.New(sim.Options{ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: -1})
	seed(s)
	proxy, srv := spectest.Start(t, s)
	c, err := sellsy.New(sellsy.Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
		ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: 1000})
	require.NoError(t, err)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	Register(env, &Actions{Source: func() (*sellsy.Client, error) { return c, nil }})
	return proxy, env
}

// The bodies Sellsy.CreateEvent, Sellsy.CreateTask and Sellsy.CreateComment send are valid
// against Sellsy's spec (the simulator's excerpt of it, which transcribes
// CalendarEventCreateItem, TaskCreateItem and CommentCreateItem), checked with kin-openapi on
// the way to the simulator (and the simulator's answers against it).
func TestAgendaBodiesMatchSpec(t *testing.T) {
	proxy, env := specEnv(t, func(s *sim.Server) { s.SeedPeople(0, 1) })

	inputs := map[string]any{
		"Sellsy.CreateEvent": EventInput{Title: "Demo", Description: "d", Start: "2026-03-05T09:00:00+01:00", End: "2026-03-05T10:00:00+01:00",
			LabelID: 3, AllDay: true, IsPrivate: true, Priority: 1, ProviderCalendar: "claire.martin@example.com", Created: "2026-03-01T08:00:00+01:00",
			Participants: []Participant{{"staff", 1}, {"contact", firstContact}, {"external", "guest@example.org"}}, Related: &Related{"contact", firstContact}},
		"Sellsy.CreateTask": TaskInput{Title: "Call", Description: "d", DueDate: "2026-03-05T09:00:00Z", LabelID: 1, Priority: 1, Status: "todo",
			IsPrivate: true, OwnerID: 1, AssignedStaffIDs: []int{1}, Related: &Related{"company", 1}, Created: "2026-03-01T08:00:00+01:00"},
		"Sellsy.CreateComment": CommentInput{Description: "Won", Related: Related{"company", 1}, Created: "2026-03-01T08:00:00+01:00", MentionedStaffIDs: []int{1}},
	}
	for name, in := range inputs {
		v, err := env.ExecuteActivity(name, in)
		require.NoError(t, err, name)
		var out RecordOutput
		require.NoError(t, v.Get(&out))
		assert.NotZero(t, out.ID, name)
	}
	var posted []string
	for _, op := range proxy.Seen() {
		if strings.HasPrefix(op, "POST ") {
			posted = append(posted, op)
		}
	}
	assert.ElementsMatch(t, []string{"POST /v2/calendar-events", "POST /v2/tasks", "POST /v2/comments"}, posted)
	assert.Empty(t, proxy.Problems())
}

// A contact's links to its third parties go by the spec's link routes: a company's
// (Companies_linkContact, a JSON body) and an individual's (Individuals_linkContactToIndividual,
// no body).
func TestContactLinksMatchSpec(t *testing.T) {
	proxy, env := specEnv(t, func(s *sim.Server) { s.SeedPeople(0, 1) })
	var ind, out RecordOutput
	require.NoError(t, actiontest.Run(env, "Sellsy.CreateIndividual", IndividualInput{Type: "client", LastName: "Durand"}, &ind))
	require.NoError(t, actiontest.Run(env, "Sellsy.CreateContact", ContactInput{LastName: "Lovelace", CompanyIDs: []int{1}, IndividualIDs: []int{ind.ID}}, &out))
	assert.Subset(t, proxy.Seen(), []string{fmt.Sprintf("POST /v2/companies/1/contacts/%d", out.ID), fmt.Sprintf("POST /v2/individuals/%d/contacts/%d", ind.ID, out.ID)})
	assert.Empty(t, proxy.Problems())
}
