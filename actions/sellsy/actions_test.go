package sellsyactions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

const (
	firstContact     = 1_000_001
	firstOpportunity = 3_000_001 // the simulator's first opportunity id
	firstIndividual  = 2_000_001 // the simulator's first individual id
)

type harness struct {
	t   *testing.T
	sim *sim.Server
	env *testsuite.TestActivityEnvironment
	// searches counts the search requests the simulator got; failAt (1-based, 0: never)
	// is the first of them answered 503, to stop a search in the middle.
	searches atomic.Int64
	failAt   atomic.Int64
	// delay holds each search answer back this long (nanoseconds), as a quota pause would.
	delay atomic.Int64
	// failPath, when set, fails every request whose path contains it with failStatus (a
	// 429 asks for an hour's wait, so that the client hands it back as RateLimited).
	failPath   atomic.Pointer[string]
	failStatus atomic.Int64
	// loseAnswer, when set, is a path whose POSTs Sellsy carries out but whose answers are
	// lost: the client gets a 502 as from a proxy that timed out.
	loseAnswer atomic.Pointer[string]
	// loseAnswerOnce, when set, is a path whose next request (any method) Sellsy carries out
	// and whose answer is lost (a 502, as above); later requests are answered.
	loseAnswerOnce atomic.Pointer[string]
	// v1Refusals, while positive, is how many API V1 requests are still answered with the
	// envelope error v1Code in an HTTP 200, as Sellsy's V1 answers its own refusals.
	v1Refusals atomic.Int64
	v1Code     atomic.Pointer[string]
	// queries are the search requests' paths and queries, in order.
	queriesMu sync.Mutex
	queries   []string
	// onSearch, when set, runs before the nth search request (1-based) is served.
	onSearch atomic.Pointer[func(n int64)]
	// url is the simulator's address behind the harness's faults.
	url string
}

// harnessOptions are the worker's credentials — its V2 secret, its V1 consumer token, user
// token and user secret (the simulator expects secret, ck, ut, us) — and the byte bound of
// searches (0: the default).
type harnessOptions struct {
	secret, v1Consumer, v1Token, v1Secret string
	maxResultBytes                        int
	heartbeatEvery                        time.Duration
	heartbeat                             func(context.Context, ...any)
	// simNow is the simulator's clock (nil: time.Now).
	simNow func() time.Time
	// secrets are the values Sellsy.Call hides.
	secrets []string
}

var goodCredentials = harnessOptions{secret: "secret", v1Consumer: "ck", v1Token: "ut", v1Secret: "us"}

func newHarness(t *testing.T, secret string) *harness {
	o := goodCredentials
	o.secret = secret
	return newHarnessWith(t, o)
}

func newHarnessWith(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	s := sim.New(sim.Options{ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: -1, Now: o.simNow,
		V1ConsumerToken: "ck", V1ConsumerSecret: "cs", V1UserToken: "ut", V1UserSecret: "us"})
	h := &harness{t: t, sim: s}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := h.failPath.Load(); p != nil && strings.Contains(r.URL.Path, *p) {
			if h.failStatus.Load() == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "3600")
			}
			http.Error(w, "refused", int(h.failStatus.Load()))
			return
		}
		if code := h.v1Code.Load(); code != nil && r.URL.Path == "/0/" && h.v1Refusals.Add(-1) >= 0 {
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"status":"error","error":{"code":%q,"message":"refused"}}`, *code)
			return
		}
		if p := h.loseAnswerOnce.Load(); p != nil && r.URL.Path == *p && h.loseAnswerOnce.CompareAndSwap(p, nil) {
			s.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, "upstream timed out", http.StatusBadGateway)
			return
		}
		if p := h.loseAnswer.Load(); p != nil && r.Method == http.MethodPost && r.URL.Path == *p {
			s.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, "upstream timed out", http.StatusBadGateway)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/search") {
			h.queriesMu.Lock()
			h.queries = append(h.queries, r.URL.Path+"?"+r.URL.RawQuery)
			h.queriesMu.Unlock()
			n, at := h.searches.Add(1), h.failAt.Load()
			if f := h.onSearch.Load(); f != nil {
				(*f)(n)
			}
			if at > 0 && n >= at {
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			time.Sleep(time.Duration(h.delay.Load()))
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	c, err := sellsy.New(sellsy.Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens", V1URL: srv.URL + "/0/",
		ClientID: "cid", ClientSecret: o.secret, RequestsPerSecond: 1000,
		V1ConsumerToken: o.v1Consumer, V1ConsumerSecret: "cs", V1UserToken: o.v1Token, V1UserSecret: o.v1Secret})
	require.NoError(t, err)
	s.SeedPeople(0, 1) // company 1 (prospect), contact 1000001
	var suite testsuite.WorkflowTestSuite
	h.env = suite.NewTestActivityEnvironment()
	Register(h.env, &Actions{Source: func() (*sellsy.Client, error) { return c, nil }, MaxResultBytes: o.maxResultBytes, heartbeatEvery: o.heartbeatEvery, heartbeat: o.heartbeat,
		Secrets: func() []string { return o.secrets }})
	return h
}

// admin is a client of the harness's Sellsy of its own, for what someone else does in
// Sellsy meanwhile.
func (h *harness) admin() *sellsy.Client {
	c, err := sellsy.New(sellsy.Config{APIURL: h.url + "/v2", TokenURL: h.url + "/oauth2/access-tokens",
		ClientID: "cid", ClientSecret: "secret", RequestsPerSecond: 1000})
	require.NoError(h.t, err)
	return c
}

// run executes an activity by its registered name and decodes its output into out.
func (h *harness) run(name string, in, out any) error { return actiontest.Run(h.env, name, in, out) }

func TestNames(t *testing.T) {
	assert.Equal(t, []string{
		"Sellsy.CreateCompany", "Sellsy.UpdateCompany", "Sellsy.SearchCompanies", "Sellsy.DeleteCompany",
		"Sellsy.CreateIndividual", "Sellsy.UpdateIndividual", "Sellsy.SearchIndividuals", "Sellsy.DeleteIndividual",
		"Sellsy.CreateContact", "Sellsy.UpdateContact", "Sellsy.SearchContacts", "Sellsy.DeleteContact",
		"Sellsy.CreateOpportunity", "Sellsy.UpdateOpportunity", "Sellsy.SearchOpportunities", "Sellsy.DeleteOpportunity",
		"Sellsy.CreateEvent", "Sellsy.DeleteEvent", "Sellsy.CreateTask", "Sellsy.DeleteTask", "Sellsy.CreateComment", "Sellsy.DeleteComment",
		"Sellsy.Call", "Sellsy.CallV1",
	}, Names())
}

// Every write activity: the happy path (checked in the simulator's data), and an input
// Sellsy refuses → InvalidRecord, not retryable.
func TestWriteActivities(t *testing.T) {
	yes := true
	prob := 60
	tests := []struct {
		name    string
		good    any
		check   func(t *testing.T, h *harness, out RecordOutput)
		bad     any
		badWord string
	}{
		{"Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "ACME", Email: "hi@acme.example", SIRET: "73282932000074", SmartTags: []string{"vip"}},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "client", out.Record["type"])
				assert.Equal(t, []string{"vip"}, out.SmartTags)
			}, CompanyInput{Type: "client", Email: "not-an-email", Name: "X"}, "email"},
		{"Sellsy.UpdateCompany", CompanyInput{ID: 1, Website: "https://acme.example", Note: "moved", SmartTags: []string{"t"}},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "https://acme.example", out.Record["website"])
				assert.Equal(t, []string{"t"}, h.sim.SmartTags("companies", "1"))
				assert.Equal(t, "moved", out.Record["note"])
			}, CompanyInput{ID: 424242, Name: "X"}, "not found"},
		{"Sellsy.CreateIndividual", IndividualInput{Type: "client", Civility: "mrs", FirstName: "Léa", LastName: "Durand", Email: "lea@example.com",
			LinkedIn: "https://linkedin.com/in/lea", SyncMailjet: &yes, RateCategoryID: 7, MarketingSubscriptions: []string{"sms", "email"},
			SmartTags: []string{"vip"}, Created: "2026-01-15T10:00:00+01:00"},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "client", out.Record["type"])
				assert.Equal(t, "Durand", out.Record["last_name"])
				assert.Equal(t, "https://linkedin.com/in/lea", out.Record["social"].(map[string]any)["linkedin"])
				assert.Equal(t, true, out.Record["sync"].(map[string]any)["mailjet"])
				assert.EqualValues(t, 7, out.Record["rate_category_id"])
				assert.Equal(t, []any{"email", "sms"}, out.Record["marketing_campaigns_subscriptions"])
				assert.Equal(t, "2026-01-15T10:00:00+01:00", out.Record["created"])
				assert.Equal(t, []string{"vip"}, out.SmartTags)
			}, IndividualInput{Type: "client", LastName: "X", Email: "nope"}, "email"},
		{"Sellsy.UpdateIndividual", IndividualInput{ID: firstIndividual, PhoneNumber: "+33 1 00 00 00 00", Note: "moved", SmartTags: []string{"t"}},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "+33 1 00 00 00 00", out.Record["phone_number"])
				assert.Equal(t, "moved", out.Record["note"])
				assert.Equal(t, "Martin", out.Record["last_name"], "a field not given is left as it is")
				assert.Equal(t, []string{"t"}, h.sim.SmartTags("individuals", strconv.Itoa(firstIndividual)))
			}, IndividualInput{ID: 424242, Note: "x"}, "not found"},
		{"Sellsy.CreateContact", ContactInput{Civility: "mrs", FirstName: "Ada", LastName: "Lovelace", Position: "CTO", Email: "ada@acme.example",
			MobileNumber: "+33 6 12 34 56 78", BirthDate: "1815-12-10", Twitter: "@ada", SyncMailchimp: &yes, Note: "fair",
			MarketingSubscriptions: []string{"email", "sms"}, Unsubscribe: []string{"sms"}, SmartTags: []string{"a", "b"}, CompanyIDs: []int{1}},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "mrs", out.Record["civility"])
				assert.Equal(t, "1815-12-10", out.Record["birth_date"])
				assert.Equal(t, "https://twitter.com/ada", out.Record["social"].(map[string]any)["twitter"], "a handle is sent as its URL")
				assert.Equal(t, true, out.Record["sync"].(map[string]any)["mailchimp"])
				assert.Equal(t, []any{"email"}, out.Record["marketing_campaigns_subscriptions"])
				assert.Equal(t, []string{"a", "b"}, out.SmartTags)
				var linked bool
				for _, c := range h.sim.Dump("contacts") {
					id, _ := json.Marshal(c["id"])
					if string(id) == fmt.Sprint(out.ID) {
						ids, _ := json.Marshal(c["_sim"].(map[string]any)["company_ids"])
						linked = string(ids) == "[1]"
					}
				}
				assert.True(t, linked, "contact linked to company 1")
			}, ContactInput{LastName: "X", Civility: "dr"}, "civility"},
		{"Sellsy.UpdateContact", ContactInput{ID: firstContact, Position: "CEO", Unsubscribe: []string{"sms", "phone"}},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "CEO", out.Record["position"])
				assert.Equal(t, []any{"email", "postal_mail"}, out.Record["marketing_campaigns_subscriptions"])
			}, ContactInput{ID: firstContact, Email: "nope"}, "email"},
		{"Sellsy.CreateOpportunity", OpportunityInput{Name: "Renewal", SourceID: 1, PipelineID: 1, StepID: 11, Amount: "1200.50", Probability: &prob,
			DueDate: "2026-06-30", AssignedStaffIDs: []int{sim.Staffs[0].ID}, ContactIDs: []int{firstContact}, Related: []Related{{"company", 1}}, Note: "n", SmartTags: []string{"x"}, Created: "2026-01-15T10:00:00+01:00"},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "Renewal", out.Record["name"])
				assert.Equal(t, "2026-01-15T10:00:00+01:00", out.Record["created"])
				assert.Equal(t, "2026-06-30", out.Record["due_date"])
				assert.Equal(t, []string{"x"}, out.SmartTags)
				assert.EqualValues(t, 60, out.Record["probability"])
			}, OpportunityInput{Name: "X", PipelineID: 1, StepID: 99, Related: []Related{{"company", 1}}}, "step"},
		{"Sellsy.UpdateOpportunity", OpportunityInput{ID: firstOpportunity, StepID: 12, Status: "won", Amount: "2500.00", Probability: &prob,
			DueDate: "2026-09-30", Note: "signed", ContactIDs: []int{firstContact}, SmartTags: []string{"won"}},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.EqualValues(t, firstOpportunity, out.ID)
				assert.Equal(t, "won", out.Record["status"])
				assert.Equal(t, "signed", out.Record["note"])
				assert.Equal(t, "2026-09-30", out.Record["due_date"])
				assert.EqualValues(t, 60, out.Record["probability"])
				assert.Equal(t, "2500.00", out.Record["amount"].(map[string]any)["value"]) // an object on read, a string on write
				assert.EqualValues(t, 12, out.Record["step"].(map[string]any)["id"])
				assert.Equal(t, []any{float64(firstContact)}, out.Record["contact_ids"])
				assert.Equal(t, []string{"won"}, h.sim.SmartTags("opportunities", strconv.Itoa(firstOpportunity)))
			}, OpportunityInput{ID: firstOpportunity, Amount: "a lot"}, "amount"},
		{"Sellsy.CreateEvent", EventInput{Title: "Demo", Description: "product demo", Start: "2026-03-05T09:00:00+01:00", End: "2026-03-05T10:00:00+01:00",
			LabelID: 3, Priority: 1, IsPrivate: true, ProviderCalendar: "claire.martin@example.com", Created: "2026-03-01T08:00:00+01:00",
			Participants: []Participant{{"staff", 1}, {"contact", firstContact}, {"external", "guest@example.org"}}, Related: &Related{"company", 1}},
			func(t *testing.T, h *harness, out RecordOutput) {
				require.Len(t, h.sim.DumpDocs("calendar-events"), 1)
				assert.Equal(t, "2026-03-05T09:00:00+01:00", out.Record["datetime_start"])
				assert.Equal(t, "2026-03-05T10:00:00+01:00", out.Record["datetime_end"])
				assert.Equal(t, "2026-03-01T08:00:00+01:00", out.Record["created"])
				assert.Equal(t, "Rendez-vous", out.Record["label"].(map[string]any)["name"])
				assert.Len(t, out.Record["participants"], 3)
				assert.EqualValues(t, 1, out.Record["company_id"])
				assert.EqualValues(t, 1, out.Record["priority"])
				assert.Equal(t, true, out.Record["is_private"])
			}, EventInput{Title: "Demo", LabelID: 1, Start: "2026-03-05T10:00:00Z", End: "2026-03-05T09:00:00Z"}, "datetime_end"},
		{"Sellsy.CreateTask", TaskInput{Title: "Call", DueDate: "2026-03-05T09:00:00Z", LabelID: 1, Priority: 1, Related: &Related{"contact", firstContact}, AssignedStaffIDs: []int{sim.Staffs[0].ID}},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "todo", out.Record["status"])
				assert.EqualValues(t, firstContact, out.Record["contact_id"])
				assert.EqualValues(t, 1, out.Record["priority"])
			}, TaskInput{Title: "Call", DueDate: "tomorrow", LabelID: 1}, "due_date"},
		{"Sellsy.CreateComment", CommentInput{Description: "Won", Related: Related{"company", 1}, Created: "2026-03-01T08:00:00+01:00"},
			func(t *testing.T, h *harness, out RecordOutput) {
				assert.Equal(t, "Won", out.Record["description"])
				assert.Equal(t, "2026-03-01T08:00:00+01:00", out.Record["created"])
				assert.EqualValues(t, 1, out.Record["company_id"])
			}, CommentInput{Description: "Won", Related: Related{"company", 424242}}, "related"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "secret")
			h.sim.SeedOpportunities(1) // opportunity 3000001, on company 1
			// individual 2000001 (firstIndividual)
			require.NoError(t, h.run("Sellsy.CreateIndividual", IndividualInput{Type: "prospect", LastName: "Martin"}, &RecordOutput{}))
			var out RecordOutput
			require.NoError(t, h.run(tc.name, tc.good, &out))
			assert.NotZero(t, out.ID)
			tc.check(t, h, out)

			ae := actiontest.AppErr(t, h.run(tc.name, tc.bad, &out))
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), tc.badWord)
		})
	}
}

func TestSearchActivities(t *testing.T) {
	h := newHarness(t, "secret")
	for _, n := range []string{"A", "B", "C"} {
		require.NoError(t, h.run("Sellsy.CreateCompany", CompanyInput{Type: "client", Name: n}, &RecordOutput{}))
	}
	require.NoError(t, h.run("Sellsy.CreateCompany", CompanyInput{Type: "supplier", Name: "S"}, &RecordOutput{}))

	var names []any
	in := SearchInput{Type: "client", Limit: 2, Direction: "desc"}
	for page := 0; page < 3; page++ {
		var out SearchOutput
		require.NoError(t, h.run("Sellsy.SearchCompanies", in, &out))
		assert.Equal(t, 3, out.Total)
		for _, r := range out.Records {
			names = append(names, r["name"])
		}
		if out.NextCursor == "" {
			break
		}
		in.Cursor = out.NextCursor
	}
	assert.Equal(t, []any{"C", "B", "A"}, names)

	var out SearchOutput
	require.NoError(t, h.run("Sellsy.SearchContacts", SearchInput{Filters: map[string]any{"companies": []int{1}}}, &out))
	require.Len(t, out.Records, 1)
	assert.EqualValues(t, firstContact, out.Records[0]["id"])
	assert.Empty(t, out.NextCursor)

	// Opportunities 3000001..3000004 go round robin over pipelines 1, 2, 3, 1 (steps 11, 21,
	// 31, then 14: pipeline 1's second step) and companies 1, 2, 3, 4.
	h.sim.SeedOpportunities(4)
	opps := []struct {
		name string
		in   SearchInput
		ids  []int
	}{
		{"all", SearchInput{}, []int{firstOpportunity, firstOpportunity + 1, firstOpportunity + 2, firstOpportunity + 3}},
		{"pipeline, newest first", SearchInput{Filters: map[string]any{"pipeline": []int{1}}, Direction: "desc"}, []int{firstOpportunity + 3, firstOpportunity}},
		{"step", SearchInput{Filters: map[string]any{"step": []int{14}}}, []int{firstOpportunity + 3}},
	}
	for _, tc := range opps {
		t.Run("opportunities "+tc.name, func(t *testing.T) {
			var out SearchOutput
			require.NoError(t, h.run("Sellsy.SearchOpportunities", tc.in, &out))
			var ids []int
			for _, r := range out.Records {
				id := int(r["id"].(float64))
				ids = append(ids, id)
				assert.EqualValues(t, id-firstOpportunity+1, r["company_id"])
			}
			assert.Equal(t, tc.ids, ids)
			assert.Equal(t, len(tc.ids), out.Total)
		})
	}
}

// Searches refuse a bad limit, direction or cursor before any call, and Sellsy refuses an
// unknown or ill-typed filter: InvalidRecord, not retried, naming the field.
func TestSearchInvalidInput(t *testing.T) {
	h := newHarness(t, "secret")
	tests := []struct {
		name, activity string
		in             SearchInput
		want           string
	}{
		{"company type", "Sellsy.SearchCompanies", SearchInput{Type: "partner"}, `type "partner"`},
		{"contacts limit too big", "Sellsy.SearchContacts", SearchInput{Limit: 10_001}, "limit 10001 is above 10000"},
		{"contacts negative limit", "Sellsy.SearchContacts", SearchInput{Limit: -5}, "limit -5 must be between 1 and 10000"},
		{"contacts direction", "Sellsy.SearchContacts", SearchInput{Direction: "up"}, `direction "up"`},
		{"contacts numeric cursor", "Sellsy.SearchContacts", SearchInput{Cursor: "40"}, `cursor "40"`},
		{"contacts unknown cursor", "Sellsy.SearchContacts", SearchInput{Cursor: "not-a-cursor"}, "offset"},
		{"contacts unknown filter", "Sellsy.SearchContacts", SearchInput{Filters: map[string]any{"shoe_size": 42}}, "filters.shoe_size"},
		{"contacts filter type", "Sellsy.SearchContacts", SearchInput{Filters: map[string]any{"email": 42}}, "filters.email"},
		{"opportunities limit too big", "Sellsy.SearchOpportunities", SearchInput{Limit: 20_000}, "limit 20000 is above 10000"},
		{"opportunities direction", "Sellsy.SearchOpportunities", SearchInput{Direction: "sideways"}, `direction "sideways"`},
		{"opportunities unknown filter", "Sellsy.SearchOpportunities", SearchInput{Filters: map[string]any{"colour": "red"}}, "filters.colour"},
		{"opportunities filter type", "Sellsy.SearchOpportunities", SearchInput{Filters: map[string]any{"step": "eleven"}}, "filters.step"},
		// A type where the object has none used to be ignored: every contact came back.
		{"contacts type", "Sellsy.SearchContacts", SearchInput{Type: "client"}, "type"},
		{"opportunities type", "Sellsy.SearchOpportunities", SearchInput{Type: "prospect"}, "type"},
		// Type and filters.type both given and different: Type used to win without a word.
		{"company type twice", "Sellsy.SearchCompanies", SearchInput{Type: "client", Filters: map[string]any{"type": "supplier"}}, "filters.type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ae := actiontest.AppErr(t, h.run(tc.activity, tc.in, &SearchOutput{}))
			assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), tc.want)
		})
	}
}

// A spent quota is RateLimited with the delay Sellsy's headers imply; refused credentials
// are ConfigurationError, not retried.
func TestErrorClasses(t *testing.T) {
	inputs := map[string]any{
		"Sellsy.CreateCompany": CompanyInput{Type: "client", Name: "A"}, "Sellsy.UpdateCompany": CompanyInput{ID: 1, Name: "A"},
		"Sellsy.SearchCompanies": SearchInput{}, "Sellsy.CreateContact": ContactInput{LastName: "L"},
		"Sellsy.CreateIndividual": IndividualInput{Type: "client", LastName: "L"}, "Sellsy.UpdateIndividual": IndividualInput{ID: 1, Note: "n"},
		"Sellsy.SearchIndividuals": SearchInput{},
		"Sellsy.UpdateContact":     ContactInput{ID: firstContact, Note: "n"}, "Sellsy.SearchContacts": SearchInput{},
		"Sellsy.CreateOpportunity": OpportunityInput{Name: "O", PipelineID: 1, StepID: 11, Related: []Related{{"company", 1}}},
		"Sellsy.UpdateOpportunity": OpportunityInput{ID: 1, Name: "O"}, "Sellsy.SearchOpportunities": SearchInput{},
		"Sellsy.CreateEvent":   EventInput{Title: "E", Start: "2026-03-05T09:00:00Z", End: "2026-03-05T10:00:00Z", LabelID: 1},
		"Sellsy.CreateTask":    TaskInput{Title: "T", DueDate: "2026-03-05T09:00:00Z", LabelID: 1},
		"Sellsy.CreateComment": CommentInput{Description: "C", Related: Related{"company", 1}},
		"Sellsy.Call":          CallInput{Method: "GET", Path: "/staffs"}, "Sellsy.CallV1": CallV1Input{Method: "Infos.getInfos"},
		"Sellsy.DeleteCompany": DeleteInput{ID: 1}, "Sellsy.DeleteIndividual": DeleteInput{ID: 1}, "Sellsy.DeleteContact": DeleteInput{ID: firstContact},
		"Sellsy.DeleteOpportunity": DeleteInput{ID: 1}, "Sellsy.DeleteEvent": DeleteInput{ID: 1}, "Sellsy.DeleteTask": DeleteInput{ID: 1},
		"Sellsy.DeleteComment": DeleteInput{ID: 1},
	}
	require.Len(t, inputs, len(Names()))
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, "secret")
			require.NoError(t, h.run("Sellsy.Call", CallInput{Method: "GET", Path: "/staffs"}, &CallOutput{})) // token fetched
			h.sim.Kit().SetFaults(simkit.Faults{RateLimitRate: 1})
			var out json.RawMessage
			ae := actiontest.AppErr(t, h.run(name, inputs[name], &out))
			assert.Equal(t, ErrTypeRateLimited, ae.Type())
			assert.False(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), "retry after 1s")
			assert.Equal(t, time.Second, ae.NextRetryDelay(), "the delay Sellsy asked for, which Temporal waits before the retry")

			// V1 signs with its own tokens (reference §2.1), so only a wrong V1 secret
			// refuses it: oauth_problem=signature_invalid.
			bad := goodCredentials
			bad.secret = "wrong"
			if name == "Sellsy.CallV1" {
				bad = goodCredentials
				bad.v1Secret = "wrong"
			}
			h = newHarnessWith(t, bad)
			ae = actiontest.AppErr(t, h.run(name, inputs[name], &out))
			assert.Equal(t, ErrTypeConfiguration, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.NotContains(t, ae.Error(), "wrong", "the secret stays out of the message")
		})
	}
}

// Sellsy lists its webhooks with their URLs, which carry the receiver's token: Sellsy.Call
// hides the worker's secrets from its answer, which lands in the caller's history.
func TestCallHidesTheWorkersSecrets(t *testing.T) {
	const token = "sel-token-789"
	o := goodCredentials
	o.secrets = []string{token, "secret"}
	h := newHarnessWith(t, o)
	var out CallOutput
	require.NoError(t, h.run("Sellsy.Call", CallInput{Method: "POST", Path: "/webhooks",
		Body: json.RawMessage(`{"type":"http","endpoint":"https://worker.example/webhooks/shop/sellsy/` + token + `","is_enabled":true,"configuration":[{"id":"opportunity.updated","is_enabled":true}]}`)}, &out))
	require.NoError(t, h.run("Sellsy.Call", CallInput{Method: "GET", Path: "/webhooks"}, &out))
	assert.Contains(t, string(out.Body), "https://worker.example/webhooks/shop/sellsy/[redacted]")
	assert.NotContains(t, string(out.Body), token)
}

// Sellsy.CallV1's answer lands in the caller's history as Sellsy.Call's does, and hides the
// worker's secrets the same way: it used to hand the V1 answer back as it came.
func TestCallV1HidesTheWorkersSecrets(t *testing.T) {
	const token = "sel-token-789"
	o := goodCredentials
	o.secrets = []string{token}
	h := newHarnessWith(t, o)
	var co RecordOutput
	require.NoError(t, h.run("Sellsy.CreateCompany", CompanyInput{Type: "client", Name: "ACME " + token}, &co))
	var out CallV1Output
	require.NoError(t, h.run("Sellsy.CallV1", CallV1Input{Method: "Client.getOne", Params: map[string]any{"clientid": co.ID}}, &out))
	assert.Contains(t, string(out.Response), "[redacted]")
	assert.NotContains(t, string(out.Response), token)
	assert.True(t, json.Valid(out.Response), "still JSON")
}

func TestCall(t *testing.T) {
	h := newHarness(t, "secret")
	tests := []struct {
		name   string
		in     CallInput
		status int
		want   string
		errTyp string
	}{
		{"get", CallInput{Method: "GET", Path: "/companies/1"}, 200, `"id":1`, ""},
		{"query", CallInput{Method: "GET", Path: "/staffs", Query: url.Values{"limit": {"1"}}}, 200, `"count":1`, ""},
		{"post json", CallInput{Method: "POST", Path: "/companies/search", Body: json.RawMessage(`{"filters":{"type":"prospect"}}`)}, 200, `"total":1`, ""},
		{"not found", CallInput{Method: "GET", Path: "/companies/424242"}, 0, "", ErrTypeInvalidRecord},
		{"bad method", CallInput{Method: "TRACE", Path: "/staffs"}, 0, "", ErrTypeInvalidRecord},
		{"absolute url", CallInput{Method: "GET", Path: "https://evil.example/x"}, 0, "", ErrTypeInvalidRecord},
		{"impersonating a staff member", CallInput{Method: "GET", Path: "/companies/1", Headers: map[string]string{"X-Switch-User": "staff:1"}}, 200, `"id":1`, ""},
		{"its own authorization", CallInput{Method: "GET", Path: "/companies/1", Headers: map[string]string{"Authorization": "Bearer stolen"}}, 0, "", ErrTypeInvalidRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out CallOutput
			err := h.run("Sellsy.Call", tc.in, &out)
			if tc.errTyp != "" {
				assert.Equal(t, tc.errTyp, actiontest.AppErr(t, err).Type())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.status, out.Status)
			assert.Contains(t, string(out.Body), tc.want)
		})
	}
}

func TestCallV1(t *testing.T) {
	h := newHarness(t, "secret")
	var out CallV1Output
	require.NoError(t, h.run("Sellsy.CallV1", CallV1Input{Method: "Prospects.getList", Params: map[string]any{"pagination": map[string]any{"nbperpage": 10, "pagenum": 1}}}, &out))
	assert.Contains(t, string(out.Response), `"nbtotal":1`)
	require.NoError(t, h.run("Sellsy.CallV1", CallV1Input{Method: "Infos.getInfos"}, &out))
	assert.Contains(t, string(out.Response), "corporation")

	ae := actiontest.AppErr(t, h.run("Sellsy.CallV1", CallV1Input{Method: "Client.getOne", Params: map[string]any{"clientid": 999}}, &out))
	assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
	assert.Contains(t, ae.Error(), "E_OBJ_NOT_LOADABLE")
}

// API V1 refuses bad OAuth 1.0a credentials with a plain-text oauth_problem (reference §2.1);
// a worker without V1 tokens calls it with a V2 token, which a refused V2 secret never gets:
// ConfigurationError, not retried, naming the problem and never the secret.
func TestCallV1Unauthorised(t *testing.T) {
	tests := []struct {
		name    string
		creds   func(o *harnessOptions)
		problem string
	}{
		{"wrong user secret", func(o *harnessOptions) { o.v1Secret = "wrong" }, "signature_invalid"},
		{"wrong consumer token", func(o *harnessOptions) { o.v1Consumer = "wrong" }, "consumer_key_refused"},
		{"wrong user token", func(o *harnessOptions) { o.v1Token = "wrong" }, "token_rejected"},
		{"no V1 tokens, V2 secret refused", func(o *harnessOptions) { o.v1Consumer, o.v1Token, o.v1Secret, o.secret = "", "", "", "wrong" }, "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := goodCredentials
			tc.creds(&o)
			h := newHarnessWith(t, o)
			ae := actiontest.AppErr(t, h.run("Sellsy.CallV1", CallV1Input{Method: "Infos.getInfos"}, &CallV1Output{}))
			assert.Equal(t, ErrTypeConfiguration, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Error(), tc.problem)
			assert.NotContains(t, ae.Error(), "wrong")
		})
	}
}

func TestToTemporal(t *testing.T) {
	tests := []struct {
		err          error
		typ          string
		nonRetryable bool
		delay        time.Duration
	}{
		{&connectors.Error{Kind: connectors.KindInvalid}, ErrTypeInvalidRecord, true, 0},
		{&connectors.Error{Kind: connectors.KindConfig}, ErrTypeConfiguration, true, 0},
		{&connectors.Error{Kind: connectors.KindRateLimited, RetryAfter: 3 * time.Second}, ErrTypeRateLimited, false, 3 * time.Second},
		{&connectors.Error{Kind: connectors.KindRetryable}, ErrTypeRetryable, false, 0},
		{errors.New("boom"), ErrTypeRetryable, false, 0},
	}
	for _, tc := range tests {
		ae := actiontest.AppErr(t, toTemporal(tc.err))
		assert.Equal(t, tc.typ, ae.Type())
		assert.Equal(t, tc.nonRetryable, ae.NonRetryable())
		assert.Equal(t, tc.delay, ae.NextRetryDelay())
	}
}
