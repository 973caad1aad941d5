package weavy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// Select answers only the fields asked for: every field described, custom ones included,
// comes back, under the dictionary's name even when the payload spells it otherwise
// ("CodeCustomer" / "codecustomer").
func TestReadReturnsEveryDescribedField(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 5)
	ctx := context.Background()
	for _, object := range []string{"company", "contact"} {
		t.Run(object, func(t *testing.T) {
			fields, err := e.client.Describe(ctx, object)
			require.NoError(t, err)
			recs, _ := listAll(t, e.client, object, time.Time{})
			require.NotEmpty(t, recs)
			for _, f := range fields {
				if f.Name == "companyName" || f.Name == "codemarketinginbound" {
					continue // entrants' only: there are none
				}
				assert.Contains(t, recs[0].Fields, f.Name)
			}
			found, err := e.client.FindByKey(ctx, object, "email", []string{fmt.Sprint(recs[0].Fields["email"])})
			require.NoError(t, err)
			require.NotEmpty(t, found)
			assert.Equal(t, recs[0].Fields, found[0].Fields)
		})
	}
	recs, err := e.client.Get(ctx, "company", []string{"C0000000"})
	require.NoError(t, err)
	assert.Equal(t, "C0000000", recs[0].Fields["CodeCustomer"])
	assert.NotContains(t, recs[0].Fields, "codecustomer")
}

// Payload names are matched to the dictionary's without case, for their name and their type.
func TestToRecordMatchesNamesWithoutCase(t *testing.T) {
	s := schema{types: map[string]string{"CodeCustomer": "text", "Workforce": "int", "blocked": "boolean"},
		lower: map[string]string{"codecustomer": "CodeCustomer", "workforce": "Workforce", "blocked": "blocked"}}
	raw := map[string]any{"Customer_ID": "C1", "codecustomer": "C1", "workforce": jsonNumber("12"), "BLOCKED": jsonNumber("1"),
		"SrvDateUTC": "2026-03-01 10:00:00", "extra": "x"}
	r := toRecord(view{entity: EntityCustomer, s: s}, "C1", raw)
	assert.Equal(t, map[string]any{"CodeCustomer": "C1", "Workforce": 12.0, "blocked": true, "extra": "x"}, r.Fields)
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), r.UpdatedAt)
}

// Numeric codes keep their digits; a record without a code is skipped with a warning that
// names it, not given an id shared by every such record.
func TestCodesAsSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/Authenticate":
			simkit.WriteJSON(w, 200, map[string]any{"authToken": "t", "expiresIn": 3600})
		case strings.HasPrefix(r.URL.Path, "/v1/Dictionary/"):
			simkit.WriteJSON(w, 200, map[string]any{"fields": []map[string]any{{"fieldName": "name", "fieldType": "text"}, {"fieldName": "phoneNumber", "fieldType": "text"}}})
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`[
				{"customer_ID": 1234567, "name": "Numeric", "phoneNumber": 12345678901234567, "srvDateUTC": "2026-03-01 10:00:00"},
				{"customer_ID": 98765432109876543210, "name": "Big"},
				{"codecustomer": "X-1", "name": "No code", "srvDateUTC": "2026-03-01 10:00:00"},
				{"customer_ID": null, "name": "Null code"},
				{"customer_ID": "C-2", "name": "Text"}]`))
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c, err := New(Config{BaseURL: srv.URL, Project: "crm", UserName: user, Password: pass, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	p, err := c.List(context.Background(), "company", connectors.ListQuery{})
	require.NoError(t, err)
	assert.Equal(t, []string{"1234567", "98765432109876543210", "C-2"}, ids(p.Records))
	assert.Equal(t, "12345678901234567", p.Records[0].Fields["phoneNumber"])
	out := logs.String()
	assert.Equal(t, 2, strings.Count(out, "weavy: a customer record has no customer_ID: skipped"), out)
	assert.Contains(t, out, "entity=customer quarantined_as=\"(no id: #3 of the first page)\" codecustomer=X-1 name=\"No code\" srvDateUTC=\"2026-03-01 10:00:00\"")
	assert.Contains(t, out, "name=\"Null code\"")
	// Each is named, by its place in its page, for the sync to quarantine: not missed
	// without a trace.
	require.Len(t, p.Unreadable, 2)
	assert.Equal(t, []string{"(no id: #3 of the first page)", "(no id: #4 of the first page)"}, []string{p.Unreadable[0].ID, p.Unreadable[1].ID})
	assert.Contains(t, p.Unreadable[0].Reason, "its customer record has no customer_ID, so it can be neither synced nor written back")
	assert.Contains(t, p.Unreadable[0].Reason, "codecustomer and srvDateUTC")
}

// A page of records without a code only, the last of its entity, is delivered (named in
// Unreadable), not passed over for the next entity's.
func TestPageOfRecordsWithoutCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/Authenticate":
			simkit.WriteJSON(w, 200, map[string]any{"authToken": "t", "expiresIn": 3600})
		case strings.HasPrefix(r.URL.Path, "/v1/Dictionary/"):
			simkit.WriteJSON(w, 200, map[string]any{"fields": []map[string]any{{"fieldName": "name", "fieldType": "text"}}})
		default:
			var body struct {
				Offset int `json:"offset"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			w.Header().Set("Content-Type", "application/json")
			if body.Offset > 0 {
				_, _ = w.Write([]byte(`[]`))
				return
			}
			_, _ = w.Write([]byte(`[{"name": "No code", "srvDateUTC": "2026-03-01 10:00:00"}]`))
		}
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Project: "crm", UserName: user, Password: pass, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	c.pages.see(EntityCustomerContact, 10) // pages of 10: one record is a short page
	p, err := c.List(context.Background(), "contact", connectors.ListQuery{})
	require.NoError(t, err)
	assert.Empty(t, p.Records)
	require.Len(t, p.Unreadable, 1)
	assert.Equal(t, "(no id: #1 of the first page)", p.Unreadable[0].ID)
	assert.Contains(t, p.Unreadable[0].Reason, "its customercontact record has no customercontact_ID")
	assert.True(t, p.More, "the entrants are still to read")
	p, err = c.List(context.Background(), "contact", connectors.ListQuery{Cursor: p.Cursor})
	require.NoError(t, err)
	require.Len(t, p.Unreadable, 1)
	assert.Equal(t, "(no id: #1 of the page after cursor 1:0:0)", p.Unreadable[0].ID)
	assert.Contains(t, p.Unreadable[0].Reason, "its marketinginbound record has no marketinginbound_ID")
}

// A panic in a goroutine of a parallel read (decoding an answer of a shape the code does not
// expect) fails the call with the error naming it, instead of ending the process; a write,
// which has no error to return it by, raises it again in the caller's goroutine, where the
// activity's recover reports it.
func TestPanicInParallelIsAnError(t *testing.T) {
	c := &Client{}
	var done sync.Map
	err := c.each(5, "GET /v1/Data/customer/{code}", func(i int) {
		if i == 2 {
			var v any = 1.0
			_ = v.(string)
		}
		done.Store(i, true)
	})
	require.Error(t, err)
	assert.True(t, connectors.IsPanic(err))
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err), "not retried")
	assert.Contains(t, err.Error(), "weavy GET /v1/Data/customer/{code}: internal error: panic: interface conversion")
	for _, i := range []int{0, 1, 3, 4} {
		_, ok := done.Load(i)
		assert.True(t, ok, "the others ran: %d", i)
	}
	require.NoError(t, c.each(3, "op", func(int) {}))

	raised := c.each(3, "write", func(i int) { // as write runs its requests
		if i == 1 {
			panic("index out of range")
		}
	})
	assert.True(t, connectors.IsPanic(raised))
	assert.Contains(t, raised.Error(), "weavy write: internal error: panic: index out of range")
}

// A server that ignores offset answers the first page again and again: the listing stops
// with an error naming the entity instead of looping, whatever the page size.
func TestSelectIgnoringOffsetStops(t *testing.T) {
	for _, size := range []int{1, 2, 3, 5, 7} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: size, IgnoreOffset: true})
			e.sim.SeedPeople(0, 50) // 10 customers
			ctx := context.Background()
			q := connectors.ListQuery{}
			var err error
			for range 20 {
				var p connectors.Page
				if p, err = e.client.List(ctx, "company", q); err != nil || !p.More {
					break
				}
				q.Cursor = p.Cursor
			}
			ce := connErr(t, err)
			assert.Equal(t, connectors.KindConfig, ce.Kind)
			assert.Contains(t, ce.Message, "weavy Select ignores offset for customer: ")

			// more contacts than a page share an e-mail: a page of them, then the same page again
			for i := 1; i <= size; i++ {
				id := fmt.Sprintf("c:CC%07d", i)
				res, err := e.client.Update(ctx, "contact", []connectors.Record{{ID: id, Fields: map[string]any{"email": "person000000@example.com"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err = e.client.FindByKey(ctx, "contact", "email", []string{"person000000@example.com"})
			ce = connErr(t, err)
			assert.Equal(t, connectors.KindConfig, ce.Kind, err.Error())
			assert.Contains(t, ce.Message, "weavy Select ignores offset for customercontact: ")
		})
	}
}

// A Select that answers full pages of new records for ever is cut off.
func TestSelectAllIsBounded(t *testing.T) {
	var mu sync.Mutex
	selects := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/Authenticate":
			simkit.WriteJSON(w, 200, map[string]any{"authToken": "t", "expiresIn": 3600})
		case strings.HasPrefix(r.URL.Path, "/v1/Dictionary/"):
			simkit.WriteJSON(w, 200, map[string]any{"fields": []map[string]any{{"fieldName": "email", "fieldType": "text"}}})
		default:
			mu.Lock()
			selects++
			n := selects
			mu.Unlock()
			simkit.WriteJSON(w, 200, []map[string]any{{"customer_ID": fmt.Sprint("C", n), "email": "a@example.com"}})
		}
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Project: "crm", UserName: user, Password: pass, RequestsPerSecond: 100000})
	require.NoError(t, err)
	_, err = c.FindByKey(context.Background(), "company", "email", []string{"a@example.com"})
	ce := connErr(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.Contains(t, ce.Message, "did not end after 1000 pages")
	assert.Equal(t, maxSelectPages+1, selects, "the lookup's pages and the probe that learns the page size")
}

// FindByKey sends one value per filter (that several are ORed is not documented; the
// simulator refuses them), Concurrency Selects at a time, and finds every record.
func TestFindByKeyOneValuePerSelect(t *testing.T) {
	e := setup(t, sim.Options{})
	e.sim.SeedPeople(0, 120)
	var vals, want []string
	for i := range 120 {
		vals = append(vals, fmt.Sprintf("person%06d@example.com", i))
		want = append(want, fmt.Sprintf("c:CC%07d", i))
	}
	recs, err := e.client.FindByKey(context.Background(), "contact", "email", vals)
	require.NoError(t, err)
	assert.Equal(t, want, ids(recs), "every contact found, in the order of the values")
}

// The dictionary is read again after dictTTL: new custom fields and options are seen.
func TestDictionaryRefreshed(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	reads := func() int { return e.sim.Kit().Counts()["GET /v1/Dictionary/{project}/{entity}"] }
	_, err := e.client.Describe(ctx, "company")
	require.NoError(t, err)
	require.Equal(t, 1, reads())
	e.clock.Advance(14 * time.Minute)
	_, err = e.client.Describe(ctx, "company")
	require.NoError(t, err)
	assert.Equal(t, 1, reads(), "cached")
	e.clock.Advance(2 * time.Minute)
	_, err = e.client.Describe(ctx, "company")
	require.NoError(t, err)
	assert.Equal(t, 2, reads(), "read again")
}

func jsonNumber(s string) json.Number { return json.Number(s) }
