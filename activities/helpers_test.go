package activities

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
)

// activitiesFor parses a connection file and returns its activities on a SQLite store of
// their own, with an activity environment that runs them.
func activitiesFor(t *testing.T, file string) (*Activities, store.Store, *testsuite.TestActivityEnvironment) {
	t.Helper()
	conn, err := config.Parse(t.Name()+".yaml", []byte(file))
	require.NoError(t, err)
	return activitiesOf(t, conn)
}

// activitiesOf returns the activities of a connection on a SQLite store of their own, with
// an activity environment that runs them.
func activitiesOf(t *testing.T, conn *config.Connection) (*Activities, store.Store, *testsuite.TestActivityEnvironment) {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "crmsync.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	acts := &Activities{Conns: NewConnections([]*config.Connection{conn}), Store: st}
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(acts)
	return acts, st, ae
}

// sellsyAltior starts Sellsy (people 0–4, their companies) and Altior, and returns the
// activities of connection name: Sellsy companies → Altior tiers on SIRET, then objects
// (YAML that follows in the file: more objects, pipelines).
func sellsyAltior(t *testing.T, name, objects string) (*Activities, store.Store, *testsuite.TestActivityEnvironment, *sandbox.Sandbox) {
	t.Helper()
	return sellsyAltiorConnection(t, name, `direction: a_to_b
objects:
  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
`+objects)
}

// sellsyAltiorConnection starts Sellsy (people 0–4, their companies) and Altior, and returns
// the activities of connection name between them: rest is the YAML that follows a and b in
// the file (direction, objects, pipelines).
func sellsyAltiorConnection(t *testing.T, name, rest string) (*Activities, store.Store, *testsuite.TestActivityEnvironment, *sandbox.Sandbox) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{SellsyContacts: 5, SellsyClientID: "id", SellsyClientSecret: "secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "u", MauticPassword: "p", AltiorAddr: "127.0.0.1:0", AltiorAPIKey: "ak"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	t.Setenv("SA_SELLSY_ID", "id")
	t.Setenv("SA_SELLSY_SECRET", "secret")
	t.Setenv("SA_ALTIOR_KEY", "ak")
	acts, st, ae := activitiesFor(t, fmt.Sprintf(`name: %[3]s
a:
  system: sellsy
  settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "1000"}
  credentials: {client_id: SA_SELLSY_ID, client_secret: SA_SELLSY_SECRET}
b:
  system: altior
  settings: {base_url: %[2]s, requests_per_second: "1000", reference_user_email: ref@example.com, establishment: E1}
  credentials: {api_key: SA_ALTIOR_KEY}
`, sb.SellsyURL, sb.AltiorURL, name)+rest)
	return acts, st, ae, sb
}

// use makes connection name run on connectors a and b (a connector wrapped to fail).
func (cs *Connections) use(name string, a, b connectors.Connector) {
	cs.mu.Lock()
	cs.open[name] = [2]connectors.Connector{a, b}
	cs.mu.Unlock()
}
