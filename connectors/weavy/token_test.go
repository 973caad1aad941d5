package weavy

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// weavy may drop a token before its expiresIn, even before its first use: a 401 is answered
// with one new login (one at a time, shared by the calls refused together), and a right is
// concluded off only when the renewed token is refused on that table too.
func TestUnauthorizedIsARightOnlyWhenTheRenewedTokenIsRefused(t *testing.T) {
	tests := []struct {
		name     string
		opts     sim.Options
		before   bool // a call weavy accepted comes first
		dropNext bool // the server drops the token before the next data request is served
		rightOff bool // the Client table's read right is switched off (answered 401)
		calls    int  // concurrent listings of the Client table
		wantErr  bool // KindConfig naming the right
		logins   int
	}{
		{name: "token dropped before its first use", dropNext: true, calls: 1, logins: 2},
		{name: "token dropped before its first use, calls at once", dropNext: true, calls: 8, logins: 2},
		{name: "token dropped after use", before: true, dropNext: true, calls: 1, logins: 2},
		{name: "right off: the renewed token is refused too", opts: sim.Options{DeniedStatus: http.StatusUnauthorized},
			rightOff: true, calls: 1, wantErr: true, logins: 2},
		{name: "right off, calls at once", opts: sim.Options{DeniedStatus: http.StatusUnauthorized},
			rightOff: true, calls: 8, wantErr: true, logins: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, tt.opts)
			e.sim.SeedPeople(0, 5)
			ctx := context.Background()
			if tt.before {
				_, err := e.client.Get(ctx, "contact", []string{"c:CC0000000"})
				require.NoError(t, err)
			}
			if tt.rightOff {
				e.sim.SetRight("customer", "read", false)
			}
			if tt.dropNext {
				var once sync.Once
				e.mu.Lock()
				e.failWith = func(r *http.Request, _ []byte) int {
					if r.URL.Path != "/v1/Authenticate" {
						once.Do(e.sim.ExpireTokens)
					}
					return 0
				}
				e.mu.Unlock()
			}
			for range 2 { // the second time with the token the first renewed
				errs := make([]error, tt.calls)
				var wg sync.WaitGroup
				for i := range tt.calls {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, errs[i] = e.client.List(ctx, "company", connectors.ListQuery{})
					}()
				}
				wg.Wait()
				for _, err := range errs {
					if !tt.wantErr {
						require.NoError(t, err)
						continue
					}
					ce := connErr(t, err)
					assert.Equal(t, connectors.KindConfig, ce.Kind)
					assert.Equal(t, http.StatusUnauthorized, ce.Status)
					assert.Equal(t, "weavy: the API lecture right is off for the table Client: switch it on in the weavy studio", ce.Message)
				}
			}
			assert.Equal(t, tt.logins, e.sim.Logins(), "never two logins for one refusal")
		})
	}
}
