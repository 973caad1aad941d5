package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func idOf(m map[string]any) int { return int(m["id"].(float64)) }

func TestIndividuals(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.call("POST", "/v2/individuals", map[string]any{"type": "client", "last_name": "Durand", "first_name": "Léa",
		"civility": "mrs", "email": "lea.durand@example.com"}, true)
	require.Equal(t, 201, r.status, string(r.raw))
	id := idOf(r.body)
	assert.GreaterOrEqual(t, id, firstIndividualID)
	assert.Equal(t, "client", r.body["type"])
	created := r.body["updated_at"]

	// Boolean custom field (Newsletter, 103, on third parties) on the individual.
	e.clock.Advance(time.Minute)
	r = e.call("PUT", fmt.Sprintf("/v2/individuals/%d/custom-fields", id), []map[string]any{{"id": 103, "value": true}}, false)
	require.Equal(t, 200, r.status, string(r.raw))
	r = e.call("GET", fmt.Sprintf("/v2/individuals/%d?embed[]=cf.103", id), nil, true)
	require.Equal(t, 200, r.status)
	assert.NotEqual(t, created, r.body["updated_at"])
	cfs := r.body["_embed"].(map[string]any)["custom_fields"].([]any)
	require.Len(t, cfs, 1)
	assert.Equal(t, true, cfs[0].(map[string]any)["value"])
	r = e.call("PUT", fmt.Sprintf("/v2/individuals/%d/custom-fields", id), []map[string]any{{"id": 103, "value": "oui"}}, false)
	assert.Equal(t, 400, r.status)

	// Search, update, links to contacts.
	r = e.call("POST", "/v2/individuals/search", map[string]any{"filters": map[string]any{"email": "LEA.DURAND@example.com"}}, true)
	require.Equal(t, 200, r.status)
	require.Len(t, data(r), 1)
	r = e.call("POST", "/v2/individuals/search", map[string]any{"filters": map[string]any{"updated_at": map[string]any{"start": ts(e.clock.Now().Add(time.Hour))}}}, true)
	assert.Empty(t, data(r))
	r = e.call("PUT", fmt.Sprintf("/v2/individuals/%d", id), map[string]any{"phone_number": "+33102030405"}, true)
	require.Equal(t, 200, r.status, string(r.raw))
	assert.Equal(t, "+33102030405", r.body["phone_number"])
	e.sim.SeedPeople(0, 1)
	ct := idOf(e.sim.Dump("contacts")[0])
	link := fmt.Sprintf("/v2/individuals/%d/contacts/%d", id, ct)
	assert.Equal(t, 201, e.call("POST", link, nil, false).status)
	assert.Equal(t, 200, e.call("POST", link, nil, false).status)
	r = e.call("GET", fmt.Sprintf("/v2/individuals/%d/contacts", id), nil, false)
	require.Len(t, data(r), 1)
	assert.Equal(t, ct, idOf(data(r)[0]))

	// Validation.
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"missing type", map[string]any{"last_name": "X"}, "type"},
		{"missing last name", map[string]any{"type": "client"}, "last_name"},
		{"bad type", map[string]any{"type": "partner", "last_name": "X"}, "type"},
		{"bad email", map[string]any{"type": "client", "last_name": "X", "email": "nope"}, "email"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", "/v2/individuals", c.body, false)
			assert.Equal(t, 400, r.status)
			assert.Contains(t, errDetails(r), c.field)
		})
	}
	assert.Equal(t, 400, e.call("PUT", fmt.Sprintf("/v2/individuals/%d", id), map[string]any{"type": "supplier"}, false).status)

	assert.Equal(t, 204, e.call("DELETE", fmt.Sprintf("/v2/individuals/%d", id), nil, true).status)
	assert.Equal(t, 404, e.call("GET", fmt.Sprintf("/v2/individuals/%d", id), nil, false).status)
}

func TestPipelinesAndStepsInRankOrder(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.call("GET", "/v2/opportunities/pipelines", nil, true)
	require.Equal(t, 200, r.status, string(r.raw))
	var ids []int
	for _, p := range data(r) {
		ids = append(ids, idOf(p))
	}
	assert.Equal(t, []int{1, 3, 2}, ids, "rank order by default")
	assert.Equal(t, true, data(r)[0]["is_default"])
	assert.Equal(t, 4.0, data(r)[0]["step"], "step is the number of steps")

	cases := []struct {
		pipeline int
		want     []int
	}{{1, []int{11, 14, 12, 13}}, {2, []int{21, 23, 22}}, {3, []int{31, 32, 33}}}
	for _, c := range cases {
		r := e.call("GET", fmt.Sprintf("/v2/opportunities/pipelines/%d/steps", c.pipeline), nil, true)
		require.Equal(t, 200, r.status)
		var got []int
		for i, s := range data(r) {
			got = append(got, idOf(s))
			assert.Equal(t, float64(i+1), s["rank"])
		}
		assert.Equal(t, c.want, got)
	}
	assert.Equal(t, 404, e.call("GET", "/v2/opportunities/pipelines/99/steps", nil, false).status)
}

func TestOpportunities(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 2)
	co := idOf(e.sim.Dump("companies")[0])
	ct := idOf(e.sim.Dump("contacts")[0])
	lone := e.call("POST", "/v2/contacts", map[string]any{"last_name": "Seul"}, false)
	require.Equal(t, 201, lone.status)
	body := func(extra map[string]any) map[string]any {
		b := map[string]any{"name": "Refonte du site", "pipeline": 1, "step": 11, "amount": "72000.9",
			"related": []map[string]any{{"id": co, "type": "company"}, {"id": ct, "type": "contact"}}}
		for k, v := range extra {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	r := e.call("POST", "/v2/opportunities", body(nil), true)
	require.Equal(t, 201, r.status, string(r.raw))
	id := idOf(r.body)
	assert.Equal(t, map[string]any{"value": "72000.90", "currency": "EUR"}, r.body["amount"], "amount is an object on read")
	assert.Equal(t, 10.0, r.body["probability"], "the step's probability by default")
	assert.Equal(t, float64(co), r.body["company_id"])
	assert.Equal(t, []any{float64(ct)}, r.body["contact_ids"])
	assert.Equal(t, "open", r.body["status"])
	for _, k := range []string{"updated", "updated_at"} {
		assert.NotContains(t, r.body, k, "opportunities have no update timestamp")
	}

	for _, c := range []struct {
		name  string
		extra map[string]any
		field string
	}{
		{"unknown step", map[string]any{"step": 99}, "step"},
		{"step of another pipeline", map[string]any{"step": 21}, "step"},
		{"unknown pipeline", map[string]any{"pipeline": 42}, "pipeline"},
		{"amount as a number", map[string]any{"amount": 12.5}, "amount"},
		{"amount not numeric", map[string]any{"amount": "douze"}, "amount"},
		{"missing related", map[string]any{"related": nil}, "related"},
		{"missing name", map[string]any{"name": nil}, "name"},
		{"bad status", map[string]any{"status": "pending"}, "status"},
		{"probability over 100", map[string]any{"probability": 101}, "probability"},
		{"contact not linked", map[string]any{"related": []map[string]any{{"id": co, "type": "company"}, {"id": idOf(lone.body), "type": "contact"}}}, "contact_ids"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", "/v2/opportunities", body(c.extra), false)
			require.Equal(t, 400, r.status, string(r.raw))
			assert.Contains(t, errDetails(r), c.field)
		})
	}

	// Update: step change sets the probability, status change sets updated_status.
	e.clock.Advance(time.Minute)
	r = e.call("PUT", fmt.Sprintf("/v2/opportunities/%d", id), map[string]any{"step": 14, "status": "won", "amount": "10"}, true)
	require.Equal(t, 200, r.status, string(r.raw))
	assert.Equal(t, 40.0, r.body["probability"])
	assert.Equal(t, "Proposition", r.body["step"].(map[string]any)["name"])
	assert.Equal(t, ts(e.clock.Now()), r.body["updated_status"])
	assert.Equal(t, "10.00", r.body["amount"].(map[string]any)["value"])
	r = e.call("PUT", fmt.Sprintf("/v2/opportunities/%d", id), map[string]any{"step": 31}, false)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, errDetails(r), "step")
	// The number and the creation date are set at creation: OpportunityUpdate has neither.
	for _, k := range []string{"number", "created"} {
		v := map[string]any{"number": "OPP-2", "created": "2026-01-15T10:00:00+01:00"}[k]
		r = e.call("PUT", fmt.Sprintf("/v2/opportunities/%d", id), map[string]any{k: v}, false)
		assert.Equal(t, 400, r.status, k)
		assert.Contains(t, errDetails(r), k)
	}
	r = e.call("POST", "/v2/opportunities", body(map[string]any{"number": "OPP-1155", "created": "2026-01-15T10:00:00+01:00"}), true)
	assert.Equal(t, "OPP-1155", r.body["number"], "the create takes them")
	assert.Equal(t, "2026-01-15T10:00:00+01:00", r.body["created"])
	assert.Equal(t, 204, e.call("DELETE", fmt.Sprintf("/v2/opportunities/%d", idOf(r.body)), nil, true).status)

	// Step moves.
	move := fmt.Sprintf("/v2/opportunities/%d/step-rank", id)
	assert.Equal(t, 204, e.call("PATCH", move, map[string]any{"step": 13}, true).status)
	r = e.call("GET", fmt.Sprintf("/v2/opportunities/%d", id), nil, true)
	assert.Equal(t, 13.0, r.body["step"].(map[string]any)["id"])
	assert.Equal(t, 90.0, r.body["probability"])
	r = e.call("PATCH", move, map[string]any{"step": 22}, false)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, errDetails(r), "step")
	assert.Contains(t, r.body["error"].(map[string]any)["message"], "'step'")
	r = e.call("PATCH", move, map[string]any{}, false)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, 404, e.call("PATCH", "/v2/opportunities/1/step-rank", map[string]any{"step": 13}, false).status)

	// Search filters.
	e.sim.SeedOpportunities(9)
	search := func(f map[string]any) []int {
		r := e.call("POST", "/v2/opportunities/search?limit=100", map[string]any{"filters": f}, true)
		require.Equal(t, 200, r.status, string(r.raw))
		var ids []int
		for _, d := range data(r) {
			ids = append(ids, idOf(d))
		}
		return ids
	}
	assert.Len(t, search(map[string]any{}), 10)
	assert.Len(t, search(map[string]any{"pipeline": []int{2}}), 3)
	assert.Equal(t, []int{id}, search(map[string]any{"step": []int{13}}))
	assert.Equal(t, []int{id}, search(map[string]any{"statuses": []string{"won"}}))
	withCo := 0
	for _, o := range e.sim.Dump("opportunities") {
		if o["company_id"] == float64(co) {
			withCo++
		}
	}
	assert.Len(t, search(map[string]any{"related_objects": []map[string]any{{"type": "company", "id": co}}}), withCo)
	assert.Equal(t, []int{id}, search(map[string]any{"amount": map[string]any{"max": 50}}))
	r = e.call("POST", "/v2/opportunities/search", map[string]any{"filters": map[string]any{"updated": map[string]any{}}}, false)
	assert.Equal(t, 400, r.status, "there is no updated filter")
	r = e.call("GET", "/v2/opportunities?limit=3", nil, true)
	assert.Len(t, data(r), 3)

	assert.Equal(t, 204, e.call("DELETE", fmt.Sprintf("/v2/opportunities/%d", id), nil, true).status)
	assert.Equal(t, 404, e.call("GET", fmt.Sprintf("/v2/opportunities/%d", id), nil, false).status)
}

func TestOpportunityCustomFields(t *testing.T) {
	e := newEnv(t, Options{})
	cf := e.sim.AddCustomField(CustomField{Code: "ETAP", Type: "simple-text", Related: []string{"opportunity"}})
	e.sim.SeedOpportunities(1)
	id := idOf(e.sim.Dump("opportunities")[0])
	r := e.call("PUT", fmt.Sprintf("/v2/opportunities/%d/custom-fields", id), []map[string]any{{"id": cf, "value": "Devis"}}, false)
	require.Equal(t, 200, r.status, string(r.raw))
	r = e.call("GET", fmt.Sprintf("/v2/opportunities/%d?embed[]=cf.%d&embed[]=cf.103", id, cf), nil, true)
	cfs := r.body["_embed"].(map[string]any)["custom_fields"].([]any)
	require.Len(t, cfs, 1, "a contact/third-party field is not an opportunity field")
	assert.Equal(t, "Devis", cfs[0].(map[string]any)["value"])
	r = e.call("PUT", fmt.Sprintf("/v2/opportunities/%d/custom-fields", id), []map[string]any{{"id": 103, "value": true}}, false)
	assert.Equal(t, 400, r.status)
}

type hookRecorder struct {
	mu    sync.Mutex
	pings int
	posts []map[string]string
	agent string
	ctype string
	got   chan struct{}
}

func newHookRecorder(t *testing.T) (*hookRecorder, *httptest.Server) {
	h := &hookRecorder{got: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.agent = r.Header.Get("User-Agent")
		if r.Method == http.MethodGet {
			h.pings++
		} else {
			h.ctype = r.Header.Get("Content-Type")
			raw, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(raw))
			var m map[string]string
			_ = json.Unmarshal([]byte(form.Get("notif")), &m)
			h.posts = append(h.posts, m)
		}
		h.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

func (h *hookRecorder) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-h.got:
		case <-time.After(5 * time.Second):
			t.Fatalf("webhook %d of %d not received", i+1, n)
		}
	}
}

func TestWebhooks(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	co := idOf(e.sim.Dump("companies")[0])
	h, hs := newHookRecorder(t)
	r := e.callAdmin("POST", "/_sim/webhook", `{"url":"`+hs.URL+`"}`)
	require.Equal(t, 200, r)
	h.wait(t, 1)

	r2 := e.call("POST", "/v2/opportunities", map[string]any{"name": "A", "pipeline": 2, "step": 21,
		"related": []map[string]any{{"id": co, "type": "company"}}}, false)
	require.Equal(t, 201, r2.status)
	id := strconv.Itoa(idOf(r2.body))
	e.call("PATCH", "/v2/opportunities/"+id+"/step-rank", map[string]any{"step": 23}, false)
	e.call("PATCH", "/v2/opportunities/"+id+"/step-rank", map[string]any{"step": 23}, false) // no move: no event
	e.call("PUT", fmt.Sprintf("/v2/companies/%d", co), map[string]any{"note": "x"}, false)
	e.sim.DropWebhooks(1)
	e.call("DELETE", "/v2/opportunities/"+id, nil, false) // lost
	e.call("POST", "/v2/individuals", map[string]any{"type": "client", "last_name": "B"}, false)
	h.wait(t, 4)

	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Equal(t, 1, h.pings)
	assert.Regexp(t, "^Sellsy", h.agent)
	assert.Equal(t, "application/x-www-form-urlencoded", h.ctype)
	var got [][3]string
	for _, p := range h.posts {
		got = append(got, [3]string{p["event"], p["relatedtype"], p["relatedid"]})
		assert.NotEmpty(t, p["timestamp"])
	}
	require.Len(t, got, 4)
	assert.Equal(t, [3]string{"created", "opportunity", id}, got[0])
	assert.Equal(t, [3]string{"updated", "opportunity", id}, got[1])
	assert.Equal(t, [3]string{"updated", "client", strconv.Itoa(co)}, got[2])
	assert.Equal(t, "created", got[3][0])
	assert.Equal(t, "individual", got[3][1])
}

// With WebhookWithoutTimestamp, a notification carries only the keys the reference confirms:
// two changes of one record are notified with the same body.
func TestWebhooksWithoutTimestamp(t *testing.T) {
	e := newEnv(t, Options{WebhookWithoutTimestamp: true})
	e.sim.SeedPeople(0, 1)
	co := idOf(e.sim.Dump("companies")[0])
	h, hs := newHookRecorder(t)
	require.Equal(t, 200, e.callAdmin("POST", "/_sim/webhook", `{"url":"`+hs.URL+`"}`))
	h.wait(t, 1)
	for _, note := range []string{"x", "y"} {
		e.clock.Advance(time.Second)
		require.Equal(t, 200, e.call("PUT", fmt.Sprintf("/v2/companies/%d", co), map[string]any{"note": note}, false).status)
	}
	h.wait(t, 2)
	h.mu.Lock()
	defer h.mu.Unlock()
	want := map[string]string{"event": "updated", "relatedtype": "client", "relatedid": strconv.Itoa(co)}
	assert.Equal(t, []map[string]string{want, want}, h.posts)
}

func (e *env) callAdmin(method, path, body string) int {
	req, _ := http.NewRequest(method, e.srv.URL+path, stringsReader(body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestScopesInTokenAndEnforced(t *testing.T) {
	e := newEnv(t, Options{Scopes: []string{"companies.read", "opportunities.read"}})
	assert.Equal(t, 200, e.call("GET", "/v2/companies", nil, false).status)
	assert.Equal(t, 200, e.call("GET", "/v2/opportunities/pipelines", nil, false).status)
	assert.Equal(t, 403, e.call("GET", "/v2/individuals", nil, false).status)
	assert.Equal(t, 403, e.call("POST", "/v2/opportunities", map[string]any{}, false).status)
	resp, err := http.PostForm(e.srv.URL+"/oauth2/access-tokens", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"s3cr3t"}})
	require.NoError(t, err)
	defer resp.Body.Close()
	var tok map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	assert.Equal(t, "companies.read opportunities.read", tok["scope"])
}

func TestSeedOpportunities(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedOpportunities(7)
	assert.Equal(t, 7, e.sim.Count("opportunities"))
	assert.Positive(t, e.sim.Count("companies"))
	perPipeline := map[float64]int{}
	for _, o := range e.sim.Dump("opportunities") {
		perPipeline[o["pipeline"].(map[string]any)["id"].(float64)]++
		assert.NotNil(t, o["company_id"])
	}
	assert.Equal(t, map[float64]int{1: 3, 2: 2, 3: 2}, perPipeline)
}

func stringsReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }

// Every kind of record is created (201), verified without being stored (204), updated
// (200), refused without a change (400), and not found (404) the same way.
func TestWritesOfEveryKind(t *testing.T) {
	e := newEnv(t, Options{})
	co := idOf(e.call("POST", "/v2/companies", map[string]any{"type": "prospect", "name": "ACME"}, false).body)
	tests := []struct {
		kind           string
		create, update map[string]any
		field          string // one the update sets, read back
		refused        map[string]any
	}{
		{kindCompanies, map[string]any{"type": "client", "name": "Globex"}, map[string]any{"name": "Globex SA"}, "name", map[string]any{"type": "nope"}},
		{kindContacts, map[string]any{"last_name": "Durand"}, map[string]any{"last_name": "Martin"}, "last_name", map[string]any{"email": "not-an-email"}},
		{kindIndividuals, map[string]any{"type": "client", "last_name": "Petit"}, map[string]any{"last_name": "Grand"}, "last_name", map[string]any{"type": "supplier"}},
		{kindOpportunities, map[string]any{"name": "Refonte", "pipeline": 1, "step": 11, "related": []map[string]any{{"id": co, "type": "company"}}},
			map[string]any{"name": "Refonte 2"}, "name", map[string]any{"step": 999}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			before := e.sim.Count(tt.kind)
			assert.Equal(t, 204, e.call("POST", "/v2/"+tt.kind+"?verify=true", tt.create, false).status)
			assert.Equal(t, before, e.sim.Count(tt.kind), "verify=true stores nothing")

			r := e.call("POST", "/v2/"+tt.kind, tt.create, false)
			require.Equal(t, 201, r.status, string(r.raw))
			id := idOf(r.body)
			assert.Equal(t, before+1, e.sim.Count(tt.kind))
			path := fmt.Sprintf("/v2/%s/%d", tt.kind, id)

			r = e.call("PUT", path, tt.update, false)
			require.Equal(t, 200, r.status, string(r.raw))
			assert.Equal(t, tt.update[tt.field], r.body[tt.field])
			r = e.call("PUT", path, tt.refused, false)
			require.Equal(t, 400, r.status, string(r.raw))
			assert.Equal(t, tt.update[tt.field], e.call("GET", path, nil, false).body[tt.field], "a refused write changes nothing")
			assert.Equal(t, 404, e.call("PUT", fmt.Sprintf("/v2/%s/424242", tt.kind), tt.update, false).status)
			if tt.kind == kindOpportunities {
				assert.Regexp(t, `^OPP-\d+$`, e.call("GET", path, nil, false).body["number"], "numbered as Sellsy does")
			}
		})
	}
}
