package sellsy

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A connection's requests_per_second above the account's real quota (the example files set
// 200) costs speed, never the page: a contact listing, whose company lookups run in parallel,
// completes at the server's 5 requests a second. The lookups used to go out into a second
// the headers had already announced spent (the pause was checked before the limiter's wait),
// each gave up after its third 429, and the page failed however often it was tried.
//
// With onlySpent the second window's header is shown only when it reads 0, so the client
// cannot learn the quota from it and the pauses and 429s alone must hold the calls (as when
// other clients of the account spend part of each second).
func TestContactListingAboveTheQuotaCompletes(t *testing.T) {
	tests := []struct {
		name      string
		clientRPS float64
		onlySpent bool
	}{
		{"client limit at the quota", 5, false},
		{"client limit 20", 20, false},
		{"client limit 200 (the example files)", 200, false},
		{"client limit 20, the quota not shown", 20, true},
		{"client limit 200, the quota not shown", 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sim.New(sim.Options{ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 5}) // real clock
			s.SeedPeople(0, 30)
			companyOf := map[string]string{}
			for _, m := range s.Dump("contacts") {
				companyOf[strconv.Itoa(int(m["id"].(float64)))] = strconv.Itoa(m["_sim"].(map[string]any)["company_ids"].([]int)[0])
			}
			var refused atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, r)
				if rec.Code == http.StatusTooManyRequests {
					refused.Add(1)
				}
				if tt.onlySpent && rec.Header().Get("X-Quota-Remaining-By-Second") != "0" {
					rec.Header().Del("X-Quota-Remaining-By-Second")
				}
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
			}))
			t.Cleanup(srv.Close)
			c, err := New(Config{APIURL: srv.URL + "/v2", TokenURL: srv.URL + "/oauth2/access-tokens",
				ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: tt.clientRPS})
			require.NoError(t, err)

			start := time.Now()
			p, err := c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 100})
			require.NoError(t, err, "the page fails after %d refusals", refused.Load())
			require.Len(t, p.Records, 30)
			for _, r := range p.Records {
				assert.Equal(t, companyOf[r.ID], r.Links[connectors.ObjectCompany], "contact %s", r.ID)
			}
			calls := s.Kit().Total()
			t.Logf("%d calls, %d refused, %v", calls, refused.Load(), time.Since(start).Round(time.Millisecond))
			// The page, the custom fields and a lookup per contact; a refusal now and then
			// (answers in flight when the window runs out) but no storm of them.
			assert.LessOrEqual(t, int(refused.Load()), 5, "429s")
			assert.LessOrEqual(t, calls, 33+5, "calls")
			// At the server's pace: 5 a second, give or take the windows' edges.
			assert.Less(t, time.Since(start), time.Duration(calls)*time.Second/5+2*time.Second, "time")
		})
	}
}
