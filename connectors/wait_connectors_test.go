package connectors_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/connectors/minicrm"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/weavy"
)

// caller is what each connector's Call is.
type caller interface {
	Call(ctx context.Context, method, path string, query url.Values, body []byte) (int, []byte, error)
}

// Each connector's calls wait for its client's rate limiter through connectors.WaitToSend: a
// worker's stop ends the wait at once, nothing is sent, and the error says so. A login that
// comes first (weavy, Altior) is a call of its own: with the limiter spent, its wait ends so;
// with one request's room, the login goes and the call after it waits, and ends so.
func TestConnectorsEndTheirRateLimitWaitWhenTheWorkerStops(t *testing.T) {
	spent := func() *rate.Limiter {
		l := rate.NewLimiter(rate.Every(time.Hour), 1)
		l.Allow()
		return l
	}
	roomForOne := func() *rate.Limiter { return rate.NewLimiter(rate.Every(time.Hour), 1) }
	tests := []struct {
		name    string
		limiter func() *rate.Limiter
		open    func(url string, l *rate.Limiter) (caller, error)
		path    string
		logins  int32 // requests sent: the login's
	}{
		{name: "minicrm", limiter: spent, path: "/Api/R3/Category", open: func(u string, l *rate.Limiter) (caller, error) {
			return minicrm.New(minicrm.Config{BaseURL: u, SystemID: "12345", APIKey: "k", Limiter: l})
		}},
		{name: "mautic", limiter: spent, path: "/api/contacts", open: func(u string, l *rate.Limiter) (caller, error) {
			return mautic.New(mautic.Config{BaseURL: u, Username: "u", Password: "p", Limiter: l})
		}},
		{name: "sellsy", limiter: spent, path: "/v2/contacts", open: func(u string, l *rate.Limiter) (caller, error) {
			return sellsy.New(sellsy.Config{APIURL: u + "/v2", TokenURL: u + "/oauth2/access-tokens", V1URL: u + "/v1",
				ClientID: "i", ClientSecret: "s", Limiter: l})
		}},
		{name: "weavy, at its login", limiter: spent, path: "/v1/Contacts", open: openWeavy},
		{name: "weavy, after its login", limiter: roomForOne, path: "/v1/Contacts", open: openWeavy, logins: 1},
		{name: "altior, at its login", limiter: spent, path: "/api/v1/tiers", open: openAltior},
		{name: "altior, after its login", limiter: roomForOne, path: "/api/v1/tiers", open: openAltior, logins: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Content-Type", "application/json")
				switch {
				case strings.HasSuffix(r.URL.Path, "/v1/Authenticate"):
					_, _ = w.Write([]byte(`{"authToken":"t","expiresIn":3600}`))
				case strings.HasSuffix(r.URL.Path, "/auth/token"):
					_, _ = w.Write([]byte(`{"access_token":"t","expires_in":3600}`))
				default:
					_, _ = w.Write([]byte(`{}`))
				}
			}))
			t.Cleanup(srv.Close)
			c, err := tt.open(srv.URL, tt.limiter())
			require.NoError(t, err)
			stop := make(chan struct{})
			close(stop)
			ctx := connectors.WithStop(t.Context(), stop)

			start := time.Now()
			ended := make(chan error, 1)
			go func() {
				_, _, err := c.Call(ctx, http.MethodGet, tt.path, nil, nil)
				ended <- err
			}()
			select {
			case err = <-ended:
			case <-time.After(5 * time.Second):
				t.Fatal("the call still waited for the rate limit 5 s after the worker began to stop")
			}
			assert.Less(t, time.Since(start), time.Second, "the wait ran on after the stop")
			require.Error(t, err)
			assert.True(t, connectors.Stopping(err), "%v", err)
			assert.True(t, connectors.NothingWritten(err), "%v", err)
			assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
			assert.Contains(t, err.Error(), "not sent: the worker began to stop")
			assert.Equal(t, tt.logins, requests.Load(), "nothing sent but the login")
		})
	}
}

func openWeavy(u string, l *rate.Limiter) (caller, error) {
	return weavy.New(weavy.Config{BaseURL: u, Project: "P", UserName: "u", Password: "p", Limiter: l})
}

func openAltior(u string, l *rate.Limiter) (caller, error) {
	return altior.New(altior.Config{BaseURL: u, APIKey: "k", Limiter: l})
}
