package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

func allOf(t *testing.T, out map[string]any) map[string]any {
	t.Helper()
	return out["contact"].(map[string]any)["fields"].(map[string]any)["all"].(map[string]any)
}

func TestCustomFieldTypesRoundTrip(t *testing.T) {
	_, ts, _ := start(t, Options{})
	cases := []struct {
		field string
		in    any
		want  any
	}{
		{"cf_text", "hello", "hello"},
		{"cf_textarea", "line 1\nline 2", "line 1&#10;line 2"}, // see TestTextCleanedAsMauticDoes
		{"cf_number", 12.5, 12.5},
		{"cf_number", "7", float64(7)},
		{"cf_select", "gold", "gold"},
		{"cf_multiselect", []string{"a", "c"}, "a|c"},
		{"cf_multiselect", "b|c", "b|c"},
		{"cf_entities", []string{"1", "3"}, "1|3"},
		{"cf_date", "2026-02-03", "2026-02-03"},
		{"cf_date", "2026-02-03 10:00:00", "2026-02-03"},
		{"cf_time_text", "10:30", "10:30"},
		{"cf_email", "x@example.org", "x@example.org"},
		{"cf_url", "https://example.org/a", "https://example.org/a"},
		{"cf_tel", "+33 1 02 03 04 05", "+33 1 02 03 04 05"},
		{"cf_bool", true, float64(1)},
		{"cf_bool", false, float64(0)},
		{"cf_bool", "1", float64(1)},
		{"cf_bool", 0, float64(0)}, // kept like false: see TestZeroValuesDroppedOnPostAndPatch
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%s=%v", c.field, c.in), func(t *testing.T) {
			status, out, _ := call(t, ts, "POST", "/api/contacts/new", map[string]any{"email": fmt.Sprintf("rt%d@example.com", i), c.field: c.in})
			require.Equal(t, 201, status)
			assert.Equal(t, c.want, allOf(t, out)[c.field])
			id := out["contact"].(map[string]any)["id"]
			_, out, _ = call(t, ts, "GET", fmt.Sprintf("/api/contacts/%v", id), nil)
			assert.Equal(t, c.want, allOf(t, out)[c.field], "read back")
		})
	}
}

func TestCustomFieldValidation(t *testing.T) {
	s, ts, _ := start(t, Options{})
	s.SeedPeople(0, 1)
	cases := []struct {
		field string
		in    any
	}{
		{"cf_select", "platinum"},
		{"cf_multiselect", []string{"a", "z"}},
		{"cf_multiselect", "a|z"},
		{"cf_entities", []int{5}},
		{"cf_date", "03/02/2026"},
		{"cf_date", "2026-13-01"},
		{"cf_number", "abc"},
		{"cf_bool", "maybe"},
		{"cf_email", "not-an-email"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s=%v", c.field, c.in), func(t *testing.T) {
			for _, route := range []string{"POST /api/contacts/new", "PATCH /api/contacts/1/edit"} {
				method, path, _ := strings.Cut(route, " ")
				status, out, _ := call(t, ts, method, path, map[string]any{"email": "v@example.com", c.field: c.in})
				require.Equal(t, 400, status, route)
				e := out["errors"].([]any)[0].(map[string]any)
				assert.EqualValues(t, 400, e["code"])
				assert.True(t, strings.HasPrefix(e["message"].(string), c.field+": "), e["message"])
				assert.Contains(t, e["details"], c.field)
			}
		})
	}
}

func TestAddFieldAndRequired(t *testing.T) {
	s, ts, _ := start(t, Options{})
	s.SeedPeople(0, 2)
	require.NoError(t, s.AddField("contact", FieldDef{Alias: "cf_req", Label: "Required", Type: "text", IsRequired: true}))
	for _, c := range []struct {
		name string
		f    FieldDef
	}{
		{"duplicate alias", FieldDef{Alias: "cf_req", Type: "text"}},
		{"unknown type", FieldDef{Alias: "cf_x", Type: "blob"}},
		{"select without options", FieldDef{Alias: "cf_y", Type: "select"}},
		{"bad alias", FieldDef{Alias: "Bad Alias", Type: "text"}},
		{"unknown object", FieldDef{Alias: "cf_z", Type: "text"}},
	} {
		object := "contact"
		if c.name == "unknown object" {
			object = "opportunity"
		}
		assert.Error(t, s.AddField(object, c.f), c.name)
	}

	status, out, _ := call(t, ts, "POST", "/api/contacts/new", map[string]any{"email": "r@example.com"})
	require.Equal(t, 400, status)
	e := out["errors"].([]any)[0].(map[string]any)
	assert.Contains(t, e["message"], "cf_req")
	assert.Contains(t, e["details"], "cf_req")
	status, _, _ = call(t, ts, "POST", "/api/contacts/new", map[string]any{"email": "r@example.com", "cf_req": "x"})
	assert.Equal(t, 201, status)
	status, _, _ = call(t, ts, "PATCH", "/api/contacts/1/edit", map[string]any{"firstname": "Z"})
	assert.Equal(t, 200, status, "PATCH of an existing contact does not require the field")
	_, out, _ = call(t, ts, "GET", "/api/contacts/1", nil)
	assert.Contains(t, allOf(t, out), "cf_req", "existing records gain the field")
	assert.Nil(t, allOf(t, out)["cf_req"])

	// The fields API route, with Mautic's properties.list of {label,value}.
	status, out, _ = call(t, ts, "POST", "/api/fields/company/new", map[string]any{
		"label": "Tier", "alias": "tier", "type": "select", "group": "professional", "isRequired": false,
		"properties": map[string]any{"list": []map[string]string{{"label": "Tier 1", "value": "t1"}, {"label": "Tier 2", "value": "t2"}}},
	})
	require.Equal(t, 201, status)
	f := out["field"].(map[string]any)
	assert.Equal(t, "tier", f["alias"])
	assert.Equal(t, "company", f["object"])
	_, out, _ = call(t, ts, "GET", "/api/fields/company", nil)
	var found bool
	for _, x := range out["fields"].([]any) {
		found = found || x.(map[string]any)["alias"] == "tier"
	}
	assert.True(t, found)
	status, _, _ = call(t, ts, "PATCH", "/api/companies/1/edit", map[string]any{"tier": "t3"})
	assert.Equal(t, 400, status)
	status, out, _ = call(t, ts, "PATCH", "/api/companies/1/edit", map[string]any{"tier": "t2"})
	require.Equal(t, 200, status)
	assert.Equal(t, "t2", out["company"].(map[string]any)["fields"].(map[string]any)["all"].(map[string]any)["tier"])

	status, out, _ = call(t, ts, "POST", "/api/fields/contact/new", map[string]any{"label": "Flag", "type": "nope"})
	require.Equal(t, 400, status)
	assert.Contains(t, out["errors"].([]any)[0].(map[string]any)["details"], "type")
	status, out, _ = call(t, ts, "POST", "/api/fields/contact/new", map[string]any{"label": "Opt In", "type": "boolean"})
	require.Equal(t, 201, status)
	assert.Equal(t, "opt_in", out["field"].(map[string]any)["alias"], "alias made from the label")

	// The seeded default fields exist with no values; the list shape still matches the read shape.
	_, out, _ = call(t, ts, "GET", "/api/fields/contact", nil)
	types := map[string]string{}
	for _, x := range out["fields"].([]any) {
		m := x.(map[string]any)
		types[m["alias"].(string)] = m["type"].(string)
	}
	for alias, typ := range map[string]string{"cf_text": "text", "cf_textarea": "textarea", "cf_number": "number",
		"cf_select": "select", "cf_multiselect": "multiselect", "cf_entities": "multiselect", "cf_date": "date",
		"cf_time_text": "text", "cf_email": "email", "cf_url": "url", "cf_bool": "boolean", "cf_tel": "tel"} {
		assert.Equal(t, typ, types[alias], alias)
	}
	_, out, _ = call(t, ts, "GET", "/api/contacts", nil)
	list := out["contacts"].(map[string]any)
	for _, want := range s.Dump("contacts") {
		b, _ := json.Marshal(want)
		var w map[string]any
		require.NoError(t, json.Unmarshal(b, &w))
		assert.Equal(t, w, list[fmt.Sprint(want["id"])])
		assert.Nil(t, w["fields"].(map[string]any)["all"].(map[string]any)["cf_select"])
	}
}

func TestDoNotContact(t *testing.T) {
	s, ts, clk := start(t, Options{})
	s.SeedPeople(0, 2)
	clk.Advance(time.Hour)

	status, out, _ := call(t, ts, "POST", "/api/contacts/1/dnc/email/add", nil)
	require.Equal(t, 200, status)
	c := out["contact"].(map[string]any)
	assert.Equal(t, "2026-03-01T11:00:00+00:00", c["dateModified"], "a DNC change sets dateModified")
	require.Len(t, c["doNotContact"], 1)
	assert.Equal(t, map[string]any{"id": float64(1), "reason": float64(3), "comments": nil, "channel": "email",
		"channelId": nil, "dateAdded": "2026-03-01T11:00:00+00:00"}, c["doNotContact"].([]any)[0])

	cases := []struct {
		name, path string
		body       any
		status     int
		msg        string
	}{
		{"reason 0 refused", "/api/contacts/1/dnc/sms/add", map[string]any{"reason": 0}, 400, "Invalid reason code given"},
		{"reason 9 refused", "/api/contacts/1/dnc/sms/add", map[string]any{"reason": 9}, 400, "Invalid reason code given"},
		{"missing contact", "/api/contacts/99/dnc/email/add", nil, 404, ""},
		{"sms unsubscribed", "/api/contacts/1/dnc/sms/add", map[string]any{"reason": 1, "comments": "STOP"}, 200, ""},
		{"phone", "/api/contacts/1/dnc/phone/add", map[string]any{}, 200, ""},
		{"postal", "/api/contacts/1/dnc/postal/add", map[string]any{"reason": "2"}, 200, ""},
		{"bad action", "/api/contacts/1/dnc/email/toggle", nil, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := call(t, ts, "POST", tc.path, tc.body)
			assert.Equal(t, tc.status, status)
			if tc.msg != "" {
				assert.Equal(t, tc.msg, out["errors"].([]any)[0].(map[string]any)["message"])
			}
		})
	}
	_, out, _ = call(t, ts, "GET", "/api/contacts/1", nil)
	byChannel := map[string]map[string]any{}
	for _, d := range out["contact"].(map[string]any)["doNotContact"].([]any) {
		m := d.(map[string]any)
		byChannel[m["channel"].(string)] = m
	}
	require.Len(t, byChannel, 4)
	assert.Equal(t, float64(1), byChannel["sms"]["reason"])
	assert.Equal(t, "STOP", byChannel["sms"]["comments"])
	assert.Equal(t, float64(3), byChannel["phone"]["reason"])
	assert.Equal(t, float64(2), byChannel["postal"]["reason"])

	clk.Advance(time.Minute)
	status, out, _ = call(t, ts, "POST", "/api/contacts/1/dnc/email/remove", nil)
	require.Equal(t, 200, status)
	assert.Equal(t, true, out["recordFound"])
	assert.Len(t, out["contact"].(map[string]any)["doNotContact"], 3)
	assert.Equal(t, "2026-03-01T11:01:00+00:00", out["contact"].(map[string]any)["dateModified"])
	status, out, _ = call(t, ts, "POST", "/api/contacts/1/dnc/email/remove", nil)
	require.Equal(t, 200, status)
	assert.Equal(t, false, out["recordFound"])

	// The listing serialises the same doNotContact as the read shape.
	_, out, _ = call(t, ts, "GET", "/api/contacts", nil)
	got := out["contacts"].(map[string]any)["1"].(map[string]any)["doNotContact"]
	b, _ := json.Marshal(s.Dump("contacts")[0]["doNotContact"])
	var want any
	require.NoError(t, json.Unmarshal(b, &want))
	assert.Equal(t, want, got)
	assert.Equal(t, []any{}, out["contacts"].(map[string]any)["2"].(map[string]any)["doNotContact"])
}

type delivery struct {
	body []byte
	sig  string
}

type receiver struct {
	mu     sync.Mutex
	got    []delivery
	status int
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rv.mu.Lock()
	rv.got = append(rv.got, delivery{b, r.Header.Get("Webhook-Signature")})
	st := rv.status
	rv.mu.Unlock()
	if st != 0 {
		w.WriteHeader(st)
	}
}

func TestWebhooks(t *testing.T) {
	rv := &receiver{}
	hook := httptest.NewServer(rv)
	t.Cleanup(hook.Close)
	s, ts, _ := start(t, Options{WebhookURL: hook.URL, WebhookSecret: "whsec"})
	s.SeedPeople(0, 3)

	status, _, _ := call(t, ts, "PATCH", "/api/contacts/1/edit", map[string]any{"firstname": "Ann"})
	require.Equal(t, 200, status)
	status, _, _ = call(t, ts, "DELETE", "/api/contacts/2/delete", nil)
	require.Equal(t, 200, status)
	status, _, _ = call(t, ts, "PATCH", "/api/companies/1/edit", map[string]any{"companycity": "Lyon"})
	require.Equal(t, 200, status, "company edits send no contact event")
	s.WaitWebhooks()

	rv.mu.Lock()
	got := append([]delivery(nil), rv.got...)
	rv.mu.Unlock()
	require.Len(t, got, 2)
	events := map[string]map[string]any{}
	for _, d := range got {
		assert.True(t, connectors.VerifyHMAC(d.body, d.sig, "whsec"), "Webhook-Signature = base64(HMAC-SHA256(body, secret))")
		var m map[string][]map[string]any
		require.NoError(t, json.Unmarshal(d.body, &m))
		for k, v := range m {
			require.Len(t, v, 1)
			events[k] = v[0]
		}
	}
	del := events["mautic.lead_post_delete"]
	require.NotNil(t, del)
	assert.Equal(t, float64(2), del["id"])
	assert.Equal(t, float64(2), del["contact"].(map[string]any)["id"])
	assert.Equal(t, "2026-03-01T10:00:00+00:00", del["timestamp"])
	upd := events["mautic.lead_post_save_update"]
	require.NotNil(t, upd)
	assert.Equal(t, "Ann", upd["contact"].(map[string]any)["fields"].(map[string]any)["all"].(map[string]any)["firstname"])
	ok, failed := s.WebhookDeliveries()
	assert.Equal(t, 2, ok)
	assert.Equal(t, 0, failed)

	// The admin route changes the secret; batch delete and a failing receiver count as failures.
	resp, err := http.Post(ts.URL+"/_sim/webhook", "application/json", strings.NewReader(fmt.Sprintf(`{"url":%q,"secret":"other"}`, hook.URL)))
	require.NoError(t, err)
	resp.Body.Close()
	rv.mu.Lock()
	rv.status = 500
	rv.mu.Unlock()
	status, _, _ = call(t, ts, "DELETE", "/api/contacts/batch/delete?ids=1,3", nil)
	require.Equal(t, 200, status)
	s.WaitWebhooks()
	rv.mu.Lock()
	require.Len(t, rv.got, 4)
	for _, d := range rv.got[2:] {
		assert.True(t, connectors.VerifyHMAC(d.body, d.sig, "other"))
	}
	rv.mu.Unlock()
	resp, err = http.Get(ts.URL + "/_sim/webhook")
	require.NoError(t, err)
	var stats map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&stats))
	resp.Body.Close()
	assert.Equal(t, map[string]any{"url": hook.URL, "delivered": float64(2), "failed": float64(2)}, stats)

	s.SetWebhook("", "")
	call(t, ts, "POST", "/api/contacts/new", map[string]any{"email": "n@example.com"})
	call(t, ts, "PATCH", "/api/contacts/4/edit", map[string]any{"firstname": "B"})
	s.WaitWebhooks()
	ok, failed = s.WebhookDeliveries()
	assert.Equal(t, 4, ok+failed, "webhooks off: nothing sent")
}

func TestInlineDoNotContact(t *testing.T) {
	_, ts, _ := start(t, Options{})
	status, out, _ := call(t, ts, "POST", "/api/contacts/new", map[string]any{"email": "i@example.com",
		"doNotContact": []map[string]any{{"channel": "email", "reason": 1, "comments": "unsub"}, {"channel": "sms"}}})
	require.Equal(t, 201, status)
	d := out["contact"].(map[string]any)["doNotContact"].([]any)
	require.Len(t, d, 2)
	assert.Equal(t, float64(1), d[0].(map[string]any)["reason"])
	assert.Equal(t, float64(3), d[1].(map[string]any)["reason"], "manual by default")
	status, out, _ = call(t, ts, "PATCH", "/api/contacts/1/edit", map[string]any{"doNotContact": []map[string]any{{"channel": "email", "reason": 0}}})
	require.Equal(t, 200, status)
	d = out["contact"].(map[string]any)["doNotContact"].([]any)
	require.Len(t, d, 1, "reason 0 removes")
	assert.Equal(t, "sms", d[0].(map[string]any)["channel"])
}
