package mautic

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

func TestDescribeCustomFieldsAndDNC(t *testing.T) {
	e := setup(t, sim.Options{})
	require.NoError(t, e.sim.AddField("contact", sim.FieldDef{Alias: "cf_req", Type: "text", IsRequired: true}))
	fields, err := e.client.Describe(context.Background(), connectors.ObjectContact)
	require.NoError(t, err)
	by := map[string]connectors.Field{}
	for _, f := range fields {
		by[f.Name] = f
	}
	for name, typ := range map[string]string{"cf_text": "text", "cf_textarea": "textarea", "cf_number": "number",
		"cf_select": "select", "cf_multiselect": "multiselect", "cf_entities": "multiselect", "cf_date": "date",
		"cf_time_text": "text", "cf_email": "email", "cf_url": "url", "cf_bool": "boolean", "cf_tel": "tel",
		"dnc.email": "boolean", "dnc.sms": "boolean", "dnc.phone": "boolean", "dnc.postal": "boolean"} {
		assert.Equal(t, typ, by[name].Type, name)
	}
	assert.Equal(t, []connectors.Option{{Value: "gold", Label: "gold"}, {Value: "silver", Label: "silver"}, {Value: "bronze", Label: "bronze"}}, by["cf_select"].Options)
	assert.Len(t, by["cf_entities"].Options, 4)
	assert.Equal(t, "1", by["cf_entities"].Options[0].Value)
	assert.True(t, by["cf_req"].Required)
	assert.False(t, by["cf_text"].Required)
	assert.Nil(t, by["cf_bool"].Options)

	cf, err := e.client.Describe(context.Background(), connectors.ObjectCompany)
	require.NoError(t, err)
	for _, f := range cf {
		assert.NotContains(t, f.Name, "dnc.", "companies have no do-not-contact fields")
	}
}

func TestCustomFieldValuesRoundTrip(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	cases := []struct {
		field  string
		write  any
		want   any
		update any // then written with Update
		want2  any
	}{
		{"cf_text", "hello", "hello", "bye", "bye"},
		{"cf_textarea", "a\nb", "a\nb", nil, nil},
		{"cf_number", 12.5, 12.5, float64(3), float64(3)},
		{"cf_select", "gold", "gold", "bronze", "bronze"},
		{"cf_multiselect", []string{"a", "c"}, []string{"a", "c"}, []string{"b"}, []string{"b"}},
		{"cf_entities", []string{"1", "4"}, []string{"1", "4"}, []string{}, nil},
		{"cf_date", "2026-02-03", "2026-02-03", "2025-12-31", "2025-12-31"},
		{"cf_time_text", "09:15", "09:15", "", nil},
		{"cf_email", "x@example.org", "x@example.org", "y@example.org", "y@example.org"},
		{"cf_url", "https://example.org", "https://example.org", "https://example.com/x", "https://example.com/x"},
		{"cf_tel", "+33102030405", "+33102030405", "0600000000", "0600000000"},
		{"cf_bool", true, true, false, false},
	}
	recs := make([]connectors.Record, len(cases))
	for i, c := range cases {
		recs[i] = connectors.Record{Fields: map[string]any{"email": c.field + "@example.com", c.field: c.write}}
	}
	res, err := e.client.Create(ctx, connectors.ObjectContact, recs)
	require.NoError(t, err)
	var idList []string
	for i, r := range res {
		require.NoError(t, r.Err, cases[i].field)
		idList = append(idList, r.ID)
	}
	got, err := e.client.Get(ctx, connectors.ObjectContact, idList)
	require.NoError(t, err)
	require.Len(t, got, len(cases))
	updates := make([]connectors.Record, len(cases))
	for i, c := range cases {
		assert.Equal(t, c.want, got[i].Fields[c.field], "create %s", c.field)
		if c.field != "cf_bool" {
			assert.Nil(t, got[i].Fields["cf_bool"], "other custom fields stay empty")
		}
		updates[i] = connectors.Record{ID: idList[i], Fields: map[string]any{c.field: c.update}}
	}
	res, err = e.client.Update(ctx, connectors.ObjectContact, updates)
	require.NoError(t, err)
	for i, r := range res {
		require.NoError(t, r.Err, cases[i].field)
	}
	got, err = e.client.Get(ctx, connectors.ObjectContact, idList)
	require.NoError(t, err)
	for i, c := range cases {
		assert.Equal(t, c.want2, got[i].Fields[c.field], "update %s", c.field)
	}
	// Mautic's shapes on the wire.
	all := e.sim.Dump("contacts")[4]["fields"].(map[string]any)["all"].(map[string]any)
	assert.Equal(t, "b", all["cf_multiselect"])
	all = e.sim.Dump("contacts")[0]["fields"].(map[string]any)["all"].(map[string]any)
	assert.Equal(t, "bye", all["cf_text"])
	all = e.sim.Dump("contacts")[11]["fields"].(map[string]any)["all"].(map[string]any)
	assert.Equal(t, int64(0), all["cf_bool"])
}

func TestCustomFieldErrorsNameTheField(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	require.NoError(t, e.sim.AddField("company", sim.FieldDef{Alias: "tier", Type: "select", Options: []string{"t1", "t2"}, IsRequired: true}))
	cases := []struct {
		object string
		fields map[string]any
		field  string
	}{
		{connectors.ObjectContact, map[string]any{"cf_select": "platinum"}, "cf_select"},
		{connectors.ObjectContact, map[string]any{"cf_multiselect": []string{"a", "z"}}, "cf_multiselect"},
		{connectors.ObjectContact, map[string]any{"cf_entities": []string{"9"}}, "cf_entities"},
		{connectors.ObjectContact, map[string]any{"cf_date": "31/12/2025"}, "cf_date"},
		{connectors.ObjectContact, map[string]any{"cf_number": "twelve"}, "cf_number"},
		{connectors.ObjectCompany, map[string]any{"companyname": "No Tier"}, "tier"},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			f := map[string]any{"email": "bad@example.com"}
			for k, v := range c.fields {
				f[k] = v
			}
			res, err := e.client.Create(ctx, c.object, []connectors.Record{{Fields: f}})
			require.NoError(t, err)
			ce := kindOf(t, res[0].Err)
			assert.Equal(t, connectors.KindInvalid, ce.Kind)
			assert.Contains(t, ce.Fields, c.field)
		})
	}
	res, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"companyname": "Tiered", "tier": "t2"}}})
	require.NoError(t, err)
	assert.NoError(t, res[0].Err)
}

func TestDNCFields(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 3)

	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
	require.NoError(t, err)
	for _, ch := range DNCChannels {
		assert.Equal(t, false, got[0].Fields["dnc."+ch], ch)
	}

	steps := []struct {
		name   string
		fields map[string]any
		calls  int // dnc route calls
		want   map[string]bool
	}{
		{"email on", map[string]any{"dnc.email": true}, 1, map[string]bool{"email": true}},
		{"sms on, other fields untouched", map[string]any{"dnc.sms": true, "firstname": "Eve"}, 1, map[string]bool{"email": true, "sms": true}},
		{"email off, phone and postal on", map[string]any{"dnc.email": false, "dnc.phone": true, "dnc.postal": true}, 3, map[string]bool{"sms": true, "phone": true, "postal": true}},
		{"no dnc field: no call", map[string]any{"lastname": "X"}, 0, map[string]bool{"sms": true, "phone": true, "postal": true}},
		{"nil and empty leave the channel, false clears", map[string]any{"dnc.sms": nil, "dnc.phone": "", "dnc.postal": false}, 1, map[string]bool{"sms": true, "phone": true}},
		{"text yes/no", map[string]any{"dnc.sms": "false", "dnc.phone": "false", "dnc.email": " "}, 2, map[string]bool{}},
	}
	for _, st := range steps {
		e.sim.Kit().ResetCounts()
		res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: st.fields}})
		require.NoError(t, err, st.name)
		require.NoError(t, res[0].Err, st.name)
		assert.Equal(t, st.calls, e.sim.Kit().Counts()["POST /api/contacts/{id}/dnc/{channel}/{action}"], st.name)
		got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
		require.NoError(t, err)
		for _, ch := range DNCChannels {
			assert.Equal(t, st.want[ch], got[0].Fields["dnc."+ch], "%s: %s", st.name, ch)
		}
	}
	dnc := e.sim.Dump("contacts")[0]["doNotContact"].([]any)
	assert.Empty(t, dnc)

	// The reason set is 3 (manual); the change moves UpdatedAt.
	e.clock.Advance(time.Hour)
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "2", Fields: map[string]any{"dnc.email": true}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	d := e.sim.Dump("contacts")[1]["doNotContact"].([]any)
	require.Len(t, d, 1)
	assert.Equal(t, 3, d[0].(map[string]any)["reason"])
	got, err = e.client.Get(ctx, connectors.ObjectContact, []string{"2"})
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC), got[0].UpdatedAt)

	// Create: true values are applied after the create; a refused record gets no DNC call.
	e.sim.Kit().ResetCounts()
	res, err = e.client.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": "new@example.com", "dnc.sms": true, "dnc.email": false}},
		{Fields: map[string]any{"email": "bad@example.com", "cf_select": "nope", "dnc.sms": true}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Error(t, res[1].Err)
	assert.Equal(t, 1, e.sim.Kit().Counts()["POST /api/contacts/{id}/dnc/{channel}/{action}"])
	got, err = e.client.Get(ctx, connectors.ObjectContact, []string{res[0].ID})
	require.NoError(t, err)
	assert.Equal(t, true, got[0].Fields["dnc.sms"])
	assert.Equal(t, false, got[0].Fields["dnc.email"])

	// A missing contact fails its Result, not the call.
	res, err = e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "999", Fields: map[string]any{"dnc.email": true}}})
	require.NoError(t, err)
	assert.Error(t, res[0].Err)
}

func TestParseWebhook(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		body    string
		want    []WebhookEvent
		wantErr bool
	}{
		{"delete", `{"mautic.lead_post_delete":[{"id":7,"contact":{"id":null},"timestamp":"2026-03-01T11:00:00+01:00"}]}`,
			[]WebhookEvent{{Type: EventContactDelete, ContactID: "7", At: at}}, false},
		{"update, id as string", `{"mautic.lead_post_save_update":[{"contact":{"id":"12","fields":{}},"timestamp":"2026-03-01T10:00:00+00:00"}]}`,
			[]WebhookEvent{{Type: EventContactUpdate, ContactID: "12", At: at}}, false},
		{"both, ordered by time, unknown types ignored", `{
			"mautic.lead_post_save_update":[{"contact":{"id":3},"timestamp":"2026-03-01T10:00:00+00:00"}],
			"mautic.lead_points_change":[{"contact":{"id":3},"points":{"old_points":0,"new_points":5}}],
			"mautic.lead_post_delete":[{"id":4,"contact":{"id":4},"timestamp":"2026-03-01T10:05:00+00:00"},{"id":5,"contact":{},"timestamp":"2026-03-01T09:00:00+00:00"}]}`,
			[]WebhookEvent{{Type: EventContactDelete, ContactID: "5", At: at.Add(-time.Hour)}, {Type: EventContactUpdate, ContactID: "3", At: at}, {Type: EventContactDelete, ContactID: "4", At: at.Add(5 * time.Minute)}}, false},
		{"only unknown types", `{"mautic.company_post_save":[{"company":{"id":1}}]}`, nil, false},
		{"no contact id: skipped", `{"mautic.lead_post_save_update":[{"contact":{},"timestamp":"2026-03-01T10:00:00+00:00"}]}`, nil, false},
		{"not JSON", `not json`, nil, true},
		{"not an object", `[1,2]`, nil, true},
		{"null", `null`, nil, true},
		{"event not a list", `{"mautic.lead_post_delete":{"id":1}}`, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseWebhook([]byte(c.body))
			if c.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

// The simulator's deliveries verify and parse with the connector's helpers.
func TestWebhookFromSimulator(t *testing.T) {
	var (
		mu     sync.Mutex
		events []WebhookEvent
		bad    int
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !connectors.VerifyHMAC(body, r.Header.Get("Webhook-Signature"), "hook-secret") {
			bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		evs, err := ParseWebhook(body)
		if err != nil {
			bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		events = append(events, evs...)
	}))
	t.Cleanup(hook.Close)
	e := setup(t, sim.Options{WebhookURL: hook.URL, WebhookSecret: "hook-secret"})
	ctx := context.Background()
	e.sim.SeedPeople(0, 3)

	_, err := e.client.Delete(ctx, connectors.ObjectContact, []string{"2"})
	require.NoError(t, err)
	_, err = e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "3", Fields: map[string]any{"cf_text": "x"}}})
	require.NoError(t, err)
	e.sim.WaitWebhooks()
	mu.Lock()
	assert.Equal(t, 0, bad)
	assert.ElementsMatch(t, []WebhookEvent{
		{Type: EventContactDelete, ContactID: "2", At: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
		{Type: EventContactUpdate, ContactID: "3", At: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
	}, events)
	mu.Unlock()

	e.sim.SetWebhook(hook.URL, "another-secret")
	_, err = e.client.Delete(ctx, connectors.ObjectContact, []string{"1"})
	require.NoError(t, err)
	e.sim.WaitWebhooks()
	mu.Lock()
	assert.Equal(t, 1, bad, "a delivery signed with another secret is refused")
	mu.Unlock()
	ok, failed := e.sim.WebhookDeliveries()
	assert.Equal(t, 2, ok)
	assert.Equal(t, 1, failed)
}
