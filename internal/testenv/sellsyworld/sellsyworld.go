// Package sellsyworld starts, for a test, what a Sellsy events: route runs on: a Temporal dev
// server, the sandbox's Sellsy (and Automation, the connection's other side), and crmsync's
// worker process with one connection whose events: routes start a workflow of the test's
// on opportunity updates and ask the connection's sync for sync-now on contact events, the
// simulator's webhooks set to reach the worker's receiver.
package sellsyworld

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
)

// Options name the connection and its route.
type Options struct {
	// Connection is the connection's name; its credential variables are named after it
	// (CONNECTION_SELLSY_ID, …) and its secrets are "<connection>-secret" and so on.
	Connection string
	// Workflow and TaskQueue are the workflow the route starts on opportunity "updated"
	// events, and where it runs.
	Workflow, TaskQueue string
	// CrmsyncQueue is crmsync's task queue ("": its default).
	CrmsyncQueue string
	// Contacts is how many contacts the sandbox seeds in Sellsy (companies come with them).
	Contacts int
}

// World is what Start started; each part stops when the test ends.
type World struct {
	Server  *testsuite.DevServer
	Sandbox *sandbox.Sandbox
	Worker  *testenv.Worker
	// HookURL is the connection's Sellsy webhook URL at the worker's receiver, token
	// included; the simulator delivers its events there.
	HookURL string
	// HookToken is the token in HookURL.
	HookToken string
	// ReceiverURL is the worker's webhook receiver (http://host:port); Automation's webhooks
	// go to ReceiverURL+"/webhooks/<connection>/mautic", signed with MauticSecret().
	ReceiverURL string
	// Sellsy is a client of the simulator, with the connection's credentials.
	Sellsy *sellsy.Client
}

// Start starts the world of o.
func Start(t *testing.T, o Options) *World {
	t.Helper()
	w := &World{Server: testenv.DevServer(t), HookToken: o.Connection + "-hook-token"}
	id, secret := o.Connection+"-id", o.Connection+"-secret"
	user, password := o.Connection+"-user", o.Connection+"-password"
	var err error
	w.Sandbox, err = sandbox.Start(sandbox.Options{SellsyContacts: o.Contacts, SellsyClientID: id, SellsyClientSecret: secret, SellsyRequestsPerSecond: -1,
		MauticUsername: user, MauticPassword: password})
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Sandbox.Close() })
	dir := t.TempDir()
	file := filepath.Join(dir, o.Connection+".yaml")
	v := strings.ToUpper(strings.ReplaceAll(o.Connection, "-", "_"))
	require.NoError(t, os.WriteFile(file, []byte(fmt.Sprintf(`name: %[1]s
a:
  system: sellsy
  settings: {api_url: %[2]s/v2, token_url: %[2]s/oauth2/access-tokens, requests_per_second: "100"}
  credentials: {client_id: %[4]s_SELLSY_ID, client_secret: %[4]s_SELLSY_SECRET, webhook_token: %[4]s_SELLSY_HOOK}
b:
  system: mautic
  settings: {base_url: %[3]s}
  credentials: {username: %[4]s_MAUTIC_USER, password: %[4]s_MAUTIC_PASSWORD, webhook_secret: %[4]s_MAUTIC_HOOK}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}, {a: first_name, b: firstname}, {a: last_name, b: lastname}]
events:
  - object: opportunity
    event: updated
    start: {workflow: %[5]s, task_queue: %[6]s}
  - object: contact
    signal: {workflow_id: "{connection}/incremental-sync", name: sync-now}
`, o.Connection, w.Sandbox.SellsyURL, w.Sandbox.MauticURL, v, o.Workflow, o.TaskQueue)), 0o600))
	env := []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + w.Server.FrontendHostPort(), "CRMSYNC_CONNECTIONS=" + file, "CRMSYNC_DATA_DIR=" + dir,
		"CRMSYNC_WEBHOOK_ADDR=127.0.0.1:0", v + "_SELLSY_HOOK=" + w.HookToken, v + "_MAUTIC_HOOK=" + w.MauticSecret(),
		v + "_SELLSY_ID=" + id, v + "_SELLSY_SECRET=" + secret, v + "_MAUTIC_USER=" + user, v + "_MAUTIC_PASSWORD=" + password,
	}
	if o.CrmsyncQueue != "" {
		env = append(env, "CRMSYNC_TASK_QUEUE="+o.CrmsyncQueue)
	}
	w.Worker = testenv.StartWorker(t, env)
	w.ReceiverURL = "http://" + w.Worker.ListenAddr(t, "webhook receiver")
	w.HookURL = w.ReceiverURL + "/webhooks/" + o.Connection + "/sellsy/" + w.HookToken
	w.Sellsy, err = sellsy.New(sellsy.Config{APIURL: w.Sandbox.SellsyURL + "/v2", TokenURL: w.Sandbox.SellsyURL + "/oauth2/access-tokens", ClientID: id, ClientSecret: secret, RequestsPerSecond: 100})
	require.NoError(t, err)
	return w
}

// MauticSecret is the secret Automation's webhooks to the connection are signed with.
func (w *World) MauticSecret() string { return w.HookToken + "-mautic" }

// NewOpportunity creates an opportunity "Contrat cadre" of pipeline 1 at step, linked to the
// first company, and returns its id and the company's.
func (w *World) NewOpportunity(ctx context.Context, t *testing.T, step string) (id, company string) {
	t.Helper()
	companies, err := w.Sellsy.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	require.NotEmpty(t, companies.Records, "the sandbox seeded no company")
	company = companies.Records[0].ID
	created, err := w.Sellsy.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": "Contrat cadre", "pipeline_id": "1", "step_id": step},
		Links: map[string]string{"company": company}}})
	require.NoError(t, err)
	require.NoError(t, created[0].Err)
	return created[0].ID, company
}
