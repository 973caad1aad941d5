package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/config"
)

// Two connections on one Sellsy account share its limiter; another account has its own; a
// lower rate set on either connection slows the shared one.
func TestConnectionsOnOneAccountShareALimiter(t *testing.T) {
	t.Setenv("R_ID", "client-1")
	t.Setenv("R_ID2", "client-2")
	t.Setenv("R_SECRET", "s")
	t.Setenv("R_USER", "u")
	t.Setenv("R_PASSWORD", "p")
	conn := func(name, idVar, rps string) *config.Connection {
		c, err := config.Parse(name+".yaml", []byte(`name: `+name+`
a: {system: sellsy, settings: {api_url: http://127.0.0.1:1/v2, requests_per_second: "`+rps+`"}, credentials: {client_id: `+idVar+`, client_secret: R_SECRET}}
b: {system: mautic, settings: {base_url: http://127.0.0.1:2}, credentials: {username: R_USER, password: R_PASSWORD}}
objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]
`))
		require.NoError(t, err)
		return c
	}
	var accounts Accounts
	open := func(c *config.Connection, side string) {
		t.Helper()
		_, err := OpenShared(c, side, nil, &accounts)
		require.NoError(t, err)
	}
	open(conn("one", "R_ID", "5"), "a")
	open(conn("two", "R_ID", "3"), "a")
	open(conn("other", "R_ID2", "5"), "a")
	open(conn("one", "R_ID", "5"), "b")
	open(conn("two", "R_ID", "3"), "b")
	require.Len(t, accounts.limiters, 3, "two Sellsy accounts and one Automation instance")
	assert.Equal(t, rate.Limit(3), accounts.limiters["sellsy http://127.0.0.1:1/v2 client-1"].Limit(), "the strictest rate wins")
	assert.Equal(t, rate.Limit(5), accounts.limiters["sellsy http://127.0.0.1:1/v2 client-2"].Limit())
	assert.Equal(t, rate.Limit(20), accounts.limiters["mautic http://127.0.0.1:2 u"].Limit(), "Automation's default")
}
