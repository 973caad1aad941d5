package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
)

func TestOpen(t *testing.T) {
	t.Setenv("REG_SELLSY_ID", "id")
	t.Setenv("REG_SELLSY_SECRET", "secret")
	t.Setenv("REG_MAUTIC_USER", "user")
	t.Setenv("REG_MAUTIC_PASSWORD", "password")
	sellsy := config.System{System: "sellsy", Settings: map[string]string{"api_url": "http://127.0.0.1:1/v2", "token_url": "http://127.0.0.1:1/oauth2/access-tokens"},
		Credentials: map[string]string{"client_id": "REG_SELLSY_ID", "client_secret": "REG_SELLSY_SECRET"}}
	mautic := config.System{System: "mautic", Settings: map[string]string{"base_url": "http://127.0.0.1:1"},
		Credentials: map[string]string{"username": "REG_MAUTIC_USER", "password": "REG_MAUTIC_PASSWORD"}}

	tests := []struct {
		name    string
		a, b    func(s config.System) config.System
		side    string
		system  string
		wantErr string
	}{
		{name: "sellsy on side a", side: "a", system: "sellsy"},
		{name: "mautic on side b", side: "b", system: "mautic"},
		{name: "unknown system", side: "a", a: func(s config.System) config.System { s.System = "hubspot"; return s }, wantErr: `conn.yaml: a: system "hubspot" is not supported`},
		{name: "bad rate", side: "b", b: func(s config.System) config.System {
			s.Settings = map[string]string{"base_url": "http://x", "requests_per_second": "fast"}
			return s
		}, wantErr: `conn.yaml: b: settings.requests_per_second: "fast" is not a positive number`},
		{name: "missing credential", side: "a", a: func(s config.System) config.System {
			s.Credentials = map[string]string{"client_id": "REG_UNSET_VAR", "client_secret": "REG_SELLSY_SECRET"}
			return s
		}, wantErr: "REG_UNSET_VAR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &config.Connection{File: "conn.yaml", Name: "c", A: sellsy, B: mautic}
			if tt.a != nil {
				c.A = tt.a(c.A)
			}
			if tt.b != nil {
				c.B = tt.b(c.B)
			}
			conn, err := Open(c, tt.side, nil)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "secret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.system, conn.System())
		})
	}
}

func TestMappedFields(t *testing.T) {
	c := &config.Connection{Objects: []config.Object{
		{Name: "company", AObject: "company", BObject: "company", Match: config.FieldPair{A: "name", B: "companyname"},
			Fields: []config.Field{{A: "name", B: "companyname"}, {A: "cf.cf_text", B: "cf_text"}}},
		{Name: "contact", AObject: "contact", BObject: "contact", Match: config.FieldPair{A: "email", B: "email"},
			Fields: []config.Field{{A: "cf.cf_date", B: "cf_date"}}},
	}}
	assert.Equal(t, map[string][]string{"company": {"name", "name", "cf.cf_text"}, "contact": {"email", "cf.cf_date"}}, mappedFields(c, "a"))
	assert.Equal(t, map[string][]string{"company": {"companyname", "companyname", "cf_text"}, "contact": {"email", "cf_date"}}, mappedFields(c, "b"))
}
