package sellsy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// An API V1 call meets Sellsy's quota as a V2 call does: a refusal asking for a short wait
// (an HTTP 429 in the second window, V1's own E_LIMIT_REQUEST_REACHED) is waited out in the
// call, twice at most, and holds the client's other requests meanwhile; a long one goes back
// to the caller. V1 used to hand every refusal straight back, without holding anything.
func TestCallV1WaitsOutAShortQuota(t *testing.T) {
	const (
		http429 = iota // the second window spent
		http429Hour
		eLimit // V1's E_LIMIT_REQUEST_REACHED envelope, HTTP 200
	)
	tests := []struct {
		name    string
		refusal int
		refused int64 // V1 requests refused before the rest are served
		hits    int64 // V1 requests sent
		kind    connectors.Kind
		slept   []time.Duration // the client's pauses, the V2 call after it included
		after   time.Duration   // RetryAfter of the error
	}{
		{"a 429 for a second: waited out", http429, 1, 2, "", []time.Duration{time.Second}, 0},
		{"E_LIMIT_REQUEST_REACHED: waited out", eLimit, 1, 2, "", []time.Duration{time.Second}, 0},
		// The last 429's header (the second spent) holds the V2 call after it.
		{"a 429 three times: rate limited after two waits", http429, 3, 3, connectors.KindRateLimited, []time.Duration{time.Second, time.Second, time.Second}, time.Second},
		// V1's refusal has no header: the V2 call after it is held all the same.
		{"E_LIMIT_REQUEST_REACHED three times: the client still held", eLimit, 3, 3, connectors.KindRateLimited, []time.Duration{time.Second, time.Second, time.Second}, time.Second},
		{"a 429 for an hour: to the caller at once", http429Hour, 1, 1, connectors.KindRateLimited, nil, time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{Clock: simkit.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))}
			s := sim.New(sim.Options{ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: -1, Now: clk.Now, TokenTTL: 24 * time.Hour})
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/0/") && hits.Add(1) <= tc.refused {
					switch tc.refusal {
					case http429:
						w.Header().Set("X-Quota-Remaining-By-Second", "0")
						http.Error(w, `{"error":{"code":429,"message":"Too Many Requests"}}`, http.StatusTooManyRequests)
					case http429Hour:
						w.Header().Set("Retry-After", "3600")
						http.Error(w, `{"error":{"code":429,"message":"Too Many Requests"}}`, http.StatusTooManyRequests)
					case eLimit:
						_, _ = w.Write([]byte(`{"status":"error","error":{"code":"E_LIMIT_REQUEST_REACHED","message":"request limit reached"}}`))
					}
					return
				}
				s.ServeHTTP(w, r)
			}))
			defer srv.Close()
			c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
				ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 1000})
			require.NoError(t, err)
			c.clock = clk

			resp, err := c.CallV1(ctx, "Infos.getInfos", nil)
			if tc.kind == "" {
				require.NoError(t, err)
				assert.Contains(t, string(resp), "corporation")
			} else {
				require.Error(t, err)
				assert.Equal(t, tc.kind, connectors.KindOf(err))
				assert.Equal(t, tc.after, connectors.RetryAfterOf(err))
			}
			assert.Equal(t, tc.hits, hits.Load())
			_, _, err = c.Call(ctx, "GET", "/staffs", nil, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.slept, clk.slept)
		})
	}
}
