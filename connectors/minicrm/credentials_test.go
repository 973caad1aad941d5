package minicrm

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/minicrm/sim"
)

// The guide's prerequisites include the "MiniCRM API + XML sync" add-on: MiniCRM refusing the
// credentials (401) or the API (403) pauses the connection with a message that says what to
// check, not MiniCRM's bare "Unauthorized", and keeps MiniCRM's own words.
func TestRefusedCredentialsSayWhatToCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server http.Handler
		status int
		says   string
	}{
		{name: "wrong API key", server: sim.New(sim.Options{SystemID: "12345", APIKey: "other"}), status: 401, says: "Unauthorized"},
		{name: "API not enabled", server: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("API access is not enabled"))
		}), status: 403, says: "API access is not enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := serve(t, tc.server)
			cl, err := New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 6000})
			require.NoError(t, err)
			_, err = cl.Modules(context.Background())
			var e *connectors.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, connectors.KindConfig, e.Kind)
			assert.Equal(t, tc.status, e.Status)
			for _, want := range []string{tc.says, "system_id", "api_key", "API", "add-on"} {
				assert.Contains(t, e.Message, want)
			}
			assert.NotContains(t, err.Error(), apiKey)
		})
	}
}
