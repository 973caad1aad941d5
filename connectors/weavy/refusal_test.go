package weavy

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// A table refused with a token (weavy answering a right switched off with 401) is not
// refused with it for good: once the right is back on, a 401 to that token — dropped by
// weavy since (a restart while the connection was paused) — is answered with a new login,
// not taken for the right again, which paused the resumed connection with a right that is on
// until the token's lifetime ran out.
func TestRefusedTableIsNotRefusedForTheTokensLifetime(t *testing.T) {
	tests := []struct {
		name    string
		after   time.Duration // between the refusal and the next call
		rightOn bool
		wantErr bool
		logins  int
	}{
		{"right back on, the token dropped, a while later", 10 * time.Minute, true, false, 3},
		{"right still off, a while later: one new login tells", 10 * time.Minute, false, true, 3},
		{"right still off, at once: no new login", 0, false, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{DeniedStatus: http.StatusUnauthorized})
			e.sim.SeedPeople(0, 5)
			ctx := context.Background()
			e.sim.SetRight(sim.Customer, sim.RightRead, false)
			_, err := e.client.List(ctx, "company", connectors.ListQuery{})
			require.Equal(t, connectors.KindConfig, connErr(t, err).Kind)
			require.Equal(t, 2, e.sim.Logins(), "a login, and one more that tells the right from a dropped token")

			e.clock.Advance(tt.after)
			if tt.rightOn {
				e.sim.SetRight(sim.Customer, sim.RightRead, true)
				e.sim.ExpireTokens()
			}
			_, err = e.client.List(ctx, "company", connectors.ListQuery{})
			if tt.wantErr {
				ce := connErr(t, err)
				assert.Equal(t, connectors.KindConfig, ce.Kind)
				assert.Equal(t, "weavy: the API lecture right is off for the table Client: switch it on in the weavy studio", ce.Message)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.logins, e.sim.Logins())
		})
	}
}
