package recordactions

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/connectors/minicrm"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/unas"
	"github.com/crmsync/crmsync/connectors/weavy"
)

// Each connector says which of its calls may be sent again after a lost answer; its own
// retries and the any-call activity both judge by it.
func TestRepeatableByConnector(t *testing.T) {
	tests := []struct {
		name         string
		c            connectors.Caller
		method, path string
		want         bool
	}{
		{"Sellsy GET", &sellsy.Client{}, "GET", "/companies/1", true},
		{"Sellsy search", &sellsy.Client{}, "POST", "/companies/search", true},
		{"Sellsy create", &sellsy.Client{}, "POST", "/companies", false},
		{"Automation PATCH", &mautic.Client{}, "PATCH", "/api/contacts/1/edit", true},
		{"Automation PUT creates", &mautic.Client{}, "PUT", "/api/contacts/1/edit", false},
		{"Automation create", &mautic.Client{}, "POST", "/api/contacts/new", false},
		{"weavy Select", &weavy.Client{}, "POST", "/v1/Data/crm/Select", true},
		{"weavy create", &weavy.Client{}, "POST", "/v1/Data/crm/customer", false},
		{"weavy PUT", &weavy.Client{}, "PUT", "/v1/Data/crm/customer/C1", true},
		{"Altior PATCH", &altior.Client{}, "PATCH", "/api/v1/tiers/T1", true},
		{"Altior create", &altior.Client{}, "POST", "/api/v1/tiers", false},
		{"MiniCRM PUT to a record", &minicrm.Client{}, "PUT", "/Api/R3/Contact/12", true},
		{"MiniCRM PUT to a collection creates", &minicrm.Client{}, "PUT", "/Api/R3/Contact", false},
		{"MiniCRM GET", &minicrm.Client{}, "GET", "/Api/R3/Category", true},
		{"UNAS get… reads", &unas.Client{}, "POST", "/getOrderStatus", true},
		{"UNAS set… writes", &unas.Client{}, "POST", "/setOrder", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.c.Repeatable(tt.method, tt.path))
		})
	}
}
