package sim

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A company stores and reads back the fields of CompaniesCreateNewCompanyRequest beyond the
// basics (social, marketing subscriptions, rate category, accounting codes, business segment
// and number of employees — integers on write, {id, label} on read), and an update clears
// them with null; an individual those of IndividualsCreateNewIndividualRequest. They used to
// be accepted and dropped. Requests and answers are checked against the spec.
func TestCompanyAndIndividualFields(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name, path string
		create     map[string]any
		update     map[string]any // applied after the create
		want       map[string]any // read back after both
		bad        string         // a refused field of create, when set
	}{
		{"company: every field", "/v2/companies",
			map[string]any{"type": "client", "name": "ACME", "social": map[string]any{"twitter": "https://twitter.com/acme", "linkedin": "https://linkedin.com/acme"},
				"marketing_campaigns_subscriptions": []any{"sms", "email"}, "rate_category_id": 9956, "accounting_code_id": 12345,
				"accounting_purchase_code_id": 98556, "business_segment": 3, "number_of_employees": 1},
			nil,
			map[string]any{"social": map[string]any{"twitter": "https://twitter.com/acme", "facebook": "", "linkedin": "https://linkedin.com/acme", "viadeo": ""},
				"marketing_campaigns_subscriptions": []any{"email", "sms"}, "rate_category_id": 9956.0, "accounting_code_id": 12345.0,
				"accounting_purchase_code_id": 98556.0, "business_segment": map[string]any{"id": 3.0, "label": "Software publisher / Digital services company"},
				"number_of_employees": map[string]any{"id": 1.0, "label": "From 1 to 5"}}, ""},
		{"company: cleared by an update", "/v2/companies",
			map[string]any{"type": "client", "name": "ACME", "social": map[string]any{"twitter": "https://twitter.com/acme"}, "marketing_campaigns_subscriptions": []any{"sms"},
				"rate_category_id": 9956, "business_segment": 3, "number_of_employees": 1},
			map[string]any{"social": map[string]any{"twitter": nil}, "marketing_campaigns_subscriptions": []any{}, "rate_category_id": nil,
				"business_segment": nil, "number_of_employees": nil},
			map[string]any{"social": map[string]any{"twitter": "", "facebook": "", "linkedin": "", "viadeo": ""}, "marketing_campaigns_subscriptions": []any{},
				"rate_category_id": nil, "business_segment": nil, "number_of_employees": nil}, ""},
		{"company: an id is an integer", "/v2/companies", map[string]any{"type": "client", "name": "X", "business_segment": "software"}, nil, nil, "business_segment"},
		{"company: has no sync", "/v2/companies", map[string]any{"type": "client", "name": "X", "sync": map[string]any{"mailchimp": true}}, nil, nil, "sync"},
		{"individual: every field", "/v2/individuals",
			map[string]any{"type": "prospect", "last_name": "Durand", "social": map[string]any{"facebook": "https://facebook.com/durand"},
				"sync": map[string]any{"mailjet": true}, "rate_category_id": 7, "accounting_code_id": 8, "accounting_purchase_code_id": 9},
			map[string]any{"accounting_code_id": nil},
			map[string]any{"social": map[string]any{"twitter": "", "facebook": "https://facebook.com/durand", "linkedin": "", "viadeo": ""},
				"sync": map[string]any{"mailchimp": false, "mailjet": true, "simplemail": false}, "rate_category_id": 7.0, "accounting_code_id": nil,
				"accounting_purchase_code_id": 9.0}, ""},
		{"individual: an id is an integer", "/v2/individuals", map[string]any{"type": "client", "last_name": "X", "rate_category_id": 0}, nil, nil, "rate_category_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call("POST", tc.path, tc.create, tc.bad == "")
			if tc.bad != "" {
				require.Equal(t, 400, r.status, string(r.raw))
				assert.Contains(t, r.body["error"].(map[string]any)["details"], tc.bad)
				return
			}
			require.Equal(t, 201, r.status, string(r.raw))
			path := fmt.Sprintf("%s/%d", tc.path, idOf(r.body))
			if tc.update != nil {
				u := e.call("PUT", path, tc.update, true)
				require.Equal(t, 200, u.status, string(u.raw))
			}
			got := e.call("GET", path, nil, true)
			require.Equal(t, 200, got.status)
			for k, v := range tc.want {
				assert.Equal(t, v, got.body[k], k)
			}
		})
	}
	// Individuals have smart tags, as the spec's /individuals/{id}/smart-tags.
	id := idOf(e.call("POST", "/v2/individuals", map[string]any{"type": "client", "last_name": "Tagged"}, false).body)
	r := e.call("POST", fmt.Sprintf("/v2/individuals/%d/smart-tags", id), []map[string]any{{"value": "vip"}}, false)
	require.Equal(t, 200, r.status, string(r.raw))
	assert.Equal(t, []string{"vip"}, e.sim.SmartTags("individuals", fmt.Sprint(id)))
}
