package e2e

import (
	"context"
	"fmt"
	"net/http"
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
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/connectors/weavy"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/workflows"
)

const weavyConnection = "weavy-mautic"

// TestWeavyMauticEndToEnd runs the weavy ⇄ Automation pair through the worker: contacts
// matched by e-mail or created as entrants, duplicates reported, priorities per field, NPAI,
// no deletion, a right switched off pausing the connection with its message, and an interval
// changed in the file of a running connection.
func TestWeavyMauticEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv := testenv.DevServer(t)
	// weavy: people 0–49 are contacts of customers 0–9, people 100–109 entrants; Automation:
	// people 40–59. People 40–49 are on both sides.
	sb, err := sandbox.Start(sandbox.Options{
		MauticFirst: 40, MauticContacts: 20, MauticUsername: "wm-user", MauticPassword: "wm-password",
		SellsyClientID: "unused", SellsyClientSecret: "unused",
		WeavyAddr: "127.0.0.1:0", WeavyFirst: 0, WeavyContacts: 50, WeavyEntrantsFirst: 100, WeavyEntrants: 10,
		WeavyUsername: "wv-user", WeavyPassword: "wv-password", WeavyProject: "crm",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	example, err := os.ReadFile("../config/examples/weavy-mautic.yaml")
	require.NoError(t, err)
	file := strings.NewReplacer("http://127.0.0.1:18082", sb.MauticURL, "http://127.0.0.1:18083", sb.WeavyURL,
		`requests_per_second: "10"`, `requests_per_second: "500"`, "interval: 15m", "interval: 1h\n  overlap: 3s").Replace(string(example))
	dir := t.TempDir()
	connFile := filepath.Join(dir, "weavy-mautic.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(file), 0o600))
	testenv.StartWorker(t, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_DATA_DIR=" + dir,
		"WEAVY_USERNAME=wv-user", "WEAVY_PASSWORD=wv-password",
		"MAUTIC_USERNAME=wm-user", "MAUTIC_PASSWORD=wm-password",
	})

	wv, err := weavy.New(weavy.Config{BaseURL: sb.WeavyURL, Project: "crm", UserName: "wv-user", Password: "wv-password", RequestsPerSecond: 500})
	require.NoError(t, err)
	mt, err := mautic.New(mautic.Config{BaseURL: sb.MauticURL, Username: "wm-user", Password: "wm-password", RequestsPerSecond: 500})
	require.NoError(t, err)
	r := &run{t: t, ctx: ctx, sb: sb, tc: srv.Client(), mautic: mt, connection: weavyConnection}

	// A second weavy record with person 45's e-mail (an entrant), and a bounce in Automation.
	dup, err := wv.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": simkit.PersonAt(45).Email, "lastName": "Doublon"}}})
	require.NoError(t, err)
	require.NoError(t, dup[0].Err)
	bounce(t, sb.MauticURL, r.person(mt, 42).ID)

	importRun, err := r.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ImportWorkflowID(weavyConnection), TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: weavyConnection})
	require.NoError(t, err)
	var p workflows.Progress
	require.NoError(t, importRun.Get(ctx, &p))

	assert.Equal(t, 70, sb.Mautic.Count("contacts"), "weavy contacts 0–49 and entrants 100–109 on Automation, once each")
	assert.Equal(t, 50, sb.Weavy.Count("customercontact"), "Automation never creates weavy contacts")
	assert.Equal(t, 10+1+10, sb.Weavy.Count("marketinginbound"), "people 50–59 of Automation became entrants")
	w42 := r.person(wv, 42)
	assert.True(t, strings.HasPrefix(w42.ID, weavy.PrefixContact), "person 42 is a weavy contact, updated in place")
	bouncedAt, err := time.Parse(time.RFC3339, fmt.Sprint(r.person(mt, 42).Fields[mautic.FieldBouncedAt]))
	require.NoError(t, err, "Automation dates the bounce")
	assert.Equal(t, bouncedAt.UTC().Format("2006-01-02 15:04:05"), w42.Fields["bouncedEmailDetected"], "the date of the bounce in Automation reached the weavy contact (NPAI)")
	w55 := r.person(wv, 55)
	assert.True(t, strings.HasPrefix(w55.ID, weavy.PrefixEntrant), "an Automation-only person becomes an entrant")

	st, err := store.OpenExisting(ctx, "sqlite:"+filepath.Join(dir, "crmsync.db"))
	require.NoError(t, err)
	defer st.Close()
	q, err := st.ListQuarantine(ctx, weavyConnection, 10)
	require.NoError(t, err)
	require.Len(t, q, 1, "the duplicate is reported, never silently skipped")
	assert.Equal(t, dup[0].ID, q[0].RecordID)
	assert.Contains(t, q[0].Reason, "duplicate email")

	_, err = r.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SyncWorkflowID(weavyConnection), TaskQueue: workflows.TaskQueue},
		workflows.IncrementalSync, workflows.SyncInput{Connection: weavyConnection})
	require.NoError(t, err)
	r.waitCycles(1)

	// Priorities: description goes to weavy only (Automation wins), the segment to Automation
	// only (weavy wins), the last name both ways (the most recent wins).
	r.edit(wv, 43, map[string]any{"description": "Directeur", "cf_segment": "GE"})
	r.edit(mt, 43, map[string]any{"position": "Gérante", "cf_text": "écrasé"})
	r.edit(wv, 47, map[string]any{"lastName": "Ancien"})
	time.Sleep(1100 * time.Millisecond)
	r.edit(mt, 47, map[string]any{"lastname": "Récent"})
	r.cycle()
	w43, m43 := r.person(wv, 43), r.person(mt, 43)
	assert.Equal(t, "Gérante", w43.Fields["description"])
	assert.Equal(t, "Gérante", m43.Fields["position"])
	assert.Equal(t, "GE", m43.Fields["cf_text"])
	assert.Equal(t, "GE", w43.Fields["cf_segment"])
	assert.Equal(t, "Récent", r.person(wv, 47).Fields["lastName"])

	// No deletion is ever propagated.
	res, err := mt.Delete(ctx, connectors.ObjectContact, []string{r.person(mt, 44).ID})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	r.cycle()
	assert.Equal(t, 50, sb.Weavy.Count("customercontact"))

	// The update right switched off on Client / Contact: the connection pauses with a message
	// naming the table and the right; once it is back on, resume finishes the work.
	sb.Weavy.SetRight("customercontact", "update", false)
	r.edit(mt, 46, map[string]any{"lastname": "Bloqué"})
	require.NoError(t, r.tc.SignalWorkflow(ctx, workflows.SyncWorkflowID(weavyConnection), "", workflows.SignalSyncNow, nil))
	var paused workflows.Progress
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the pause", func() bool {
		paused, err = r.progress(workflows.SyncWorkflowID(weavyConnection))
		return err == nil && paused.Phase == workflows.PhasePaused
	})
	assert.Contains(t, paused.PauseReason, "API MAJ")
	assert.Contains(t, paused.PauseReason, "Client / Contact")
	sb.Weavy.SetRight("customercontact", "update", true)
	require.NoError(t, r.tc.SignalWorkflow(ctx, workflows.SyncWorkflowID(weavyConnection), "", workflows.SignalResume, nil))
	r.waitCycles(paused.Cycles + 1)
	assert.Equal(t, "Bloqué", r.person(wv, 46).Fields["lastName"])

	// The interval changed in the file applies to the running connection.
	require.NoError(t, os.WriteFile(connFile, []byte(strings.Replace(file, "interval: 1h", "interval: 2h", 1)), 0o600))
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(connFile, later, later))
	r.cycle()
	now, err := r.progress(workflows.SyncWorkflowID(weavyConnection))
	require.NoError(t, err)
	assert.Equal(t, 2*time.Hour, now.NextCycleAt.Sub(now.LastCycleAt))
	r.noSecretsInHistories("wv-password", "wm-password")
}

// bounce records a bounce for an Automation contact (a do-not-contact entry with reason 2), as
// Automation does when a campaign e-mail bounces.
func bounce(t *testing.T, base, id string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/contacts/%s/dnc/email/add", base, id), strings.NewReader(`{"reason":2}`))
	require.NoError(t, err)
	req.SetBasicAuth("wm-user", "wm-password")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
