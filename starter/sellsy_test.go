package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/sandbox"
)

// writeSellsyConnection writes the sellsy-mautic example pointed at sellsyURL (plus extra
// lines under the Sellsy side's credentials) into a fresh CRMSYNC_CONNECTIONS directory.
func writeSellsyConnection(t *testing.T, sellsyURL, mauticURL, settings, creds string) {
	t.Helper()
	data, err := os.ReadFile("../config/examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	text := strings.NewReplacer("http://127.0.0.1:18081", sellsyURL, "http://127.0.0.1:18082", mauticURL).Replace(string(data))
	text = strings.Replace(text, "    company_type: prospect\n", "    company_type: prospect\n"+settings, 1)
	text = strings.Replace(text, "    client_secret: SELLSY_CLIENT_SECRET\n", "    client_secret: SELLSY_CLIENT_SECRET\n"+creds, 1)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sellsy-mautic.yaml"), []byte(text), 0o600))
	t.Setenv("CRMSYNC_CONNECTIONS", dir)
	t.Setenv("CRMSYNC_SELLSY_CONNECTION", "")
	for k, v := range map[string]string{"SELLSY_CLIENT_ID": "id", "SELLSY_CLIENT_SECRET": "s3cr3t-value", "MAUTIC_USERNAME": "u", "MAUTIC_PASSWORD": "p", "MAUTIC_WEBHOOK_SECRET": "w", "MAUTIC_PUSH_TOKEN": "t"} {
		t.Setenv(k, v)
	}
}

func TestSellsyCallCommand(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "s3cr3t-value", SellsyRequestsPerSecond: -1, SellsyContacts: 2,
		MauticUsername: "u", MauticPassword: "p"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	writeSellsyConnection(t, sb.SellsyURL, sb.MauticURL, "", "")

	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"v2 get", []string{"call", "--connection", "sellsy-mautic", "GET", "/companies/1"}, []string{"HTTP 200", `"id": 1`}, ""},
		{"v2 query in path", []string{"call", "GET", "/staffs?limit=1"}, []string{"HTTP 200", `"count": 1`}, ""},
		{"flag after the arguments", []string{"call", "GET", "/companies/1", "--connection", "sellsy-mautic"}, []string{"HTTP 200", `"id": 1`}, ""},
		{"v1 flag after the method", []string{"call", "Prospects.getList", "--v1"}, []string{"status: success"}, ""},
		{"v2 post body", []string{"call", "POST", "/tasks", `{"title":"Call","due_date":"2026-03-05T09:00:00Z","label_id":1,"related":[{"type":"company","id":1}]}`}, []string{"HTTP 201", `"status": "todo"`}, ""},
		{"v2 refused", []string{"call", "POST", "/comments", `{"description":"x"}`}, []string{"HTTP 400", `"related"`}, "invalid_record"},
		{"v2 not found", []string{"call", "GET", "/companies/424242"}, []string{"HTTP 404"}, "not found"},
		{"v1 bearer", []string{"call", "--v1", "Prospects.getList", `{"pagination":{"nbperpage":5,"pagenum":1}}`}, []string{"status: success", `"nbtotal": 1`}, ""},
		{"v1 error", []string{"call", "--v1", "Nope.nope"}, nil, "E_METHOD_DONT_EXIT"},
		{"unknown connection", []string{"call", "--connection", "nope", "GET", "/staffs"}, nil, `no connection named "nope"`},
		{"usage", []string{"call", "GET"}, nil, "usage: crmsync sellsy call"},
		{"bad body", []string{"call", "POST", "/tasks", "{"}, nil, "BODY is not JSON"},
		{"a header of the caller's", []string{"call", "--header", "X-Switch-User: staff:1", "GET", "/companies/1"}, []string{"HTTP 200", `"id": 1`}, ""},
		{"crmsync's own header", []string{"call", "--header", "Authorization: Bearer x", "GET", "/companies/1"}, nil, "header Authorization: crmsync sets it"},
		{"a header without a colon", []string{"call", "--header", "X-Switch-User", "GET", "/companies/1"}, nil, `--header "X-Switch-User": write it NAME: VALUE`},
		{"a header on V1", []string{"call", "--v1", "--header", "X-Switch-User: staff:1", "Infos.getInfos"}, nil, "--header is for API V2 calls"},
		{"a header before the word", []string{"--header", "X-Switch-User: staff:1", "call", "GET", "/companies/1"}, []string{"HTTP 200", `"id": 1`}, ""},
		{"a header before the word, single dash", []string{"-header", "X-Switch-User: staff:1", "--connection", "sellsy-mautic", "call", "GET", "/companies/1"}, []string{"HTTP 200", `"id": 1`}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := sellsyCommand(context.Background(), tc.args, &out)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			for _, w := range tc.want {
				assert.Contains(t, out.String(), w)
			}
			assert.NotContains(t, out.String()+func() string {
				if err != nil {
					return err.Error()
				}
				return ""
			}(), "s3cr3t-value")
		})
	}
}

// --v1 signs with the side's V1 OAuth tokens when the connection file names them.
func TestSellsyCallV1OAuth(t *testing.T) {
	sim := sellsysim.New(sellsysim.Options{ClientID: "id", ClientSecret: "s3cr3t-value", RequestsPerSecond: -1,
		V1ConsumerToken: "ck", V1ConsumerSecret: "cs", V1UserToken: "ut", V1UserSecret: "us"})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	sim.SeedPeople(0, 1)
	writeSellsyConnection(t, srv.URL, "http://127.0.0.1:1", "    v1_url: "+srv.URL+"/0/\n",
		"    v1_consumer_token: V1_CK\n    v1_consumer_secret: V1_CS\n    v1_user_token: V1_UT\n    v1_user_secret: V1_US\n")
	t.Setenv("V1_CK", "ck")
	t.Setenv("V1_CS", "cs")
	t.Setenv("V1_UT", "ut")
	t.Setenv("V1_US", "us")
	var out bytes.Buffer
	require.NoError(t, sellsyCommand(context.Background(), []string{"call", "--v1", "Client.getList"}, &out))
	assert.Contains(t, out.String(), `"result": {}`)

	t.Setenv("V1_US", "wrong")
	err := sellsyCommand(context.Background(), []string{"call", "--v1", "Infos.getInfos"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "oauth_problem=signature_invalid")
}

// crmsync sellsy webhooks registers, lists and removes webhooks on the Sellsy side, and a
// registered webhook receives the events it lists.
func TestSellsyWebhooksCommand(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "s3cr3t-value", SellsyRequestsPerSecond: -1, SellsyContacts: 2,
		MauticUsername: "u", MauticPassword: "p"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	writeSellsyConnection(t, sb.SellsyURL, sb.MauticURL, "", "")
	received := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			received <- r.FormValue("notif")
		}
	}))
	t.Cleanup(hook.Close)

	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), append([]string{"sellsy", "webhooks"}, args...), &out))
		return out.String()
	}
	assert.Contains(t, cli("list"), "no webhook")
	assert.Contains(t, cli("list", "--connection", "sellsy-mautic"), "no webhook", "a flag after the arguments")
	assert.Contains(t, cli("add", hook.URL+"/hook", "client.updated", "opportunity.updated"), "webhook 1 added")
	assert.Contains(t, cli("list"), "1  enabled  "+hook.URL+"/hook  client.updated, opportunity.updated")

	// A company update reaches the registered endpoint.
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"sellsy", "call", "PUT", "/companies/1", `{"name":"Renamed"}`}, &out))
	select {
	case n := <-received:
		assert.Contains(t, n, `"relatedtype":"client"`)
		assert.Contains(t, n, `"event":"updated"`)
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery to the registered webhook")
	}

	assert.Contains(t, cli("remove", "1"), "webhook 1 removed")
	assert.Contains(t, cli("list"), "no webhook")
	// A webhook that is not there is named: Sellsy's answer names only the path /webhooks/{id}.
	err = run(context.Background(), []string{"sellsy", "webhooks", "remove", "1"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sellsy webhooks remove 1: ")
	assert.Contains(t, err.Error(), "HTTP 404")
	err = run(context.Background(), []string{"sellsy", "webhooks", "add", "not a url", "client.updated"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "endpoint")
}

// With several Sellsy accounts, crmsync sellsy takes the account of CRMSYNC_SELLSY_CONNECTION,
// as the worker's Sellsy.* activities do; --connection still names another.
func TestSellsyConnectionSetting(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "s3cr3t-value", SellsyRequestsPerSecond: -1, SellsyContacts: 2,
		MauticUsername: "u", MauticPassword: "p"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	writeSellsyConnection(t, sb.SellsyURL, sb.MauticURL, "", "")
	// A second account, unreachable: a call that goes there fails.
	data, err := os.ReadFile("../config/examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	other := strings.NewReplacer("name: sellsy-mautic", "name: other", "http://127.0.0.1:18081", "http://127.0.0.1:1",
		"SELLSY_CLIENT_ID", "OTHER_SELLSY_ID").Replace(string(data))
	require.NoError(t, os.WriteFile(filepath.Join(os.Getenv("CRMSYNC_CONNECTIONS"), "other.yaml"), []byte(other), 0o600))
	t.Setenv("OTHER_SELLSY_ID", "other-id")

	tests := []struct {
		name    string
		setting string // CRMSYNC_SELLSY_CONNECTION
		args    []string
		want    string
		wantErr string
	}{
		{"neither setting nor flag", "", []string{"call", "GET", "/staffs"}, "", "2 connections have a sellsy side (other, sellsy-mautic): name one"},
		{"the setting", "sellsy-mautic", []string{"call", "GET", "/staffs?limit=1"}, "HTTP 200", ""},
		{"the setting, V1", "sellsy-mautic", []string{"call", "--v1", "Prospects.getList"}, "status: success", ""},
		{"the setting, webhooks", "sellsy-mautic", []string{"webhooks", "list"}, "no webhook", ""},
		{"the flag over the setting", "other", []string{"call", "GET", "/staffs?limit=1", "--connection", "sellsy-mautic"}, "HTTP 200", ""},
		{"a setting naming no connection", "nope", []string{"call", "GET", "/staffs"}, "", `no connection named "nope" (connections in`},
		{"said to come from the setting", "nope", []string{"webhooks", "list"}, "", "connection named by CRMSYNC_SELLSY_CONNECTION"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CRMSYNC_SELLSY_CONNECTION", tc.setting)
			var out bytes.Buffer
			err := sellsyCommand(context.Background(), tc.args, &out)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, out.String(), tc.want)
		})
	}
}

// crmsync sellsy webhooks add refuses a URL of crmsync's receiver
// (…/webhooks/<connection>/sellsy/<token>) that the receiver would answer 404 — a connection
// it does not have, one without credentials.webhook_token, a token other than the value of the
// variable that names it — naming what is wrong but not the token. Sellsy registered such a
// URL, every delivery was refused, and Sellsy disables a webhook that keeps failing. Another
// endpoint (not crmsync's receiver) is registered as given.
func TestSellsyWebhooksAddChecksTheReceiverURL(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "s3cr3t-value", SellsyRequestsPerSecond: -1,
		MauticUsername: "u", MauticPassword: "p"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	const receiver = "https://crmsync.example.com/webhooks/"
	tests := []struct {
		name, creds, url string
		want, wantErr    string
	}{
		{"the receiver's URL", "    webhook_token: SELLSY_WEBHOOK_TOKEN\n", receiver + "sellsy-mautic/sellsy/tok-12345", "added", ""},
		{"behind a path prefix", "    webhook_token: SELLSY_WEBHOOK_TOKEN\n", "https://proxy.example.com/crm/webhooks/sellsy-mautic/sellsy/tok-12345", "added", ""},
		{"another endpoint", "", "https://hooks.example.com/catch/1", "added", ""},
		{"a wrong token", "    webhook_token: SELLSY_WEBHOOK_TOKEN\n", receiver + "sellsy-mautic/sellsy/guess", "", "SELLSY_WEBHOOK_TOKEN"},
		{"no such connection", "    webhook_token: SELLSY_WEBHOOK_TOKEN\n", receiver + "shop/sellsy/tok-12345", "", `no connection "shop"`},
		{"no webhook token", "", receiver + "sellsy-mautic/sellsy/tok-12345", "", "credentials.webhook_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeSellsyConnection(t, sb.SellsyURL, sb.MauticURL, "", tt.creds)
			t.Setenv("SELLSY_WEBHOOK_TOKEN", "tok-12345")
			var out bytes.Buffer
			err := run(context.Background(), []string{"sellsy", "webhooks", "add", tt.url, "client.updated"}, &out)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), "404")
				assert.NotContains(t, err.Error(), "tok-12345", "the token stays out of the message")
				return
			}
			require.NoError(t, err)
			assert.Contains(t, out.String(), tt.want)
		})
	}
}
