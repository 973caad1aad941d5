package sellsy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// dropOffset answers listings without pagination.offset.
type dropOffset struct {
	http.Handler
}

func (d dropOffset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	d.Handler.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var m map[string]any
	if r.Method == http.MethodGet && r.URL.Path == "/v2/contacts" && json.Unmarshal(body, &m) == nil {
		if p, ok := m["pagination"].(map[string]any); ok {
			delete(p, "offset")
			body, _ = json.Marshal(m)
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(bytes.Clone(body))
}

// A full page answered without the next page's offset ends the listing with an error naming
// it, rather than being asked for again for ever.
func TestFullPageWithoutNextOffsetIsAnError(t *testing.T) {
	s := sim.New(sim.Options{ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: -1})
	s.SeedPeople(0, 30)
	srv := httptest.NewServer(dropOffset{s})
	t.Cleanup(srv.Close)
	c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
		ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 1000})
	require.NoError(t, err)
	_, err = c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 10})
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "without the offset of the next one")

	page, err := c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 100})
	require.NoError(t, err, "a short page is the last: no offset needed")
	assert.False(t, page.More)
}
