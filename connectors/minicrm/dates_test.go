package minicrm

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/unas"
	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	"github.com/crmsync/crmsync/engine"
)

// MiniCRM takes a DateTime as Hungarian wall time "2006-01-02 15:04:05" and refuses RFC 3339,
// the engine's form of date-times (in UTC): a value is written in MiniCRM's form whatever form
// the instant comes in, a Date as the day it falls on in Hungary, and anything else as it is.
func TestWireTime(t *testing.T) {
	summer := time.Date(2026, 7, 14, 22, 9, 18, 0, time.UTC) // 00:09:18 the next day in Budapest
	tests := []struct {
		name string
		v    any
		typ  any
		want any // nil: not converted
	}{
		{name: "RFC 3339 UTC, summer", v: "2026-07-14T22:09:18Z", typ: "DateTime", want: "2026-07-15 00:09:18"},
		{name: "RFC 3339 UTC, winter", v: "2026-01-14T23:09:18Z", typ: "DateTime", want: "2026-01-15 00:09:18"},
		{name: "RFC 3339 with an offset", v: "2026-07-15T00:09:18+02:00", typ: "DateTime", want: "2026-07-15 00:09:18"},
		{name: "RFC 3339 in another zone", v: "2026-07-14T18:09:18-04:00", typ: "DateTime", want: "2026-07-15 00:09:18"},
		{name: "RFC 3339 with fractions", v: "2026-07-14T22:09:18.5Z", typ: "DateTime", want: "2026-07-15 00:09:18"},
		{name: "time.Time", v: summer, typ: "DateTime", want: "2026-07-15 00:09:18"},
		{name: "sized type", v: "2026-07-14T22:09:18Z", typ: "DateTime(19)", want: "2026-07-15 00:09:18"},
		{name: "Date: the day in Hungary", v: "2026-07-14T22:09:18Z", typ: "Date", want: "2026-07-15"},
		{name: "Date from time.Time", v: summer, typ: "Date", want: "2026-07-15"},
		{name: "already MiniCRM's form", v: "2026-07-15 00:09:18", typ: "DateTime"},
		{name: "a day", v: "2026-07-15", typ: "Date"},
		{name: "not a date", v: "soon", typ: "DateTime"},
		{name: "a number", v: 3.0, typ: "DateTime"},
		{name: "a text field", v: "2026-07-14T22:09:18Z", typ: "Text(255)"},
		{name: "an enum", v: "2026-07-14T22:09:18Z", typ: map[string]string{"1": "x"}},
		{name: "no type", v: "2026-07-14T22:09:18Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := wireTime(tt.v, tt.typ)
			assert.Equal(t, tt.want != nil, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

// A DateTime is read back as RFC 3339 with Budapest's offset then, the instant it stands for
// (read as it is, without a zone, it would be taken for UTC: an hour or two off).
func TestDateTimeValue(t *testing.T) {
	tests := []struct {
		in   string
		typ  string
		want any
	}{
		{in: "2026-07-15 00:09:18", typ: "DateTime", want: "2026-07-15T00:09:18+02:00"},
		{in: "2026-01-15 00:09:18", typ: "DateTime", want: "2026-01-15T00:09:18+01:00"},
		{in: "2026-01-15", typ: "DateTime", want: "2026-01-15T00:00:00+01:00"},
		{in: "someday", typ: "DateTime", want: "someday"},
		{in: "2026-01-15", typ: "Date", want: "2026-01-15"},
		{in: "", typ: "DateTime", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, value(tt.in, tt.typ))
		})
	}
}

// Cards: a date-time written in any form is stored as Hungarian wall time, and read back as
// the same instant, so the engine finds it unchanged.
func TestCardDateFields(t *testing.T) {
	s, cl, _ := setup(t, 0)
	ctx := context.Background()
	at := time.Date(2026, 7, 14, 22, 9, 18, 0, time.UTC)
	tests := []struct {
		name           string
		dateTime, date any
		wantStored     string
		wantStoredDate string
		wantRead       string
		wantReadDate   string
	}{
		{name: "RFC 3339 UTC", dateTime: at.Format(time.RFC3339), date: at.Format(time.RFC3339),
			wantStored: "2026-07-15 00:09:18", wantStoredDate: "2026-07-15", wantRead: "2026-07-15T00:09:18+02:00", wantReadDate: "2026-07-15"},
		{name: "time.Time", dateTime: at, date: at,
			wantStored: "2026-07-15 00:09:18", wantStoredDate: "2026-07-15", wantRead: "2026-07-15T00:09:18+02:00", wantReadDate: "2026-07-15"},
		{name: "MiniCRM's own forms", dateTime: "2026-07-15 00:09:18", date: "2026-07-15",
			wantStored: "2026-07-15 00:09:18", wantStoredDate: "2026-07-15", wantRead: "2026-07-15T00:09:18+02:00", wantReadDate: "2026-07-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{"Name": tt.name, "DateTime1206": tt.dateTime, "Date1207": tt.date}})[0]
			var stored map[string]any
			for _, c := range s.Dump("Orders") {
				if c["Name"] == tt.name {
					stored = c
				}
			}
			require.NotNil(t, stored)
			assert.Equal(t, tt.wantStored, stored["DateTime1206"])
			assert.Equal(t, tt.wantStoredDate, stored["Date1207"])
			got, err := cl.Get(ctx, "card:Orders", []string{id})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.wantRead, got[0].Fields["DateTime1206"])
			assert.Equal(t, tt.wantReadDate, got[0].Fields["Date1207"])
		})
	}
	fields, err := cl.Describe(ctx, "card:Orders")
	require.NoError(t, err)
	types := map[string]string{}
	for _, f := range fields {
		types[f.Name] = f.Type
	}
	assert.Equal(t, "datetime", types["DateTime1206"])
	assert.Equal(t, "date", types["Date1207"], "a day, which the engine writes as one")
}

// Contacts: their schema gives a field's type, read when a value could be a date-time (and
// only then: other writes cost no schema call).
func TestContactDateTime(t *testing.T) {
	var mu sync.Mutex
	var put map[string]any
	schemaCalls := 0
	mux := http.NewServeMux()
	mux.HandleFunc("GET /Api/R3/Schema/Person", func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		schemaCalls++
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"Email": "Email", "DateTime9": "DateTime", "Text9": "Text(255)"})
	})
	mux.HandleFunc("PUT /Api/R3/Contact", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		put = nil
		_ = json.NewDecoder(r.Body).Decode(&put)
		_, _ = w.Write([]byte(`{"Id":5}`))
	})
	ts := serve(t, mux)
	cl, err := New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000})
	require.NoError(t, err)

	create(t, cl, "person", connectors.Record{Fields: map[string]any{"Email": "a@example.com"}})
	assert.Zero(t, schemaCalls, "no date-time: no schema call")

	create(t, cl, "person", connectors.Record{Fields: map[string]any{"Email": "a@example.com", "DateTime9": "2026-01-14T23:09:18Z", "Text9": "2026-01-14T23:09:18Z"}})
	assert.Equal(t, "2026-01-15 00:09:18", put["DateTime9"])
	assert.Equal(t, "2026-01-14T23:09:18Z", put["Text9"], "a text field takes the text as it is")
	assert.Equal(t, 1, schemaCalls)
}

// UNAS → MiniCRM: an order's placement date (zone-less shop time on UNAS), mapped to a MiniCRM
// DateTime field, is stored as the same wall time in Budapest (the shop's zone), not refused
// ("Invalid value … for the DateTime1206 field") nor an hour or two off; read back, it is
// the value the engine wrote (no change, so no write on the next pass).
func TestUNASOrderDateToDateTime(t *testing.T) {
	tests := []struct {
		name   string
		placed time.Time // UTC
	}{
		{name: "winter", placed: time.Date(2026, 1, 14, 23, 9, 18, 0, time.UTC)},
		{name: "summer, after midnight in Budapest", placed: time.Date(2026, 4, 30, 22, 9, 18, 0, time.UTC)},
		{name: "summer, afternoon", placed: time.Date(2026, 7, 15, 13, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := func() time.Time { return tt.placed.Add(time.Hour) }
			shop := unassim.New(unassim.Options{APIKey: "uk", Now: now})
			shop.SeedOrders(0, 1, tt.placed)
			uts := serve(t, shop)
			uc, err := unas.New(unas.Config{BaseURL: uts.URL + "/shop", APIKey: "uk", Now: now})
			require.NoError(t, err)
			s, cl, _ := setup(t, 0)
			ctx := context.Background()

			page, err := uc.List(ctx, unas.ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, page.Records, 1)
			order := page.Records[0]
			shopDate := shop.Dump()[0].Date // what UNAS wrote: "2006.01.02 15:04:05", shop time

			ufields, err := uc.Describe(ctx, unas.ObjectOrder)
			require.NoError(t, err)
			mfields, err := cl.Describe(ctx, "card:Orders")
			require.NoError(t, err)
			codec := engine.NewCodec(engine.SpecOf(unas.System, field(t, ufields, "date")), engine.SpecOf(System, field(t, mfields, "DateTime1206")), nil)
			v, err := codec.AToB(order.Fields["date"])
			require.NoError(t, err)

			id := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{"Name": order.Fields["key"], "DateTime1206": v}})[0]
			stored := s.Dump("Orders")[0]["DateTime1206"]
			assert.Equal(t, strings.NewReplacer(".", "-").Replace(shopDate), stored, "the shop's wall time, in Budapest")

			got, err := cl.Get(ctx, "card:Orders", []string{id})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, v, codec.NormalB(got[0].Fields["DateTime1206"]), "read back unchanged")
			back, err := time.Parse(time.RFC3339, got[0].Fields["DateTime1206"].(string))
			require.NoError(t, err)
			assert.True(t, back.Equal(tt.placed), "the instant: %s", back)
		})
	}
}

func field(t *testing.T, fields []connectors.Field, name string) connectors.Field {
	t.Helper()
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no field %s", name)
	return connectors.Field{}
}
