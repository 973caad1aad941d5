package weavy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

// weavy's Select page size is not documented and may be lowered (or differ by table): a page
// shorter than the longest seen is not taken for the last until one more Select brings
// nothing new, and a shorter page found full lowers the page size remembered for the table.
// Listings and lookups read every record after the server's page size went from 10 to 5.
func TestLoweredPageSizeReadsEveryPage(t *testing.T) {
	list := func(t *testing.T, c *Client) int {
		n := 0
		q := connectors.ListQuery{}
		for {
			p, err := c.List(context.Background(), "company", q)
			require.NoError(t, err)
			n += len(p.Records)
			if !p.More {
				return n
			}
			q.Cursor = p.Cursor
		}
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
			rs, c := newResizable(t, 150, 10) // 30 customers, the same in both
			require.Equal(t, 30, tt.read(t, c))
			require.Equal(t, 10, c.pages.get(EntityCustomer))
			rs.use(rs.server(5)) // the server's page size is now 5
			assert.Equal(t, 30, tt.read(t, c), "every page, not the first only")
			assert.Equal(t, 5, c.pages.get(EntityCustomer), "the page size remembered is lowered")
			assert.Equal(t, 30, tt.read(t, c), "and read by the lower one")
		})
	}
}

// resizable serves weavy simulators seeded alike (people, a customer per 5) at one URL, one
// at a time, so that a test can lower the page size weavy answers with, as weavy may.
type resizable struct {
	clk    *simkit.Clock
	people int
	cur    atomic.Pointer[sim.Server]
}

// newResizable serves a simulator of page size size and returns a client of it.
func newResizable(t *testing.T, people, size int) (*resizable, *Client) {
	t.Helper()
	rs := &resizable{clk: simkit.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)), people: people}
	rs.use(rs.server(size))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rs.cur.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Project: "crm", UserName: user, Password: pass, RequestsPerSecond: 10000})
	require.NoError(t, err)
	c.now = rs.clk.Now
	return rs, c
}

// server makes a seeded simulator of page size size, not yet served.
func (rs *resizable) server(size int) *sim.Server {
	s := sim.New(sim.Options{UserName: user, Password: pass, Now: rs.clk.Now, PageSize: size})
	s.SeedPeople(0, rs.people)
	return s
}

// use serves s from now on.
func (rs *resizable) use(s *sim.Server) { rs.cur.Store(s) }
