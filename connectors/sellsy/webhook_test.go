package sellsy

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// ReadBack finds what a webhook event names, records and agenda objects alike, and answers
// nil for what does not exist (a forged event, or a deletion to confirm).
func TestReadBack(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	ctx := context.Background()
	f.sim.SeedPeople(0, 1)
	co := strconv.Itoa(int(f.sim.Dump("companies")[0]["id"].(float64)))
	_, body, err := f.c.Call(ctx, "POST", "/tasks", nil, []byte(`{"title":"Call","due_date":"2026-03-05T09:00:00Z","label_id":1,"related":[{"type":"company","id":`+co+`}]}`))
	require.NoError(t, err)
	require.Contains(t, string(body), `"id":5000001`)
	task := "5000001"
	_, body, err = f.c.Call(ctx, "POST", "/calendar-events", nil, []byte(`{"title":"Demo","datetime_start":"2026-03-05T09:00:00Z","datetime_end":"2026-03-05T10:00:00Z","label_id":3}`))
	require.NoError(t, err)
	require.Contains(t, string(body), `"id":6000001`)
	_, _, err = f.c.Call(ctx, "DELETE", "/calendar-events/6000001", nil, nil)
	require.NoError(t, err)

	tests := []struct {
		name, object, id string
		found            bool
		field            string
		want             any
	}{
		{name: "company", object: connectors.ObjectCompany, id: co, found: true, field: "name", want: f.sim.Dump("companies")[0]["name"]},
		{name: "unknown company", object: connectors.ObjectCompany, id: "999999"},
		{name: "unknown opportunity (404)", object: ObjectOpportunity, id: "999999"},
		{name: "task", object: ObjectTask, id: task, found: true, field: "title", want: "Call"},
		{name: "unknown task (404)", object: ObjectTask, id: "5000999"},
		{name: "deleted calendar event (404)", object: ObjectCalendarEvent, id: "6000001"},
		{name: "not a Sellsy id", object: ObjectComment, id: "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := f.c.ReadBack(ctx, tt.object, tt.id)
			require.NoError(t, err)
			if !tt.found {
				assert.Nil(t, rec)
				return
			}
			require.NotNil(t, rec)
			assert.Equal(t, tt.id, rec.ID)
			assert.Equal(t, tt.want, rec.Fields[tt.field])
		})
	}
	_, err = f.c.ReadBack(ctx, "estimate", "1")
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err), "an object the connector does not know")
}

func TestWebhookObjects(t *testing.T) {
	assert.Equal(t, []string{"calendar-event", "comment", "company", "contact", "individual", "opportunity", "task"}, WebhookObjects())
}

// Two deliveries of one notification have one digest; another notification has another.
func TestWebhookDigest(t *testing.T) {
	parse := func(notif string) WebhookEvent {
		ev, err := ParseWebhook([]byte(notif), "application/json")
		require.NoError(t, err)
		return ev[0]
	}
	a := parse(`{"event":"updated","relatedtype":"opportunity","relatedid":"7"}`)
	assert.Equal(t, a.Digest, parse(`{"event":"updated","relatedtype":"opportunity","relatedid":"7"}`).Digest)
	assert.NotEqual(t, a.Digest, parse(`{"event":"deleted","relatedtype":"opportunity","relatedid":"7"}`).Digest)
}

// A webhook's company, contact or individual is read back with GET /{object}/{id}, whose 404
// says it does not exist, as an opportunity's always was — not with a search on its id,
// which leaves a record out for reasons of its own — and with its custom fields embedded
// (embed[]=cf.N); a contact keeps its company link. ReadBackRaw hands over the answer's body.
func TestReadBackGetsEachRecord(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	ctx := context.Background()
	f.sim.SeedPeople(0, 1)
	f.sim.AddCustomField(sim.CustomField{Code: "cf_tier", Type: "simple-text"})
	co := strconv.Itoa(int(f.sim.Dump("companies")[0]["id"].(float64)))
	ct := strconv.Itoa(int(f.sim.Dump("contacts")[0]["id"].(float64)))
	res, err := f.c.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: co, Fields: map[string]any{"cf.cf_tier": "gold"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	res, err = f.c.Create(ctx, ObjectIndividual, []connectors.Record{{Fields: map[string]any{"type": "client", "last_name": "Durand", "cf.cf_tier": "silver"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	ind := res[0].ID

	tests := []struct {
		object, id, path string
		field            string
		want             any
		links            map[string]string
	}{
		{connectors.ObjectCompany, co, "GET /v2/companies/{id}", "cf.cf_tier", "gold", nil},
		{ObjectIndividual, ind, "GET /v2/individuals/{id}", "cf.cf_tier", "silver", nil},
		{connectors.ObjectContact, ct, "GET /v2/contacts/{id}", "last_name", f.sim.Dump("contacts")[0]["last_name"], map[string]string{"company": co}},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			f.sim.Kit().ResetCounts()
			rec, err := f.c.ReadBack(ctx, tt.object, tt.id)
			require.NoError(t, err)
			require.NotNil(t, rec)
			assert.Equal(t, tt.id, rec.ID)
			assert.Equal(t, tt.want, rec.Fields[tt.field])
			assert.Equal(t, tt.links, rec.Links)
			counts := f.sim.Kit().Counts()
			assert.Equal(t, 1, counts[tt.path], "%v", counts)
			for k := range counts {
				assert.NotContains(t, k, "/search", "no search: %v", counts)
			}
			gone, err := f.c.ReadBack(ctx, tt.object, "999999")
			require.NoError(t, err)
			assert.Nil(t, gone, "404: no such record")
		})
		t.Run(tt.object+" raw", func(t *testing.T) {
			rec, raw, err := f.c.ReadBackRaw(ctx, tt.object, tt.id)
			require.NoError(t, err)
			require.NotNil(t, rec)
			assert.Contains(t, string(raw), `"id":`+tt.id, "the answer as Sellsy gave it")
			gone, raw, err := f.c.ReadBackRaw(ctx, tt.object, "999999")
			require.NoError(t, err)
			assert.Nil(t, gone)
			assert.Nil(t, raw)
		})
	}
}
