package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cfQuery embeds every default custom field.
func cfQuery() string {
	var parts []string
	for _, d := range defaultCustomFields() {
		parts = append(parts, fmt.Sprintf("embed[]=cf.%d", d.ID))
	}
	return strings.Join(parts, "&")
}

func embedded(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	got := map[string]any{}
	for _, c := range m["_embed"].(map[string]any)["custom_fields"].([]any) {
		cm := c.(map[string]any)
		got[cm["code"].(string)] = cm["value"]
	}
	return got
}

func TestCustomFieldEveryTypeRoundTrip(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 3)
	companies, contacts := e.sim.Dump("companies"), e.sim.Dump("contacts")
	coID, ct0, ct1 := int(companies[0]["id"].(float64)), int(contacts[0]["id"].(float64)), int(contacts[1]["id"].(float64))
	silver, high := e.sim.ChoiceID(109, "Argent"), e.sim.ChoiceID(110, "Haute")
	web, salon := e.sim.ChoiceID(111, "Web"), e.sim.ChoiceID(111, "Salon")
	require.NotZero(t, silver*high*web*salon)

	// Seeded people carry no value.
	r := e.call("GET", fmt.Sprintf("/v2/contacts/%d?%s", ct0, cfQuery()), nil, true)
	require.Equal(t, 200, r.status)
	for code, v := range embedded(t, r.body) {
		assert.Nil(t, v, code)
	}

	cases := []struct {
		id          int
		code        string
		write, read any
	}{
		{104, "cf_text", "Bonjour", "Bonjour"},
		{105, "cf_rich", "<p>Gras <b>ici</b></p>", "<p>Gras <b>ici</b></p>"},
		{106, "cf_num", "18.5", "18.5"},
		{107, "cf_amount", map[string]any{"amount": "15.26", "currency": "eur"}, map[string]any{"amount": "15.26", "currency": "EUR"}},
		{108, "cf_unit", map[string]any{"number": "3.5", "unit_id": UnitID("kg")}, map[string]any{"number": "3.5", "unit_id": float64(UnitID("kg"))}},
		{109, "cf_select", silver, float64(silver)},
		{110, "cf_radio", high, float64(high)},
		{111, "cf_checkbox", []int{web, salon, web}, []any{float64(web), float64(salon)}},
		{112, "cf_date", "2026-03-14", "2026-03-14"},
		{113, "cf_time", "09:45", "09:45"},
		{114, "cf_email", "autre@example.org", "autre@example.org"},
		{115, "cf_url", "https://example.org/x", "https://example.org/x"},
		{116, "cf_bool", true, true},
		{117, "cf_third", []int{coID}, []any{map[string]any{"type": "company", "id": float64(coID)}}},
		{118, "cf_item", []int{1, 3}, []any{1.0, 3.0}},
		{119, "cf_people", []int{ct1}, []any{float64(ct1)}},
		{120, "cf_staff", []int{2}, []any{2.0}},
	}
	var body []map[string]any
	want := map[string]any{}
	for _, c := range cases {
		body = append(body, map[string]any{"id": c.id, "value": c.write})
		want[c.code] = c.read
	}
	r = e.call("PUT", fmt.Sprintf("/v2/contacts/%d/custom-fields", ct0), body, false)
	require.Equal(t, 200, r.status, string(r.raw))

	// Embedded on the record, in a list, and from GET /{id}/custom-fields: validated against the spec.
	r = e.call("GET", fmt.Sprintf("/v2/contacts/%d?%s", ct0, cfQuery()), nil, true)
	got := embedded(t, r.body)
	for code, w := range want {
		assert.Equal(t, w, got[code], code)
	}
	r = e.call("GET", "/v2/contacts?limit=1&"+cfQuery(), nil, true)
	assert.Equal(t, got, embedded(t, data(r)[0]))
	r = e.call("GET", fmt.Sprintf("/v2/companies/%d/custom-fields", coID), nil, true)
	require.Equal(t, 200, r.status)
	for _, c := range cases {
		t.Run(c.code+" read shape on GET /{id}/custom-fields", func(t *testing.T) {
			r := e.call("GET", fmt.Sprintf("/v2/contacts/%d/custom-fields", ct0), nil, false)
			for _, d := range data(r) {
				if d["code"] == c.code {
					assert.Equal(t, c.read, d["value"])
					return
				}
			}
			t.Fatalf("%s not listed", c.code)
		})
	}

	// Empty values clear.
	r = e.call("PUT", fmt.Sprintf("/v2/contacts/%d/custom-fields", ct0), []map[string]any{
		{"id": 104, "value": ""}, {"id": 111, "value": []int{}}, {"id": 107, "value": nil}}, false)
	require.Equal(t, 200, r.status, string(r.raw))
	got = embedded(t, e.call("GET", fmt.Sprintf("/v2/contacts/%d?%s", ct0, cfQuery()), nil, true).body)
	assert.Nil(t, got["cf_text"])
	assert.Nil(t, got["cf_checkbox"])
	assert.Nil(t, got["cf_amount"])
	assert.Equal(t, "09:45", got["cf_time"])
}

func TestCustomFieldBadValues(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	ct := int(e.sim.Dump("contacts")[0]["id"].(float64))
	put := fmt.Sprintf("/v2/contacts/%d/custom-fields", ct)
	cases := []struct {
		name  string
		id    int
		value any
	}{
		{"text not a string", 104, 12},
		{"text too long", 104, strings.Repeat("x", 251)},
		{"numeric as a number", 106, 12.5},
		{"numeric not a number", 106, "douze"},
		{"amount without currency", 107, map[string]any{"amount": "12"}},
		{"amount bad currency", 107, map[string]any{"amount": "12", "currency": "EURO123"}},
		{"amount plain", 107, "12"},
		{"unit without unit_id", 108, map[string]any{"number": "2"}},
		{"unit unknown unit_id", 108, map[string]any{"number": "2", "unit_id": 99}},
		{"select unknown choice", 109, 4},
		{"select label", 109, "Or"},
		{"radio choice of another field", 110, e.sim.ChoiceID(109, "Or")},
		{"checkbox not a list", 111, e.sim.ChoiceID(111, "Web")},
		{"checkbox unknown choice", 111, []int{1}},
		{"date format", 112, "14/03/2026"},
		{"date invalid", 112, "2026-02-30"},
		{"time format", 113, "9h45"},
		{"time out of range", 113, "24:00"},
		{"email", 114, "not-an-email"},
		{"url", 115, "example.org"},
		{"boolean", 116, "yes"},
		{"third unknown company", 117, []int{999}},
		{"third as objects", 117, []any{map[string]any{"type": "company", "id": 1}}},
		{"item unknown", 118, []int{42}},
		{"people unknown", 119, []int{7}},
		{"staff unknown", 120, []int{99}},
		{"staff too many", 120, []int{1, 2, 3, 1, 2, 3, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("PUT", put, []map[string]any{{"id": c.id, "value": c.value}}, false)
			require.Equal(t, 400, r.status, string(r.raw))
			key := fmt.Sprintf("cf.%d", c.id)
			assert.Contains(t, errDetails(r), key)
			assert.Contains(t, r.body["error"].(map[string]any)["message"], key)
		})
	}
}

func TestCustomFieldMandatory(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	id := e.sim.AddCustomField(CustomField{Code: "cf_required", Type: "simple-text", Mandatory: true, Related: []string{"contact"}})
	assert.Equal(t, 122, id)
	r := e.call("GET", "/v2/custom-fields?limit=100", nil, true)
	var def map[string]any
	for _, d := range data(r) {
		if d["code"] == "cf_required" {
			def = d
		}
	}
	require.NotNil(t, def)
	assert.Equal(t, true, def["mandatory"])
	assert.Equal(t, []any{"contact"}, def["related_objects"])

	ct := int(e.sim.Dump("contacts")[0]["id"].(float64))
	co := int(e.sim.Dump("companies")[0]["id"].(float64))
	put := fmt.Sprintf("/v2/contacts/%d/custom-fields", ct)
	for _, c := range []struct {
		name   string
		body   []map[string]any
		status int
	}{
		{"another field while the mandatory one is empty", []map[string]any{{"id": 104, "value": "x"}}, 400},
		{"mandatory set to null", []map[string]any{{"id": id, "value": nil}}, 400},
		{"mandatory set to empty", []map[string]any{{"id": id, "value": ""}}, 400},
		{"mandatory set", []map[string]any{{"id": id, "value": "ok"}}, 200},
		{"another field once it is set", []map[string]any{{"id": 104, "value": "x"}}, 200},
		{"mandatory cleared", []map[string]any{{"id": id, "value": ""}}, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("PUT", put, c.body, false)
			require.Equal(t, c.status, r.status, string(r.raw))
			if c.status == 400 {
				assert.Contains(t, errDetails(r), fmt.Sprintf("cf.%d", id))
				assert.Contains(t, fmt.Sprint(errDetails(r)), "cf_required")
			}
		})
	}
	// Companies are not concerned (the field is related to contacts only).
	r = e.call("PUT", fmt.Sprintf("/v2/companies/%d/custom-fields", co), []map[string]any{{"id": 104, "value": "x"}}, false)
	assert.Equal(t, 200, r.status, string(r.raw))
	assert.Panics(t, func() { e.sim.AddCustomField(CustomField{Code: "x", Type: "third"}) }, "V1 names are refused")
	e.sim.Reset()
	r = e.call("GET", "/v2/custom-fields?limit=100", nil, true)
	assert.Len(t, data(r), 21, "Reset restores the default definitions")
}

func TestStaffsAndItems(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.call("GET", "/v2/staffs", nil, false)
	require.Equal(t, 200, r.status)
	assert.Len(t, data(r), len(Staffs))
	assert.Equal(t, "Claire", data(r)[0]["firstname"])
	r = e.call("GET", "/v2/items?limit=2", nil, false)
	require.Equal(t, 200, r.status)
	assert.Len(t, data(r), 2)
	assert.EqualValues(t, 3, pag(r)["total"])
}

func TestMarketingCampaignsSubscriptions(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	ct := int(e.sim.Dump("contacts")[0]["id"].(float64))
	r := e.call("GET", fmt.Sprintf("/v2/contacts/%d", ct), nil, true)
	assert.Equal(t, []any{"email", "sms", "phone", "postal_mail"}, r.body["marketing_campaigns_subscriptions"], "seeded contacts")

	r = e.call("POST", "/v2/contacts", map[string]any{"last_name": "Sans"}, true)
	assert.Equal(t, []any{}, r.body["marketing_campaigns_subscriptions"], "created without the key: no channel")
	r = e.call("POST", "/v2/contacts", map[string]any{"last_name": "Abonné", "marketing_campaigns_subscriptions": []string{"sms", "email"}}, true)
	require.Equal(t, 201, r.status, string(r.raw))
	assert.Equal(t, []any{"email", "sms"}, r.body["marketing_campaigns_subscriptions"], "canonical order")
	id := int(r.body["id"].(float64))

	for _, c := range []struct {
		name   string
		value  any
		status int
		want   []any
	}{
		{"replace", []string{"postal_mail", "phone", "custom"}, 200, []any{"phone", "postal_mail", "custom"}},
		{"empty", []string{}, 200, []any{}},
		{"unknown channel", []string{"fax"}, 400, nil},
		{"duplicate channel", []string{"sms", "sms"}, 400, nil},
		{"not a list", "email", 400, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("PUT", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"marketing_campaigns_subscriptions": c.value}, c.status == 200)
			require.Equal(t, c.status, r.status, string(r.raw))
			if c.status != 200 {
				assert.Contains(t, errDetails(r), "marketing_campaigns_subscriptions")
				return
			}
			assert.Equal(t, c.want, r.body["marketing_campaigns_subscriptions"])
			got := e.call("GET", fmt.Sprintf("/v2/contacts/%d", id), nil, true)
			assert.Equal(t, c.want, got.body["marketing_campaigns_subscriptions"])
		})
	}
	// An update without the key keeps the list.
	e.call("PUT", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"marketing_campaigns_subscriptions": []string{"email"}}, true)
	r = e.call("PUT", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"position": "CTO"}, true)
	assert.Equal(t, []any{"email"}, r.body["marketing_campaigns_subscriptions"])
}
