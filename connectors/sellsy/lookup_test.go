package sellsy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A search answered 200 without its data list (a proxy's or a gateway's JSON, an empty
// body) is an error, not "none of these records": the sync would move a cursor past
// changes, or delete the counterparts of the records it looked up.
func TestALookupAnsweredWithoutDataIsAnError(t *testing.T) {
	for _, answer := range []string{`{}`, `{"data":null,"pagination":{"total":30}}`, ``} {
		t.Run(answer, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 3)
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/contacts/search") {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(answer))
					return
				}
				f.sim.ServeHTTP(w, r)
			}))
			t.Cleanup(proxy.Close)
			c, err := New(Config{APIURL: proxy.URL + "/v2", TokenURL: proxy.URL + "/oauth2/access-tokens",
				ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 1000})
			require.NoError(t, err)
			recs, err := c.Get(ctx, connectors.ObjectContact, []string{"1000001", "1000002"})
			require.Error(t, err, "got %d records", len(recs))
			assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
		})
	}
	// Sellsy's own empty answer is no records.
	f := setup(t, sim.Options{}, false)
	recs, err := f.c.Get(ctx, connectors.ObjectContact, []string{"1000001"})
	require.NoError(t, err)
	assert.Empty(t, recs)
}
