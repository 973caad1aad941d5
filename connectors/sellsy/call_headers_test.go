package sellsy

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// An any-call sends the caller's own headers (X-Switch-User: the seed's "Headers" of its
// "Make an API call" module), with crmsync's authorisation; a header crmsync sets itself, a
// name that is no header name or a value with a line break is refused before anything is sent.
func TestCallHeaders(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 1)
	var mu sync.Mutex
	var seen []http.Header
	c := f.inFront(t, func(w http.ResponseWriter, r *http.Request, s http.Handler) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		s.ServeHTTP(w, r)
	})

	tests := []struct {
		name    string
		headers http.Header
		wantErr string
	}{
		{name: "impersonation", headers: http.Header{"X-Switch-User": {"staff:2"}}},
		{name: "no headers"},
		{name: "authorization", headers: http.Header{"Authorization": {"Bearer x"}}, wantErr: "header Authorization: crmsync sets it"},
		{name: "content type, any case", headers: http.Header{"content-type": {"text/plain"}}, wantErr: "header content-type: crmsync sets it"},
		{name: "not a name", headers: http.Header{"X Switch": {"1"}}, wantErr: `header "X Switch": not a header name`},
		{name: "a line break", headers: http.Header{"X-Switch-User": {"staff:2\r\nX-Evil: 1"}}, wantErr: "header X-Switch-User: its value holds a control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			status, body, err := c.CallHeaders(context.Background(), "GET", "/companies/1", nil, tt.headers, nil)
			mu.Lock()
			defer mu.Unlock()
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Empty(t, seen, "nothing sent")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 200, status)
			assert.Contains(t, string(body), `"id":1`)
			require.NotEmpty(t, seen)
			last := seen[len(seen)-1]
			assert.Equal(t, tt.headers.Get("X-Switch-User"), last.Get("X-Switch-User"))
			assert.Regexp(t, `^Bearer .+`, last.Get("Authorization"), "crmsync's authorisation")
		})
	}
}
