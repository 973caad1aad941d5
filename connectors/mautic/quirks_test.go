package mautic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// A value Mautic drops on create and edit (0, or any number between -1 and 1, also as text)
// fails its record's Result with an invalid-record error naming the field, instead of being
// taken for written: the next pass would read Automation's old value as an edit made there
// and copy it back. A create keeps its id, so that the record is paired and not duplicated.
func TestZeroValuesDroppedAreReported(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 3) // contacts 1–3, company 1
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{
		{ID: "1", Fields: map[string]any{"cf_number": 5.0, "cf_text": "x"}},
		{ID: "2", Fields: map[string]any{"cf_number": 5.0}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)

	tests := []struct {
		name    string
		create  bool
		object  string
		rec     connectors.Record
		field   string // "" when the write must succeed
		message string
	}{
		{"edit to 0", false, connectors.ObjectContact, connectors.Record{ID: "1", Fields: map[string]any{"cf_number": 0.0, "position": "CEO"}},
			"cf_number", `field "cf_number": Automation ignores 0 on create and edit through its API (Mautic drops any value that reads as a number between -1 and 1, 0 included); the value stays 5`},
		{"edit to 0.5", false, connectors.ObjectContact, connectors.Record{ID: "1", Fields: map[string]any{"cf_number": 0.5}},
			"cf_number", "Automation ignores 0.5 on create"},
		{"edit to -0.3", false, connectors.ObjectContact, connectors.Record{ID: "1", Fields: map[string]any{"cf_number": -0.3}},
			"cf_number", "Automation ignores -0.3 on create"},
		{"text \"0\"", false, connectors.ObjectContact, connectors.Record{ID: "1", Fields: map[string]any{"cf_text": "0"}},
			"cf_text", `Automation ignores "0" on create and edit through its API (Mautic drops any value that reads as a number between -1 and 1, 0 included); the field keeps its value`},
		{"edit to 1: written", false, connectors.ObjectContact, connectors.Record{ID: "2", Fields: map[string]any{"cf_number": 1.0}}, "", ""},
		{"0 where 0 already is: written", false, connectors.ObjectContact, connectors.Record{ID: "3", Fields: map[string]any{"points": 0.0}}, "", ""},
		{"false: written", false, connectors.ObjectContact, connectors.Record{ID: "3", Fields: map[string]any{"cf_bool": false}}, "", ""},
		{"new contact with 0", true, connectors.ObjectContact, connectors.Record{Fields: map[string]any{"email": "zero@example.com", "cf_number": 0.0}},
			"cf_number", "the field stays empty"},
		{"new company with 0", true, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"companyname": "Zéro SA", "companyannual_revenue": 0.0}},
			"companyannual_revenue", "the field stays empty"},
		{"company edit to 0", false, connectors.ObjectCompany, connectors.Record{ID: "1", Fields: map[string]any{"companynumber_of_employees": 0.4}},
			"companynumber_of_employees", "Automation ignores 0.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write := e.client.Update
			if tt.create {
				write = e.client.Create
			}
			res, err := write(ctx, tt.object, []connectors.Record{tt.rec})
			require.NoError(t, err)
			require.Len(t, res, 1)
			assert.NotEmpty(t, res[0].ID, "the record was written: its id is kept")
			if tt.field == "" {
				assert.NoError(t, res[0].Err)
				return
			}
			ce := kindOf(t, res[0].Err)
			assert.Equal(t, connectors.KindInvalid, ce.Kind)
			assert.Contains(t, ce.Fields, tt.field)
			assert.Contains(t, ce.Message, tt.message)
			assert.Equal(t, tt.create, res[0].Created)
		})
	}
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
	require.NoError(t, err)
	assert.Equal(t, "CEO", got[0].Fields["position"], "the record's other values were written")
	assert.Equal(t, 5.0, got[0].Fields["cf_number"])
}

// Batches report the dropped values record by record, and a contact written without one still
// gets its do-not-contact state.
func TestZeroValuesDroppedInBatches(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	recs := make([]connectors.Record, 250)
	for i := range recs {
		recs[i] = connectors.Record{Fields: map[string]any{"email": fmt.Sprintf("b%03d@example.com", i), "cf_number": float64(i % 3)}}
	}
	recs[7].Fields["dnc.email"] = true // cf_number 1: fine
	recs[9].Fields["dnc.email"] = true // cf_number 0: dropped
	res, err := e.client.Create(ctx, connectors.ObjectContact, recs)
	require.NoError(t, err)
	var ids []string
	for i, r := range res {
		require.NotEmpty(t, r.ID)
		assert.True(t, r.Created)
		ids = append(ids, r.ID)
		if i%3 == 0 {
			assert.Contains(t, kindOf(t, r.Err).Fields, "cf_number", i)
		} else {
			assert.NoError(t, r.Err, i)
		}
	}
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{ids[7], ids[9]})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, true, got[0].Fields["dnc.email"])
	assert.Equal(t, true, got[1].Fields["dnc.email"], "written without its 0, but with its do-not-contact")

	up := make([]connectors.Record, len(ids))
	for i, id := range ids {
		up[i] = connectors.Record{ID: id, Fields: map[string]any{"cf_number": float64(i % 2)}}
	}
	res, err = e.client.Update(ctx, connectors.ObjectContact, up)
	require.NoError(t, err)
	for i, r := range res {
		if i%2 == 0 { // dropped, whether the field held 1, 2 or nothing

			require.Error(t, r.Err, i)
			assert.Contains(t, r.Err.Error(), `field "cf_number"`)
		} else {
			assert.NoError(t, r.Err, i)
		}
	}
}

// zeroValue follows PHP: is_numeric, then (int) == 0.
func TestZeroValue(t *testing.T) {
	tests := []struct {
		in   any
		drop bool
	}{
		{0.0, true}, {0, true}, {0.99, true}, {-0.5, true}, {1.0, false}, {-1.0, false}, {12.0, false},
		{"0", true}, {" 0 ", true}, {"0.0", true}, {".5", true}, {"-0.3", true}, {"+0", true}, {"1e-5", true}, {"0e3", true},
		{"1", false}, {"10", false}, {"1e3", false}, {"", false}, {"abc", false}, {"0x0", false}, {"0,5", false}, {"-", false},
		{true, false}, {false, false}, {nil, false}, {[]string{"0"}, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%#v", tt.in), func(t *testing.T) {
			_, drop := zeroValue(tt.in)
			assert.Equal(t, tt.drop, drop)
		})
	}
}

// Automation merges a company created with the name of another into it (/companies/new
// without force, every item of batch/new): the connector creates such companies one by one
// with force=1, and batches the others, so that two companies of one name stay two.
func TestCompanyCreatesNeverMerge(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 1) // company 1: "Conseil Paris 00000"
	e.sim.Kit().ResetCounts()
	res, err := e.client.Create(ctx, connectors.ObjectCompany, []connectors.Record{
		{Fields: map[string]any{"companyname": "conseil paris 00000", "siret": "2"}}, // taken in Automation
		{Fields: map[string]any{"companyname": "Dupont SA", "siret": "3"}},
		{Fields: map[string]any{"companyname": "Dupont SA ", "siret": "4"}}, // again in the call
		{Fields: map[string]any{"companyname": "Martin", "siret": "5"}},
		{Fields: map[string]any{"companyemail": "no-name@example.com"}}, // refused
		{Fields: map[string]any{"companyname": nil}},                    // refused too, in the batch
	})
	require.NoError(t, err)
	for i, r := range res[:4] {
		require.NoError(t, r.Err, i)
		assert.True(t, r.Created, i)
	}
	assert.Contains(t, kindOf(t, res[4].Err).Fields, "companyname")
	assert.Contains(t, kindOf(t, res[5].Err).Fields, "companyname")
	assert.Equal(t, 5, e.sim.Count("companies"), "four created, none merged")
	seen := map[string]bool{"1": true}
	for _, r := range res[:4] {
		assert.False(t, seen[r.ID], "a company of its own")
		seen[r.ID] = true
	}
	assert.Equal(t, map[string]int{
		"GET /api/companies":            1, // the names taken
		"POST /api/companies/batch/new": 1, // Dupont SA, Martin, the nameless ones
		"POST /api/companies/new":       2, // conseil paris 00000, Dupont SA again
	}, e.sim.Kit().Counts())
	got, err := e.client.Get(ctx, connectors.ObjectCompany, []string{"1", res[0].ID})
	require.NoError(t, err)
	assert.Equal(t, simkit.CompanyAt(0).SIRET, got[0].Fields["siret"], "the existing company is left as it was")
	assert.Equal(t, "2", got[1].Fields["siret"])
}

// Calls per company created, on an import of new companies: the batches alone before, a
// lookup of the names per ~200 more now; none more when the connection matches companies on
// their name (its lookup has just found them absent).
func TestCompanyCreateCalls(t *testing.T) {
	const n = 1000
	recs := make([]connectors.Record, n)
	names := make([]string, n)
	for i := range recs {
		names[i] = fmt.Sprintf("Entreprise %04d", i)
		recs[i] = connectors.Record{Fields: map[string]any{"companyname": names[i]}}
	}
	tests := []struct {
		name       string
		lookFirst  bool
		seedTaken  int // companies of the names already in Automation
		wantCalls  int
		wantSingle int
	}{
		{"new names", false, 0, 5 + 5, 0},                // 5 lookups of 200 names, 5 batches
		{"after a lookup on companyname", true, 0, 5, 0}, // batches only
		{"a tenth taken", false, 100, 5 + 5 + 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			ctx := context.Background()
			if tt.seedTaken > 0 {
				seed := make([]connectors.Record, tt.seedTaken)
				for i := range seed {
					seed[i] = connectors.Record{Fields: map[string]any{"companyname": names[i*10]}}
				}
				_, err := e.client.Create(ctx, connectors.ObjectCompany, seed)
				require.NoError(t, err)
			}
			if tt.lookFirst {
				found, err := e.client.FindByKey(ctx, connectors.ObjectCompany, "companyname", names)
				require.NoError(t, err)
				require.Empty(t, found)
			}
			e.sim.Kit().ResetCounts()
			res, err := e.client.Create(ctx, connectors.ObjectCompany, recs)
			require.NoError(t, err)
			for _, r := range res {
				require.NoError(t, r.Err)
				require.True(t, r.Created)
			}
			counts := e.sim.Kit().Counts()
			assert.Equal(t, tt.wantCalls, e.sim.Kit().Total(), "%v", counts)
			assert.Equal(t, tt.wantSingle, counts["POST /api/companies/new"])
			assert.Equal(t, n+tt.seedTaken, e.sim.Count("companies"))
			t.Logf("%s: %d calls for %d companies (%.4f a company; batches alone: %.4f)", tt.name, e.sim.Kit().Total(), n, float64(e.sim.Kit().Total())/n, float64(n/BatchSize)/n)
		})
	}
}

// A name the database takes for the same (case, accents) is taken.
func TestCompanyNamesTakenLoosely(t *testing.T) {
	tests := []struct {
		batch []string
		found []string // companynames of the companies the query found
		want  []string // keys taken
	}{
		{[]string{"Société Générale", "Martin"}, []string{"SOCIETE GENERALE"}, []string{"societe generale"}},
		{[]string{"Œuvre", "Martin"}, []string{"oeuvre"}, []string{"oeuvre"}},
		{[]string{"A-B", "Martin"}, []string{"a b"}, []string{"a-b"}},
		{[]string{"Strasse", "Martin"}, []string{"Straße"}, []string{"strasse"}},
		{[]string{"Ａｃｍｅ", "Martin"}, []string{"Acme"}, []string{"ａｃｍｅ", "martin"}}, // not understood: all taken
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.batch, ","), func(t *testing.T) {
			var ents []*entity
			for _, n := range tt.found {
				ents = append(ents, &entity{ID: "1", Fields: entityFields{All: map[string]any{"companyname": n}}})
			}
			var got []string
			for k := range takenIn(tt.batch, ents) {
				got = append(got, k)
			}
			assert.ElementsMatch(t, tt.want, got)
		})
	}
}

// An unreadable company among those found hides its name: every name of the lookup is taken.
func TestCompanyNamesTakenUnreadable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"total":"1","companies":{"4":{"id":4,"fields":{"all":"broken"}}}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass})
	require.NoError(t, err)
	taken, err := c.companyNamesTaken(context.Background(), []string{"A", "B"})
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"a": true, "b": true}, taken)
}

// Mautic's properties.scale reaches the field description: a number field without one is read
// back as a whole number (scale 0).
func TestDescribeNumberScale(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	require.NoError(t, e.sim.AddField("company", sim.FieldDef{Alias: "ca", Type: "number", Scale: 3}))
	scaleOf := func(object string) map[string]*int {
		fields, err := e.client.Describe(ctx, object)
		require.NoError(t, err)
		out := map[string]*int{}
		for _, f := range fields {
			out[f.Name] = f.Scale
		}
		return out
	}
	one := func(n int) *int { return &n }
	company := scaleOf(connectors.ObjectCompany)
	assert.Equal(t, one(0), company["companynumber_of_employees"])
	assert.Equal(t, one(2), company["companyannual_revenue"])
	assert.Equal(t, one(3), company["ca"])
	assert.Nil(t, company["companyname"])
	contact := scaleOf(connectors.ObjectContact)
	assert.Equal(t, one(2), contact["cf_number"])
	assert.Equal(t, one(0), contact["points"])
	assert.Nil(t, contact["dnc.email"])

	for props, want := range map[string]int{`{"scale":2}`: 2, `{"scale":"3"}`: 3, `{"scale":""}`: 0, `{"scale":null}`: 0,
		`{"roundmode":4}`: 0, `[]`: 0, `{"scale":-1}`: 0} {
		assert.Equal(t, &want, numberScale("number", json.RawMessage(props)), props)
	}
	assert.Nil(t, numberScale("text", json.RawMessage(`{"scale":2}`)))
}

// Anonymous contacts (website visitors) are left out of List, Get and FindByKey: they cannot
// be matched, and each would be quarantined for its missing e-mail on every pass.
func TestAnonymousContactsLeftOut(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 2)
	visitors := e.sim.AddVisitors(3) // 3, 4, 5, in Lyon
	p, err := e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{})
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2"}, ids(p.Records))
	got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1", "3", "4"})
	require.NoError(t, err)
	assert.Equal(t, []string{"1"}, ids(got))
	found, err := e.client.FindByKey(ctx, connectors.ObjectContact, "city", []string{"Lyon"})
	require.NoError(t, err)
	assert.Empty(t, found)
	gone, err := e.client.Gone(ctx, connectors.ObjectContact, []string{"3"})
	require.NoError(t, err)
	assert.Empty(t, gone, "a visitor is not a deleted contact")
	assert.Len(t, visitors, 3)

	// Given an e-mail, a visitor is identified and read as any contact changed since.
	e.clock.Advance(time.Hour)
	since := e.clock.Now()
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "4", Fields: map[string]any{"email": "known@example.com"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	p, err = e.client.List(ctx, connectors.ObjectContact, connectors.ListQuery{Since: since})
	require.NoError(t, err)
	assert.Equal(t, []string{"4"}, ids(p.Records))

	q := url.Values{}
	identifiedOnly(q, connectors.ObjectCompany)
	assert.Empty(t, q, "companies have no anonymous ones")
}

// The values a write answers with are read from every shape Mautic gives them.
func TestEchoedValues(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		key    string
		single bool
		n      int
		want   []map[string]any
	}{
		{"batch array", `{"contacts":[{"id":1,"fields":{"core":{},"all":{"cf_number":5}}},null],"statusCodes":[200,404]}`, "contacts", false, 2,
			[]map[string]any{{"cf_number": 5.0}, nil}},
		{"batch keyed by index", `{"companies":{"1":{"fields":{"all":{"companyname":"A"}}}}}`, "companies", false, 2,
			[]map[string]any{nil, {"companyname": "A"}}},
		{"single", `{"company":{"id":3,"fields":{"all":{"companyannual_revenue":null}}}}`, "company", true, 1,
			[]map[string]any{{"companyannual_revenue": nil}}},
		{"groups without all", `{"contact":{"fields":{"core":{"points":{"alias":"points","value":"5"}},"personal":[]}}}`, "contact", true, 1,
			[]map[string]any{{"points": "5"}}},
		{"all empty", `{"contact":{"fields":{"all":[]}}}`, "contact", true, 1, []map[string]any{{}}},
		{"no fields", `{"contact":{"id":3}}`, "contact", true, 1, []map[string]any{nil}},
		{"not JSON", `<html>`, "contact", true, 1, []map[string]any{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, echoedValues([]byte(tt.raw), tt.key, tt.single, tt.n))
		})
	}
}
