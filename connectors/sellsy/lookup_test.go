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

// Gone asks for each record at its own address: a 404 is a deletion, a record that answers is
// not, and one the credentials may not see (403) is a configuration error.
func TestGoneConfirmsEachDeletion(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 3)
	res, err := f.c.Delete(ctx, connectors.ObjectContact, []string{"1000002"})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	gone, err := f.c.Gone(ctx, connectors.ObjectContact, []string{"1000001", "1000002", "1000003", "not-an-id"})
	require.NoError(t, err)
	assert.Equal(t, []string{"1000002", "not-an-id"}, gone)

	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/contacts/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":{"code":403,"message":"Forbidden","details":[],"context":null}}`))
			return
		}
		f.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	c, err := New(Config{APIURL: proxy.URL + "/v2", TokenURL: proxy.URL + "/oauth2/access-tokens",
		ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 1000})
	require.NoError(t, err)
	_, err = c.Gone(ctx, connectors.ObjectContact, []string{"1000001"})
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "may not see contact 1000001")
}
