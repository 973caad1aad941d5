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
	"github.com/crmsync/crmsync/connectors/altior"
	altiorsim "github.com/crmsync/crmsync/connectors/altior/sim"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

const altiorConnection = "sellsy-altior"

// TestSellsyAltiorEndToEnd runs the example Sellsy ⇄ Altior connection through the worker:
// the SA gate both ways, SIRET matching, records created as the reference user in the
// establishment, civilities through a value map, and a company switched to SA = yes later.
func TestSellsyAltiorEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv := testenv.DevServer(t)
	// Sellsy: people 0–29 (companies 0–5); Altior: people 20–39 (tiers for companies 4–7).
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: 30, SellsyClientID: "sa-id", SellsyClientSecret: "sa-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "unused", MauticPassword: "unused",
		AltiorAddr: "127.0.0.1:0", AltiorAPIKey: "altior-e2e-key", AltiorTiersFirst: 20, AltiorTiers: 20,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	example, err := os.ReadFile("../config/examples/sellsy-altior.yaml")
	require.NoError(t, err)
	require.Contains(t, string(example), "\n  full_read: 24h\n", "the example's schedule, which the test extends")
	file := strings.NewReplacer("http://127.0.0.1:18081", sb.SellsyURL, "http://127.0.0.1:18084", sb.AltiorURL,
		"\n  full_read: 24h\n", "\n  full_read: 24h\n  interval: 1h\n  overlap: 3s\n").Replace(string(example))
	dir := t.TempDir()
	connFile := filepath.Join(dir, "sellsy-altior.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(file), 0o600))
	testenv.StartWorker(t, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_DATA_DIR=" + dir,
		"SELLSY_CLIENT_ID=sa-id", "SELLSY_CLIENT_SECRET=sa-secret", "ALTIOR_API_KEY=altior-e2e-key",
	})

	sl, err := sellsy.New(sellsy.Config{APIURL: sb.SellsyURL + "/v2", TokenURL: sb.SellsyURL + "/oauth2/access-tokens", ClientID: "sa-id", ClientSecret: "sa-secret", RequestsPerSecond: 500})
	require.NoError(t, err)
	al, err := altior.New(altior.Config{BaseURL: sb.AltiorURL, APIKey: "altior-e2e-key", RequestsPerSecond: 500})
	require.NoError(t, err)
	r := &run{t: t, ctx: ctx, sb: sb, tc: srv.Client(), sellsy: sl, connection: altiorConnection}

	company := func(c connectors.Connector, i int) connectors.Record {
		t.Helper()
		recs, err := c.FindByKey(ctx, connectors.ObjectCompany, "siret", []string{simkit.CompanyAt(i).SIRET})
		require.NoError(t, err)
		require.Len(t, recs, 1, "%s company %d", c.System(), i)
		return recs[0]
	}
	setSA := func(object string, id string) {
		t.Helper()
		res, err := sl.Update(ctx, object, []connectors.Record{{ID: id, Fields: map[string]any{"cf.SA": true}}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
	}
	// SA = yes on Sellsy companies 0, 1 and 4, and on the contacts of companies 0 and 4.
	for _, i := range []int{0, 1, 4} {
		setSA(connectors.ObjectCompany, company(sl, i).ID)
	}
	for _, i := range []int{0, 1, 2, 3, 4, 20, 21, 22, 23, 24} {
		setSA(connectors.ObjectContact, r.person(sl, i).ID)
	}

	// Individuals: Alice (SA = yes) and Paul (SA = no) on Sellsy, Chloé a physical tiers on Altior.
	ind, err := sl.Create(ctx, sellsy.ObjectIndividual, []connectors.Record{
		{Fields: map[string]any{"type": "client", "civility": "mrs", "first_name": "Alice", "last_name": "Durand", "email": "alice.durand@example.com", "cf.SA": true}},
		{Fields: map[string]any{"type": "prospect", "civility": "mr", "first_name": "Paul", "last_name": "Martin", "email": "paul.martin@example.com"}},
	})
	require.NoError(t, err)
	for _, res := range ind {
		require.NoError(t, res.Err)
	}
	// An opportunity that exists before the import: "import existing opportunities" is no.
	oppOf := func(name, pipeline, step string, links map[string]string) string {
		t.Helper()
		res, err := sl.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": name, "pipeline_id": pipeline, "step_id": step},
			Links: links}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		return res[0].ID
	}
	newOpp := func(name, pipeline, step string, ci int) string {
		t.Helper()
		return oppOf(name, pipeline, step, map[string]string{"company": company(sl, ci).ID})
	}
	newOpp("Affaire ancienne", "1", "11", 0)
	time.Sleep(1100 * time.Millisecond) // Sellsy's creation times are to the second: it is older than the import
	chloe, err := al.Create(ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{
		"kind": "physical", "relation": "client", "civility": "MME", "first_name": "Chloé", "last_name": "Bernard", "email.PRINCIPAL": "chloe.bernard@example.com"}}})
	require.NoError(t, err)
	require.NoError(t, chloe[0].Err)

	run, err := r.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ImportWorkflowID(altiorConnection), TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: altiorConnection})
	require.NoError(t, err)
	var p workflows.Progress
	require.NoError(t, run.Get(ctx, &p))
	t.Logf("import: %+v", p.Total())

	// Companies: 0 and 1 went down (4 was matched on SIRET); 2 and 3 (SA = no) did not;
	// tiers 5, 6 and 7 came up — 5 joined Sellsy's company 5 rather than duplicating it.
	// Individuals: Alice went down as a physical person; Chloé came up; Paul stayed.
	assert.Equal(t, 6+2, sb.Altior.Count("tiers"))
	alice, err := al.FindByKey(ctx, connectors.ObjectCompany, "email.PRINCIPAL", []string{"alice.durand@example.com"})
	require.NoError(t, err)
	require.Len(t, alice, 1)
	assert.Equal(t, "physical", alice[0].Fields["kind"])
	assert.Equal(t, "MME", alice[0].Fields["civility"], "civility through the value map")
	assert.Equal(t, "Durand", alice[0].Fields["last_name"])
	assert.Equal(t, "U1", alice[0].Fields["owner_user_id"])
	paul, err := al.FindByKey(ctx, connectors.ObjectCompany, "email", []string{"paul.martin@example.com"})
	require.NoError(t, err)
	assert.Empty(t, paul, "Paul is at SA = no")
	up, err := sl.FindByKey(ctx, sellsy.ObjectIndividual, "email", []string{"chloe.bernard@example.com"})
	require.NoError(t, err)
	require.Len(t, up, 1, "Chloé came up from Altior as an individual")
	assert.Equal(t, "mrs", up[0].Fields["civility"])
	assert.Equal(t, true, up[0].Fields["cf.SA"])
	assert.Equal(t, 3, sb.Sellsy.Count("individuals"))
	assert.Equal(t, 8, sb.Sellsy.Count("companies"))
	for _, i := range []int{0, 1} {
		tiers := company(al, i)
		assert.Equal(t, "U1", tiers.Fields["owner_user_id"], "created as the reference user")
		assert.Equal(t, "E1", tiers.Fields["establishment_id"], "in the connection's establishment")
		assert.Equal(t, "moral", tiers.Fields["kind"])
	}
	for _, i := range []int{5, 6, 7} {
		assert.Equal(t, true, company(sl, i).Fields["cf.SA"], "company %d came up from Altior with SA = yes", i)
	}
	for _, i := range []int{2, 3} {
		recs, err := al.FindByKey(ctx, connectors.ObjectCompany, "siret", []string{simkit.CompanyAt(i).SIRET})
		require.NoError(t, err)
		assert.Empty(t, recs, "company %d is at SA = no", i)
	}

	// Contacts: 0–4 went down under their tiers; Altior's 25–39 came up, with civilities
	// through the value map; Sellsy's 5–19 (SA = no, no counterpart) stayed.
	assert.Equal(t, 20+5, sb.Altior.Count("contacts"))
	assert.Equal(t, 30+10, sb.Sellsy.Count("contacts"))
	c2 := r.person(al, 2)
	assert.Equal(t, company(al, 0).ID, c2.Links["company"])
	for _, i := range []int{30, 31} {
		want := map[bool]string{true: "mrs", false: "mr"}[i%2 == 0] // Altior seeds MME for even people
		assert.Equal(t, want, r.person(sl, i).Fields["civility"], "person %d", i)
	}

	// A company switched to SA = yes later goes down at the next cycle.
	_, err = r.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SyncWorkflowID(altiorConnection), TaskQueue: workflows.TaskQueue},
		workflows.IncrementalSync, workflows.SyncInput{Connection: altiorConnection})
	require.NoError(t, err)
	r.waitCycles(1)
	time.Sleep(1100 * time.Millisecond)
	setSA(connectors.ObjectCompany, company(sl, 2).ID)
	r.cycle()
	assert.Equal(t, 9, sb.Altior.Count("tiers"))
	company(al, 2)

	// The example's two pipelines: opportunities created since the import go down as affaires
	// (the old one stays), paired on their Sellsy id (cf.SLSY), not their name: a second
	// "Affaire Ventes" gets its own affaire, and one made by hand in Altior is left alone. An
	// individual's opportunity goes to that individual's tiers; one of a company at SA = no
	// waits, unquarantined, until the company is switched to yes. PipelineSync gives each the
	// events and the establishment of its pipeline — Ventes (E1) and Grands comptes (E2).
	handMade, err := al.Create(ctx, altior.ObjectAffaire, []connectors.Record{{Fields: map[string]any{"title": "Affaire Ventes"}, Links: map[string]string{"company": company(al, 0).ID}}})
	require.NoError(t, err)
	require.NoError(t, handMade[0].Err)
	ventes := newOpp("Affaire Ventes", "1", "14", 0)
	grands := newOpp("Affaire Grands comptes", "3", "33", 1)
	twin := newOpp("Affaire Ventes", "1", "11", 1)
	ofAlice := oppOf("Affaire Alice", "1", "11", map[string]string{"individual": ind[0].ID})
	waiting := newOpp("Affaire en attente", "1", "11", 3) // company 3 is at SA = no
	r.cycle()
	assert.Equal(t, 1+4, sb.Altior.Count(altiorsim.ObjectAffaire), "the hand-made one and four new opportunities, not the old one nor the waiting one")
	affaire := func(opp string) connectors.Record {
		t.Helper()
		recs, err := al.FindByKey(ctx, altior.ObjectAffaire, "cf.SLSY", []string{opp})
		require.NoError(t, err)
		require.Len(t, recs, 1, opp)
		return recs[0]
	}
	assert.NotEqual(t, affaire(ventes).ID, affaire(twin).ID)
	assert.Equal(t, alice[0].ID, affaire(ofAlice).Links["company"], "an individual's opportunity goes to the individual's tiers")
	kept, err := al.Get(ctx, altior.ObjectAffaire, []string{handMade[0].ID})
	require.NoError(t, err)
	assert.Nil(t, kept[0].Fields["cf.SLSY"], "the hand-made affaire is left alone")
	recs, err := al.FindByKey(ctx, altior.ObjectAffaire, "cf.SLSY", []string{waiting})
	require.NoError(t, err)
	assert.Empty(t, recs, "company 3 is at SA = no: its opportunity waits")
	q, err := r.tc.QueryWorkflow(ctx, workflows.SyncWorkflowID(altiorConnection), "", workflows.QueryProgress)
	require.NoError(t, err)
	var sp workflows.Progress
	require.NoError(t, q.Get(&sp))
	for _, o := range sp.Objects {
		if o.Object == "opportunity" {
			assert.Zero(t, o.Counts.Quarantined, "the waiting opportunity is not quarantined: %+v", o.Counts)
			assert.Positive(t, o.Counts.Filtered, "it is counted as held back: %+v", o.Counts)
		}
	}
	setSA(connectors.ObjectCompany, company(sl, 3).ID)
	r.cycle()
	assert.Equal(t, company(al, 3).ID, affaire(waiting).Links["company"], "it goes down once its company is paired")

	_, err = r.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.PipelineWorkflowID(altiorConnection), TaskQueue: workflows.TaskQueue},
		workflows.PipelineSync, workflows.PipelineInput{Connection: altiorConnection})
	require.NoError(t, err)
	for _, tt := range []struct {
		opp, title, pipeline, etape, establishment string
		events                                     []string
	}{
		{ventes, "Affaire Ventes", "Ventes", "Proposition", "E1", []string{"QUALIF", "PROPOSITION"}},
		{grands, "Affaire Grands comptes", "Grands comptes", "Gagné", "E2", []string{"QUALIF", "GAGNEE"}},
		{twin, "Affaire Ventes", "Ventes", "Découverte", "E1", []string{"QUALIF"}},
	} {
		testenv.Eventually(t, time.Minute, 200*time.Millisecond, tt.title+" at its stage", func() bool {
			return affaire(tt.opp).Fields["cf.ETAP"] == tt.etape
		})
		a := affaire(tt.opp)
		assert.Equal(t, tt.title, a.Fields["title"])
		assert.Equal(t, tt.events, a.Fields["events"], tt.title)
		assert.Equal(t, tt.pipeline, a.Fields["cf.PIPE"], tt.title)
		assert.Equal(t, tt.establishment, a.Fields["establishment_id"], tt.title)
	}
	kept, err = al.Get(ctx, altior.ObjectAffaire, []string{handMade[0].ID})
	require.NoError(t, err)
	assert.Empty(t, kept[0].Fields["events"], "no event reaches the hand-made affaire")

	r.noSecretsInHistories("sa-secret", "altior-e2e-key")
}
