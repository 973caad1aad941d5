package activities

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
)

// TestPropagateStages moves a Sellsy opportunity along pipeline "Ventes" (steps in rank
// order: 11 Découverte, 14 Proposition, 12 Négociation, 13 Signature) and checks the events of
// its Altior affaire: each bound event once, in order, skipped ones included, none on a move
// back, and the affaire's Etape and Pipeline fields following.
func TestPropagateStages(t *testing.T) {
	ctx := context.Background()
	acts, st, ae, _ := sellsyAltior(t, "st", `  - name: opportunity
    b_object: affaire
    match: {a: name, b: title}
    links: [company]
    fields: [{a: name, b: title}]
pipelines:
  - object: opportunity
    pipeline: "1"
    establishment: E2
    events: {"11": QUALIF, "14": PROPOSITION, "13": GAGNEE}
`)
	ca, cb, err := acts.Conns.Connectors("st")
	require.NoError(t, err)
	sl, al := ca.(*sellsy.Client), cb.(*altior.Client)

	_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "st", Object: "company", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	companies, err := sl.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	companyPair, err := st.Pairs(ctx, "st", "company", store.SideA, []string{companies.Records[0].ID})
	require.NoError(t, err)
	require.Len(t, companyPair, 1)

	// An opportunity and its affaire, paired.
	opp, err := sl.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": "Projet X", "pipeline_id": "1", "step_id": "11"},
		Links: map[string]string{"company": companies.Records[0].ID}}})
	require.NoError(t, err)
	require.NoError(t, opp[0].Err)
	aff, err := al.Create(ctx, altior.ObjectAffaire, []connectors.Record{{Fields: map[string]any{"title": "Projet X"},
		Links: map[string]string{"company": companyPair[companies.Records[0].ID].BID}}})
	require.NoError(t, err)
	require.NoError(t, aff[0].Err)
	require.NoError(t, st.SavePairs(ctx, "st", "opportunity", []store.Pair{{AID: opp[0].ID, BID: aff[0].ID, Snapshot: map[string]any{}}}))

	propagate := func(ids ...string) StageResult {
		t.Helper()
		v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "st", IDs: ids})
		require.NoError(t, err)
		var r StageResult
		require.NoError(t, v.Get(&r))
		return r
	}
	affaire := func() connectors.Record {
		t.Helper()
		recs, err := al.Get(ctx, altior.ObjectAffaire, []string{aff[0].ID})
		require.NoError(t, err)
		require.Len(t, recs, 1)
		return recs[0]
	}
	move := func(step string) {
		t.Helper()
		require.NoError(t, sl.MoveStep(ctx, opp[0].ID, step))
	}

	tests := []struct {
		name     string
		step     string // "" leaves the opportunity where it is
		scan     bool
		emitted  int
		backward int
		events   []string
		etape    string
	}{
		{name: "first step", emitted: 1, events: []string{"QUALIF"}, etape: "Découverte"},
		{name: "again: nothing", events: []string{"QUALIF"}, etape: "Découverte"},
		{name: "a jump emits the skipped event too", step: "13", emitted: 2, events: []string{"QUALIF", "PROPOSITION", "GAGNEE"}, etape: "Signature"},
		{name: "back: the stage follows, no event", step: "14", backward: 1, events: []string{"QUALIF", "PROPOSITION", "GAGNEE"}, etape: "Proposition"},
		{name: "a scan finds nothing new", scan: true, events: []string{"QUALIF", "PROPOSITION", "GAGNEE"}, etape: "Proposition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.step != "" {
				move(tt.step)
			}
			var r StageResult
			if tt.scan {
				r = propagate()
				assert.True(t, r.Done)
			} else {
				r = propagate(opp[0].ID)
			}
			assert.Equal(t, tt.emitted, r.Emitted, "%+v", r)
			assert.Equal(t, tt.backward, r.Backward, "%+v", r)
			a := affaire()
			assert.Equal(t, tt.events, a.Fields["events"])
			assert.Equal(t, tt.etape, a.Fields["cf.ETAP"])
			assert.Equal(t, "Ventes", a.Fields["cf.PIPE"])
			assert.Equal(t, "E2", a.Fields["establishment_id"], "the pipeline's establishment")
		})
	}
}

// unasMiniCRMFile starts UNAS (orders of people 0…orders-1, over the last 30 days) and
// MiniCRM, and returns the activities of a one-way connection name between them loaded from a
// file (so that a change to it is read again, as the worker does), with this owner and
// start_date ("": none) and objects and pipelines in rest (YAML), and the file's path.
func unasMiniCRMFile(t *testing.T, name, owner, startDate string, orders int, rest string) (*Activities, store.Store, *testsuite.TestActivityEnvironment, *sandbox.Sandbox, string) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{MauticUsername: "u", MauticPassword: "p", SellsyClientID: "i", SellsyClientSecret: "s",
		UNASAddr: "127.0.0.1:0", UNASAPIKey: "uk", UNASOrders: orders,
		MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "7", MiniCRMAPIKey: "mk", MiniCRMRequestsPerMinute: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	t.Setenv("UM_UNAS_KEY", "uk")
	t.Setenv("UM_MINICRM_ID", "7")
	t.Setenv("UM_MINICRM_KEY", "mk")
	start := ""
	if startDate != "" {
		start = fmt.Sprintf("start_date: %q\n", startDate)
	}
	path := filepath.Join(t.TempDir(), name+".yaml")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`name: %s
a: {system: unas, settings: {base_url: %s/shop}, credentials: {api_key: UM_UNAS_KEY}}
b: {system: minicrm, settings: {base_url: %s, owner: %q, requests_per_second: "1000"}, credentials: {system_id: UM_MINICRM_ID, api_key: UM_MINICRM_KEY}}
direction: a_to_b
schedule: {overlap: 1s}
`, name, sb.UNASURL, sb.MiniCRMURL, owner)+start+rest), 0o600))
	conn, err := config.Load(path)
	require.NoError(t, err)
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "crmsync.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	acts := &Activities{Conns: NewConnections([]*config.Connection{conn}), Store: st}
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(acts)
	return acts, st, ae, sb, path
}

// requireConfigError checks that an activity failed with a configuration error (the workflow
// pauses the connection with its message) that says each of wants.
func requireConfigError(t *testing.T, err error, wants ...string) {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	assert.Equal(t, ErrTypeConfiguration, appErr.Type(), "a configuration error pauses the connection: %v", err)
	for _, w := range wants {
		assert.Contains(t, err.Error(), w)
	}
}

const unasOrderObject = `objects:
  - name: order
    b_object: "card:Orders"
    match: {a: order_ref, b: Text1203}
    fields: [{a: order_ref, b: Text1203}, {a: invoice_number, b: Name}]
`

func unasPipeline(follow bool, statusMap string) string {
	return fmt.Sprintf(`pipelines:
  - object: order
    pipeline: orders
    pipeline_field: pipeline
    stage_field: status
    follow: %t
    stage_target: Text1202
    pipeline_target: none
    status_map: '%s'
`, follow, statusMap)
}

// A status map is checked strictly before PipelineSync writes anything, with follow or
// without: every status of the shop mapped, every key a status of the shop, every target a
// status of the module. Its mistakes, each named, pause the connection and no card moves; a
// complete map is checked once, not before every scan.
func TestPropagateStagesChecksTheStatusMapFirst(t *testing.T) {
	const full = `{"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed", "Törölve": "Cancelled"}`
	tests := []struct {
		name      string
		follow    bool
		statusMap string
		wants     []string
	}{
		{name: "complete", follow: true, statusMap: full},
		{name: "complete, typographic quotes", follow: true, statusMap: `{“Beérkezett”: “New”, “Feldolgozás alatt”: “In progress”, “Szállítás alatt”: “Shipped”, “Teljesítve”: “Closed”, “Törölve”: “Cancelled”}`},
		{name: "a status of the shop unmapped", follow: true, statusMap: strings.Replace(full, `, "Törölve": "Cancelled"`, "", 1),
			wants: []string{`pipelines[0] (pipeline orders).status_map: status "Törölve" of the shop is not mapped`}},
		{name: "unmapped without follow", follow: false, statusMap: strings.Replace(full, `"Beérkezett": "New", `, "", 1),
			wants: []string{`status "Beérkezett" of the shop is not mapped`}},
		{name: "an unknown target and an unknown status", follow: true,
			statusMap: `{"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Done", "Törölve": "Cancelled", "Elveszett": "Cancelled"}`,
			wants: []string{`status "Teljesítve" maps to "Done", which is not a status of the module (statuses: New, In progress, Shipped, Closed, Cancelled)`,
				`status "Elveszett" is not a status of the shop`}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("sm%d", i)
			acts, _, ae, sb, path := unasMiniCRMFile(t, name, "101", "", 6, unasOrderObject+unasPipeline(tt.follow, tt.statusMap))
			_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: name, Object: "order", Side: "a", Mode: ModeImport})
			require.NoError(t, err)
			require.Equal(t, 6, sb.MiniCRM.Count("Orders"))
			puts := func() int { return sb.MiniCRM.Kit().Counts()["PUT /Api/R3/Project/{id}"] }
			before := puts()

			v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name})
			if len(tt.wants) > 0 {
				requireConfigError(t, err, tt.wants...)
				assert.Contains(t, err.Error(), path)
				assert.Equal(t, before, puts(), "no card moved")
				for _, c := range sb.MiniCRM.Dump("Orders") {
					assert.Empty(t, c["Text1202"], "no UNAS Status written")
				}
				return
			}
			require.NoError(t, err)
			var r StageResult
			require.NoError(t, v.Get(&r))
			assert.Equal(t, 6, r.Moved, "%+v", r)

			// Checked once: an idle scan asks the shop for its statuses no more.
			statuses := sb.UNAS.Kit().Counts()["POST /shop/getOrderStatus"]
			_, err = ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name})
			require.NoError(t, err)
			assert.Equal(t, statuses, sb.UNAS.Kit().Counts()["POST /shop/getOrderStatus"])
		})
	}
}

// The connection's owner user is checked before the first card is written: an unknown one
// pauses the connection with the owner named, and nothing is written or quarantined (MiniCRM
// would give every card to a random user).
func TestUnknownOwnerPausesTheConnection(t *testing.T) {
	tests := []struct {
		name  string
		owner string
		wants []string
	}{
		{name: "known", owner: "101"},
		{name: "known by name", owner: "Ana Popescu"},
		{name: "unknown", owner: "4242", wants: []string{"minicrm: owner user 4242 does not exist", "settings.owner"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("ow%d", i)
			acts, st, ae, sb, _ := unasMiniCRMFile(t, name, tt.owner, "", 5, unasOrderObject)
			_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: name, Object: "order", Side: "a", Mode: ModeImport})
			quarantined, qerr := st.CountQuarantine(context.Background(), name)
			require.NoError(t, qerr)
			assert.Zero(t, quarantined, "the owner is the connection's mistake, not a card's")
			if len(tt.wants) == 0 {
				require.NoError(t, err)
				assert.Equal(t, 5, sb.MiniCRM.Count("Orders"))
				return
			}
			requireConfigError(t, err, tt.wants...)
			assert.Zero(t, sb.MiniCRM.Count("Orders"), "nothing written")
			assert.Zero(t, sb.MiniCRM.Kit().Counts()["PUT /Api/R3/Project"])
		})
	}
}

// PipelineSync fixes the start date as the sync does and refuses a later change to it: the
// connection pauses with the reason, instead of scanning from the new date.
func TestPropagateStagesRefusesAChangedStartDate(t *testing.T) {
	first := time.Now().UTC().AddDate(0, 0, -40).Format(time.DateOnly)
	acts, _, ae, _, path := unasMiniCRMFile(t, "sd", "101", first, 3, unasOrderObject+unasPipeline(true,
		`{"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed", "Törölve": "Cancelled"}`))
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	steps := []struct {
		name      string
		startDate string // "": none
		wantErr   string
	}{
		{name: "the first run fixes it", startDate: first},
		{name: "unchanged", startDate: first},
		{name: "moved earlier", startDate: "2020-01-01", wantErr: path + ": start_date: the connection first ran with " + first + " and it cannot change"},
		{name: "removed", startDate: "", wantErr: "start_date: the connection first ran with " + first},
		{name: "put back", startDate: first},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			edited := strings.Replace(string(text), `start_date: "`+first+`"`, `start_date: "`+s.startDate+`"`, 1)
			if s.startDate == "" {
				edited = strings.Replace(string(text), `start_date: "`+first+`"`+"\n", "", 1)
			}
			require.NoError(t, os.WriteFile(path, []byte(edited), 0o600))
			mod := time.Now().Add(time.Duration(i+1) * time.Minute) // a change the worker sees
			require.NoError(t, os.Chtimes(path, mod, mod))
			_, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "sd"})
			if s.wantErr == "" {
				require.NoError(t, err)
				return
			}
			requireConfigError(t, err, s.wantErr)
		})
	}
}
