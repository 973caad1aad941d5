package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

const pipelineConnection = "sellsy-altior-pipelines"

// pipelineConnectionFile: opportunities of Sellsy's pipeline "Ventes" (steps in rank order 11
// Découverte, 14 Proposition, 12 Négociation, 13 Signature) become Altior affaires whose events
// follow the steps.
const pipelineConnectionFile = `name: sellsy-altior-pipelines
a:
  system: sellsy
  settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "500"}
  credentials: {client_id: PL_SELLSY_ID, client_secret: PL_SELLSY_SECRET, webhook_token: PL_SELLSY_HOOK}
b:
  system: altior
  settings: {base_url: %[2]s, reference_user_email: ref@example.com, establishment: E1}
  credentials: {api_key: PL_ALTIOR_KEY}
direction: a_to_b
schedule: {interval: 1h, overlap: 3s}
objects:
  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
  - name: opportunity
    b_object: affaire
    match: {a: id, b: cf.SLSY}
    links: [company]
    fields: [{a: name, b: title}]
pipelines:
  - object: opportunity
    pipeline: "1"
    establishment: E2
    events: {"11": QUALIF, "14": PROPOSITION, "13": GAGNEE}
`

// TestPipelineSyncEndToEnd moves a Sellsy opportunity along its pipeline and watches its
// Altior affaire: the first scan emits the first event; a forward move whose webhook is lost
// is caught by the next scan; a jump announced by a webhook emits the skipped event; a move
// back updates Etape and emits nothing.
func TestPipelineSyncEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv := testenv.DevServer(t)
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: 10, SellsyClientID: "pl-id", SellsyClientSecret: "pl-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "unused", MauticPassword: "unused", AltiorAddr: "127.0.0.1:0", AltiorAPIKey: "pl-altior-key",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	dir := t.TempDir()
	connFile := filepath.Join(dir, "pipelines.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(fmt.Sprintf(pipelineConnectionFile, sb.SellsyURL, sb.AltiorURL)), 0o600))
	w := testenv.StartWorker(t, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_DATA_DIR=" + dir,
		"CRMSYNC_WEBHOOK_ADDR=127.0.0.1:0",
		"PL_SELLSY_ID=pl-id", "PL_SELLSY_SECRET=pl-secret", "PL_SELLSY_HOOK=hook-token-e2e", "PL_ALTIOR_KEY=pl-altior-key",
	})
	hookAddr := w.ListenAddr(t, "webhook receiver")
	sl, err := sellsy.New(sellsy.Config{APIURL: sb.SellsyURL + "/v2", TokenURL: sb.SellsyURL + "/oauth2/access-tokens", ClientID: "pl-id", ClientSecret: "pl-secret", RequestsPerSecond: 500})
	require.NoError(t, err)
	al, err := altior.New(altior.Config{BaseURL: sb.AltiorURL, APIKey: "pl-altior-key", RequestsPerSecond: 500})
	require.NoError(t, err)
	tc := srv.Client()

	companies, err := sl.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	opp, err := sl.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": "Projet Atlas", "pipeline_id": "1", "step_id": "11"},
		Links: map[string]string{"company": companies.Records[0].ID}}})
	require.NoError(t, err)
	require.NoError(t, opp[0].Err)

	// The import creates the tiers and the affaire.
	imp, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ImportWorkflowID(pipelineConnection), TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: pipelineConnection})
	require.NoError(t, err)
	require.NoError(t, imp.Get(ctx, nil))
	affaires, err := al.FindByKey(ctx, altior.ObjectAffaire, "cf.SLSY", []string{opp[0].ID})
	require.NoError(t, err)
	require.Len(t, affaires, 1)
	affaireID := affaires[0].ID
	affaire := func() connectors.Record {
		recs, err := al.Get(ctx, altior.ObjectAffaire, []string{affaireID})
		require.NoError(t, err)
		require.Len(t, recs, 1)
		return recs[0]
	}
	waitFor := func(what string, events []string, etape string) {
		t.Helper()
		var last map[string]any
		defer func() { // Fatalf exits through here: what the affaire held explains the failure
			if t.Failed() {
				t.Logf("the affaire last read, waiting for %s: events %v, cf.ETAP %v", what, last["events"], last["cf.ETAP"])
			}
		}()
		testenv.Eventually(t, time.Minute, 100*time.Millisecond, what, func() bool {
			a := affaire()
			last = a.Fields
			got, _ := a.Fields["events"].([]string)
			return fmt.Sprint(got) == fmt.Sprint(events) && a.Fields["cf.ETAP"] == etape
		})
	}

	_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.PipelineWorkflowID(pipelineConnection), TaskQueue: workflows.TaskQueue},
		workflows.PipelineSync, workflows.PipelineInput{Connection: pipelineConnection})
	require.NoError(t, err)
	waitFor("the first scan", []string{"QUALIF"}, "Découverte")
	a := affaire()
	assert.Equal(t, "Ventes", a.Fields["cf.PIPE"])
	assert.Equal(t, "E2", a.Fields["establishment_id"])

	sb.Sellsy.SetWebhook("http://" + hookAddr + "/webhooks/" + pipelineConnection + "/sellsy/hook-token-e2e")

	// A forward move whose webhook is lost: the next scan catches it.
	sb.Sellsy.DropWebhooks(1)
	require.NoError(t, sl.MoveStep(ctx, opp[0].ID, "14"))
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, []string{"QUALIF"}, affaire().Fields["events"], "nothing announced it yet")
	require.NoError(t, tc.SignalWorkflow(ctx, workflows.PipelineWorkflowID(pipelineConnection), "", workflows.SignalSyncNow, nil))
	waitFor("the scan after the lost webhook", []string{"QUALIF", "PROPOSITION"}, "Proposition")

	// A jump announced by the webhook: Négociation is unbound, Signature emits GAGNEE.
	require.NoError(t, sl.MoveStep(ctx, opp[0].ID, "13"))
	waitFor("the webhook-announced jump", []string{"QUALIF", "PROPOSITION", "GAGNEE"}, "Signature")

	// A move back: Etape follows, no event.
	require.NoError(t, sl.MoveStep(ctx, opp[0].ID, "11"))
	waitFor("the move back", []string{"QUALIF", "PROPOSITION", "GAGNEE"}, "Découverte")

	// The affaire shows the move back before the activity that wrote it has completed: the
	// workflow counts it once its result is in.
	var p workflows.PipelineProgress
	testenv.Eventually(t, time.Minute, 50*time.Millisecond, "the workflow to count the move back", func() bool {
		v, err := tc.QueryWorkflow(ctx, workflows.PipelineWorkflowID(pipelineConnection), "", workflows.QueryProgress)
		require.NoError(t, err)
		require.NoError(t, v.Get(&p))
		return p.Totals.Backward > 0
	})
	assert.Equal(t, 3, p.Totals.Emitted)
	assert.Equal(t, 1, p.Totals.Backward)
	assert.GreaterOrEqual(t, p.Announced, 2)
	r := &run{t: t, ctx: ctx, tc: tc}
	r.recordHistory(workflows.PipelineWorkflowID(pipelineConnection), "pipeline-sync-requeue") // pipeline-sync.json: before the phase attribute; pipeline-sync-phase.json: before pipeline-requeue-announced
	r.noSecretsInHistories("pl-secret", "hook-token-e2e", "pl-altior-key")
}
