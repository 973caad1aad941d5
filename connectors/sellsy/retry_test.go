package sellsy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// A server error is tried again within the call when the call reads (a search is a POST that
// reads) or edits, twice at most, never when it creates: Sellsy may have made the record
// before the answer was lost.
func TestServerErrorsTriedAgainWhenSafe(t *testing.T) {
	tests := []struct {
		name     string
		errors   int
		call     func(c *Client) error
		endpoint string // where the errors fall (faulted requests are counted by their path)
		wantErr  bool
		want     int // requests made to it
	}{
		{name: "a read, two server errors", errors: 2, call: func(c *Client) error {
			_, err := c.Get(ctx, connectors.ObjectCompany, []string{"1"})
			return err
		}, endpoint: "POST /v2/companies/search", want: 3},
		{name: "a list, three server errors", errors: 3, call: func(c *Client) error {
			_, err := c.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 10})
			return err
		}, endpoint: "GET /v2/companies", wantErr: true, want: 3},
		{name: "an edit, one server error", errors: 1, call: func(c *Client) error {
			_, err := c.Update(ctx, connectors.ObjectCompany, []connectors.Record{{ID: "1", Fields: map[string]any{"name": "ACME"}}})
			return err
		}, endpoint: "PUT /v2/companies/1", want: 2},
		{name: "a create, one server error", errors: 1, call: func(c *Client) error {
			res, err := c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "New"}}})
			if err == nil {
				err = res[0].Err
			}
			return err
		}, endpoint: "POST /v2/companies", wantErr: true, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 5)
			_, err := f.c.Describe(ctx, connectors.ObjectCompany) // the token, and the custom fields
			require.NoError(t, err)
			before := f.sim.Count("companies")
			f.sim.Kit().ResetCounts()
			f.sim.Kit().SetFaults(simkit.Faults{ErrorNext: tt.errors})
			err = tt.call(f.c)
			if tt.wantErr {
				require.Error(t, err)
				assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
			} else {
				require.NoError(t, err)
			}
			counts := f.sim.Kit().Counts()
			assert.Equal(t, tt.want, counts[tt.endpoint]+counts["PUT /v2/companies/{id}"], "%v", counts)
			assert.Equal(t, before, f.sim.Count("companies"), "nothing created twice")
		})
	}
}

// Asking for a token changes nothing: a server error on it is tried again too, whatever the
// call it is for.
func TestTokenServerErrorTriedAgain(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 1)
	f.sim.Kit().SetFaults(simkit.Faults{ErrorNext: 1})
	res, err := f.c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "New"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, 2, f.sim.Kit().Counts()["POST /oauth2/access-tokens"], "%v", f.sim.Kit().Counts())
	assert.Equal(t, 1, f.sim.Kit().Faulted())
}
