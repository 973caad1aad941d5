package altior

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// oddSim serves the simulator, with some keys of some records answered as other raw JSON:
// what a real Altior environment (or a later version of the contract) could send.
type oddSim struct {
	mu   sync.Mutex
	odd  map[string]map[string]string // record id → key → raw JSON
	envl map[string]string            // listing envelope key → raw JSON
}

func (o *oddSim) set(id, key, raw string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.odd[id] == nil {
		o.odd[id] = map[string]string{}
	}
	o.odd[id][key] = raw
}

func (o *oddSim) rewrite(rec map[string]any) {
	id, _ := rec["id"].(string)
	for k, raw := range o.odd[id] {
		rec[k] = json.RawMessage(raw)
	}
}

func (o *oddSim) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var v map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if rec.Code < 300 && strings.HasPrefix(r.URL.Path, "/api/v1/") && d.Decode(&v) == nil {
			o.mu.Lock()
			if items, ok := v["items"].([]any); ok {
				for _, it := range items {
					if m, ok := it.(map[string]any); ok {
						o.rewrite(m)
					}
				}
				for k, raw := range o.envl {
					v[k] = json.RawMessage(raw)
				}
			} else {
				o.rewrite(v)
			}
			o.mu.Unlock()
			body, _ = json.Marshal(v)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

func setupOdd(t *testing.T) (*env, *oddSim) {
	t.Helper()
	clk := simkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	s := sim.New(sim.Options{APIKey: apiKey, Now: clk.Now})
	o := &oddSim{odd: map[string]map[string]string{}, envl: map[string]string{}}
	srv := httptest.NewServer(o.wrap(s))
	t.Cleanup(srv.Close)
	e := &env{sim: s, srv: srv, clock: clk}
	e.client = e.newClient(t, apiKey)
	return e, o
}

// tiersIDs seeds n tiers, each written a second after the other (so the listing's order is
// the seeding order), and returns their ids.
func tiersIDs(t *testing.T, e *env, n int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for i := range n {
		e.clock.Advance(time.Second)
		res, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{
			"name": "Tiers " + string(rune('A'+i)), "kind": "moral", "relation": "client", "cf.SECT": "Bois"}}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		ids = append(ids, res[0].ID)
	}
	return ids
}

// One oddly typed value no longer keeps a page from being read: custom-field values that are
// numbers, true/false, [] or null are read as text (or none), custom_fields [] is none, and an
// empty created_at is none. A record that still cannot be read is named in Page.Unreadable by
// its id, with the field and why, the others of the page are read, and the listing goes on
// past it.
func TestListReadsOddValuesAndNamesTheUnreadable(t *testing.T) {
	ctx := context.Background()
	e, o := setupOdd(t)
	ids := tiersIDs(t, e, 5)
	o.set(ids[0], "custom_fields", `{"EFF":12,"VIP":true,"RATE":1.5,"NONE":[],"NUL":null,"SECT":"Bois"}`)
	o.set(ids[1], "custom_fields", `[]`)
	o.set(ids[1], "created_at", `""`)
	o.set(ids[2], "custom_fields", `{"EFF":{"n":12}}`)
	o.set(ids[2], "created_at", `"yesterday"`)
	o.set(ids[3], "siret", `12345678900017`)

	p, err := e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 3})
	require.NoError(t, err)
	require.Len(t, p.Records, 2)
	a, b := p.Records[0], p.Records[1]
	assert.Equal(t, ids[0], a.ID)
	assert.Equal(t, "12", a.Fields["cf.EFF"])
	assert.Equal(t, "true", a.Fields["cf.VIP"])
	assert.Equal(t, "1.5", a.Fields["cf.RATE"])
	assert.Nil(t, a.Fields["cf.NONE"])
	assert.Nil(t, a.Fields["cf.NUL"])
	assert.Equal(t, "Bois", a.Fields["cf.SECT"])
	assert.False(t, a.CreatedAt.IsZero())
	assert.Equal(t, ids[1], b.ID)
	assert.NotContains(t, b.Fields, "cf.SECT")
	assert.True(t, b.CreatedAt.IsZero(), "an empty created_at is none")
	assert.False(t, b.UpdatedAt.IsZero())

	require.Len(t, p.Unreadable, 1)
	u := p.Unreadable[0]
	assert.Equal(t, ids[2], u.ID)
	assert.Contains(t, u.Reason, "created_at is not an RFC 3339 date-time")
	assert.Contains(t, u.Reason, "custom_fields.EFF is an object, not text")
	assert.Contains(t, u.Reason, "correct it in Altior")
	assert.NotContains(t, u.Reason, "yesterday", "never a value")

	// The cursor moves past the unreadable record, which ended the page.
	require.True(t, p.More)
	p2, err := e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 3, Cursor: p.Cursor})
	require.NoError(t, err)
	require.Len(t, p2.Records, 2)
	assert.Equal(t, ids[3], p2.Records[0].ID)
	assert.Equal(t, "12345678900017", p2.Records[0].Fields["siret"], "a number read as the text it was sent as")
	assert.Equal(t, ids[4], p2.Records[1].ID)
	assert.Empty(t, p2.Unreadable)
	assert.False(t, p2.More)
}

// A listing whose counts come as text is read; one whose items are no array is the answer's
// failure (retryable), as before.
func TestListEnvelopeCountsAsText(t *testing.T) {
	ctx := context.Background()
	e, o := setupOdd(t)
	ids := tiersIDs(t, e, 3)
	o.envl["total"], o.envl["page_size"] = `"3"`, `"2"`
	p, err := e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 2})
	require.NoError(t, err)
	require.Len(t, p.Records, 2)
	assert.True(t, p.More)
	p, err = e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 2, Cursor: p.Cursor})
	require.NoError(t, err)
	require.Len(t, p.Records, 1)
	assert.Equal(t, ids[2], p.Records[0].ID)

	o.envl["items"] = `{"0":{}}`
	_, err = e.client.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "items are an object, not an array")
}

// Read by id, a record that cannot be read fails alone (KindInvalid, which the sync
// quarantines by its id), naming it and the field; the others are read.
func TestGetNamesTheUnreadableRecord(t *testing.T) {
	ctx := context.Background()
	e, o := setupOdd(t)
	ids := tiersIDs(t, e, 2)
	o.set(ids[0], "custom_fields", `{"EFF":12,"VIP":false}`)
	o.set(ids[1], "created_at", `1772359200`)

	recs, err := e.client.Get(ctx, connectors.ObjectCompany, ids[:1])
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "12", recs[0].Fields["cf.EFF"])
	assert.Equal(t, "false", recs[0].Fields["cf.VIP"])

	_, err = e.client.Get(ctx, connectors.ObjectCompany, ids)
	ce := asErr(t, err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Contains(t, ce.Message, "altior tiers "+ids[1]+" cannot be read: created_at is a number, not an RFC 3339 date-time")
	assert.Contains(t, ce.Fields, "created_at")
}

// Update reads a record to merge its typed lists: an odd value elsewhere no longer fails
// the write, and lists that cannot be read fail that record only, named (a write would
// replace them).
func TestUpdateReadsTheRecordLeniently(t *testing.T) {
	ctx := context.Background()
	e, o := setupOdd(t)
	ids := tiersIDs(t, e, 3)
	o.set(ids[0], "custom_fields", `{"EFF":12}`)
	o.set(ids[1], "custom_fields", `{"EFF":{"n":1}}`)
	o.set(ids[1], "created_at", `""`)
	o.set(ids[2], "phones", `[{"type":"FIXE","value":{"n":"+33 1"}}]`)

	res, err := e.client.Update(ctx, connectors.ObjectCompany, []connectors.Record{
		{ID: ids[0], Fields: map[string]any{"phone.FIXE": "+33 1 00 00 00 09"}},
		{ID: ids[1], Fields: map[string]any{"phone.FIXE": "+33 1 00 00 00 08"}},
		{ID: ids[2], Fields: map[string]any{"phone.PORTABLE": "+33 6 00"}},
	})
	require.NoError(t, err)
	assert.NoError(t, res[0].Err)
	assert.NoError(t, res[1].Err, "a custom field that cannot be read is not merged: the write goes on")
	ce := asErr(t, res[2].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Contains(t, ce.Message, "altior tiers "+ids[2]+" cannot be read: phones[0].value is an object, not text")

	for _, d := range e.sim.Dump("tiers") {
		switch d["id"] {
		case ids[0]:
			assert.Contains(t, d["phones"], map[string]any{"type": "FIXE", "value": "+33 1 00 00 00 09"})
		case ids[2]:
			assert.Nil(t, d["phones"], "not written")
		}
	}
}

// A create whose answer holds an odd value still gives the new record's id (it exists).
func TestCreateAnswerWithOddValues(t *testing.T) {
	ctx := context.Background()
	e, o := setupOdd(t)
	o.set("T000001", "custom_fields", `{"EFF":{"n":1}}`)
	o.set("T000001", "updated_at", `"never"`)
	res, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Dupont", "kind": "moral"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, "T000001", res[0].ID)
	assert.True(t, res[0].Created)
}

// A search hit that cannot be read stops FindByKey (KindInvalid, naming the record, the key it
// matches, the field and why) rather than being left out: the sync, finding no counterpart,
// would create a duplicate of it in Altior. The readable hits alone are found as before.
func TestFindByKeyStopsAtTheUnreadable(t *testing.T) {
	ctx := context.Background()
	e, o := setupOdd(t)
	ids := tiersIDs(t, e, 2)
	o.set(ids[1], "custom_fields", `{"EFF":7}`)
	recs, err := e.client.FindByKey(ctx, connectors.ObjectCompany, "cf.SECT", []string{"Bois"})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, "7", recs[1].Fields["cf.EFF"])

	o.set(ids[0], "custom_fields", `{"EFF":{"n":1}}`)
	recs, err = e.client.FindByKey(ctx, connectors.ObjectCompany, "cf.SECT", []string{"Bois"})
	assert.Nil(t, recs)
	ce := asErr(t, err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Contains(t, ce.Message, "altior tiers "+ids[0]+` matches cf.SECT "Bois" but cannot be read: custom_fields.EFF is an object, not text`)
	assert.Contains(t, ce.Message, "correct it in Altior")
	assert.Contains(t, ce.Fields, "custom_fields.EFF")
}

// A listed record without a readable id is named in Page.Unreadable by its place in the page
// (connectors.PositionID), with why, so that the sync quarantines it rather than it being
// missed without a trace; it is logged through Config.Logger; the others are read.
func TestListNamesTheUnreadableWithoutAnID(t *testing.T) {
	ctx := context.Background()
	e, o := setupOdd(t)
	ids := tiersIDs(t, e, 3)
	o.set(ids[1], "id", `{"n":2}`)
	var logged bytes.Buffer
	c, err := New(Config{BaseURL: e.srv.URL, APIKey: apiKey, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	require.NoError(t, err)

	p, err := c.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 2})
	require.NoError(t, err)
	require.Len(t, p.Records, 1)
	assert.Equal(t, ids[0], p.Records[0].ID)
	require.Len(t, p.Unreadable, 1)
	u := p.Unreadable[0]
	assert.Equal(t, connectors.PositionID("", 2), u.ID)
	assert.Contains(t, u.Reason, "the tiers at item 2 of the page has no readable id: id is an object, not text")
	assert.Contains(t, u.Reason, "correct it in Altior")
	assert.Contains(t, logged.String(), "has no id")
	assert.Contains(t, logged.String(), "quarantined_as")

	require.True(t, p.More)
	p2, err := c.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 2, Cursor: p.Cursor})
	require.NoError(t, err)
	require.Len(t, p2.Records, 1)
	assert.Equal(t, ids[2], p2.Records[0].ID)
}
