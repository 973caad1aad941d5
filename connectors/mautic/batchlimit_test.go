package mautic

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

func newContacts(from, n int) []connectors.Record {
	out := make([]connectors.Record, n)
	for i := range out {
		out[i] = connectors.Record{Fields: map[string]any{
			"email": fmt.Sprintf("batch%04d@example.com", from+i), "lastname": fmt.Sprintf("Batch %d", from+i)}}
	}
	return out
}

func newCompanies(n int) []connectors.Record {
	out := make([]connectors.Record, n)
	for i := range out {
		out[i] = connectors.Record{Fields: map[string]any{"companyname": fmt.Sprintf("Batch Company %04d", i)}}
	}
	return out
}

func contactEdits(ids []string) []connectors.Record {
	out := make([]connectors.Record, len(ids))
	for i, id := range ids {
		out[i] = connectors.Record{ID: id, Fields: map[string]any{"position": "CEO"}}
	}
	return out
}

func resultIDs(t *testing.T, res []connectors.Result) []string {
	t.Helper()
	out := make([]string, len(res))
	for i, r := range res {
		require.NoError(t, r.Err, "record %d", i)
		require.NotEmpty(t, r.ID, "record %d", i)
		out[i] = r.ID
	}
	return out
}

// An administrator may lower Automation's api_batch_max_limit below BatchSize: Mautic then
// refuses the whole batch, before writing any of it, with a 500 naming the limit. The client
// sends the batch again in calls of that size, every record written once, and keeps the size
// for its later calls; it says so once in its log.
func TestBatchLimitLoweredByAnAdministrator(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		limit     int
		seed      int // contacts there before
		write     func(c *Client) ([]connectors.Result, error)
		route     string                            // the batch route the write calls
		wantCalls int                               // to route: the refused one, then the batches that fit
		wantCount func(s *sim.Server) (string, int) // an object and how many it then holds
	}{
		{name: "contacts created", limit: 50,
			write: func(c *Client) ([]connectors.Result, error) {
				return c.Create(ctx, connectors.ObjectContact, newContacts(0, 120))
			},
			route: "POST /api/contacts/batch/new", wantCalls: 1 + 3,
			wantCount: func(s *sim.Server) (string, int) { return "contacts", 120 }},
		{name: "contacts edited", limit: 50, seed: 120,
			write: func(c *Client) ([]connectors.Result, error) {
				ids := make([]string, 120)
				for i := range ids {
					ids[i] = fmt.Sprint(i + 1)
				}
				return c.Update(ctx, connectors.ObjectContact, contactEdits(ids))
			},
			route: "PATCH /api/contacts/batch/edit", wantCalls: 1 + 3,
			wantCount: func(s *sim.Server) (string, int) { return "contacts", 120 }},
		{name: "companies created", limit: 30,
			write: func(c *Client) ([]connectors.Result, error) {
				return c.Create(ctx, connectors.ObjectCompany, newCompanies(70))
			},
			route: "POST /api/companies/batch/new", wantCalls: 1 + 3,
			wantCount: func(s *sim.Server) (string, int) { return "companies", 70 }},
		{name: "a limit that does not divide the records", limit: 7,
			write: func(c *Client) ([]connectors.Result, error) {
				return c.Create(ctx, connectors.ObjectContact, newContacts(0, 15))
			},
			route: "POST /api/contacts/batch/new", wantCalls: 1 + 3,
			wantCount: func(s *sim.Server) (string, int) { return "contacts", 15 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{BatchMax: tt.limit})
			e.sim.SeedPeople(0, tt.seed)
			c, log := loggingClient(t, e.srv.URL)
			res, err := tt.write(c)
			require.NoError(t, err)
			resultIDs(t, res)
			object, want := tt.wantCount(e.sim)
			assert.Equal(t, want, e.sim.Count(object), "every record written once")
			assert.Equal(t, tt.wantCalls, e.sim.Kit().Counts()[tt.route])
			assert.Equal(t, 1, strings.Count(log.String(), "api_batch_max_limit="), log.String())
			assert.Contains(t, log.String(), fmt.Sprintf("api_batch_max_limit=%d", tt.limit))
		})
	}
}

// The size Automation accepted is kept for the client's lifetime: later writes, of either
// object and route, send it from the start, and nothing more is logged.
func TestBatchLimitRememberedOnceAccepted(t *testing.T) {
	ctx := context.Background()
	e := setup(t, sim.Options{})
	c, log := loggingClient(t, e.srv.URL)
	res, err := c.Create(ctx, connectors.ObjectContact, newContacts(0, 10))
	require.NoError(t, err)
	resultIDs(t, res)
	require.Equal(t, 1, e.sim.Kit().Counts()["POST /api/contacts/batch/new"], "one call under the default limit")

	e.sim.SetBatchMax(4) // the administrator lowers it while the connector runs
	res, err = c.Create(ctx, connectors.ObjectContact, newContacts(10, 10))
	require.NoError(t, err)
	resultIDs(t, res)
	assert.Equal(t, 1+1+3, e.sim.Kit().Counts()["POST /api/contacts/batch/new"], "one refused, then 4+4+2")

	ids := make([]string, 20)
	for i := range ids {
		ids[i] = fmt.Sprint(i + 1)
	}
	res, err = c.Update(ctx, connectors.ObjectContact, contactEdits(ids))
	require.NoError(t, err)
	resultIDs(t, res)
	assert.Equal(t, 5, e.sim.Kit().Counts()["PATCH /api/contacts/batch/edit"], "4 at a time from the start")
	res, err = c.Create(ctx, connectors.ObjectCompany, newCompanies(9))
	require.NoError(t, err)
	resultIDs(t, res)
	assert.Equal(t, 3, e.sim.Kit().Counts()["POST /api/companies/batch/new"], "the same setting holds for companies")
	assert.Equal(t, 20, e.sim.Count("contacts"))
	assert.Equal(t, 1, strings.Count(log.String(), "api_batch_max_limit="), log.String())
}

// With api_batch_max_limit at 0 Automation refuses every batch, one record included: the
// write fails with a configuration error that names the setting and a size to set, after one
// call (a 500 that is no outage is not tried again), and nothing is written.
func TestBatchLimitOfZeroIsAConfigurationError(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		write func(c *Client) ([]connectors.Result, error)
		route string
	}{
		{name: "create", write: func(c *Client) ([]connectors.Result, error) {
			return c.Create(ctx, connectors.ObjectContact, newContacts(0, 3))
		}, route: "POST /api/contacts/batch/new"},
		{name: "edit", write: func(c *Client) ([]connectors.Result, error) {
			return c.Update(ctx, connectors.ObjectContact, contactEdits([]string{"1", "2"}))
		}, route: "PATCH /api/contacts/batch/edit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, sim.Options{})
			e.sim.SeedPeople(0, 2)
			e.sim.SetBatchMax(0)
			res, err := tt.write(e.client)
			require.Error(t, err)
			ce := kindOf(t, err)
			assert.Equal(t, connectors.KindConfig, ce.Kind)
			assert.Equal(t, http.StatusInternalServerError, ce.Status)
			assert.Contains(t, ce.Message, "A max of 0 entities are supported at a time.", "Automation's own words")
			assert.Contains(t, ce.Message, "api_batch_max_limit is 0")
			assert.Contains(t, ce.Message, "set it to 200")
			assert.Equal(t, 1, e.sim.Kit().Counts()[tt.route])
			for i, r := range res {
				assert.Empty(t, r.ID, "record %d", i)
			}
			assert.Equal(t, 2, e.sim.Count("contacts"))
		})
	}
}

// A batch of the caller's own (Call) past the limit is not retried as an outage either: its
// error names the limit, the setting, and how many records a call may carry.
func TestCallPastTheBatchLimit(t *testing.T) {
	e := setup(t, sim.Options{BatchMax: 2})
	e.sim.SeedPeople(0, 3)
	status, _, err := e.client.Call(context.Background(), http.MethodPatch, "/api/contacts/batch/edit", nil,
		[]byte(`[{"id":1,"position":"CEO"},{"id":2,"position":"CEO"},{"id":3,"position":"CEO"}]`))
	require.Error(t, err)
	assert.Equal(t, http.StatusInternalServerError, status)
	ce := kindOf(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.Contains(t, ce.Message, "A max of 2 entities are supported at a time.")
	assert.Contains(t, ce.Message, "api_batch_max_limit is 2")
	assert.Contains(t, ce.Message, "at most 2 records a call")
	assert.Equal(t, 1, e.sim.Kit().Counts()["PATCH /api/contacts/batch/edit"], "not tried again")
}

// Only validateBatchPayload's refusal is recognised, by its status and its exact words (the
// en_US text of mautic.api.call.batch_exception); any other 500 stays an outage.
func TestBatchLimitRefusalRecognised(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		msg       string
		wantLimit int
		wantOK    bool
	}{
		{"the refusal", 500, "A max of 50 entities are supported at a time.", 50, true},
		{"a limit of 0", 500, "A max of 0 entities are supported at a time.", 0, true},
		{"surrounding space", 500, " A max of 7 entities are supported at a time.\n", 7, true},
		{"another status", 400, "A max of 50 entities are supported at a time.", 0, false},
		{"a gateway's 502", 502, "A max of 50 entities are supported at a time.", 0, false},
		{"any other server error", 500, "Internal Server Error", 0, false},
		{"words added", 500, "A max of 50 entities are supported at a time. Contact support.", 0, false},
		{"no number", 500, "A max of %limit% entities are supported at a time.", 0, false},
		{"a number too large", 500, "A max of 99999999999999999999 entities are supported at a time.", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit, ok := batchLimitRefusal(tt.status, tt.msg)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantLimit, limit)
		})
	}
}

// The next size is the limit Automation names; if it names none smaller than the batch it
// refused, half the batch; none below one record.
func TestNextBatchSize(t *testing.T) {
	tests := []struct {
		name              string
		sent, limit, want int
		wantOK            bool
	}{
		{"the named limit", 200, 50, 50, true},
		{"a limit of one", 200, 1, 1, true},
		{"a limit no smaller than the batch: halved", 200, 200, 100, true},
		{"an odd batch halved", 7, 9, 3, true},
		{"a limit of zero", 200, 0, 0, false},
		{"a single record refused under a limit above it", 1, 5, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := nextBatchSize(tt.sent, tt.limit)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
