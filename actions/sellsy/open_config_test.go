package sellsyactions

import (
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions/actiontest"
	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A Sellsy activity whose connection's file, saved since the worker started, cannot give it a
// client — the file does not validate, a credential's variable is unset or empty, the file
// no longer has a Sellsy side — fails as a ConfigurationError, not retried, naming the file
// and the reason: a retry cannot fix a file, and a retryable error had the caller's workflow
// retry it until someone did.
func TestSourceOfASavedFileItCannotOpenIsAConfigurationError(t *testing.T) {
	srv := httptest.NewServer(sim.New(sim.Options{ClientID: "cid", ClientSecret: "s3cr3t-value", RequestsPerSecond: -1}))
	t.Cleanup(srv.Close)
	sellsySide := func(credentials string) string {
		return `{system: sellsy, settings: {api_url: "` + srv.URL + `/v2", token_url: "` + srv.URL + `/oauth2/access-tokens"}, credentials: {` + credentials + `}}`
	}
	const mautic = `{system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: OC_USER, password: OC_PASS}}`
	file := func(a string) string {
		return "name: crm\na: " + a + "\nb: " + mautic + "\nobjects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]\n"
	}
	loaded := file(sellsySide("client_id: OC_ID, client_secret: OC_SECRET"))
	tests := []struct {
		name  string
		saved string
		want  []string
	}{
		{"the file does not validate", loaded + "schedule: {max_deletes: lots}\n", []string{"crm.yaml", "max_deletes"}},
		{"a credential's variable is empty", file(sellsySide("client_id: OC_ID, client_secret: OC_EMPTY")),
			[]string{"crm.yaml", "OC_EMPTY", "credentials.client_secret"}},
		{"a credential's variable is unset", file(sellsySide("client_id: OC_ID, client_secret: OC_UNSET")),
			[]string{"crm.yaml", "OC_UNSET"}},
		{"an API V1 token's variable is empty", file(sellsySide("client_id: OC_ID, client_secret: OC_SECRET, v1_consumer_token: OC_EMPTY, v1_consumer_secret: OC_V1, v1_user_token: OC_V1, v1_user_secret: OC_V1")),
			[]string{"crm.yaml", "OC_EMPTY", "credentials.v1_consumer_token"}},
		{"the file no longer has a Sellsy side", file(mautic), []string{"crm.yaml", "no sellsy side"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range map[string]string{"OC_ID": "cid", "OC_SECRET": "s3cr3t-value", "OC_V1": "v1-t0ken-value", "OC_USER": "u", "OC_PASS": "p", "OC_EMPTY": ""} {
				t.Setenv(k, v)
			}
			path := filepath.Join(t.TempDir(), "crm.yaml")
			require.NoError(t, os.WriteFile(path, []byte(loaded), 0o600))
			c, err := config.Load(path)
			require.NoError(t, err)
			conns := activities.NewConnections([]*config.Connection{c})
			src, err := NewSource([]*config.Connection{c}, "", conns, nil)
			require.NoError(t, err)
			a := &Actions{Source: src.Client}
			_, err = a.client()
			require.NoError(t, err)

			require.NoError(t, os.WriteFile(path, []byte(tc.saved), 0o600))
			later := time.Now().Add(time.Minute)
			require.NoError(t, os.Chtimes(path, later, later))
			_, err = a.client()
			ae := actiontest.AppErr(t, err)
			assert.Equal(t, ErrTypeConfiguration, ae.Type(), err.Error())
			assert.True(t, ae.NonRetryable())
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, secret := range []string{"s3cr3t-value", "v1-t0ken-value"} {
				assert.NotContains(t, err.Error(), secret, "no credential's value")
			}
		})
	}
}

// A Configs whose error is not classified (any reading of the file) fails the activities as
// a ConfigurationError too.
func TestSourceOfAnUnreadableFileIsAConfigurationError(t *testing.T) {
	t.Setenv("T_ID", "cid")
	t.Setenv("T_SEC", "sec")
	c := &config.Connection{Name: "crm", File: "crm.yaml", B: config.System{System: "mautic"},
		A: config.System{System: "sellsy", Settings: map[string]string{"api_url": "http://127.0.0.1:1/v2"},
			Credentials: map[string]string{"client_id": "T_ID", "client_secret": "T_SEC"}}}
	files := &fileVersions{c: c}
	src, err := NewSource([]*config.Connection{c}, "", files, nil)
	require.NoError(t, err)
	files.err = errors.New("crm.yaml: permission denied")
	_, err = (&Actions{Source: src.Client}).client()
	ae := actiontest.AppErr(t, err)
	assert.Equal(t, ErrTypeConfiguration, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, err.Error(), "crm.yaml: permission denied")
}
