package webhooks

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

// wonRoute is the events: route README's example adds to a running worker's file.
const wonRoute = "events:\n  - object: opportunity\n    event: updated\n    start: {workflow: OnOpportunityWon, task_queue: examples}\n"

// connFile is the example Sellsy ⇄ Automation file named name, with the receiver's
// credentials (SHOP_* variables) and then extra.
func connFile(t *testing.T, name, extra string) string {
	t.Helper()
	src, err := os.ReadFile("../config/examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	s := strings.Replace(string(src), "name: sellsy-mautic\n", "name: "+name+"\n", 1)
	s = strings.Replace(s, "    client_secret: SELLSY_CLIENT_SECRET\n", "    client_secret: SELLSY_CLIENT_SECRET\n    webhook_token: SHOP_SELLSY_TOKEN\n", 1)
	s = strings.Replace(s, "    password: MAUTIC_PASSWORD\n", "    password: MAUTIC_PASSWORD\n    webhook_secret: SHOP_MAUTIC_WEBHOOK_SECRET\n    push_token: SHOP_PUSH_TOKEN\n", 1)
	require.NotEqual(t, string(src), s)
	return s + extra
}

// rewrite replaces a file's content as an operator's editor does, its time moved on so that
// the change is seen whatever the file system's time resolution.
func rewrite(t *testing.T, file, content string, step int) {
	t.Helper()
	require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
	at := time.Now().Add(time.Duration(step) * time.Hour)
	require.NoError(t, os.Chtimes(file, at, at))
}

// A running receiver reads each delivery's connection as its file now reads, through the
// worker's Connections: routes added or removed, credentials changed apply to the next
// delivery, and a file that no longer validates refuses its connection's deliveries (503)
// until it is fixed, while the other connections keep working.
func TestReceiverReadsChangedFiles(t *testing.T) {
	t.Setenv("SHOP_MAUTIC_WEBHOOK_SECRET", "whsec-123")
	t.Setenv("SHOP_PUSH_TOKEN", "tok-456")
	t.Setenv("SHOP_SELLSY_TOKEN", "sel-789")
	t.Setenv("SHOP_NEW_SECRET", "whsec-new")
	t.Setenv("SHOP_NEW_TOKEN", "tok-new")
	t.Setenv("SHOP_NEW_SELLSY_TOKEN", "sel-new")

	type delivery struct {
		path, body, signedWith string // signedWith: the secret of Webhook-Signature
		status                 int
	}
	sellsy := func(token, id string, status int) delivery {
		return delivery{path: "/webhooks/shop/sellsy/" + token, body: notif("updated", "opportunity", id), status: status}
	}
	mautic := func(connection, secret string, status int) delivery {
		return delivery{path: "/webhooks/" + connection + "/mautic", body: deleteDelivery, signedWith: secret, status: status}
	}
	push := func(token string, status int) delivery {
		return delivery{path: "/push/shop/" + token + "?id=42", status: status}
	}
	tests := []struct {
		name          string
		extra, edited string // the shop file's tail, before and after the edit
		replace       [2]string
		before, after []delivery
		events        int    // workflows the routes started in all
		log           string // in the receiver's log
	}{
		{name: "route added", edited: wonRoute,
			before: []delivery{sellsy("sel-789", "77", 200)},
			after:  []delivery{sellsy("sel-789", "77", 200)}, events: 1},
		{name: "route removed", extra: wonRoute,
			before: []delivery{sellsy("sel-789", "77", 200)},
			after:  []delivery{sellsy("sel-789", "78", 200)}, events: 1},
		{name: "webhook secret changed", replace: [2]string{"webhook_secret: SHOP_MAUTIC_WEBHOOK_SECRET", "webhook_secret: SHOP_NEW_SECRET"},
			before: []delivery{mautic("shop", "whsec-123", 200)},
			after:  []delivery{mautic("shop", "whsec-123", 401), mautic("shop", "whsec-new", 200)}, log: "bad signature"},
		{name: "push token changed", replace: [2]string{"push_token: SHOP_PUSH_TOKEN", "push_token: SHOP_NEW_TOKEN"},
			before: []delivery{push("tok-456", 200)},
			after:  []delivery{push("tok-456", 404), push("tok-new", 200)}},
		{name: "sellsy token changed", extra: wonRoute, edited: wonRoute, replace: [2]string{"webhook_token: SHOP_SELLSY_TOKEN", "webhook_token: SHOP_NEW_SELLSY_TOKEN"},
			before: []delivery{sellsy("sel-789", "77", 200)},
			after:  []delivery{sellsy("sel-789", "78", 404), sellsy("sel-new", "78", 200)}, events: 2},
		{name: "file no longer validates", extra: wonRoute, replace: [2]string{"direction: both", "direction: sideways"},
			before: []delivery{sellsy("sel-789", "77", 200)},
			after: []delivery{sellsy("sel-789", "78", 503), mautic("shop", "whsec-123", 503), push("tok-456", 503),
				mautic("other", "whsec-123", 200)},
			events: 1, log: "direction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			shop, other := filepath.Join(dir, "shop.yaml"), filepath.Join(dir, "other.yaml")
			rewrite(t, shop, connFile(t, "shop", tt.extra), 0)
			rewrite(t, other, connFile(t, "other", ""), 0)
			var conns []*config.Connection
			for _, file := range []string{shop, other} {
				c, err := config.Load(file)
				require.NoError(t, err)
				conns = append(conns, c)
			}
			shared := activities.NewConnections(conns) // as the worker shares its own
			f := &fakeTemporal{}
			var logs bytes.Buffer
			r := New(f, "crmsync", conns, slog.New(slog.NewTextHandler(&logs, nil))).WithConfig(shared.Config).
				WithConnectors(func(string) (connectors.Connector, connectors.Connector, error) {
					return fakeSellsy{recs: map[string]connectors.Record{
						"77": {ID: "77", Fields: map[string]any{"name": "Projet"}}, "78": {ID: "78", Fields: map[string]any{"name": "Autre"}}}}, nil, nil
				})
			f.routeWith(t, r)
			srv := httptest.NewServer(r.Handler())
			t.Cleanup(srv.Close)
			deliver := func(d delivery) {
				t.Helper()
				header := map[string]string{}
				if d.signedWith != "" {
					header["Webhook-Signature"] = sign(d.body, d.signedWith)
				}
				status, answer := post(t, srv.URL+d.path, "application/x-www-form-urlencoded", d.body, header)
				assert.Equal(t, d.status, status, "%s: %s", d.path, answer)
			}

			for _, d := range tt.before {
				deliver(d)
			}
			edited := connFile(t, "shop", tt.edited)
			if tt.replace[0] != "" {
				require.Contains(t, edited, tt.replace[0])
				edited = strings.Replace(edited, tt.replace[0], tt.replace[1], 1)
			}
			rewrite(t, shop, edited, 1)
			for _, d := range tt.after {
				deliver(d)
			}
			assert.Len(t, f.events, tt.events)
			assert.Contains(t, logs.String(), tt.log)
			for _, secret := range []string{"whsec-123", "whsec-new", "tok-456", "tok-new", "sel-789", "sel-new"} {
				assert.NotContains(t, logs.String(), secret)
			}
		})
	}
}

// A connection whose file does not validate is refused with the file and the reason in the
// log, every delivery meanwhile, and served again as soon as the file is fixed (the loader
// parses the file once per change: activities' TestConnectionsReadABrokenFileOncePerChange tests that).
func TestReceiverRefusesABrokenFileUntilFixed(t *testing.T) {
	t.Setenv("SHOP_MAUTIC_WEBHOOK_SECRET", "whsec-123")
	t.Setenv("SHOP_PUSH_TOKEN", "tok-456")
	t.Setenv("SHOP_SELLSY_TOKEN", "sel-789")
	file := filepath.Join(t.TempDir(), "shop.yaml")
	good := connFile(t, "shop", "")
	rewrite(t, file, good, 0)
	c, err := config.Load(file)
	require.NoError(t, err)
	shared := activities.NewConnections([]*config.Connection{c})
	var loads atomic.Int32
	var logs bytes.Buffer
	r := New(&fakeTemporal{}, "crmsync", []*config.Connection{c}, slog.New(slog.NewTextHandler(&logs, nil))).
		WithConfig(func(name string) (*config.Connection, error) {
			loads.Add(1)
			return shared.Config(name)
		})
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	ping := func() int {
		resp, err := http.Get(srv.URL + "/webhooks/shop/sellsy/sel-789")
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	rewrite(t, file, strings.Replace(good, "direction: both", "direction: sideways", 1), 1)
	for range 5 {
		assert.Equal(t, http.StatusServiceUnavailable, ping())
	}
	assert.EqualValues(t, 5, loads.Load(), "each delivery asks the loader: the receiver keeps no memory of a broken file of its own")
	assert.Contains(t, logs.String(), "file="+file)
	assert.Contains(t, logs.String(), "direction")

	rewrite(t, file, good, 2)
	assert.Equal(t, http.StatusOK, ping(), "the fixed file is served at once")

	status, _ := post(t, srv.URL+"/webhooks/nope/mautic", "application/json", "{}", nil)
	assert.Equal(t, http.StatusNotFound, status, "an unknown connection is not a broken one")
}
