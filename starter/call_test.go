package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	minicrmsim "github.com/crmsync/crmsync/connectors/minicrm/sim"
	"github.com/crmsync/crmsync/connectors/registry"
	"github.com/crmsync/crmsync/connectors/unas"
	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
)

func TestCallCommand(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "s3cr3t-value", SellsyRequestsPerSecond: -1,
		MauticUsername: "u", MauticPassword: "p", MauticContacts: 2,
		UNASAddr: "127.0.0.1:0", UNASAPIKey: "unas-k3y", UNASOrders: 3,
		MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "7", MiniCRMAPIKey: "minicrm-k3y", MiniCRMRequestsPerMinute: -1,
		WeavyAddr: "127.0.0.1:0", WeavyUsername: "wu", WeavyPassword: "weavy-pa55", WeavyProject: "crm", WeavyFirst: 0, WeavyContacts: 2,
		AltiorAddr: "127.0.0.1:0", AltiorAPIKey: "altior-k3y", AltiorTiers: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	writeSellsyConnection(t, sb.SellsyURL, sb.MauticURL, "", "")
	unas, err := os.ReadFile("../config/examples/unas-minicrm.yaml")
	require.NoError(t, err)
	text := strings.NewReplacer("http://127.0.0.1:18085", sb.UNASURL, "http://127.0.0.1:18086", sb.MiniCRMURL).Replace(string(unas))
	require.NoError(t, os.WriteFile(filepath.Join(os.Getenv("CRMSYNC_CONNECTIONS"), "unas-minicrm.yaml"), []byte(text), 0o600))
	for _, f := range []string{"weavy-mautic.yaml", "sellsy-altior.yaml"} {
		data, err := os.ReadFile("../config/examples/" + f)
		require.NoError(t, err)
		text := strings.NewReplacer("http://127.0.0.1:18081", sb.SellsyURL, "http://127.0.0.1:18082", sb.MauticURL,
			"http://127.0.0.1:18083", sb.WeavyURL, "http://127.0.0.1:18084", sb.AltiorURL).Replace(string(data))
		require.NoError(t, os.WriteFile(filepath.Join(os.Getenv("CRMSYNC_CONNECTIONS"), f), []byte(text), 0o600))
	}
	for k, v := range map[string]string{"UNAS_API_KEY": "unas-k3y", "MINICRM_SYSTEM_ID": "7", "MINICRM_API_KEY": "minicrm-k3y",
		"WEAVY_USERNAME": "wu", "WEAVY_PASSWORD": "weavy-pa55", "ALTIOR_API_KEY": "altior-k3y"} {
		t.Setenv(k, v)
	}

	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"usage", []string{"automation", "GET"}, nil, "usage: crmsync call"},
		{"unknown system", []string{"hubspot", "GET", "/x"}, nil, `unknown system "hubspot" (one of altior, automation, minicrm, unas, weavy)`},
		{"sellsy has its own", []string{"sellsy", "GET", "/staffs"}, nil, "crmsync sellsy call"},
		{"wrong connection", []string{"--connection", "sellsy-mautic", "unas", "POST", "/getOrder"}, nil, `connection "sellsy-mautic" has no unas side (its systems: sellsy, mautic)`},
		{"which automation", []string{"automation", "GET", "/api/contacts"}, nil, "2 connections have a mautic side (sellsy-mautic, weavy-mautic): name one with --connection"},
		{"automation get", []string{"--connection", "sellsy-mautic", "automation", "GET", "/api/contacts?limit=1"}, []string{"HTTP 200", `"total": "2"`}, ""},
		{"flag after the arguments", []string{"automation", "GET", "/api/contacts?limit=1", "--connection", "weavy-mautic"}, []string{"HTTP 200"}, ""},
		{"flag between the arguments", []string{"automation", "--connection=sellsy-mautic", "GET", "/api/contacts?limit=1"}, []string{"HTTP 200", `"total": "2"`}, ""},
		{"automation refused", []string{"--connection", "sellsy-mautic", "Automation", "POST", "/api/contacts/new", `{"email": "not-an-address"}`}, []string{"HTTP 400"}, "email"},
		{"automation bad body", []string{"--connection", "weavy-mautic", "automation", "POST", "/api/contacts/new", "{"}, nil, "not JSON"},
		{"weavy dictionary", []string{"weavy", "GET", "/v1/Dictionary/crm/customer"}, []string{"HTTP 200", `"fieldName": "customer_ID"`}, ""},
		{"altior tiers", []string{"altior", "GET", "/api/v1/tiers"}, []string{"HTTP 200", `"id": "T000001"`}, ""},
		{"altior not found", []string{"altior", "GET", "/api/v1/tiers/999999"}, []string{"HTTP 404", "no such tiers"}, "404"},
		{"minicrm get", []string{"minicrm", "GET", "/Api/R3/Category"}, []string{"HTTP 200", "Orders"}, ""},
		{"unas xml", []string{"--connection", "unas-minicrm", "unas", "POST", "/getOrderStatus", "<Params></Params>"}, []string{"HTTP 200", "<OrderStatuses>"}, ""},
		{"unas post only", []string{"unas", "GET", "/getOrder"}, nil, `method "GET"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := callCommand(context.Background(), tc.args, &out)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			for _, w := range tc.want {
				assert.Contains(t, out.String(), w)
			}
			all := out.String()
			if err != nil {
				all += err.Error()
			}
			for _, secret := range []string{"s3cr3t-value", "unas-k3y", "minicrm-k3y", "weavy-pa55", "altior-k3y"} {
				assert.NotContains(t, all, secret)
			}
		})
	}
}

// crmsync call on UNAS counts in the budget the workers keep in their store, so that a call
// by hand never earns the shop a ban the workers then wait out; without a store it counts
// apart and leaves no store behind.
func TestCallSpendsTheWorkersUNASBudget(t *testing.T) {
	shop := unassim.New(unassim.Options{APIKey: "shop-k3y"})
	srv := httptest.NewServer(shop)
	t.Cleanup(srv.Close)
	base := srv.URL + "/shop"
	shopConnection(t, base, "http://127.0.0.1:2")
	statusKey := registry.UNASShop(base, "shop-k3y") + "/" + unas.ClassOrderStatus
	runQuotaCases(t, []string{"unas", "POST", "/getOrderStatus", "<Params></Params>"}, store.QuotaClaim{Key: statusKey, Limit: 30}, time.Hour,
		func() int { return shop.Spent(unassim.LimitGetOrderStatus) }, "<OrderStatuses>", []quotaCase{
			{"no store: counted apart", false, 0, "", 1, 0},
			{"counted in the store", true, 0, "", 1, 1},
			{"refused when the workers spent the hour", true, 30, "hourly budget (30 getOrderStatus", 0, 30},
		})
}

// shopConnection writes the UNAS → MiniCRM connection "shop" (UNAS at unasBase, MiniCRM at
// miniCRMBase, system 7) as the command's only connection file, its credentials set: the
// UNAS API key shop-k3y, the MiniCRM API key m.
func shopConnection(t *testing.T, unasBase, miniCRMBase string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("CRMSYNC_CONNECTIONS", dir)
	t.Setenv("CALL_UNAS", "shop-k3y")
	t.Setenv("CALL_SYS", "7")
	t.Setenv("CALL_KEY", "m")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(`name: shop
a: {system: unas, settings: {base_url: `+unasBase+`}, credentials: {api_key: CALL_UNAS}}
b: {system: minicrm, settings: {base_url: `+miniCRMBase+`, owner: "101"}, credentials: {system_id: CALL_SYS, api_key: CALL_KEY}}
direction: a_to_b
objects: [{name: order, b_object: "card:Orders", match: {a: order_ref, b: Text1}, fields: [{a: order_ref, b: Text1}]}]
`), 0o600))
}

// quotaCase is a call by hand beside the workers: whether their store is there, how many
// uses of the quota they spent, and what the call does then.
type quotaCase struct {
	name      string
	store     bool // the workers' store is there
	spent     int  // uses the workers made in the window
	wantErr   string
	wantCalls int // that reach the system
	wantUsed  int // in the store afterwards
}

// runQuotaCases runs crmsync call with args in each case, the workers' store (when there)
// holding spent uses of claim, counted for window; calls counts the requests the system got,
// and wantOut is in the answer of a call that went through. A call is given ten seconds,
// where room in a spent window comes back later.
func runQuotaCases(t *testing.T, args []string, claim store.QuotaClaim, window time.Duration, calls func() int, wantOut string, cases []quotaCase) {
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "crmsync.db")
			t.Setenv("CRMSYNC_STORE_DSN", dsn)
			var st store.Store
			if tc.store {
				var err error
				st, err = store.Open(ctx, dsn)
				require.NoError(t, err)
				t.Cleanup(func() { _ = st.Close() })
				for range tc.spent {
					_, err := st.TakeQuota(ctx, []store.QuotaClaim{claim}, window, time.Now())
					require.NoError(t, err)
				}
			}
			before := calls()
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var out bytes.Buffer
			err := callCommand(cctx, args, &out)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
			} else {
				require.NoError(t, err)
				assert.Contains(t, out.String(), wantOut)
			}
			assert.Equal(t, tc.wantCalls, calls()-before, "calls that reached the system")
			if !tc.store {
				_, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:"))
				assert.True(t, os.IsNotExist(err), "the command creates no store")
				return
			}
			used, err := st.QuotaUsed(ctx, claim.Key, window, time.Now())
			require.NoError(t, err)
			assert.Equal(t, tc.wantUsed, used)
		})
	}
}

// crmsync call on MiniCRM counts in the minute the workers keep in their store: a request by
// hand beside a busy sync used to be the 61st, refused with a 429 that cost the sync a whole
// minute. When the workers have spent the minute, the command waits for room as they do, or,
// given no time to wait, is refused without calling MiniCRM.
func TestCallCountsInTheWorkersMiniCRMMinute(t *testing.T) {
	crm := minicrmsim.New(minicrmsim.Options{SystemID: "7", APIKey: "m"})
	srv := httptest.NewServer(crm)
	t.Cleanup(srv.Close)
	shopConnection(t, "http://127.0.0.1:1/shop", srv.URL)
	runQuotaCases(t, []string{"minicrm", "GET", "/Api/R3/Category"}, store.QuotaClaim{Key: registry.MiniCRMSystem(srv.URL, "7"), Limit: 59}, registry.MiniCRMCountedFor,
		func() int { return crm.Kit().Counts()["GET /Api/R3/Category"] }, `"Orders"`, []quotaCase{
			{"no store: counted apart", false, 0, "", 1, 0},
			{"counted in the store", true, 0, "", 1, 1},
			{"the workers spent the minute", true, 59, "MiniCRM's quota of the minute is spent by crmsync's processes", 0, 59},
		})
}
