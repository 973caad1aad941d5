package mautic

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// An update's company link moves only the companies it is about: a contact in several
// companies stays in the others ("companies": [id] on the contact would take it out of them).
func TestUpdateLinkKeepsOtherCompanies(t *testing.T) {
	was := connectors.LinkWas(connectors.ObjectCompany)
	tests := []struct {
		name        string
		start       []string // the companies contact 1 joins, in order: the last is primary
		links       map[string]string
		wantIDs     []string
		wantPrimary string
		wantCalls   int // add and remove calls
	}{
		{"moved to a new company", []string{"2", "1"}, map[string]string{"company": "3"}, []string{"2", "3"}, "3", 2},
		{"moved to one it is already in", []string{"3", "2", "1"}, map[string]string{"company": "2"}, []string{"2", "3"}, "2", 3},
		{"already there", []string{"2", "1"}, map[string]string{"company": "1"}, []string{"1", "2"}, "1", 0},
		{"taken out of the company read", []string{"2", "1"}, map[string]string{"company": "", was: "1"}, []string{"2"}, "2", 1},
		{"taken out of a company it left since", []string{"2", "1"}, map[string]string{"company": "", was: "3"}, []string{"1", "2"}, "1", 0},
		{"taken out, the company read unknown", []string{"3", "1"}, map[string]string{"company": ""}, []string{"3"}, "3", 1},
		{"taken out of its only company", []string{"1"}, map[string]string{"company": "", was: "1"}, nil, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			ctx := context.Background()
			e.sim.SeedPeople(0, 15) // companies 1..3; contact 1 in company 1
			_, err := e.client.do(ctx, http.MethodPost, "/companies/1/contact/1/remove", "", nil, nil)
			require.NoError(t, err)
			for _, c := range tt.start {
				_, err := e.client.do(ctx, http.MethodPost, "/companies/"+c+"/contact/1/add", "", nil, nil)
				require.NoError(t, err)
			}
			e.sim.Kit().ResetCounts()

			res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{}, Links: tt.links}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)

			counts := e.sim.Kit().Counts()
			assert.Equal(t, tt.wantCalls, counts["POST /api/companies/{companyId}/contact/{contactId}/add"]+
				counts["POST /api/companies/{companyId}/contact/{contactId}/remove"])
			ids, primary, err := e.client.contactCompanies(ctx, "1")
			require.NoError(t, err)
			slices.Sort(ids)
			assert.Equal(t, tt.wantIDs, ids)
			assert.Equal(t, tt.wantPrimary, primary)
			got, err := e.client.Get(ctx, connectors.ObjectContact, []string{"1"})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.wantPrimary, got[0].Links[connectors.ObjectCompany], "the contact reads its primary company")
		})
	}
}

// A failed link write fails the record, naming the contact, the company and the field.
func TestUpdateLinkFailureNamesTheCompany(t *testing.T) {
	e := setup(t, sim.Options{})
	ctx := context.Background()
	e.sim.SeedPeople(0, 5)
	res, err := e.client.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{"position": "CEO"}, Links: map[string]string{"company": "777"}}})
	require.NoError(t, err)
	ce := kindOf(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Contains(t, ce.Message, "contact 1: could not be put in company 777")
	assert.Contains(t, ce.Fields, "companies")
}

// GET /contacts/{id}/companies holds DBAL rows: numbers as strings or as numbers, the list as
// an array or as an object keyed by index.
func TestContactCompaniesShapes(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		ids     []string
		primary string
	}{
		{"strings", `{"total":"2","companies":[{"company_id":"4","is_primary":"0"},{"company_id":"9","is_primary":"1"}]}`, []string{"4", "9"}, "9"},
		{"numbers", `{"total":2,"companies":[{"company_id":4,"is_primary":1},{"company_id":9,"is_primary":0}]}`, []string{"4", "9"}, "4"},
		{"booleans", `{"total":1,"companies":[{"company_id":4,"is_primary":true}]}`, []string{"4"}, "4"},
		{"keyed", `{"total":1,"companies":{"0":{"company_id":"7","is_primary":"1"}}}`, []string{"7"}, "7"},
		{"none", `{"total":0,"companies":[]}`, nil, ""},
		{"none as an object", `{"total":0,"companies":{}}`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "/api/contacts/5/companies", r.URL.Path)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000})
			require.NoError(t, err)
			ids, primary, err := c.contactCompanies(context.Background(), "5")
			require.NoError(t, err)
			slices.Sort(ids)
			assert.Equal(t, tt.ids, ids)
			assert.Equal(t, tt.primary, primary)
		})
	}
}
