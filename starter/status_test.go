package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/registry"
	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	"github.com/crmsync/crmsync/store"
)

// status counts the UNAS calls the workers made in the last hour from the store they share.
func TestStatusPrintsTheUNASBudget(t *testing.T) {
	ctx := context.Background()
	shop := unassim.New(unassim.Options{APIKey: "shop-k3y"})
	srv := httptest.NewServer(shop)
	t.Cleanup(srv.Close)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "crmsync.db")
	st, err := store.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	t.Setenv("ST_UNAS", "shop-k3y")
	t.Setenv("ST_SYS", "7")
	t.Setenv("ST_KEY", "m")
	file := []byte(`name: shop
a: {system: unas, settings: {base_url: ` + srv.URL + `/shop, order_lists_per_hour: "15"}, credentials: {api_key: ST_UNAS}}
b: {system: minicrm, settings: {base_url: http://127.0.0.1:2, owner: "101"}, credentials: {system_id: ST_SYS, api_key: ST_KEY}}
direction: a_to_b
objects: [{name: order, b_object: "card:Orders", match: {a: order_ref, b: Text1}, fields: [{a: order_ref, b: Text1}]}]
`)
	c, err := config.Parse("shop.yaml", file)
	require.NoError(t, err)
	conn, err := registry.OpenShared(c, "a", nil, &registry.Accounts{Quotas: st})
	require.NoError(t, err)
	for range 3 {
		_, err := conn.List(ctx, "order", connectors.ListQuery{})
		require.NoError(t, err)
	}
	_, err = conn.Get(ctx, "order", []string{"250001"})
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, printUNASBudget(ctx, &out, c, st, time.Now()))
	assert.Equal(t, "UNAS calls in the last hour: 3 multi-order getOrder (the shop allows 30 on PREMIUM, 90 on VIP, at most 15 for this connection), 1 getOrder by key, 0 getOrderStatus, 5 in all (logins included)\n", out.String(), "the login counts in all")

	out.Reset()
	require.NoError(t, printUNASBudget(ctx, &out, c, st, time.Now().Add(2*time.Hour)))
	assert.Contains(t, out.String(), ": 0 multi-order getOrder", "two hours later")

	// status CONN prints it from the command's files and the store, whatever another file of
	// CRMSYNC_CONNECTIONS holds (one that does not load left the line out).
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shop.yaml"), file, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.yaml"), []byte("name: other\ndirection: sideways\n"), 0o600))
	out.Reset()
	statusBudget(ctx, &out, settings{Connections: dir, StoreDSN: dsn}, "shop")
	assert.Contains(t, out.String(), "UNAS calls in the last hour: 3 multi-order getOrder")
}
