package sim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every search filter the spec documents for companies (CompaniesSearchCompaniesRequest),
// contacts (ContactFilters) and individuals (IndividualsSearchResultsRequest) is accepted and
// served from the stored data, favourite_filter on opportunities too; each request and answer
// is checked against the spec, and the table must use every filter the spec lists.
func TestSearchFiltersOfTheSpec(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 20) // companies 1–4 in Paris (75001, FR), contacts 1000001–1000020
	co := func(i int) int { return firstCompanyID + i }
	ct := func(i int) int { return firstContactID + i }
	require.NoError(t, e.sim.SetAddress("companies", co(2), Address{City: "Lyon", PostalCode: "69001", CountryCode: "FR"}))
	require.NoError(t, e.sim.SetAddress("companies", co(3), Address{City: "Bruxelles", PostalCode: "1000", CountryCode: "be"}))
	require.NoError(t, e.sim.SetAddress("contacts", ct(3), Address{City: "Lyon", PostalCode: "69001", CountryCode: "FR"}))
	require.NoError(t, e.sim.SetAddress("contacts", ct(4), Address{City: "Bruxelles", PostalCode: "1000", CountryCode: "BE"}))
	for i, body := range []map[string]any{{"birth_date": "1980-05-17"}, {"birth_date": "1992-11-03"}, {"mobile_number": "+33600000002"}} {
		r := e.call("PUT", fmt.Sprintf("/v2/contacts/%d", ct(i)), body, true)
		require.Equal(t, 200, r.status, string(r.raw))
	}
	// An individual linked to contact 5 and to a contact of its own; a contact linked to nothing.
	ind := idOf(e.call("POST", "/v2/individuals", map[string]any{"type": "client", "last_name": "Durand", "email": "d@example.com"}, true).body)
	prospect := idOf(e.call("POST", "/v2/individuals", map[string]any{"type": "prospect", "last_name": "Petit"}, true).body)
	own := idOf(e.call("POST", "/v2/contacts", map[string]any{"last_name": "Own"}, true).body)
	solo := idOf(e.call("POST", "/v2/contacts", map[string]any{"last_name": "Solo"}, true).body)
	for _, c := range []int{ct(5), own} {
		r := e.call("POST", fmt.Sprintf("/v2/individuals/%d/contacts/%d", ind, c), nil, false)
		require.Contains(t, []int{200, 201}, r.status, string(r.raw))
	}
	e.sim.SeedOpportunities(4)
	opps := e.sim.Dump("opportunities")
	pipeline := int(opps[0]["pipeline"].(map[string]any)["id"].(float64))
	var oppsOfPipeline []int
	for _, o := range opps {
		if int(o["pipeline"].(map[string]any)["id"].(float64)) == pipeline {
			oppsOfPipeline = append(oppsOfPipeline, int(o["id"].(float64)))
		}
	}

	favCo, err := e.sim.AddFavouriteFilter("companies", "Lyon", map[string]any{"postal_code": []any{"69001"}})
	require.NoError(t, err)
	favCt, err := e.sim.AddFavouriteFilter("contacts", "born after 1990", map[string]any{"birth_date": map[string]any{"start": "1990-01-01"}})
	require.NoError(t, err)
	favInd, err := e.sim.AddFavouriteFilter("individuals", "clients", map[string]any{"type": "client"})
	require.NoError(t, err)
	favOpp, err := e.sim.AddFavouriteFilter("opportunities", "first pipeline", map[string]any{"pipeline": []any{pipeline}})
	require.NoError(t, err)

	now := "2026-03-02T10:00:00+00:00"
	before := "2026-03-02T09:00:00+00:00"
	seededContacts := []int{}
	for i := 0; i < 20; i++ {
		seededContacts = append(seededContacts, ct(i))
	}
	cases := []struct {
		name, path string
		filters    map[string]any
		ids        []int
	}{
		// companies
		{"companies created", "/v2/companies/search", map[string]any{"created": map[string]any{"start": before, "end": now}}, []int{co(0), co(1), co(2), co(3)}},
		{"companies updated_at", "/v2/companies/search", map[string]any{"updated_at": map[string]any{"end": before}}, nil},
		{"companies name", "/v2/companies/search", map[string]any{"name": e.sim.Dump("companies")[1]["name"]}, []int{co(1)}},
		{"companies email", "/v2/companies/search", map[string]any{"email": "contact@company00002.example.com"}, []int{co(2)}},
		{"companies type", "/v2/companies/search", map[string]any{"type": []any{"client", "prospect"}, "id": []any{co(0)}}, []int{co(0)}},
		{"companies is_archived", "/v2/companies/search", map[string]any{"is_archived": true}, nil},
		{"companies contacts", "/v2/companies/search", map[string]any{"contacts": []any{ct(7)}}, []int{co(1)}},
		{"companies siret", "/v2/companies/search", map[string]any{"siret": "10000000300010"}, []int{co(3)}},
		{"companies country_code", "/v2/companies/search", map[string]any{"country_code": "BE"}, []int{co(3)}},
		{"companies country_code any case", "/v2/companies/search", map[string]any{"country_code": "fr"}, []int{co(0), co(1), co(2)}},
		{"companies postal_code", "/v2/companies/search", map[string]any{"postal_code": []any{"69001", "1000"}}, []int{co(2), co(3)}},
		{"companies favourite_filter", "/v2/companies/search", map[string]any{"favourite_filter": favCo}, []int{co(2)}},
		{"companies favourite_filter and more", "/v2/companies/search", map[string]any{"favourite_filter": favCo, "country_code": "BE"}, nil},
		// contacts
		{"contacts companies", "/v2/contacts/search", map[string]any{"companies": []any{co(0)}}, []int{ct(0), ct(1), ct(2), ct(3), ct(4)}},
		{"contacts individuals", "/v2/contacts/search", map[string]any{"individuals": []any{ind, prospect}}, []int{ct(5), own}},
		{"contacts created", "/v2/contacts/search", map[string]any{"created": map[string]any{"start": now}, "id": []any{ct(0), solo}}, []int{ct(0), solo}},
		{"contacts updated", "/v2/contacts/search", map[string]any{"updated": map[string]any{"end": before}}, nil},
		{"contacts last_name", "/v2/contacts/search", map[string]any{"last_name": "solo"}, []int{solo}},
		{"contacts birth_date", "/v2/contacts/search", map[string]any{"birth_date": map[string]any{"start": "1980-05-17", "end": "1990-12-31"}}, []int{ct(0)}},
		{"contacts birth_date open end", "/v2/contacts/search", map[string]any{"birth_date": map[string]any{"end": "1992-11-03"}}, []int{ct(0), ct(1)}},
		{"contacts email", "/v2/contacts/search", map[string]any{"email": "person000009@example.com"}, []int{ct(9)}},
		{"contacts phone_number", "/v2/contacts/search", map[string]any{"phone_number": "+33 1 00 00 00 08"}, []int{ct(8)}},
		{"contacts mobile_number", "/v2/contacts/search", map[string]any{"mobile_number": "+33600000002"}, []int{ct(2)}},
		{"contacts id", "/v2/contacts/search", map[string]any{"id": []any{ct(11), ct(12)}}, []int{ct(11), ct(12)}},
		{"contacts favourite_filter", "/v2/contacts/search", map[string]any{"favourite_filter": favCt}, []int{ct(1)}},
		{"contacts is_linked false", "/v2/contacts/search", map[string]any{"is_linked": false}, []int{solo}},
		{"contacts is_linked to an individual only", "/v2/contacts/search", map[string]any{"is_linked": true, "last_name": "Own"}, []int{own}},
		{"contacts country_code", "/v2/contacts/search", map[string]any{"country_code": "BE"}, []int{ct(4)}},
		{"contacts postal_code", "/v2/contacts/search", map[string]any{"postal_code": []any{"75001"}, "id": []any{ct(2), ct(3), solo}}, []int{ct(2)}},
		{"contacts without an address never match", "/v2/contacts/search", map[string]any{"postal_code": []any{"75001", "69001", "1000"}}, seededContacts},
		// individuals
		{"individuals created", "/v2/individuals/search", map[string]any{"created": map[string]any{"start": now}}, []int{ind, prospect}},
		{"individuals updated_at", "/v2/individuals/search", map[string]any{"updated_at": map[string]any{"end": before}}, nil},
		{"individuals name", "/v2/individuals/search", map[string]any{"name": "petit"}, []int{prospect}},
		{"individuals email", "/v2/individuals/search", map[string]any{"email": "d@example.com"}, []int{ind}},
		{"individuals type", "/v2/individuals/search", map[string]any{"type": "prospect"}, []int{prospect}},
		{"individuals is_archived", "/v2/individuals/search", map[string]any{"is_archived": false}, []int{ind, prospect}},
		{"individuals id", "/v2/individuals/search", map[string]any{"id": []any{ind}}, []int{ind}},
		{"individuals favourite_filter", "/v2/individuals/search", map[string]any{"favourite_filter": favInd}, []int{ind}},
		// opportunities
		{"opportunities favourite_filter", "/v2/opportunities/search", map[string]any{"favourite_filter": favOpp}, oppsOfPipeline},
	}
	used := map[string]map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", c.path+"?limit=100", map[string]any{"filters": c.filters}, true)
			require.Equal(t, 200, r.status, string(r.raw))
			var got []int
			for _, d := range data(r) {
				got = append(got, int(d["id"].(float64)))
			}
			sort.Ints(got)
			assert.Equal(t, c.ids, got)
			if used[c.path] == nil {
				used[c.path] = map[string]bool{}
			}
			for k := range c.filters {
				used[c.path][k] = true
			}
		})
	}
	for path, schema := range map[string]string{
		"/v2/companies/search": "CompaniesSearchCompaniesRequest", "/v2/contacts/search": "ContactFilters",
		"/v2/individuals/search": "IndividualsSearchResultsRequest",
	} {
		filters := e.doc.Components.Schemas[schema].Value.Properties["filters"].Value.Properties
		require.NotEmpty(t, filters, schema)
		for name := range filters {
			assert.True(t, used[path][name], "%s: the spec's filter %q is not in the table", schema, name)
		}
	}
}

// A filter of the wrong shape, or a favourite filter that does not exist for the object, is
// refused with 400 naming the filter.
func TestSearchFilterRefusals(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 5)
	favCt, err := e.sim.AddFavouriteFilter("contacts", "a", map[string]any{"last_name": "Martin"})
	require.NoError(t, err)
	cases := []struct {
		name, path string
		filters    map[string]any
		field      string
	}{
		{"country_code not a string", "/v2/companies/search", map[string]any{"country_code": 33}, "filters.country_code"},
		{"postal_code not a list", "/v2/contacts/search", map[string]any{"postal_code": "75001"}, "filters.postal_code"},
		{"postal_code not strings", "/v2/companies/search", map[string]any{"postal_code": []any{75001}}, "filters.postal_code"},
		{"birth_date not a date", "/v2/contacts/search", map[string]any{"birth_date": map[string]any{"start": "17/05/1980"}}, "filters.birth_date.start"},
		{"birth_date on companies", "/v2/companies/search", map[string]any{"birth_date": map[string]any{"start": "1980-05-17"}}, "filters.birth_date"},
		{"individuals not ids", "/v2/contacts/search", map[string]any{"individuals": []any{"x"}}, "filters.individuals"},
		{"favourite_filter unknown", "/v2/contacts/search", map[string]any{"favourite_filter": 999}, "filters.favourite_filter"},
		{"favourite_filter of another object", "/v2/companies/search", map[string]any{"favourite_filter": favCt}, "filters.favourite_filter"},
		{"favourite_filter not an integer", "/v2/contacts/search", map[string]any{"favourite_filter": "a"}, "filters.favourite_filter"},
		{"unknown filter", "/v2/contacts/search", map[string]any{"shoe_size": 44}, "filters.shoe_size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", c.path, map[string]any{"filters": c.filters}, false)
			require.Equal(t, http.StatusBadRequest, r.status, string(r.raw))
			details, ok := errDetails(r).(map[string]any)
			require.True(t, ok, string(r.raw))
			assert.Contains(t, details, c.field)
			assert.Contains(t, r.body["error"].(map[string]any)["message"], c.field)
		})
	}
}

// Favourite filters and addresses are checked when they are defined, with errors naming the
// object, record and field.
func TestFavouriteFiltersAndAddressesAreChecked(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 1)
	_, err := e.sim.AddFavouriteFilter("invoices", "x", map[string]any{})
	assert.ErrorContains(t, err, `object "invoices" is not companies`)
	_, err = e.sim.AddFavouriteFilter("contacts", "x", map[string]any{"favourite_filter": 10})
	assert.ErrorContains(t, err, "cannot name another")
	_, err = e.sim.AddFavouriteFilter("companies", "x", map[string]any{"country_code": 1})
	assert.ErrorContains(t, err, "filters.country_code")
	assert.ErrorContains(t, e.sim.SetAddress("contacts", 42, Address{City: "Lyon", CountryCode: "FR"}), "contacts 42: no such record")
	assert.ErrorContains(t, e.sim.SetAddress("companies", 1, Address{City: "Lyon", CountryCode: "FRA"}), "country_code")
	assert.ErrorContains(t, e.sim.SetAddress("opportunities", 1, Address{City: "Lyon", CountryCode: "FR"}), "has no addresses")

	// The admin endpoint defines one for the sandbox.
	resp, err := http.Post(e.srv.URL+"/_sim/favourite-filters", "application/json",
		strings.NewReader(`{"object":"contacts","name":"Martin","filters":{"last_name":"martin"}}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	resp, err = http.Post(e.srv.URL+"/_sim/favourite-filters", "application/json", strings.NewReader(`{"object":"contacts","filters":{"nope":1}}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// A seeded record's address shows in its read shape.
	r := e.call("GET", "/v2/companies/1", nil, true)
	require.Equal(t, 200, r.status)
	assert.NotNil(t, r.body["invoicing_address_id"])
	assert.Equal(t, r.body["invoicing_address_id"], r.body["delivery_address_id"])
}
