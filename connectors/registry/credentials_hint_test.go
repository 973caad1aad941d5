package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	altiorsim "github.com/crmsync/crmsync/connectors/altior/sim"
	mauticsim "github.com/crmsync/crmsync/connectors/mautic/sim"
	minicrmsim "github.com/crmsync/crmsync/connectors/minicrm/sim"
	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	weavysim "github.com/crmsync/crmsync/connectors/weavy/sim"
)

// wrongSecret is the refused credential's value: no error may show it.
const wrongSecret = "wr0ng-s3cret-value"

// A refused login ends with the variables that hold the credentials and where the connection
// names them, so that whoever reads the error (or the worker's pause) knows what to fix; it
// never shows a credential's value, and it stays a configuration error.
func TestRefusedCredentialsNameTheirVariables(t *testing.T) {
	for _, tt := range []struct {
		name     string
		sim      http.Handler
		system   config.System
		env      map[string]string // the variables, the refused one set to wrongSecret
		object   string
		status   int // the refusal's, as the connector reports it without the hint
		wantTail string
	}{
		{
			name: "sellsy", sim: sellsysim.New(sellsysim.Options{ClientID: "id", ClientSecret: "right"}),
			system: config.System{System: "sellsy", Settings: map[string]string{"api_url": "{url}/v2", "token_url": "{url}/oauth2/access-tokens"},
				Credentials: map[string]string{"client_id": "HINT_SELLSY_CLIENT_ID", "client_secret": "HINT_SELLSY_CLIENT_SECRET"}},
			env:      map[string]string{"HINT_SELLSY_CLIENT_ID": "id", "HINT_SELLSY_CLIENT_SECRET": wrongSecret},
			object:   "company",
			status:   http.StatusUnauthorized,
			wantTail: "check HINT_SELLSY_CLIENT_ID and HINT_SELLSY_CLIENT_SECRET (a.credentials of conns/hint.yaml)",
		},
		{
			name: "mautic", sim: mauticsim.New(mauticsim.Options{Username: "user", Password: "right"}),
			system: config.System{System: "mautic", Settings: map[string]string{"base_url": "{url}"},
				Credentials: map[string]string{"username": "HINT_MAUTIC_USER", "password": "HINT_MAUTIC_PASSWORD"}},
			env:      map[string]string{"HINT_MAUTIC_USER": "user", "HINT_MAUTIC_PASSWORD": wrongSecret},
			object:   "company",
			status:   http.StatusUnauthorized,
			wantTail: "check HINT_MAUTIC_USER and HINT_MAUTIC_PASSWORD (a.credentials of conns/hint.yaml)",
		},
		{
			name: "weavy", sim: weavysim.New(weavysim.Options{UserName: "user", Password: "right"}),
			system: config.System{System: "weavy", Settings: map[string]string{"base_url": "{url}", "project": "crm"},
				Credentials: map[string]string{"username": "HINT_WEAVY_USER", "password": "HINT_WEAVY_PASSWORD"}},
			env:      map[string]string{"HINT_WEAVY_USER": "user", "HINT_WEAVY_PASSWORD": wrongSecret},
			object:   "company",
			status:   http.StatusUnauthorized,
			wantTail: "check HINT_WEAVY_USER and HINT_WEAVY_PASSWORD (a.credentials of conns/hint.yaml)",
		},
		{
			name: "altior", sim: altiorsim.New(altiorsim.Options{APIKey: "right"}),
			system: config.System{System: "altior", Settings: map[string]string{"base_url": "{url}"},
				Credentials: map[string]string{"api_key": "HINT_ALTIOR_KEY"}},
			env:      map[string]string{"HINT_ALTIOR_KEY": wrongSecret},
			object:   "company",
			status:   http.StatusUnauthorized,
			wantTail: "check HINT_ALTIOR_KEY (a.credentials of conns/hint.yaml)",
		},
		{
			name: "unas", sim: unassim.New(unassim.Options{APIKey: "right"}),
			system: config.System{System: "unas", Settings: map[string]string{"base_url": "{url}/shop"},
				Credentials: map[string]string{"api_key": "HINT_UNAS_KEY"}},
			env:      map[string]string{"HINT_UNAS_KEY": wrongSecret},
			object:   "order",
			status:   http.StatusBadRequest,
			wantTail: "check HINT_UNAS_KEY (a.credentials of conns/hint.yaml)",
		},
		{
			name: "minicrm", sim: minicrmsim.New(minicrmsim.Options{SystemID: "12345", APIKey: "right"}),
			system: config.System{System: "minicrm", Settings: map[string]string{"base_url": "{url}"},
				Credentials: map[string]string{"system_id": "HINT_MINICRM_SYSTEM", "api_key": "HINT_MINICRM_KEY"}},
			env:      map[string]string{"HINT_MINICRM_SYSTEM": "12345", "HINT_MINICRM_KEY": wrongSecret},
			object:   "person",
			status:   http.StatusUnauthorized,
			wantTail: "check HINT_MINICRM_SYSTEM and HINT_MINICRM_KEY (a.credentials of conns/hint.yaml)",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.sim)
			t.Cleanup(srv.Close)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			sys := tt.system
			for k, v := range sys.Settings {
				if len(v) >= 5 && v[:5] == "{url}" {
					sys.Settings[k] = srv.URL + v[5:]
				}
			}
			c := &config.Connection{File: "conns/hint.yaml", Name: "hint", A: sys}
			conn, err := Open(c, "a", nil)
			require.NoError(t, err)

			_, err = conn.List(context.Background(), tt.object, connectors.ListQuery{})

			require.Error(t, err)
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
			var ce *connectors.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.status, ce.Status)
			assert.Contains(t, err.Error(), tt.wantTail)
			assert.NotContains(t, err.Error(), wrongSecret)
		})
	}
}

func TestCredentialsHint(t *testing.T) {
	c := &config.Connection{File: "conn.yaml",
		A: config.System{System: "minicrm", Credentials: map[string]string{"system_id": "M_SYS", "api_key": "M_KEY", "webhook_secret": "M_HOOK"}},
		B: config.System{System: "unas", Credentials: map[string]string{}}}
	for _, tt := range []struct {
		name, side string
		keys       []string
		want       string
	}{
		{"one", "a", []string{"api_key"}, "check M_KEY (a.credentials of conn.yaml)"},
		{"two, in the order asked", "a", []string{"system_id", "api_key"}, "check M_SYS and M_KEY (a.credentials of conn.yaml)"},
		{"three", "a", []string{"system_id", "api_key", "webhook_secret"}, "check M_SYS, M_KEY and M_HOOK (a.credentials of conn.yaml)"},
		{"none named: no hint", "b", []string{"api_key"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, credentialsHint(c, tt.side, tt.keys...))
		})
	}
}
