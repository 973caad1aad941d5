package registry

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/minicrm"
	minicrmsim "github.com/crmsync/crmsync/connectors/minicrm/sim"
	"github.com/crmsync/crmsync/connectors/unas"
	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	"github.com/crmsync/crmsync/store"
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

// Every system's connectors share their account's limiter: two connections into one MiniCRM
// system (whose quota is per system) take one limiter, a third system its own.
func TestMiniCRMSystemsShareALimiter(t *testing.T) {
	t.Setenv("R_UNAS", "k")
	t.Setenv("R_SYS", "7")
	t.Setenv("R_SYS2", "8")
	t.Setenv("R_KEY", "m")
	conn := func(name, sysVar string) *config.Connection {
		return unasToMiniCRM(t, name, "http://127.0.0.1:1/shop", "R_UNAS", sysVar, "")
	}
	var accounts Accounts
	for _, c := range []*config.Connection{conn("shop-one", "R_SYS"), conn("shop-two", "R_SYS"), conn("other", "R_SYS2")} {
		_, err := OpenShared(c, "b", nil, &accounts)
		require.NoError(t, err)
	}
	assert.Len(t, accounts.limiters, 2)
	assert.Contains(t, accounts.limiters, "minicrm 7")
	assert.Contains(t, accounts.limiters, "minicrm 8")
}

// Connections reading one UNAS shop share its hourly call budget (breaking a limit bans the
// IP for everyone), another shop has its own, and order_lists_per_hour is read strictly.
func TestUNASShopsShareABudget(t *testing.T) {
	t.Setenv("R_UNAS", "k")
	t.Setenv("R_UNAS2", "k2")
	t.Setenv("R_SYS", "7")
	t.Setenv("R_KEY", "m")
	conn := func(name, keyVar, lists string) *config.Connection {
		return unasToMiniCRM(t, name, `http://127.0.0.1:1/shop, order_lists_per_hour: "`+lists+`"`, keyVar, "R_SYS", "")
	}
	var accounts Accounts
	for _, c := range []*config.Connection{conn("one", "R_UNAS", "10"), conn("two", "R_UNAS", ""), conn("other", "R_UNAS2", "")} {
		_, err := OpenShared(c, "a", nil, &accounts)
		require.NoError(t, err)
	}
	assert.Len(t, accounts.unasShops, 2, "one budget per shop")
	for _, bad := range []string{"-1", "ten", "2.5"} {
		// config.Parse refuses it first; the registry holds on its own too.
		c := conn("bad", "R_UNAS", "")
		c.A.Settings["order_lists_per_hour"] = bad
		_, err := OpenShared(c, "a", nil, &accounts)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "settings.order_lists_per_hour")
		assert.Contains(t, err.Error(), "bad.yaml")
	}
}

// Two worker processes (two Accounts) on one store share a UNAS shop's hourly budget: 30
// multi-order calls between them on PREMIUM, then both refuse without calling UNAS.
func TestUNASBudgetSharedThroughTheStore(t *testing.T) {
	ctx := context.Background()
	shop := unassim.New(unassim.Options{APIKey: "shop-k3y"})
	srv := httptest.NewServer(shop)
	t.Cleanup(srv.Close)
	st := workersStore(t)
	t.Setenv("R_UNAS", "shop-k3y")
	t.Setenv("R_SYS", "7")
	t.Setenv("R_KEY", "m")
	c := unasToMiniCRM(t, "shop", srv.URL+"/shop", "R_UNAS", "R_SYS", "")
	var workers []connectors.Connector
	for range 2 {
		accounts := &Accounts{Quotas: st}
		conn, err := OpenShared(c, "a", nil, accounts)
		require.NoError(t, err)
		workers = append(workers, conn)
	}
	for i := range 30 {
		_, err := workers[i%2].List(ctx, "order", connectors.ListQuery{})
		require.NoError(t, err, "call %d", i+1)
	}
	for _, w := range workers {
		_, err := w.List(ctx, "order", connectors.ListQuery{})
		require.Error(t, err)
		assert.Equal(t, connectors.KindRateLimited, connectors.KindOf(err))
		assert.Greater(t, connectors.RetryAfterOf(err), 50*time.Minute)
	}
	assert.Equal(t, 30, shop.Spent(unassim.LimitGetOrder))
	assert.Zero(t, shop.Bans())
}

func TestUNASShopNameHoldsNoKey(t *testing.T) {
	name := UNASShop("https://api.unas.eu/shop/", "secret-api-key")
	assert.NotContains(t, name, "secret-api-key")
	assert.Equal(t, name, UNASShop("https://api.unas.eu/shop", "secret-api-key"))
	assert.NotEqual(t, name, UNASShop("https://api.unas.eu/shop", "another-key"))
}

// Connections on one UNAS shop, and a connection whose connectors are built again (its file
// changed), share the shop's login token and bans: one login for all of them, and a ban one
// was told about keeps the others from calling. Another shop logs in for itself.
func TestUNASShopsShareTokenAndBans(t *testing.T) {
	ctx := context.Background()
	shop := unassim.New(unassim.Options{APIKey: "shop-k3y", Limits: map[string]int{unassim.LimitGetOrder: 2}})
	srv := httptest.NewServer(shop)
	t.Cleanup(srv.Close)
	other := unassim.New(unassim.Options{APIKey: "shop-k3y"})
	otherSrv := httptest.NewServer(other)
	t.Cleanup(otherSrv.Close)
	t.Setenv("R_UNAS", "shop-k3y")
	t.Setenv("R_SYS", "7")
	t.Setenv("R_KEY", "m")
	conn := func(name, url string) *config.Connection {
		return unasToMiniCRM(t, name, url+"/shop", "R_UNAS", "R_SYS", "")
	}
	var accounts Accounts
	open := func(c *config.Connection) connectors.Connector {
		t.Helper()
		x, err := OpenShared(c, "a", nil, &accounts)
		require.NoError(t, err)
		return x
	}
	steps := []struct {
		name          string
		conn          connectors.Connector
		wantKind      connectors.Kind // of a listing
		logins, lists int             // on the first shop, after the step
	}{
		{"first connection", open(conn("one", srv.URL)), "", 1, 1},
		{"second connection on the shop", open(conn("two", srv.URL)), "", 1, 2},
		{"the first built again after a reload: banned by UNAS", open(conn("one", srv.URL)), connectors.KindRateLimited, 1, 3},
		{"the second knows of the ban", open(conn("two", srv.URL)), connectors.KindRateLimited, 1, 3},
		{"another shop", open(conn("three", otherSrv.URL)), "", 1, 3},
	}
	for _, s := range steps {
		_, err := s.conn.List(ctx, "order", connectors.ListQuery{})
		if s.wantKind == "" {
			require.NoError(t, err, s.name)
		} else {
			assert.Equal(t, s.wantKind, connectors.KindOf(err), "%s: %v", s.name, err)
		}
		assert.Equal(t, s.logins, shop.Logins(), "%s: logins", s.name)
		assert.Equal(t, s.lists, shop.Kit().Counts()["POST /shop/getOrder"], "%s: getOrder requests", s.name)
	}
	assert.Equal(t, 1, other.Logins())
	assert.Equal(t, 1, shop.Bans())
}

// The UNAS side's time_zone and the connection's start_date reach the connector; a bad one
// names the file, the side and the setting.
func TestUNASTimeZoneSetting(t *testing.T) {
	t.Setenv("R_UNAS", "k")
	t.Setenv("R_SYS", "7")
	t.Setenv("R_KEY", "m")
	tests := []struct {
		name, settings string
		wantErr        string
	}{
		{name: "default", settings: ""},
		{name: "named", settings: ", time_zone: Europe/Bucharest"},
		// config.Parse refuses it first; the registry holds on its own too.
		{name: "unknown", settings: "Mars/Olympus", wantErr: `tz.yaml: a: unas config: configuration: time_zone "Mars/Olympus" is not an IANA time zone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			named := ""
			if tt.wantErr == "" {
				named = tt.settings
			}
			c := unasToMiniCRM(t, "tz", "http://127.0.0.1:1/shop"+named, "R_UNAS", "R_SYS", `start_date: "2026-01-31"`+"\n")
			if tt.wantErr != "" {
				c.A.Settings["time_zone"] = tt.settings
			}
			_, err := Open(c, "a", nil)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
		})
	}
}

// The weavy side's time_zone reaches the connector: a zone that does not exist is refused,
// naming the file, the side and the setting.
func TestWeavyTimeZoneSetting(t *testing.T) {
	t.Setenv("R_WUSER", "u")
	t.Setenv("R_WPASS", "p")
	t.Setenv("R_MUSER", "u")
	t.Setenv("R_MPASS", "p")
	for _, tt := range []struct{ name, settings, wantErr string }{
		{"default", "", ""},
		{"named", ", time_zone: America/Cayenne", ""},
		// config.Parse refuses it first; the registry holds on its own too.
		{"unknown", "Paris", `wz.yaml: a: weavy config: configuration: time_zone "Paris" is not an IANA time zone`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			named := ""
			if tt.wantErr == "" {
				named = tt.settings
			}
			c, err := config.Parse("wz.yaml", []byte(`name: wz
a: {system: weavy, settings: {base_url: http://127.0.0.1:1, project: crm`+named+`}, credentials: {username: R_WUSER, password: R_WPASS}}
b: {system: mautic, settings: {base_url: http://127.0.0.1:2}, credentials: {username: R_MUSER, password: R_MPASS}}
objects: [{name: company, match: {a: name, b: companyname}, fields: [{a: name, b: companyname}]}]
`))
			require.NoError(t, err)
			if tt.wantErr != "" {
				c.A.Settings["time_zone"] = tt.settings
			}
			_, err = Open(c, "a", nil)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
		})
	}
}

// unasToMiniCRM parses a connection from UNAS (settings: its base_url and the settings after
// it; keyVar: its api_key variable) to MiniCRM (sysVar: its system_id variable); extra holds
// more top-level lines.
func unasToMiniCRM(t *testing.T, name, settings, keyVar, sysVar, extra string) *config.Connection {
	t.Helper()
	c, err := config.Parse(name+".yaml", []byte(`name: `+name+`
a: {system: unas, settings: {base_url: `+settings+`}, credentials: {api_key: `+keyVar+`}}
b: {system: minicrm, settings: {base_url: http://127.0.0.1:2, owner: "101"}, credentials: {system_id: `+sysVar+`, api_key: R_KEY}}
direction: a_to_b
`+extra+`objects: [{name: order, b_object: "card:Orders", match: {a: order_ref, b: Text1}, fields: [{a: order_ref, b: Text1}]}]
`))
	require.NoError(t, err)
	return c
}

// One shop and one key are one budget however its base_url is written: left out (the
// documented default) or written out, with a trailing slash, or with an upper-case scheme or
// host. Two connections counted apart could spend twice UNAS's hourly getOrder limit between
// them and get the IP banned.
func TestUNASShopOneBudgetHoweverItsURLIsWritten(t *testing.T) {
	want := UNASShop(unas.DefaultBaseURL, "key-1")
	for _, base := range []string{"", "  ", unas.DefaultBaseURL + "/", " " + unas.DefaultBaseURL + " ",
		"https://API.unas.eu/shop", "HTTPS://api.UNAS.eu/shop/", "https://api.unas.eu:443/shop"} {
		assert.Equal(t, want, UNASShop(base, "key-1"), "base_url %q", base)
	}
	assert.NotEqual(t, want, UNASShop("http://127.0.0.1:8080/shop", "key-1"), "another server is another shop")
	assert.NotEqual(t, want, UNASShop("https://api.unas.eu/SHOP", "key-1"), "a path is read as written")
	assert.NotEqual(t, want, UNASShop(unas.DefaultBaseURL, "key-2"), "another key is another shop")
}

// The store's ledger counts a UNAS call as long as the in-process budget does (unas.CountedFor,
// past UNAS's hour): a call that reached UNAS late is still counted there when crmsync's own
// hour ends, and the call allowed then would be the one over the limit, earning a ban.
func TestStoreLedgerCountsACallForCountedFor(t *testing.T) {
	ctx := context.Background()
	st := workersStore(t)
	ledger := (&Accounts{Quotas: st}).unasLedger("shop")
	claim := []unas.Claim{{Class: unas.ClassOrderList, Limit: 1}}
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	wait, err := ledger.Take(ctx, claim, start)
	require.NoError(t, err)
	require.Zero(t, wait)
	for _, after := range []time.Duration{time.Hour + time.Second, unas.CountedFor - time.Second} {
		wait, err = ledger.Take(ctx, claim, start.Add(after))
		require.NoError(t, err)
		assert.Positive(t, wait, "%s after the first call", after)
	}
	wait, err = ledger.Take(ctx, claim, start.Add(unas.CountedFor))
	require.NoError(t, err)
	assert.Zero(t, wait)
}

// Two worker processes (two Accounts) on one store count their MiniCRM requests together,
// under one name per system however its base_url is written: MiniCRM counts its 60 a minute
// per system, whichever process sends them. Another system counts apart.
func TestMiniCRMRequestsCountedThroughTheStore(t *testing.T) {
	ctx := context.Background()
	crm := minicrmsim.New(minicrmsim.Options{SystemID: "7", APIKey: "m"})
	srv := httptest.NewServer(crm)
	t.Cleanup(srv.Close)
	st := workersStore(t)
	t.Setenv("R_UNAS", "k")
	t.Setenv("R_SYS", "7")
	t.Setenv("R_KEY", "m")
	for i, base := range []string{srv.URL, strings.ToUpper(srv.URL) + "/"} {
		c := unasToMiniCRM(t, "shop", "http://127.0.0.1:1/shop", "R_UNAS", "R_SYS", "")
		c.B.Settings["base_url"] = base
		conn, err := OpenShared(c, "b", nil, &Accounts{Quotas: st})
		require.NoError(t, err)
		_, _, err = conn.(connectors.Caller).Call(ctx, "GET", "/Api/R3/Category", nil, nil)
		require.NoError(t, err)
		used, err := st.QuotaUsed(ctx, MiniCRMSystem(srv.URL, "7"), MiniCRMCountedFor, time.Now())
		require.NoError(t, err)
		assert.Equal(t, i+1, used, "requests of both processes counted on one name")
	}
	other, err := st.QuotaUsed(ctx, MiniCRMSystem(srv.URL, "8"), MiniCRMCountedFor, time.Now())
	require.NoError(t, err)
	assert.Zero(t, other)
}

// The store's quota lets crmsync's processes together send one request a minute under the
// quota the connection sets (59 of MiniCRM's 60), and counts each for the minute and a second,
// as MiniCRM's minute starts when the request reaches it.
func TestMiniCRMQuotaInTheStore(t *testing.T) {
	ctx := context.Background()
	st := workersStore(t)
	tests := []struct {
		name      string
		perMinute float64
		allowed   int
	}{
		{name: "MiniCRM's default quota", perMinute: 60, allowed: 59},
		{name: "left out", perMinute: 0, allowed: 59},
		{name: "a larger quota", perMinute: 120, allowed: 119},
	}
	start := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			system := MiniCRMSystem("https://r3.minicrm.hu", strconv.Itoa(i))
			workers := []minicrm.Quota{(&Accounts{Quotas: st}).miniCRMQuota(system, tt.perMinute), (&Accounts{Quotas: st}).miniCRMQuota(system, tt.perMinute)}
			for n := range tt.allowed {
				wait, err := workers[n%2].Take(ctx, start.Add(time.Duration(n)*time.Millisecond))
				require.NoError(t, err)
				require.Zero(t, wait, "request %d", n+1)
			}
			for _, w := range workers {
				wait, err := w.Take(ctx, start.Add(time.Second))
				require.NoError(t, err)
				assert.Equal(t, MiniCRMCountedFor-time.Second, wait, "until the first request leaves the window")
			}
			wait, err := workers[0].Take(ctx, start.Add(MiniCRMCountedFor))
			require.NoError(t, err)
			assert.Zero(t, wait, "the first request left the window")
		})
	}
	assert.Nil(t, (&Accounts{}).miniCRMQuota("minicrm x 1", 60), "without a store, the process's limiter alone")
}

// One MiniCRM system is one name however its base_url is written.
func TestMiniCRMSystemName(t *testing.T) {
	want := MiniCRMSystem("https://r3.minicrm.hu", "12345")
	for _, base := range []string{"https://r3.minicrm.hu/", " https://R3.MiniCRM.hu ", "HTTPS://r3.minicrm.hu:443"} {
		assert.Equal(t, want, MiniCRMSystem(base, "12345"), base)
	}
	assert.NotEqual(t, want, MiniCRMSystem("https://r3.minicrm.hu", "12346"))
	assert.NotEqual(t, want, MiniCRMSystem("http://127.0.0.1:8080", "12345"))
}

// workersStore is a SQLite store the workers of a test share, closed when it ends.
func workersStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "crmsync.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}
