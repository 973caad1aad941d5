package sellsy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// A connector scoped to the fields a connection maps reads only those custom fields; an
// unscoped one reads them all.
func TestCustomFieldsScopedToMappedFields(t *testing.T) {
	f := setup(t, sim.Options{}, false)
	f.sim.SeedPeople(0, 3)
	ctx := context.Background()
	page, err := f.c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 1})
	require.NoError(t, err)
	id := page.Records[0].ID
	res, err := f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: map[string]any{"cf.cf_text": "kept", "cf.cf_date": "2026-01-02"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)

	scoped, err := New(Config{
		APIURL: f.srv.URL + "/v2", TokenURL: f.srv.URL + "/oauth2/access-tokens",
		ClientID: testID, ClientSecret: testSecret, RequestsPerSecond: 1000,
		Fields: map[string][]string{"contact": {"email", "cf.cf_text"}},
	})
	require.NoError(t, err)
	tests := []struct {
		name     string
		c        *Client
		wantDate bool
	}{
		{"scoped", scoped, false},
		{"unscoped", f.c, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, read := range []func() ([]connectors.Record, error){
				func() ([]connectors.Record, error) {
					p, err := tt.c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 1})
					return p.Records, err
				},
				func() ([]connectors.Record, error) { return tt.c.Get(ctx, connectors.ObjectContact, []string{id}) },
			} {
				recs, err := read()
				require.NoError(t, err)
				require.NotEmpty(t, recs)
				assert.Equal(t, "kept", recs[0].Fields["cf.cf_text"])
				_, hasDate := recs[0].Fields["cf.cf_date"]
				assert.Equal(t, tt.wantDate, hasDate)
			}
		})
	}
}
