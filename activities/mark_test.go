package activities

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	altiorsim "github.com/crmsync/crmsync/connectors/altior/sim"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
)

// Sellsy opportunities have no update timestamp, so every cycle reads them all. With "import
// existing opportunities: no" (initial.from_a false) the ones that existed when the import
// skipped them never go down to Altior; those created later do.
func TestExistingOpportunitiesStayOutWhenNotImported(t *testing.T) {
	tests := []struct {
		name        string
		fromA       bool
		wantCreated int
	}{
		{"import existing opportunities", true, 2},
		{"do not import them", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			sb, err := sandbox.Start(sandbox.Options{SellsyContacts: 5, SellsyClientID: "id", SellsyClientSecret: "secret", SellsyRequestsPerSecond: -1,
				MauticUsername: "u", MauticPassword: "p", AltiorAddr: "127.0.0.1:0", AltiorAPIKey: "ak"})
			require.NoError(t, err)
			t.Cleanup(func() { _ = sb.Close() })
			t.Setenv("MK_SELLSY_ID", "id")
			t.Setenv("MK_SELLSY_SECRET", "secret")
			t.Setenv("MK_ALTIOR_KEY", "ak")
			conn, err := config.Parse("mark.yaml", []byte(fmt.Sprintf(`name: mk
a:
  system: sellsy
  settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "1000"}
  credentials: {client_id: MK_SELLSY_ID, client_secret: MK_SELLSY_SECRET}
b:
  system: altior
  settings: {base_url: %[2]s, requests_per_second: "1000", reference_user_email: ref@example.com, establishment: E1}
  credentials: {api_key: MK_ALTIOR_KEY}
direction: a_to_b
objects:
  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    fields: [{a: name, b: name}, {a: siret, b: siret}]
  - name: opportunity
    b_object: affaire
    match: {a: name, b: title}
    links: [company]
    initial: {from_a: %[3]t}
    fields: [{a: name, b: title}]
`, sb.SellsyURL, sb.AltiorURL, tt.fromA)))
			require.NoError(t, err)
			st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "crmsync.db"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })
			acts := &Activities{Conns: NewConnections([]*config.Connection{conn}), Store: st}
			ca, _, err := acts.Conns.Connectors("mk")
			require.NoError(t, err)
			sl := ca.(*sellsy.Client)
			var env testsuite.WorkflowTestSuite
			ae := env.NewTestActivityEnvironment()
			ae.RegisterActivity(acts)
			pass := func(object, mode string) Counts {
				t.Helper()
				v, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "mk", Object: object, Side: "a", Mode: mode})
				require.NoError(t, err)
				var r PassResult
				require.NoError(t, v.Get(&r))
				return r.Counts
			}
			createOpp := func(name string) {
				t.Helper()
				companies, err := sl.List(ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 1})
				require.NoError(t, err)
				res, err := sl.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": name, "pipeline_id": "1", "step_id": "11"},
					Links: map[string]string{"company": companies.Records[0].ID}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}

			pass("company", ModeImport)
			createOpp("Affaire existante")
			time.Sleep(1100 * time.Millisecond) // Sellsy's creation times are to the second
			mode := ModeImport
			if !tt.fromA {
				mode = ModeMark // what InitialImport runs for a side it does not import
			}
			pass("opportunity", mode)
			createOpp("Affaire nouvelle")
			pass("opportunity", ModeIncremental)
			again := pass("opportunity", ModeIncremental)
			assert.Zero(t, again.CreatedB, "%+v", again)
			assert.Equal(t, tt.wantCreated, sb.Altior.Count(altiorsim.ObjectAffaire))
		})
	}
}
