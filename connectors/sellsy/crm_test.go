package sellsy

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

func TestIndividualRoundTripWithBooleanCustomField(t *testing.T) {
	f := setup(t, sim.Options{}, true)
	ctx := context.Background()
	res, err := f.c.Create(ctx, ObjectIndividual, []connectors.Record{{Fields: map[string]any{
		"last_name": "Durand", "first_name": "Léa", "email": "lea@example.com", "civility": "mrs",
		"cf.newsletter": true, "cf.cf_bool": "true",
	}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	id := res[0].ID

	got, err := f.c.Get(ctx, ObjectIndividual, []string{id})
	require.NoError(t, err)
	require.Len(t, got, 1)
	r := got[0]
	assert.Equal(t, "Durand", r.Fields["last_name"])
	assert.Equal(t, "prospect", r.Fields["type"], "Config.CompanyType by default")
	assert.Equal(t, true, r.Fields["cf.newsletter"])
	assert.Equal(t, true, r.Fields["cf.cf_bool"])
	assert.False(t, r.UpdatedAt.IsZero())

	f.clock.Advance(time.Minute)
	since := f.clock.Now()
	res, err = f.c.Update(ctx, ObjectIndividual, []connectors.Record{{ID: id, Fields: map[string]any{"cf.newsletter": false, "phone_number": "+33102030405"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	page, err := f.c.List(ctx, ObjectIndividual, connectors.ListQuery{Since: since})
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	assert.Equal(t, false, page.Records[0].Fields["cf.newsletter"])
	assert.Equal(t, "+33102030405", page.Records[0].Fields["phone_number"])

	for _, c := range []struct{ field, value string }{{"email", "LEA@example.com"}, {"last_name", "Durand"}} {
		found, err := f.c.FindByKey(ctx, ObjectIndividual, c.field, []string{c.value})
		require.NoError(t, err, c.field)
		require.Len(t, found, 1, c.field)
		assert.Equal(t, id, found[0].ID)
	}

	res, err = f.c.Create(ctx, ObjectIndividual, []connectors.Record{{Fields: map[string]any{"first_name": "Sans nom", "cf.newsletter": "peut-être"}}})
	require.NoError(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
	assert.Contains(t, res[0].Err.(*connectors.Error).Fields, "cf.newsletter")

	dr, err := f.c.Delete(ctx, ObjectIndividual, []string{id})
	require.NoError(t, err)
	require.NoError(t, dr[0].Err)
	assert.Equal(t, 0, f.sim.Count("individuals"))
}

func TestPipelinesAndSteps(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	ctx := context.Background()
	ps, err := f.c.Pipelines(ctx)
	require.NoError(t, err)
	var ids []string
	for i, p := range ps {
		ids = append(ids, p.ID)
		if i > 0 {
			assert.Less(t, ps[i-1].Rank, p.Rank)
		}
	}
	assert.Equal(t, []string{"1", "3", "2"}, ids)
	assert.True(t, ps[0].IsDefault)
	assert.Equal(t, 4, ps[0].Steps)

	cases := []struct {
		pipeline string
		want     []Step
	}{
		{"1", []Step{{"11", "Découverte", 1, 10}, {"14", "Proposition", 2, 40}, {"12", "Négociation", 3, 70}, {"13", "Signature", 4, 90}}},
		{"2", []Step{{"21", "Contact", 1, 20}, {"23", "Qualification", 2, 50}, {"22", "Accord", 3, 80}}},
	}
	for _, c := range cases {
		steps, err := f.c.Steps(ctx, c.pipeline)
		require.NoError(t, err)
		assert.Equal(t, c.want, steps)
	}
	_, err = f.c.Steps(ctx, "99")
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
	_, err = f.c.Steps(ctx, "abc")
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
}

func TestOpportunities(t *testing.T) {
	f := setup(t, sim.Options{}, true)
	ctx := context.Background()
	f.sim.SeedPeople(0, 1)
	co := strconv.Itoa(int(f.sim.Dump("companies")[0]["id"].(float64)))
	cf := f.sim.AddCustomField(sim.CustomField{Code: "ETAP", Type: "simple-text", Related: []string{"opportunity"}})
	_ = cf

	res, err := f.c.Create(ctx, ObjectOpportunity, []connectors.Record{{
		Fields: map[string]any{"name": "Refonte", "pipeline_id": "1", "step_id": "11", "amount": 72000.99, "due_date": "2026-06-30", "cf.ETAP": "Découverte"},
		Links:  map[string]string{"company": co},
	}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	id := res[0].ID
	// The amount went as a string and reads back as {value, currency}.
	raw := f.sim.Dump("opportunities")[0]
	assert.Equal(t, map[string]any{"value": "72000.99", "currency": "EUR"}, raw["amount"])

	get := func() connectors.Record {
		t.Helper()
		got, err := f.c.Get(ctx, ObjectOpportunity, []string{id, "999", "x"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		return got[0]
	}
	r := get()
	assert.Equal(t, 72000.99, r.Fields["amount"])
	assert.Equal(t, "EUR", r.Fields["currency"])
	assert.Equal(t, "1", r.Fields["pipeline_id"])
	assert.Equal(t, "11", r.Fields["step_id"])
	assert.Equal(t, 10.0, r.Fields["probability"])
	assert.Equal(t, "open", r.Fields["status"])
	assert.Equal(t, "2026-06-30", r.Fields["due_date"])
	assert.Equal(t, "Découverte", r.Fields["cf.ETAP"])
	assert.Equal(t, map[string]string{"company": co}, r.Links)
	assert.True(t, r.UpdatedAt.IsZero(), "opportunities have no update timestamp")

	// Amount shapes on write.
	for _, c := range []struct {
		in   any
		want float64
	}{{"1234,5", 1234.5}, {"10", 10}, {12.345, 12.35}, {nil, 0}} {
		res, err := f.c.Update(ctx, ObjectOpportunity, []connectors.Record{{ID: id, Fields: map[string]any{"amount": c.in}}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err, "%v", c.in)
		assert.Equal(t, c.want, get().Fields["amount"], "%v", c.in)
	}

	// Step moves.
	require.NoError(t, f.c.MoveStep(ctx, id, "12"))
	r = get()
	assert.Equal(t, "12", r.Fields["step_id"])
	assert.Equal(t, 70.0, r.Fields["probability"])
	err = f.c.MoveStep(ctx, id, "21")
	require.Error(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
	assert.Contains(t, err.(*connectors.Error).Fields, "step_id")
	res, err = f.c.Update(ctx, ObjectOpportunity, []connectors.Record{{ID: id, Fields: map[string]any{"step_id": "14", "status": "won"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, "14", get().Fields["step_id"])

	// Errors name the connector's fields.
	cases := []struct {
		name   string
		rec    connectors.Record
		field  string
		create bool
	}{
		{"unknown step", connectors.Record{Fields: map[string]any{"name": "X", "pipeline_id": "1", "step_id": "99"}, Links: map[string]string{"company": co}}, "step_id", true},
		{"unknown pipeline", connectors.Record{Fields: map[string]any{"name": "X", "pipeline_id": "42", "step_id": "11"}, Links: map[string]string{"company": co}}, "pipeline_id", true},
		{"no third party", connectors.Record{Fields: map[string]any{"name": "X", "pipeline_id": "1", "step_id": "11"}}, "links", true},
		{"missing step", connectors.Record{Fields: map[string]any{"name": "X", "pipeline_id": "1"}, Links: map[string]string{"company": co}}, "step_id", true},
		{"bad amount", connectors.Record{ID: id, Fields: map[string]any{"amount": "douze"}}, "amount", false},
		{"bad probability", connectors.Record{ID: id, Fields: map[string]any{"probability": 120.0}}, "probability", false},
		{"unknown field", connectors.Record{ID: id, Fields: map[string]any{"updated_at": "x"}}, "updated_at", false},
		{"step of another pipeline", connectors.Record{ID: id, Fields: map[string]any{"step_id": "31"}}, "step_id", false},
		// OpportunityUpdate has no number: refused before the call, not sent (Sellsy refuses it).
		{"number on update", connectors.Record{ID: id, Fields: map[string]any{"number": "OPP-2"}}, "number", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var res []connectors.Result
			var err error
			if c.create {
				res, err = f.c.Create(ctx, ObjectOpportunity, []connectors.Record{c.rec})
			} else {
				res, err = f.c.Update(ctx, ObjectOpportunity, []connectors.Record{c.rec})
			}
			require.NoError(t, err)
			require.Error(t, res[0].Err)
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
			assert.Contains(t, res[0].Err.(*connectors.Error).Fields, c.field)
		})
	}

	// List ignores Since (no timestamp) and lists everything.
	f.sim.SeedOpportunities(4)
	page, err := f.c.List(ctx, ObjectOpportunity, connectors.ListQuery{Since: f.clock.Now().Add(time.Hour), Limit: 3})
	require.NoError(t, err)
	assert.Len(t, page.Records, 3)
	assert.True(t, page.More)
	page2, err := f.c.List(ctx, ObjectOpportunity, connectors.ListQuery{Since: f.clock.Now().Add(time.Hour), Cursor: page.Cursor, Limit: 3})
	require.NoError(t, err)
	assert.Len(t, page2.Records, 2)

	found, err := f.c.FindByKey(ctx, ObjectOpportunity, "name", []string{"Refonte"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, id, found[0].ID)

	fields, err := f.c.Describe(ctx, ObjectOpportunity)
	require.NoError(t, err)
	var names []string
	numberCreateOnly := map[bool]int{} // CreateOnly of the fields named number
	for _, fl := range fields {
		names = append(names, fl.Name)
		if fl.Name == "number" {
			numberCreateOnly[fl.CreateOnly]++
		}
	}
	assert.Contains(t, names, "cf.ETAP")
	assert.NotContains(t, names, "cf.newsletter", "contact/third-party fields are not opportunity fields")
	assert.Equal(t, map[bool]int{true: 1}, numberCreateOnly, "one number field, set at creation: the sync leaves it out of updates")
	res, err = f.c.Create(ctx, ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": "Numbered", "number": "OPP-1155", "pipeline_id": "1", "step_id": "11"},
		Links: map[string]string{"company": co}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err := f.c.Get(ctx, ObjectOpportunity, []string{res[0].ID})
	require.NoError(t, err)
	assert.Equal(t, "OPP-1155", got[0].Fields["number"], "the create sends it")
}

func TestScopes(t *testing.T) {
	f := setup(t, sim.Options{Scopes: []string{"companies.read", "opportunities.read"}}, false)
	got, err := f.c.Scopes(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"companies.read", "opportunities.read"}, got)
	_, err = f.c.List(context.Background(), ObjectIndividual, connectors.ListQuery{})
	assert.Equal(t, 403, err.(*connectors.Error).Status)

	plain := setup(t, sim.Options{}, false)
	got, err = plain.c.Scopes(context.Background())
	require.NoError(t, err)
	assert.Nil(t, got, "no scope in the token response: unknown")
}

func TestWebhookDeliveryParsed(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	ctx := context.Background()
	f.sim.SeedPeople(0, 1)
	co := strconv.Itoa(int(f.sim.Dump("companies")[0]["id"].(float64)))
	type delivery struct {
		events []WebhookEvent
		err    error
	}
	got := make(chan delivery, 20)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := ParseWebhook(body, r.Header.Get("Content-Type"))
		got <- delivery{ev, err}
	}))
	t.Cleanup(hook.Close)
	resp, err := http.Post(f.srv.URL+"/_sim/webhook", "application/json", stringsReader(`{"url":"`+hook.URL+`"}`))
	require.NoError(t, err)
	resp.Body.Close()

	res, err := f.c.Create(ctx, ObjectOpportunity, []connectors.Record{{
		Fields: map[string]any{"name": "A", "pipeline_id": "3", "step_id": "31"}, Links: map[string]string{"company": co}}})
	require.NoError(t, err)
	id := res[0].ID
	require.NoError(t, f.c.MoveStep(ctx, id, "32"))

	var events []WebhookEvent
	timeout := time.After(5 * time.Second)
	for len(events) < 2 {
		select {
		case d := <-got:
			require.NoError(t, d.err)
			events = append(events, d.events...) // the ping gives none
		case <-timeout:
			t.Fatalf("got %d events", len(events))
		}
	}
	for i, want := range []string{"created", "updated"} {
		assert.Equal(t, want, events[i].Type)
		assert.Equal(t, ObjectOpportunity, events[i].Object)
		assert.Equal(t, id, events[i].ObjectID)
		assert.WithinDuration(t, time.Now(), events[i].At, time.Minute)
	}
}

func TestParseWebhook(t *testing.T) {
	form := func(notif string) []byte { return []byte(url.Values{"notif": {notif}}.Encode()) }
	cases := []struct {
		name   string
		body   []byte
		ctype  string
		want   []WebhookEvent
		errKey bool
	}{
		{"form", form(`{"event":"updated","relatedtype":"opportunity","relatedid":"42","timestamp":"1700000000"}`),
			"application/x-www-form-urlencoded", []WebhookEvent{{Type: "updated", Object: ObjectOpportunity, ObjectID: "42", At: time.Unix(1700000000, 0).UTC()}}, false},
		{"a timestamp in milliseconds", form(`{"event":"updated","relatedtype":"opportunity","relatedid":"42","timestamp":1733600000123}`),
			"application/x-www-form-urlencoded", []WebhookEvent{{Type: "updated", Object: ObjectOpportunity, ObjectID: "42", At: time.UnixMilli(1733600000123).UTC()}}, false},
		{"a timestamp past any year", form(`{"event":"updated","relatedtype":"opportunity","relatedid":"42","timestamp":"99999999999999999"}`),
			"application/x-www-form-urlencoded", []WebhookEvent{{Type: "updated", Object: ObjectOpportunity, ObjectID: "42"}}, false},
		{"a negative timestamp", form(`{"event":"updated","relatedtype":"opportunity","relatedid":"42","timestamp":"-5"}`),
			"application/x-www-form-urlencoded", []WebhookEvent{{Type: "updated", Object: ObjectOpportunity, ObjectID: "42"}}, false},
		{"an RFC 3339 timestamp", form(`{"event":"updated","relatedtype":"opportunity","relatedid":"42","timestamp":"2026-12-07T21:00:00+01:00"}`),
			"application/x-www-form-urlencoded", []WebhookEvent{{Type: "updated", Object: ObjectOpportunity, ObjectID: "42", At: time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)}}, false},
		{"client is a company, numeric id, no timestamp", form(`{"event":"created","relatedtype":"client","relatedid":7}`),
			"application/x-www-form-urlencoded; charset=UTF-8", []WebhookEvent{{Type: "created", Object: "company", ObjectID: "7"}}, false},
		{"task", form(`{"event":"deleted","relatedtype":"task","relatedid":"9"}`), "", []WebhookEvent{{Type: "deleted", Object: ObjectTask, ObjectID: "9"}}, false},
		{"V1's annotation is a comment", form(`{"event":"created","relatedtype":"annotation","relatedid":"4"}`), "", []WebhookEvent{{Type: "created", Object: ObjectComment, ObjectID: "4"}}, false},
		{"unknown type kept", form(`{"event":"created","relatedtype":"estimate","relatedid":"9"}`), "", []WebhookEvent{{Type: "created", Object: "estimate", ObjectID: "9"}}, false},
		{"json body", []byte(`{"event":"updated","relatedtype":"people","relatedid":"3"}`), "application/json", []WebhookEvent{{Type: "updated", Object: "contact", ObjectID: "3"}}, false},
		{"ping", nil, "", nil, false},
		{"no notif", []byte("a=b"), "application/x-www-form-urlencoded", nil, true},
		{"notif not JSON", form("nope"), "application/x-www-form-urlencoded", nil, true},
		{"missing relatedid", form(`{"event":"updated","relatedtype":"opportunity"}`), "application/x-www-form-urlencoded", nil, true},
		{"other content type", []byte("x"), "text/plain", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseWebhook(c.body, c.ctype)
			if c.errKey {
				require.Error(t, err)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
				return
			}
			require.NoError(t, err)
			for i := range got {
				assert.Len(t, got[i].Digest, 64, "the SHA-256 of the notification")
				got[i].Digest = ""
			}
			assert.Equal(t, c.want, got)
		})
	}
}

func stringsReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }

func TestNeededScopes(t *testing.T) {
	tests := []struct {
		name  string
		needs []connectors.Access
		want  []string
	}{
		{"read companies", []connectors.Access{{Object: connectors.ObjectCompany, Fields: []string{"name"}}}, []string{"companies.read"}},
		{"write contacts with custom fields and links", []connectors.Access{{Object: connectors.ObjectContact, Write: true, Linked: true, Fields: []string{"email", "cf.SA"}}},
			[]string{"companies.read", "companies.write", "contacts.read", "contacts.write", "custom-fields.read"}},
		{"opportunities and individuals", []connectors.Access{{Object: ObjectOpportunity}, {Object: ObjectIndividual, Write: true}},
			[]string{"individuals.read", "individuals.write", "opportunities.read"}},
		{"unknown object", []connectors.Access{{Object: "invoice"}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, NeededScopes(tt.needs))
		})
	}
}

// A token that names no scope cannot be checked: CheckAccess says nothing rather than guess.
func TestCheckAccessWithoutScopes(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	require.NoError(t, f.c.CheckAccess(context.Background(), []connectors.Access{{Object: connectors.ObjectCompany, Write: true}}))
	g := setup(t, sim.Options{Scopes: []string{"companies.read"}}, false)
	err := g.c.CheckAccess(context.Background(), []connectors.Access{{Object: connectors.ObjectCompany, Write: true}})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "lacks the scope(s) companies.write")
}

// Sellsy's ids run to eight digits and more: an opportunity's contact_ids are read whole
// (they were 3.8476512e+07) and can be written back as read.
func TestOpportunityIDListsKeepTheirDigits(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"eight digits", `{"id":9001,"contact_ids":[38476512,1234567]}`, []string{"38476512", "1234567"}},
		{"small", `{"id":9002,"contact_ids":[7]}`, []string{"7"}},
		{"null among them", `{"id":9003,"contact_ids":[12345678,null]}`, []string{"12345678"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body listBody
			require.NoError(t, gojson.Unmarshal([]byte(`{"pagination":{"limit":1,"count":1,"total":1,"offset":"x"},"data":[`+tt.data+`]}`), &body))
			r := oppRecord(body.Data[0], nil)
			assert.Equal(t, tt.want, r.Fields["contact_ids"])
			r.Fields = map[string]any{"contact_ids": r.Fields["contact_ids"]}
			_, _, err := oppBody(r, false, nil)
			assert.Nil(t, err, "the ids read are written back")
		})
	}
}
