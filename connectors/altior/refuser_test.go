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
// refused on it (its account deleted, its e-mail given to another user), it is looked up
// again and the tiers created as the user who has the e-mail now.
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
	require.NoError(t, res[0].Err, "refused on the user kept, sent again as the user found now")
	assert.Equal(t, "U9", owner(res[0].ID))
	res = create("G", "H")
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)
	assert.Equal(t, "U9", owner(res[1].ID))
	assert.Equal(t, int32(2), cu.n.Load(), "looked up again once, after the refusal")
}

// A create refused on the reference user the client kept (its account deleted, or its e-mail
// given to another user since) is the connection's, not the tiers': the user is looked up
// again and the tiers sent once more as the user who has the e-mail now; when none has it,
// the connection pauses (KindConfig naming the setting) and nothing is blamed on the tiers.
// A user the record names itself stays the record's.
func TestReferenceUserRefused(t *testing.T) {
	tests := []struct {
		name    string
		users   []sim.User      // Altior's users once the first tiers is created
		owner   string          // the record's own owner_user_id, "" for the reference user
		refuse  bool            // later POST /tiers refused on owner_user_id, the user still listed
		kind    connectors.Kind // the Create's error; "": none
		want    string          // the owner of the tiers created; "": none created
		lookups int32
	}{
		{name: "its e-mail given to another user", users: []sim.User{{ID: "U9", LastName: "Roche", Email: sim.RefUserEmail}},
			want: "U9", lookups: 2},
		{name: "its account deleted", users: []sim.User{{ID: "U2", LastName: "Olivier", Email: "marc.olivier@example.com"}},
			kind: connectors.KindConfig, lookups: 2},
		{name: "a user the record names", users: []sim.User{{ID: "U9", LastName: "Roche", Email: sim.RefUserEmail}},
			owner: "U1", lookups: 2}, // U1 refused: the kept id goes too
		{name: "the user found again refused again", refuse: true, kind: connectors.KindConfig, lookups: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sim.New(sim.Options{APIKey: "k"})
			var refusing atomic.Bool
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if refusing.Load() && r.Method == http.MethodPost && r.URL.Path == "/api/v1/tiers" {
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte(`{"error": {"code": "invalid", "field": "owner_user_id", "message": "owner_user_id: inactive user"}}`))
					return
				}
				s.ServeHTTP(w, r)
			}))
			defer ts.Close()
			cu := &countUsers{}
			c, err := altior.New(altior.Config{BaseURL: ts.URL, APIKey: "k", RequestsPerSecond: 1000, HTTPClient: &http.Client{Transport: cu},
				ReferenceUserEmail: sim.RefUserEmail, Establishment: "E1"})
			require.NoError(t, err)
			ctx := context.Background()
			res, err := c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Premier"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			if tt.users != nil {
				s.SetUsers(tt.users)
			}
			refusing.Store(tt.refuse)

			f := map[string]any{"name": "Second"}
			if tt.owner != "" {
				f["owner_user_id"] = tt.owner
			}
			res, err = c.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: f}, {Fields: map[string]any{"name": "Troisième"}}})
			assert.Equal(t, tt.lookups, cu.n.Load(), "GET /users")
			tiers := s.Dump(sim.ObjectTiers)
			switch {
			case tt.owner != "":
				require.NoError(t, err)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err), "the record's own user")
				require.NoError(t, res[1].Err)
			case tt.kind != "":
				require.Error(t, err)
				assert.Equal(t, tt.kind, connectors.KindOf(err))
				assert.Contains(t, err.Error(), "settings.reference_user_email")
				assert.NotContains(t, err.Error(), "@")
				assert.Equal(t, tt.kind, connectors.KindOf(res[0].Err), "refused before anything was written")
				assert.Contains(t, res[1].Err.Error(), "not sent")
				assert.Len(t, tiers, 1, "nothing created")
			default:
				require.NoError(t, err)
				require.NoError(t, res[0].Err, "not blamed on the tiers")
				require.NoError(t, res[1].Err)
				require.Len(t, tiers, 3)
				assert.Equal(t, tt.want, tiers[1]["owner_user_id"])
				assert.Equal(t, tt.want, tiers[2]["owner_user_id"])
			}
		})
	}
}
