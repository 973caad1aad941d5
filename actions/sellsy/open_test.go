package sellsyactions

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

func TestOpenClient(t *testing.T) {
	s := sim.New(sim.Options{ClientID: "cid", ClientSecret: "sec", RequestsPerSecond: -1,
		V1ConsumerToken: "ck", V1ConsumerSecret: "cs", V1UserToken: "ut", V1UserSecret: "us"})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{"T_ID": "cid", "T_SEC": "sec", "T_CK": "ck", "T_CS": "cs", "T_UT": "ut", "T_US": "us"} {
		t.Setenv(k, v)
	}
	side := func(v1 bool) config.System {
		sys := config.System{System: "sellsy", Settings: map[string]string{"api_url": srv.URL + "/v2", "token_url": srv.URL + "/oauth2/access-tokens"},
			Credentials: map[string]string{"client_id": "T_ID", "client_secret": "T_SEC"}}
		if v1 {
			for k, v := range map[string]string{"v1_consumer_token": "T_CK", "v1_consumer_secret": "T_CS", "v1_user_token": "T_UT", "v1_user_secret": "T_US"} {
				sys.Credentials[k] = v
			}
		}
		return sys
	}
	// other is the same account with the settings one connection may choose for itself.
	other := func(sys config.System) config.System {
		sys.Settings["requests_per_second"], sys.Settings["company_type"], sys.Credentials["webhook_token"] = "200", "client", "T_HOOK"
		return sys
	}
	mautic := config.System{System: "mautic"}
	conns := []*config.Connection{
		{Name: "one", A: side(true), B: mautic},
		{Name: "two", A: mautic, B: side(false)},
		{Name: "none", A: mautic, B: mautic},
	}
	tests := []struct {
		name    string
		conns   []*config.Connection
		pick    string
		wantErr string
	}{
		{"named a side, V1 tokens", conns, "one", ""},
		{"named b side", conns, "two", ""},
		{"only one", conns[1:], "", ""},
		{"ambiguous: the accounts differ (V1 tokens)", conns, "", "2 connections"},
		{"one account on two connections", []*config.Connection{{Name: "two", A: side(false), B: mautic}, {Name: "three", A: mautic, B: other(side(false))}}, "", ""},
		{"unknown", conns, "zzz", `no connection named "zzz"`},
		{"no sellsy side", conns, "none", `connection "none" has no sellsy side (its systems: mautic, mautic)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := OpenClient(tc.conns, tc.pick, nil)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			status, _, err := c.Call(context.Background(), "GET", "/staffs", nil, nil)
			require.NoError(t, err)
			assert.Equal(t, 200, status)
			_, err = c.CallV1(context.Background(), "Infos.getInfos", nil) // OAuth1 for "one", V2 bearer otherwise
			require.NoError(t, err)
		})
	}
}

// fileVersions stands for activities.Connections: each save of the file is a new version.
type fileVersions struct {
	c   *config.Connection
	err error
}

func (f *fileVersions) Config(string) (*config.Connection, error) { return f.c, f.err }

// The Sellsy activities' client follows its connection's file: a save (here, another
// account's URL) builds it again; an unchanged file keeps it; a file that does not validate
// fails the activities with its mistake.
func TestSourceFollowsTheFile(t *testing.T) {
	t.Setenv("T_ID", "cid")
	t.Setenv("T_SEC", "sec")
	servers := make([]*sim.Server, 2)
	conn := func(i int) *config.Connection {
		servers[i] = sim.New(sim.Options{ClientID: "cid", ClientSecret: "sec", RequestsPerSecond: -1})
		srv := httptest.NewServer(servers[i])
		t.Cleanup(srv.Close)
		return &config.Connection{Name: "crm", File: "crm.yaml", B: config.System{System: "mautic"},
			A: config.System{System: "sellsy", Settings: map[string]string{"api_url": srv.URL + "/v2", "token_url": srv.URL + "/oauth2/access-tokens"},
				Credentials: map[string]string{"client_id": "T_ID", "client_secret": "T_SEC"}}}
	}
	first, second := conn(0), conn(1)
	files := &fileVersions{c: first}
	src, err := NewSource([]*config.Connection{first}, "", files, nil)
	require.NoError(t, err)
	a := &Actions{Source: src.Client}
	staffs := func() {
		t.Helper()
		c, err := a.client()
		require.NoError(t, err)
		status, _, err := c.Call(context.Background(), "GET", "/staffs", nil, nil)
		require.NoError(t, err)
		assert.Equal(t, 200, status)
	}
	calls := func(i int) int { return servers[i].Kit().Counts()["GET /v2/staffs"] }

	staffs()
	c1, _ := a.client()
	c2, _ := a.client()
	assert.Same(t, c1, c2, "unchanged file: one client")
	files.c = second // saved with the other account's URLs
	staffs()
	assert.Equal(t, []int{1, 1}, []int{calls(0), calls(1)}, "the saved file's account answers")

	files.err = errors.New("crm.yaml: schedule.max_deletes: not a number")
	_, err = a.client()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "crm.yaml: schedule.max_deletes")
}
