package mautic

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// panicOn is a transport whose round trip panics for the requests "METHOD /path" that hold
// match, as the reading of an odd answer might: it runs in the goroutine of the call.
type panicOn struct {
	match string
	next  http.RoundTripper
}

func (p panicOn) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.Method+" "+r.URL.Path, p.match) {
		var v any = 1.0
		_ = v.(string)
	}
	return p.next.RoundTrip(r)
}

func panickingClient(t *testing.T, e *env, match string) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: e.srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000,
		HTTPClient: &http.Client{Transport: panicOn{match: match, next: http.DefaultTransport}}})
	require.NoError(t, err)
	return c
}

func requirePanic(t *testing.T, err error, contains string) {
	t.Helper()
	require.Error(t, err)
	assert.True(t, connectors.IsPanic(err), "%v", err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err), "not retried: it would panic again")
	assert.False(t, connectors.NothingWritten(err))
	assert.Contains(t, err.Error(), contains)
	assert.Contains(t, err.Error(), "internal error: ")
	assert.Contains(t, err.Error(), "panic: interface conversion: interface {} is float64, not string in mautic.panicOn.RoundTrip (panic_test.go:")
}

// A panic in one of the goroutines of a call (deletes, do-not-contact changes, companies
// created one by one) fails the call with the error naming it, instead of ending the worker
// process.
func TestPanicInAGoroutineFailsTheCall(t *testing.T) {
	ctx := context.Background()
	t.Run("delete", func(t *testing.T) {
		e := setup(t, sim.Options{})
		e.sim.SeedPeople(0, 2)
		res, err := panickingClient(t, e, "DELETE /api/contacts/2/").Delete(ctx, connectors.ObjectContact, []string{"1", "2"})
		requirePanic(t, err, "mautic DELETE /contacts/{id}/delete: ")
		assert.NoError(t, res[0].Err)
		requirePanic(t, res[1].Err, "mautic DELETE /contacts/{id}/delete: ")
	})
	t.Run("do not contact", func(t *testing.T) {
		e := setup(t, sim.Options{})
		e.sim.SeedPeople(0, 1)
		res, err := panickingClient(t, e, "/dnc/email/").Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: "1", Fields: map[string]any{"dnc.email": true}}})
		requirePanic(t, err, "mautic POST /contacts/{id}/dnc/email/add: internal error: contact 1: the do-not-contact on email could not be set: panic: ")
		requirePanic(t, res[0].Err, "contact 1")
	})
	t.Run("company created one by one", func(t *testing.T) {
		e := setup(t, sim.Options{})
		e.sim.SeedPeople(0, 1) // company 1: "Conseil Paris 00000"
		res, err := panickingClient(t, e, "POST /api/companies/new").Create(ctx, connectors.ObjectCompany, []connectors.Record{
			{Fields: map[string]any{"companyname": "conseil paris 00000"}}, // taken: created with force=1, alone
			{Fields: map[string]any{"companyname": "Dupont SA"}},
		})
		requirePanic(t, err, "mautic POST /companies/new: ")
		requirePanic(t, res[0].Err, "mautic ")
		assert.Empty(t, res[0].ID, "not created")
	})
	t.Run("company created, then a panic", func(t *testing.T) {
		e := setup(t, sim.Options{})
		e.sim.SeedPeople(0, 1)
		before := e.sim.Count("companies")
		// The zero value is read back (zeroDropped) after the create: the field scales it
		// asks for then panic.
		res, err := panickingClient(t, e, "GET /api/fields/company").Create(ctx, connectors.ObjectCompany, []connectors.Record{
			{Fields: map[string]any{"companyname": "conseil paris 00000", "companynumber_of_employees": 0.0}},
		})
		requirePanic(t, err, "mautic ")
		require.Len(t, res, 1)
		requirePanic(t, res[0].Err, "mautic ")
		assert.Equal(t, before+1, e.sim.Count("companies"))
		assert.NotEmpty(t, res[0].ID, "created: its id is kept, so that the sync pairs it rather than create it again")
	})
}
