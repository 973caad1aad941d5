package sellsy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// Webhooks lists every page to Sellsy's own end (a short page). Webhooks already listed
// that are deleted meanwhile lower the total below those listed: it used to take that for
// the end and leave the next page's webhooks out.
func TestWebhooksListsToTheLastPage(t *testing.T) {
	tests := []struct {
		name     string
		hooks    int
		deleted  int // webhooks of the first page deleted before the second is read
		requests int64
	}{
		{"one short page", 3, 0, 1},
		{"a full page, then an empty one", 100, 0, 2},
		{"two pages", 150, 0, 2},
		{"the total drops between pages", 250, 60, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New(sim.Options{ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: -1})
			var lists atomic.Int64
			var admin *Client
			var ids []int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet && r.URL.Path == "/v2/webhooks" && lists.Add(1) == 2 {
					for _, id := range ids[:tc.deleted] {
						require.NoError(t, admin.DeleteWebhook(r.Context(), id))
					}
				}
				s.ServeHTTP(w, r)
			}))
			defer srv.Close()
			mk := func() *Client {
				c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
					ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 10000})
				require.NoError(t, err)
				return c
			}
			admin = mk()
			for i := 0; i < tc.hooks; i++ {
				id, err := admin.CreateWebhook(ctx, fmt.Sprintf("https://crm.example/hook/%d", i), []string{"client.created"})
				require.NoError(t, err)
				ids = append(ids, id)
			}

			hooks, err := mk().Webhooks(ctx)
			require.NoError(t, err)
			got := make([]int, len(hooks))
			for i, h := range hooks {
				got[i] = h.ID
			}
			assert.Equal(t, ids, got, "every webhook, those deleted after they were listed too")
			assert.Equal(t, tc.requests, lists.Load())
		})
	}
}
