package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

// pgAdmin is the local PostgreSQL every machine runs; each test works in a database of its own.
const pgAdmin = "postgres://postgres@127.0.0.1:5432/test"

// TestTwoWorkersShareAPostgresStore runs one import on two worker processes that share a
// PostgreSQL store, kills one of them with SIGKILL in the middle, and finds every record on
// the target exactly once.
func TestTwoWorkersShareAPostgresStore(t *testing.T) {
	srv := testenv.DevServer(t)
	sharedImport(t, "pg-shared", srv.FrontendHostPort(), srv.Client(), func(first *testenv.Worker, contactsRead func(int)) {
		contactsRead(600)
		first.Kill()
	})
}

// sharedImport imports 3,500 people (Sellsy 0–2999, Automation 2500–3499) for connection
// name on two workers that share a PostgreSQL store, through the Temporal server at
// address; disrupt runs while the import goes on (contactsRead waits until so many contacts
// are read) and kills what the test means to lose. The import must finish with every person
// once on each side.
func sharedImport(t *testing.T, name, address string, tc client.Client, disrupt func(first *testenv.Worker, contactsRead func(n int))) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dsn := postgresDatabase(t)
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: 3000, MauticFirst: 2500, MauticContacts: 1000,
		SellsyClientID: "pg-id", SellsyClientSecret: "pg-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "pg-user", MauticPassword: "pg-password",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	dir := t.TempDir()
	conn := strings.NewReplacer(connection, name, "E2E_", "PG_").Replace(connectionFile(sb))
	connFile := filepath.Join(dir, name+".yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(conn), 0o600))
	env := []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + address,
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_STORE_DSN=" + dsn,
		"CRMSYNC_MAX_CONCURRENT_ACTIVITIES=2",
		"PG_SELLSY_ID=pg-id", "PG_SELLSY_SECRET=pg-secret", "PG_MAUTIC_USER=pg-user", "PG_MAUTIC_PASSWORD=pg-password",
	}
	first := testenv.StartWorker(t, env)
	second := testenv.StartWorker(t, env)

	id := workflows.ImportWorkflowID(name)
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: name, Tuning: tuning})
	require.NoError(t, err)
	disrupt(first, func(n int) {
		testenv.Eventually(t, 3*time.Minute, 200*time.Millisecond, fmt.Sprintf("the import to read %d contacts", n), func() bool {
			v, err := tc.QueryWorkflow(ctx, id, "", workflows.QueryProgress)
			var p workflows.Progress
			if err != nil || v.Get(&p) != nil {
				return false
			}
			return len(p.Objects) == 2 && p.Objects[1].Counts.Read >= n
		})
	})
	var p workflows.Progress
	require.NoError(t, run.Get(ctx, &p), "the import finishes\nworker:\n%s", tail(second.Output(), 10))
	assert.Equal(t, workflows.PhaseDone, p.Phase)

	mt, err := mautic.New(mautic.Config{BaseURL: sb.MauticURL, Username: "pg-user", Password: "pg-password", RequestsPerSecond: 500})
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

// postgresDatabase creates a database of its own on the local PostgreSQL and drops it when
// the test ends.
func postgresDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgAdmin)
	require.NoError(t, err, "the local PostgreSQL (make postgres starts it)")
	name := fmt.Sprintf("crmsync_e2e_%d", rand.Uint32())
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = admin.Close(context.Background())
	})
	return "postgres://postgres@127.0.0.1:5432/" + name
}
