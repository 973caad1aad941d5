package recordactions

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
)

const shopFile = `name: shop
a: {system: sellsy, credentials: {client_id: RV_ID, client_secret: RV_SECRET, webhook_token: RV_TOKEN}}
b: {system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: RV_USER, password: RV_PASS}}
objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]
`

// shopSavedBroken loads shop.yaml, then saves it with a mistake (an editor's intermediate
// save): the worker holds the version it loaded, the file on disk does not validate.
func shopSavedBroken(t *testing.T) *activities.Connections {
	for k, v := range map[string]string{"RV_ID": "id-123", "RV_SECRET": "secret-456", "RV_USER": "user-1",
		"RV_PASS": "pass-234", "RV_TOKEN": "webhook-token-789"} {
		t.Setenv(k, v)
	}
	file := filepath.Join(t.TempDir(), "shop.yaml")
	require.NoError(t, os.WriteFile(file, []byte(shopFile), 0o600))
	c, err := config.Load(file)
	require.NoError(t, err)
	conns := activities.NewConnections([]*config.Connection{c})
	require.NoError(t, os.WriteFile(file, []byte(shopFile+"schedule: {max_deletes: lots}\n"), 0o600))
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(file, later, later))
	_, err = conns.Config("shop")
	require.Error(t, err, "the saved file does not validate")
	return conns
}

// While a connection's file does not validate, any-call answers still hide its credentials
// (Sellsy's webhooks list the receiver's token in their URLs).
func TestSecretsOfABrokenFileStayHidden(t *testing.T) {
	got := Secrets(shopSavedBroken(t))
	for _, secret := range []string{"id-123", "secret-456", "user-1", "pass-234", "webhook-token-789"} {
		assert.Contains(t, got, secret)
	}
}

// A record activity on a connection whose file does not validate fails with the file's
// mistake, named or chosen as the only one: not "no connection named".
func TestRecordActivityNamesTheBrokenFile(t *testing.T) {
	tests := []struct{ name, connection string }{{"named", "shop"}, {"the only one", ""}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Actions{System: "mautic", Conns: shopSavedBroken(t)}
			_, err := a.Get(context.Background(), GetInput{Target: Target{Connection: tt.connection, Object: "contact"}, IDs: []string{"1"}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "max_deletes")
			assert.Contains(t, err.Error(), "shop.yaml")
			assert.NotContains(t, err.Error(), "no connection named")
		})
	}
}

// Numbers in a list field go as the option ids they are, not in exponent form.
func TestNormaliseKeepsNumbersInLists(t *testing.T) {
	var in WriteInput
	require.NoError(t, actions.DecodeInput([]byte(`{"object":"person","records":[{"id":"5","fields":{"tags":[1234567, 0.5, "x", true]}}]}`), &in))
	assert.Equal(t, []string{"1234567", "0.5", "x", "true"}, normalise(in.Records[0].Fields)["tags"])
}
