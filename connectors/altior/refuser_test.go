package altior_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/altior/sim"
)

// countUsers counts the listings of the users.
type countUsers struct{ n atomic.Int32 }

func (c *countUsers) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.Path == "/api/v1/users" {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// The reference user is looked up once, not for every tiers created; once a create is
// refused on it (its account deleted, its e-mail given to another user), the next create
// looks it up again and finds the user who has the e-mail now.
func TestReferenceUserIsLookedUpOnce(t *testing.T) {
	s := sim.New(sim.Options{APIKey: "k"})
	ts := httptest.NewServer(s)
	defer ts.Close()
	cu := &countUsers{}
	c, err := altior.New(altior.Config{BaseURL: ts.URL, APIKey: "k", RequestsPerSecond: 1000, HTTPClient: &http.Client{Transport: cu},
		ReferenceUserEmail: sim.RefUserEmail, Establishment: "E1"})
	require.NoError(t, err)
	ctx := context.Background()
	create := func(names ...string) []connectors.Result {
		t.Helper()
		var recs []connectors.Record
		for _, n := range names {
			recs = append(recs, connectors.Record{Fields: map[string]any{"kind": "moral", "name": "Tiers " + n}})
		}
		res, err := c.Create(ctx, connectors.ObjectCompany, recs)
		require.NoError(t, err)
		return res
	}
	owner := func(id string) any {
		t.Helper()
		got, err := c.Get(ctx, connectors.ObjectCompany, []string{id})
		require.NoError(t, err)
		require.Len(t, got, 1)
		return got[0].Fields["owner_user_id"]
	}

	res := create("A", "B", "C", "D", "E")
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	assert.Equal(t, "U1", owner(res[4].ID))
	assert.Equal(t, int32(1), cu.n.Load(), "GET /users once for 5 creates")

	// U1 leaves; U9 has the reference e-mail now.
	s.SetUsers([]sim.User{{ID: "U9", FirstName: "Nadia", LastName: "Roche", Email: sim.RefUserEmail, Role: "DIRECTEUR"}})
	res = create("F")
	require.Error(t, res[0].Err, "refused on the user kept")
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
	res = create("G", "H")
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)
	assert.Equal(t, "U9", owner(res[1].ID))
	assert.Equal(t, int32(2), cu.n.Load(), "looked up again once, after the refusal")
}
