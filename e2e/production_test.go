package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

// TestProductionPairing runs crmsync as production does, without Docker: the Temporal server
// itself on PostgreSQL (not the dev server), two workers sharing a PostgreSQL store. In the
// middle of the import one worker is killed, then the Temporal server is killed and started
// again; the import finishes and every person is on Automation exactly once.
func TestProductionPairing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	srv := testenv.StartProductionServer(t, pgAdmin)
	dsn := postgresDatabase(t)
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: 3000, MauticFirst: 2500, MauticContacts: 1000,
		SellsyClientID: "pr-id", SellsyClientSecret: "pr-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "pr-user", MauticPassword: "pr-password",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	dir := t.TempDir()
	conn := strings.NewReplacer(connection, "production", "E2E_", "PR_").Replace(connectionFile(sb))
	connFile := filepath.Join(dir, "production.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(conn), 0o600))
	env := []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.Address,
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_STORE_DSN=" + dsn,
		"CRMSYNC_MAX_CONCURRENT_ACTIVITIES=2",
		"PR_SELLSY_ID=pr-id", "PR_SELLSY_SECRET=pr-secret", "PR_MAUTIC_USER=pr-user", "PR_MAUTIC_PASSWORD=pr-password",
	}
	first := testenv.StartWorker(t, env)
	second := testenv.StartWorker(t, env)

	tc := srv.Client()
	defer tc.Close()
	id := workflows.ImportWorkflowID("production")
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: "production", Tuning: tuning})
	require.NoError(t, err)
	contactsRead := func(n int) func() bool {
		return func() bool {
			v, err := tc.QueryWorkflow(ctx, id, "", workflows.QueryProgress)
			var p workflows.Progress
			if err != nil || v.Get(&p) != nil {
				return false
			}
			return len(p.Objects) == 2 && p.Objects[1].Counts.Read >= n
		}
	}
	testenv.Eventually(t, 3*time.Minute, 200*time.Millisecond, "the import to reach the contacts", contactsRead(600))
	first.Kill()
	t.Log("worker killed with SIGKILL")
	testenv.Eventually(t, 3*time.Minute, 200*time.Millisecond, "the import to go on without it", contactsRead(1200))
	srv.Kill()
	t.Log("Temporal server killed with SIGKILL")
	time.Sleep(2 * time.Second)
	srv.Start()
	t.Log("Temporal server started again")

	var p workflows.Progress
	require.NoError(t, run.Get(ctx, &p), "the import finishes after the restart\nworker:\n%s", tail(second.Output(), 10))
	assert.Equal(t, workflows.PhaseDone, p.Phase)

	mt, err := mautic.New(mautic.Config{BaseURL: sb.MauticURL, Username: "pr-user", Password: "pr-password", RequestsPerSecond: 500})
	require.NoError(t, err)
	emails := map[string]int{}
	q := connectors.ListQuery{Limit: 200}
	for {
		page, err := mt.List(ctx, connectors.ObjectContact, q)
		require.NoError(t, err)
		for _, r := range page.Records {
			e, _ := r.Fields["email"].(string)
			emails[e]++
		}
		if !page.More {
			break
		}
		q.Cursor = page.Cursor
	}
	assert.Len(t, emails, 3500, "people 0–3499 on Automation")
	for e, n := range emails {
		if n > 1 {
			t.Errorf("%s is on Automation %d times", e, n)
		}
	}
	assert.Equal(t, 3500, sb.Sellsy.Count("contacts"))
}
