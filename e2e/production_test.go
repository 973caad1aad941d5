package e2e

import (
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/testenv"
)

// TestProductionPairing runs crmsync as production does, without Docker: the Temporal server
// itself on PostgreSQL (not the dev server), two workers sharing a PostgreSQL store. In the
// middle of the import one worker is killed, then the Temporal server is killed and started
// again; the import finishes and every person is on Automation exactly once.
func TestProductionPairing(t *testing.T) {
	srv := testenv.StartProductionServer(t, pgAdmin)
	tc := srv.Client()
	defer tc.Close()
	sharedImport(t, "production", srv.Address, tc, func(first *testenv.Worker, contactsRead func(int)) {
		contactsRead(600)
		first.Kill()
		t.Log("worker killed with SIGKILL")
		contactsRead(1200)
		srv.Kill()
		t.Log("Temporal server killed with SIGKILL")
		time.Sleep(2 * time.Second)
		srv.Start()
		t.Log("Temporal server started again")
	})
}
