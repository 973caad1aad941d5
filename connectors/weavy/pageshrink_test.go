package weavy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// weavy's Select page size is not documented and may be lowered (or differ by table): a page
// shorter than the longest seen is not taken for the last until one more Select brings
// nothing new, and a shorter page found full lowers the page size remembered for the table.
// Listings and lookups read every record after the server's page size went from 10 to 5.
func TestLoweredPageSizeReadsEveryPage(t *testing.T) {
	list := func(t *testing.T, c *Client) int {
		recs, _ := listAll(t, c, "company", time.Time{})
		return len(recs)
	}
	lookup := func(t *testing.T, c *Client) int {
		recs, err := c.FindByKey(context.Background(), "company", "blocked", []string{"false"}) // every customer
		require.NoError(t, err)
		return len(recs)
	}
	tests := []struct {
		name string
		read func(t *testing.T, c *Client) int
	}{
		{"listing", list},
		{"lookup", lookup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{PageSize: 10})
			e.sim.SeedPeople(0, 150) // 30 customers
			c := e.client
			require.Equal(t, 30, tt.read(t, c))
			require.Equal(t, 10, c.pages.get(EntityCustomer), "a last page shorter than the page size, not found full (endsAt), does not lower it")
			e.sim.SetPageSize(5) // the server's page size is now 5
			assert.Equal(t, 30, tt.read(t, c), "every page, not the first only")
			assert.Equal(t, 5, c.pages.get(EntityCustomer), "the page size remembered is lowered")
			assert.Equal(t, 30, tt.read(t, c), "and read by the lower one")
		})
	}
}
