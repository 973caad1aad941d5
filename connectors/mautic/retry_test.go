package mautic

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// A server error is tried again within the call when the call reads or edits (twice at
// most), never when it creates: Automation may have made the record before the answer was
// lost, and the pass's guards decide about that.
func TestServerErrorsTriedAgainWhenSafe(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		errors     int
		call       func(c *Client) error
		wantErr    bool
		endpoint   string // where the errors fall
		wantTotal  int    // requests made to it
		wantPeople int
	}{
		{name: "a read, two server errors", errors: 2, call: func(c *Client) error {
			_, err := c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 10})
			return err
		}, endpoint: "GET /api/contacts", wantTotal: 3, wantPeople: 1},
		{name: "a read, three server errors", errors: 3, call: func(c *Client) error {
			_, err := c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 10})
			return err
		}, endpoint: "GET /api/contacts", wantErr: true, wantTotal: 3, wantPeople: 1},
		{name: "an edit, one server error", errors: 1, call: func(c *Client) error {
			_, err := c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{"lastname": "Martin"}}})
			return err
		}, endpoint: "PATCH /api/contacts/batch/edit", wantTotal: 2, wantPeople: 1},
		{name: "a create, one server error", errors: 1, call: func(c *Client) error {
			_, err := c.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": "new@example.com", "lastname": "New"}}})
			return err
		}, endpoint: "POST /api/contacts/batch/new", wantErr: true, wantTotal: 1, wantPeople: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			e.sim.SeedPeople(0, 1)
			e.sim.Kit().SetFaults(simkit.Faults{ErrorNext: tt.errors})
			err := tt.call(e.client)
			if tt.wantErr {
				require.Error(t, err)
				assert.Equal(t, connectors.KindRetryable, connectors.KindOf(err))
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantTotal, e.sim.Kit().Counts()[tt.endpoint])
			assert.Equal(t, tt.wantPeople, e.sim.Count("contacts"))
		})
	}
}
