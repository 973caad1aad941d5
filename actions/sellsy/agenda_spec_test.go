package sellsyactions

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// The bodies Sellsy.CreateEvent, Sellsy.CreateTask and Sellsy.CreateComment send are valid
// against Sellsy's spec (the simulator's excerpt of it, which transcribes
// CalendarEventCreateItem, TaskCreateItem and CommentCreateItem), checked with kin-openapi on
// the way to the simulator.
func TestAgendaBodiesMatchSpec(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile("../../connectors/sellsy/sim/testdata/openapi.yaml")
	require.NoError(t, err)
	s := sim.New(sim.Options{ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: -1})
	s.SeedPeople(0, 1)
	var mu sync.Mutex
	var checked, problems []string
	var router routers.Router // set once the server's URL is known
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v2/") {
			raw, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(raw))
			vreq := r.Clone(r.Context())
			vreq.Body = io.NopCloser(bytes.NewReader(raw))
			vreq.URL.Scheme, vreq.URL.Host = "http", r.Host
			route, params, err := router.FindRoute(vreq)
			mu.Lock()
			if err == nil {
				err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params,
					Route: route, Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}})
			}
			checked = append(checked, r.URL.Path)
			if err != nil {
				problems = append(problems, r.URL.Path+": "+err.Error())
			}
			mu.Unlock()
		}
		s.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	doc.Servers = openapi3.Servers{{URL: srv.URL + "/v2"}}
	router, err = legacy.NewRouter(doc)
	require.NoError(t, err)
	c, err := sellsy.New(sellsy.Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
		ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: 1000})
	require.NoError(t, err)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	Register(env, &Actions{Client: c})

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
	assert.ElementsMatch(t, []string{"/v2/calendar-events", "/v2/tasks", "/v2/comments"}, checked)
	assert.Empty(t, problems)
}
