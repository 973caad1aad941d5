package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/sandbox"
)

func TestCallCommand(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "s3cr3t-value", SellsyRequestsPerSecond: -1,
		MauticUsername: "u", MauticPassword: "p", MauticContacts: 2,
		UNASAddr: "127.0.0.1:0", UNASAPIKey: "unas-k3y", UNASOrders: 3,
		MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "7", MiniCRMAPIKey: "minicrm-k3y", MiniCRMRequestsPerMinute: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	writeSellsyConnection(t, sb.SellsyURL, sb.MauticURL, "", "")
	unas, err := os.ReadFile("../config/examples/unas-minicrm.yaml")
	require.NoError(t, err)
	text := strings.NewReplacer("http://127.0.0.1:18085", sb.UNASURL, "http://127.0.0.1:18086", sb.MiniCRMURL).Replace(string(unas))
	require.NoError(t, os.WriteFile(filepath.Join(os.Getenv("CRMSYNC_CONNECTIONS"), "unas-minicrm.yaml"), []byte(text), 0o600))
	t.Setenv("UNAS_API_KEY", "unas-k3y")
	t.Setenv("MINICRM_SYSTEM_ID", "7")
	t.Setenv("MINICRM_API_KEY", "minicrm-k3y")

	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"usage", []string{"automation", "GET"}, nil, "usage: crmsync call"},
		{"unknown system", []string{"hubspot", "GET", "/x"}, nil, `unknown system "hubspot" (one of altior, automation, minicrm, unas, weavy)`},
		{"sellsy has its own", []string{"sellsy", "GET", "/staffs"}, nil, "crmsync sellsy call"},
		{"no such side", []string{"weavy", "GET", "/v1/x"}, nil, "no connection with a weavy side"},
		{"wrong connection", []string{"--connection", "sellsy-mautic", "unas", "POST", "/getOrder"}, nil, `no connection named "sellsy-mautic" with a unas side`},
		{"automation get", []string{"automation", "GET", "/api/contacts?limit=1"}, []string{"HTTP 200", `"total": "2"`}, ""},
		{"automation refused", []string{"Automation", "POST", "/api/contacts/new", `{"email": "not-an-address"}`}, []string{"HTTP 400"}, "email"},
		{"automation bad body", []string{"automation", "POST", "/api/contacts/new", "{"}, nil, "not JSON"},
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
			for _, secret := range []string{"s3cr3t-value", "unas-k3y", "minicrm-k3y"} {
				assert.NotContains(t, all, secret)
			}
		})
	}
}
