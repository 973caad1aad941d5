package connectors

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOpPath(t *testing.T) {
	tests := []struct {
		name, path, want string
	}{
		{"no id", "/api/contacts", "/api/contacts"},
		{"numeric id", "/api/contacts/12", "/api/contacts/{id}"},
		{"ids inside", "/api/companies/3/contact/12/add", "/api/companies/{id}/contact/{id}/add"},
		{"versions kept", "/v1/Data/crm/customer", "/v1/Data/crm/customer"},
		{"R3 kept", "/Api/R3/Project/5001", "/Api/R3/Project/{id}"},
		{"dotted version kept", "/v2.1/items/7", "/v2.1/items/{id}"},
		{"code with digits", "/api/v1/tiers/T000042/contacts", "/api/v1/tiers/{id}/contacts"},
		{"dashed code", "/v1/Data/crm/customer/CUS-000001", "/v1/Data/crm/customer/{id}"},
		{"e-mail", "/api/contacts/anna@example.com", "/api/contacts/{id}"},
		{"escaped value", "/api/contacts/anna%40example.com", "/api/contacts/{id}"},
		{"query dropped", "/api/contacts/12?search=anna", "/api/contacts/{id}"},
		{"trailing slash", "/api/contacts/12/", "/api/contacts/{id}/"},
		{"root", "/", "/"},
		{"function", "/getOrder", "/getOrder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, OpPath(tc.path))
		})
	}
}
