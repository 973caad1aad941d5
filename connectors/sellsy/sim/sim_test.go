package sim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type env struct {
	t      *testing.T
	sim    *Server
	srv    *httptest.Server
	clock  *simkit.Clock
	token  string
	router routers.Router
	doc    *openapi3.T
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	c := simkit.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	o.ClientID, o.ClientSecret = "cid", "s3cr3t"
	if o.RequestsPerSecond == 0 {
		o.RequestsPerSecond = -1
	}
	o.Now = c.Now
	s := New(o)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e := &env{t: t, sim: s, srv: srv, clock: c}

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("testdata/openapi.yaml")
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background(), openapi3.DisableExamplesValidation()))
	doc.Servers = openapi3.Servers{{URL: srv.URL + "/v2"}}
	e.doc = doc
	e.router, err = legacy.NewRouter(doc)
	require.NoError(t, err)

	e.token = e.getToken("application/json", `{"grant_type":"client_credentials","client_id":"cid","client_secret":"s3cr3t"}`)
	return e
}

func (e *env) getToken(ctype, body string) string {
	resp, err := http.Post(e.srv.URL+"/oauth2/access-tokens", ctype, strings.NewReader(body))
	require.NoError(e.t, err)
	defer resp.Body.Close()
	require.Equal(e.t, 200, resp.StatusCode)
	var tok struct {
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		AccessToken string `json:"access_token"`
	}
	require.NoError(e.t, json.NewDecoder(resp.Body).Decode(&tok))
	return tok.AccessToken
}

type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// call sends a request; when validate is set, the request and the response are checked
// against the OpenAPI excerpt.
func (e *env) call(method, path string, body any, validate bool) result {
	e.t.Helper()
	var rd io.Reader
	var raw []byte
	if body != nil {
		if s, ok := body.(string); ok {
			raw = []byte(s)
		} else {
			raw, _ = json.Marshal(body)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	var in *openapi3filter.RequestValidationInput
	if validate {
		vreq, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(raw))
		vreq.Header = req.Header.Clone()
		route, params, err := e.router.FindRoute(vreq)
		require.NoError(e.t, err, "route %s %s", method, path)
		in = &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		require.NoError(e.t, openapi3filter.ValidateRequest(context.Background(), in), "request %s %s", method, path)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	out := result{status: resp.StatusCode, header: resp.Header}
	out.raw, _ = io.ReadAll(resp.Body)
	if len(out.raw) > 0 && out.raw[0] == '{' {
		require.NoError(e.t, json.Unmarshal(out.raw, &out.body))
	}
	if validate {
		rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
			Header: resp.Header, Body: io.NopCloser(bytes.NewReader(out.raw)),
			Options: &openapi3filter.Options{IncludeResponseStatus: false}}
		require.NoError(e.t, openapi3filter.ValidateResponse(context.Background(), rin), "response %s %s: %s", method, path, out.raw)
	}
	return out
}

// declared adds to keys the property names s declares, through allOf, anyOf and oneOf.
func declared(s *openapi3.Schema, keys map[string]bool) {
	if s == nil {
		return
	}
	for k := range s.Properties {
		keys[k] = true
	}
	for _, refs := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, r := range refs {
			declared(r.Value, keys)
		}
	}
}

// onlyDeclared fails when body has a key the named component schema does not declare: the
// spec allows extra keys (no additionalProperties: false), so kin-openapi alone would not
// notice a simulator answering with keys Sellsy does not have (e.g. "start" instead of
// "datetime_start").
func (e *env) onlyDeclared(schema string, body map[string]any) {
	e.t.Helper()
	ref := e.doc.Components.Schemas[schema]
	require.NotNil(e.t, ref, "schema %s", schema)
	keys := map[string]bool{}
	declared(ref.Value, keys)
	for k := range body {
		assert.True(e.t, keys[k], "%s has no key %q", schema, k)
	}
}

func data(r result) []map[string]any {
	var out []map[string]any
	for _, d := range r.body["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

func pag(r result) map[string]any { return r.body["pagination"].(map[string]any) }

func errDetails(r result) any { return r.body["error"].(map[string]any)["details"] }

func TestToken(t *testing.T) {
	e := newEnv(t, Options{})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"s3cr3t"}}.Encode()
	cases := []struct {
		name, ctype, body string
		basic             bool
		status            int
	}{
		{"json body", "application/json", `{"grant_type":"client_credentials","client_id":"cid","client_secret":"s3cr3t"}`, false, 200},
		{"form body", "application/x-www-form-urlencoded", form, false, 200},
		{"basic auth", "application/x-www-form-urlencoded", "grant_type=client_credentials", true, 200},
		{"wrong secret", "application/json", `{"grant_type":"client_credentials","client_id":"cid","client_secret":"nope"}`, false, 401},
		{"wrong grant", "application/json", `{"grant_type":"password","client_id":"cid","client_secret":"s3cr3t"}`, false, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.srv.URL+"/oauth2/access-tokens", strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.ctype)
			if c.basic {
				req.SetBasicAuth("cid", "s3cr3t")
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var body map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			assert.Equal(t, c.status, resp.StatusCode)
			if c.status == 200 {
				assert.Equal(t, "Bearer", body["token_type"])
				assert.EqualValues(t, 3600, body["expires_in"])
				assert.NotEmpty(t, body["access_token"])
			} else {
				assert.NotEmpty(t, body["error"])
			}
		})
	}
}

func TestTokenExpiryAndMissingToken(t *testing.T) {
	e := newEnv(t, Options{TokenTTL: time.Minute})
	assert.Equal(t, 200, e.call("GET", "/v2/contacts", nil, true).status)
	e.clock.Advance(61 * time.Second)
	r := e.call("GET", "/v2/contacts", nil, false)
	assert.Equal(t, 401, r.status)
	assert.EqualValues(t, 401, r.body["error"].(map[string]any)["code"])
	e.token = "bogus"
	assert.Equal(t, 401, e.call("GET", "/v2/companies", nil, false).status)
}

func TestSearchRequiresFilters(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 10)
	for _, obj := range []string{"companies", "contacts"} {
		r := e.call("POST", "/v2/"+obj+"/search", nil, false)
		require.Equal(t, 400, r.status, obj)
		assert.Equal(t, map[string]any{"filters": msgMissing}, errDetails(r))
		assert.Nil(t, r.body["error"].(map[string]any)["context"])
		r = e.call("POST", "/v2/"+obj+"/search", map[string]any{"filters": map[string]any{}}, true)
		require.Equal(t, 200, r.status, obj)
		assert.Len(t, data(r), map[string]int{"companies": 2, "contacts": 10}[obj])
	}
}

func TestLimitBounds(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		query  string
		status int
	}{{"limit=100", 200}, {"limit=101", 400}, {"limit=-1", 400}, {"limit=abc", 400}, {"offset=bad!", 400}, {"limit=0", 200}}
	for _, c := range cases {
		r := e.call("GET", "/v2/contacts?"+c.query, nil, false)
		assert.Equal(t, c.status, r.status, c.query)
		if c.status == 400 {
			assert.NotEmpty(t, errDetails(r), c.query)
		}
	}
}

func TestSeekPaginationWalksEveryRecordOnce(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 237)
	for _, c := range []struct {
		path  string
		body  any
		total int
	}{
		{"GET /v2/contacts", nil, 237},
		{"GET /v2/companies", nil, 48},
		{"POST /v2/contacts/search", map[string]any{"filters": map[string]any{}}, 237},
		{"POST /v2/companies/search", map[string]any{"filters": map[string]any{"type": "prospect"}}, 48},
	} {
		method, path, _ := strings.Cut(c.path, " ")
		seen := map[float64]bool{}
		offset, pages, last := "", 0, 0.0
		for {
			q := "?limit=50"
			if offset != "" {
				q += "&offset=" + url.QueryEscape(offset)
			}
			r := e.call(method, path+q, c.body, true)
			require.Equal(t, 200, r.status)
			p := pag(r)
			assert.EqualValues(t, c.total, p["total"])
			assert.EqualValues(t, 50, p["limit"])
			d := data(r)
			assert.EqualValues(t, len(d), p["count"])
			for _, rec := range d {
				id := rec["id"].(float64)
				assert.False(t, seen[id], "id %v twice", id)
				assert.Greater(t, id, last, "ids ascending")
				seen[id], last = true, id
			}
			pages++
			if len(d) < 50 {
				break
			}
			offset = p["offset"].(string)
			raw, err := base64.StdEncoding.DecodeString(offset)
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf(`["%d"]`, int(last)), string(raw), "cursor is base64 of [\"lastId\"]")
		}
		assert.Len(t, seen, c.total, c.path)
		assert.Equal(t, c.total/50+1, pages, c.path)
	}
}

func TestNumericPagination(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 30)
	r0 := e.call("GET", "/v2/contacts?limit=10&offset=0", nil, true)
	require.Equal(t, 200, r0.status)
	assert.EqualValues(t, 0, pag(r0)["offset"])
	r1 := e.call("GET", "/v2/contacts?limit=10&offset=10", nil, true)
	assert.EqualValues(t, 10, pag(r1)["offset"])
	assert.EqualValues(t, 30, pag(r1)["total"])
	assert.Equal(t, data(r0)[9]["id"].(float64)+1, data(r1)[0]["id"])
	r3 := e.call("GET", "/v2/contacts?limit=10&offset=30", nil, true)
	assert.EqualValues(t, 0, pag(r3)["count"])
}

func TestUpdatedFilters(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 20)
	t1 := e.clock.Now().Add(time.Hour)
	e.clock.Advance(time.Hour)
	contacts := e.sim.Dump("contacts")
	companies := e.sim.Dump("companies")
	cid := int(contacts[3]["id"].(float64))
	coid := int(companies[1]["id"].(float64))
	r := e.call("PUT", fmt.Sprintf("/v2/contacts/%d", cid), map[string]any{"position": "CEO"}, true)
	require.Equal(t, 200, r.status)
	assert.Equal(t, ts(t1), r.body["updated"])
	assert.NotEqual(t, r.body["created"], r.body["updated"])
	r = e.call("PUT", fmt.Sprintf("/v2/companies/%d", coid), map[string]any{"website": "https://x.example"}, true)
	require.Equal(t, 200, r.status)
	assert.Equal(t, ts(t1), r.body["updated_at"])

	start := t1.Format(time.RFC3339)
	cases := []struct {
		name, path string
		filters    map[string]any
		status     int
		ids        []int
	}{
		{"contacts updated", "/v2/contacts/search", map[string]any{"updated": map[string]any{"start": start}}, 200, []int{cid}},
		{"contacts updated end", "/v2/contacts/search", map[string]any{"updated": map[string]any{"end": t1.Add(-time.Second).Format(time.RFC3339)}, "id": []int{cid, cid + 1}}, 200, []int{cid + 1}},
		{"companies updated_at", "/v2/companies/search", map[string]any{"updated_at": map[string]any{"start": start}}, 200, []int{coid}},
		{"companies wrong key", "/v2/companies/search", map[string]any{"updated": map[string]any{"start": start}}, 400, nil},
		{"contacts email any case", "/v2/contacts/search", map[string]any{"email": strings.ToUpper(contacts[3]["email"].(string))}, 200, []int{cid}},
		{"contacts last_name", "/v2/contacts/search", map[string]any{"last_name": "Martin", "id": []int{cid, cid + 1}}, 200, []int{cid, cid + 1}},
		{"companies name", "/v2/companies/search", map[string]any{"name": companies[1]["name"]}, 200, []int{coid}},
		{"companies siret", "/v2/companies/search", map[string]any{"siret": companies[1]["legal_france"].(map[string]any)["siret"]}, 200, []int{coid}},
		{"bad date", "/v2/contacts/search", map[string]any{"updated": map[string]any{"start": "yesterday"}}, 400, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", c.path, map[string]any{"filters": c.filters}, c.status == 200)
			require.Equal(t, c.status, r.status, string(r.raw))
			if c.status != 200 {
				return
			}
			var got []int
			for _, d := range data(r) {
				got = append(got, int(d["id"].(float64)))
			}
			assert.Equal(t, c.ids, got)
		})
	}
}

func TestQuota429(t *testing.T) {
	e := newEnv(t, Options{RequestsPerSecond: 3, RequestsPerMinute: 100})
	for i := 2; i >= 0; i-- {
		r := e.call("GET", "/v2/contacts", nil, false)
		require.Equal(t, 200, r.status)
		assert.Equal(t, fmt.Sprint(i), r.header.Get("X-Quota-Remaining-By-Second"))
		assert.NotEmpty(t, r.header.Get("X-Quota-Remaining-By-Minute"))
		assert.NotEmpty(t, r.header.Get("X-Quota-Remaining-By-Day"))
		assert.NotEmpty(t, r.header.Get("X-Quota-Remaining-By-Month"))
	}
	r := e.call("GET", "/v2/contacts", nil, false)
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "0", r.header.Get("X-Quota-Remaining-By-Second"))
	assert.EqualValues(t, 429, r.body["error"].(map[string]any)["code"])
	assert.Empty(t, r.header.Get("Retry-After"), "Sellsy is not known to send Retry-After")
	e.clock.Advance(time.Second)
	r = e.call("GET", "/v2/contacts", nil, false)
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "95", r.header.Get("X-Quota-Remaining-By-Minute"), "failed requests count too")
}

func TestLinks(t *testing.T) {
	e := newEnv(t, Options{})
	co := e.call("POST", "/v2/companies", map[string]any{"type": "client", "name": "ACME", "legal_france": map[string]any{"siret": "12345678900011"}}, true)
	require.Equal(t, 201, co.status, string(co.raw))
	assert.Equal(t, "12345678900011", co.body["legal_france"].(map[string]any)["siret"])
	ct := e.call("POST", "/v2/contacts", map[string]any{"last_name": "Doe", "email": "jd@example.com"}, true)
	require.Equal(t, 201, ct.status)
	coID, ctID := int(co.body["id"].(float64)), int(ct.body["id"].(float64))
	link := fmt.Sprintf("/v2/companies/%d/contacts/%d", coID, ctID)
	assert.Equal(t, 201, e.call("POST", link, nil, true).status)
	assert.Equal(t, 200, e.call("POST", link, nil, true).status)
	r := e.call("GET", fmt.Sprintf("/v2/contacts/%d/companies", ctID), nil, true)
	require.Len(t, data(r), 1)
	assert.EqualValues(t, coID, data(r)[0]["id"])
	r = e.call("GET", fmt.Sprintf("/v2/companies/%d/contacts", coID), nil, true)
	require.Len(t, data(r), 1)
	assert.EqualValues(t, ctID, data(r)[0]["id"])
	r = e.call("GET", fmt.Sprintf("/v2/companies/%d/contacts?field[]=id", coID), nil, false) // the field filter
	require.Len(t, data(r), 1)
	assert.Equal(t, map[string]any{"id": float64(ctID)}, data(r)[0])
	r = e.call("GET", fmt.Sprintf("/v2/companies/%d/contacts?field[]=email&field[]=last_name", coID), nil, false)
	assert.Equal(t, map[string]any{"id": float64(ctID), "email": "jd@example.com", "last_name": "Doe"}, data(r)[0])
	assert.Equal(t, 204, e.call("DELETE", link, nil, true).status)
	assert.Equal(t, 404, e.call("DELETE", link, nil, false).status)
	assert.Equal(t, 404, e.call("POST", fmt.Sprintf("/v2/companies/%d/contacts/%d", coID, 999), nil, false).status)
	r = e.call("GET", fmt.Sprintf("/v2/contacts/%d/companies", ctID), nil, true)
	assert.Empty(t, data(r))
}

func TestCustomFields(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	r := e.call("GET", "/v2/custom-fields", nil, true)
	require.Equal(t, 200, r.status)
	var types []string
	for _, d := range data(r) {
		types = append(types, d["type"].(string))
	}
	assert.Equal(t, []string{"simple-text", "select", "boolean"}, types[:3])
	assert.ElementsMatch(t, []string{"simple-text", "rich-text", "numeric", "amount", "numeric-with-unit", "select", "radio",
		"checkbox", "date", "time", "email", "url", "boolean", "company-individual", "item", "contact", "staff", "boolean"}, types[3:])
	coID := int(e.sim.Dump("companies")[0]["id"].(float64))
	before := e.clock.Now()
	e.clock.Advance(time.Minute)
	put := fmt.Sprintf("/v2/companies/%d/custom-fields", coID)
	r = e.call("PUT", put, []map[string]any{{"id": 101, "value": "PME"}, {"id": 102, "value": 1022}, {"id": 103, "value": true}}, false)
	require.Equal(t, 200, r.status, string(r.raw))
	r = e.call("GET", fmt.Sprintf("/v2/companies/%d?embed[]=cf.101&embed[]=cf.102&embed[]=cf.103", coID), nil, true)
	require.Equal(t, 200, r.status)
	assert.NotEqual(t, ts(before), r.body["updated_at"], "custom-field writes bump updated_at")
	cfs := r.body["_embed"].(map[string]any)["custom_fields"].([]any)
	require.Len(t, cfs, 3)
	got := map[string]any{}
	for _, c := range cfs {
		m := c.(map[string]any)
		got[m["code"].(string)] = m["value"]
	}
	assert.Equal(t, map[string]any{"segment": "PME", "secteur": 1022.0, "newsletter": true}, got)
	// Only the requested ids are embedded; lists embed too.
	r = e.call("GET", "/v2/companies?embed[]=cf.102", nil, true)
	assert.Len(t, data(r)[0]["_embed"].(map[string]any)["custom_fields"], 1)
	// Bad values are refused with details.
	r = e.call("PUT", put, []map[string]any{{"id": 102, "value": 9}}, false)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, errDetails(r), "cf.102")
	r = e.call("PUT", put, []map[string]any{{"id": 999, "value": "x"}}, false)
	assert.Equal(t, 400, r.status)
}

func TestWriteValidationAndNotFound(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"contact without last_name", "POST", "/v2/contacts", map[string]any{"first_name": "Jo"}, 400, "last_name"},
		{"contact bad email", "POST", "/v2/contacts", map[string]any{"last_name": "Jo", "email": "not-an-email"}, 400, "email"},
		{"contact bad civility", "POST", "/v2/contacts", map[string]any{"last_name": "Jo", "civility": "dr"}, 400, "civility"},
		{"company without type", "POST", "/v2/companies", map[string]any{"name": "X"}, 400, "type"},
		{"company without name", "POST", "/v2/companies", map[string]any{"type": "prospect"}, 400, "name"},
		{"company bad siret", "POST", "/v2/companies", map[string]any{"type": "prospect", "name": "X", "legal_france": map[string]any{"siret": "12"}}, 400, "legal_france.siret"},
		{"company ok", "POST", "/v2/companies", map[string]any{"type": "supplier", "name": "X", "email": "a@b.fr"}, 201, ""},
		{"verify only", "POST", "/v2/contacts?verify=true", map[string]any{"last_name": "Jo"}, 204, ""},
		{"unknown contact", "GET", "/v2/contacts/424242", nil, 404, ""},
		{"unknown company", "GET", "/v2/companies/424242", nil, 404, ""},
		{"contacts of an unknown company", "GET", "/v2/companies/424242/contacts", nil, 404, ""},
		{"companies of an unknown contact", "GET", "/v2/contacts/424242/companies", nil, 404, ""},
		{"custom fields of an unknown contact", "GET", "/v2/contacts/424242/custom-fields", nil, 404, ""},
		{"a bad limit on a record", "GET", "/v2/companies/424242/contacts?limit=101", nil, 400, "limit"},
		{"unknown company put", "PUT", "/v2/companies/424242", map[string]any{"name": "Y"}, 404, ""},
		{"unknown company delete", "DELETE", "/v2/companies/424242", nil, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(c.method, c.path, c.body, c.status < 300)
			require.Equal(t, c.status, r.status, string(r.raw))
			switch {
			case c.field != "":
				assert.Contains(t, errDetails(r), c.field)
				assert.EqualValues(t, 400, r.body["error"].(map[string]any)["code"])
			case c.status == 404:
				assert.Equal(t, []any{}, errDetails(r))
				assert.Equal(t, "Not Found", r.body["error"].(map[string]any)["message"])
			}
		})
	}
	assert.Equal(t, 0, e.sim.Count("contacts"), "verify=true persists nothing")
}

func TestCRUDAndAdminRoutes(t *testing.T) {
	e := newEnv(t, Options{})
	resp, err := http.Post(e.srv.URL+"/_sim/seed?first=0&n=12", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 12, e.sim.Count("contacts"))
	assert.Equal(t, 3, e.sim.Count("companies"))
	id := int(e.sim.Dump("contacts")[0]["id"].(float64))
	assert.Equal(t, []int{int(e.sim.Dump("companies")[0]["id"].(float64))}, e.sim.Dump("contacts")[0]["_sim"].(map[string]any)["company_ids"])
	r := e.call("GET", fmt.Sprintf("/v2/contacts/%d", id), nil, true)
	assert.Equal(t, "person000000@example.com", r.body["email"])
	r = e.call("PUT", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"email": "", "note": "hi"}, true)
	require.Equal(t, 200, r.status)
	assert.Nil(t, r.body["email"], "empty string clears to null")
	assert.Equal(t, "hi", r.body["note"])
	assert.Equal(t, 204, e.call("DELETE", fmt.Sprintf("/v2/contacts/%d", id), nil, true).status)
	assert.Equal(t, 11, e.sim.Count("contacts"))
	resp, err = http.Get(e.srv.URL + "/_sim/dump?object=companies")
	require.NoError(t, err)
	var dump []map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&dump))
	resp.Body.Close()
	assert.Len(t, dump, 3)
	assert.Equal(t, 4, e.sim.Kit().Counts()["GET /v2/contacts/{id}"]+e.sim.Kit().Counts()["PUT /v2/contacts/{id}"]+e.sim.Kit().Counts()["DELETE /v2/contacts/{id}"]+1)
	resp, err = http.Post(e.srv.URL+"/_sim/reset", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 0, e.sim.Count("contacts"))
}

func TestInjectedFaultUsesErrorBody(t *testing.T) {
	e := newEnv(t, Options{})
	resp, err := http.Post(e.srv.URL+"/_sim/faults", "application/json", strings.NewReader(`{"error_rate":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	r := e.call("GET", "/v2/contacts", nil, false)
	assert.Equal(t, 500, r.status)
	assert.EqualValues(t, 500, r.body["error"].(map[string]any)["code"])
}

// BenchmarkSeekPageOf50000Contacts reads a page of 100 far into 50,000 contacts with the seek
// cursor: its cost is the page's, not the listing's (typically ~0.3 ms with JSON encoding).
// `make bench` prints it.
func BenchmarkSeekPageOf50000Contacts(b *testing.B) {
	s := New(Options{ClientID: "a", ClientSecret: "b", RequestsPerSecond: -1})
	s.SeedPeople(0, 50000)
	s.mu.Lock()
	s.tokens["t"] = time.Now().Add(time.Hour)
	s.mu.Unlock()
	cursor := encodeCursor(firstContactID + 40000)
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest("GET", "/v2/contacts?limit=100&offset="+url.QueryEscape(cursor), nil)
		req.Header.Set("Authorization", "Bearer t")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// The seek cursor far into a large listing answers the next 100 records, in id order.
func TestSeekFarIntoALargeListing(t *testing.T) {
	s := New(Options{ClientID: "a", ClientSecret: "b", RequestsPerSecond: -1})
	s.SeedPeople(0, 50000)
	require.Equal(t, 50000, s.Count("contacts"))
	require.Equal(t, 10000, s.Count("companies"))
	s.mu.Lock()
	s.tokens["t"] = time.Now().Add(time.Hour)
	s.mu.Unlock()
	req := httptest.NewRequest("GET", "/v2/contacts?limit=100&offset="+url.QueryEscape(encodeCursor(firstContactID+40000)), nil)
	req.Header.Set("Authorization", "Bearer t")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	require.Equal(t, http.StatusOK, w.Code)
	var page struct {
		Data []struct {
			ID int `json:"id"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
	require.Len(t, page.Data, 100)
	for i, c := range page.Data {
		assert.Equal(t, firstContactID+40001+i, c.ID)
	}
}

// TestValidatorIsLive makes sure the OpenAPI checks above can fail: a response that breaks
// the spec (a string id, a missing pagination) is refused.
func TestValidatorIsLive(t *testing.T) {
	e := newEnv(t, Options{})
	req, _ := http.NewRequest("GET", e.srv.URL+"/v2/contacts", nil)
	route, params, err := e.router.FindRoute(req)
	require.NoError(t, err)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	for _, body := range []string{`{"data":[{"id":"7"}],"pagination":{"limit":1,"count":1,"total":1,"offset":"x"}}`, `{"data":[]}`} {
		h := http.Header{"Content-Type": {"application/json"}}
		err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: 200, Header: h, Body: io.NopCloser(strings.NewReader(body))})
		assert.Error(t, err, body)
	}
}
