package sellsy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A token Sellsy issues and then refuses, even after a refresh, is refused credentials too:
// the error ends with CredentialsHint, and a client without one says what it said before.
func TestTokenRefusedAfterARefreshEndsWithTheHint(t *testing.T) {
	const hint = "check S_ID and S_SECRET (a.credentials of c.yaml)"
	for _, tc := range []struct {
		name, hint, want string
	}{
		{"with a hint", hint, "access token refused after a refresh; " + hint},
		{"without one", "", "access token refused after a refresh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New(sim.Options{ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: -1})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/v2/") {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				s.ServeHTTP(w, r)
			}))
			defer srv.Close()
			c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
				ClientID: testID, ClientSecret: testSecret, CredentialsHint: tc.hint, RequestsPerSecond: 1000})
			require.NoError(t, err)

			_, err = c.List(context.Background(), "company", connectors.ListQuery{})

			require.Error(t, err)
			var ce *connectors.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, http.StatusUnauthorized, ce.Status)
			assert.True(t, strings.HasSuffix(ce.Message, tc.want), ce.Message)
		})
	}
}
