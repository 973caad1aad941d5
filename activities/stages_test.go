package activities

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/simkit"
	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
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
	sb := startUNASMiniCRM(t, orders)
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
	acts, st, ae := activitiesOf(t, conn)
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
    fields: [{a: order_ref, b: Text1203}, {a: key, b: Name}]
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
// status of the module. Its mistakes (here made in the file after an import with a complete
// map; a sync pass checks it too), each named, pause the connection and no card moves; a
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
			acts, _, ae, sb, path := unasMiniCRMFile(t, name, "101", "", 6, unasOrderObject+unasPipeline(tt.follow, full))
			_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: name, Object: "order", Side: "a", Mode: ModeImport})
			require.NoError(t, err)
			require.Equal(t, 6, sb.MiniCRM.Count("Orders"))
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), full, tt.statusMap, 1)), 0o600))
			later := time.Now().Add(time.Minute) // a change the worker sees
			require.NoError(t, os.Chtimes(path, later, later))
			puts := func() int { return sb.MiniCRM.Kit().Counts()["PUT /Api/R3/Project/{id}"] }
			before, cards := puts(), sb.MiniCRM.Dump("Orders")

			v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name})
			if len(tt.wants) > 0 {
				requireConfigError(t, err, tt.wants...)
				assert.Contains(t, err.Error(), path)
				assert.Equal(t, before, puts(), "no card moved")
				assert.Equal(t, cards, sb.MiniCRM.Dump("Orders"), "no card written")
				return
			}
			require.NoError(t, err)
			var r StageResult
			require.NoError(t, v.Get(&r))
			assert.Equal(t, 6, r.Checked, "%+v", r)
			assert.Zero(t, r.Moved, "created at their statuses: %+v", r)

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
		zone      string // side A's time_zone ("": none)
		wantErr   string
	}{
		{name: "the first run fixes it", startDate: first},
		{name: "unchanged", startDate: first},
		{name: "moved earlier", startDate: "2020-01-01", wantErr: path + ": start_date: the connection first ran with " + first + " and it cannot change"},
		{name: "removed", startDate: "", wantErr: "start_date: the connection first ran with " + first},
		{name: "put back", startDate: first},
		{name: "the shop's time zone changed", startDate: first, zone: "Europe/Bucharest",
			wantErr: path + ": a.settings.time_zone: the start date was first applied in none (the system's default) and it cannot change"},
		{name: "the zone put back", startDate: first},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			edited := strings.Replace(string(text), `start_date: "`+first+`"`, `start_date: "`+s.startDate+`"`, 1)
			if s.startDate == "" {
				edited = strings.Replace(string(text), `start_date: "`+first+`"`+"\n", "", 1)
			}
			if s.zone != "" {
				edited = strings.Replace(edited, "settings: {base_url: ", "settings: {time_zone: "+s.zone+", base_url: ", 1)
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

// stagedOpportunity starts Sellsy and Altior with connection name syncing companies and
// opportunities of pipeline "1" (events: the pipeline's events map, YAML flow style), and
// pairs n new opportunities at step 13 (Signature) with as many new affaires that have no
// event yet. It returns the activities, their store, the sandbox and the records' ids.
func stagedOpportunity(t *testing.T, name, events string, n int) (acts *Activities, st store.Store, sb *sandbox.Sandbox, opps, affs []string) {
	t.Helper()
	ctx := context.Background()
	acts, st, ae, sb := sellsyAltior(t, name, `  - name: opportunity
    b_object: affaire
    match: {a: name, b: title}
    links: [company]
    fields: [{a: name, b: title}]
pipelines:
  - object: opportunity
    pipeline: "1"
    events: `+events+"\n")
	ca, cb, err := acts.Conns.Connectors(name)
	require.NoError(t, err)
	sl, al := ca.(*sellsy.Client), cb.(*altior.Client)
	_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: name, Object: "company", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	companies, err := sl.List(ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	companyPair, err := st.Pairs(ctx, name, "company", store.SideA, []string{companies.Records[0].ID})
	require.NoError(t, err)
	require.Len(t, companyPair, 1)
	for i := range n {
		title := fmt.Sprintf("Projet %d", i)
		opp, err := sl.Create(ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": title, "pipeline_id": "1", "step_id": "13"},
			Links: map[string]string{"company": companies.Records[0].ID}}})
		require.NoError(t, err)
		require.NoError(t, opp[0].Err)
		aff, err := al.Create(ctx, altior.ObjectAffaire, []connectors.Record{{Fields: map[string]any{"title": title},
			Links: map[string]string{"company": companyPair[companies.Records[0].ID].BID}}})
		require.NoError(t, err)
		require.NoError(t, aff[0].Err)
		require.NoError(t, st.SavePairs(ctx, name, "opportunity", []store.Pair{{AID: opp[0].ID, BID: aff[0].ID, Snapshot: map[string]any{}}}))
		opps, affs = append(opps, opp[0].ID), append(affs, aff[0].ID)
	}
	return acts, st, sb, opps, affs
}

// stagesOnce runs PropagateStages once (runOnce).
func stagesOnce(ctx workflow.Context, in StageInput) (StageResult, error) {
	var a *Activities
	return runOnce[StageInput, StageResult](ctx, a.PropagateStages, in)
}

// PropagateStages heartbeats from its start: records announced by a webhook, each a read and
// several writes on a slow side B (every Altior request takes 1.2 s here; its quota is 10 a
// second), outlast the heartbeat timeout without the activity being cut off, as a scan does.
func TestPropagateStagesHeartbeatsOnASlowSideB(t *testing.T) {
	tests := []struct {
		name      string
		announced bool
	}{
		{name: "announced by a webhook", announced: true},
		{name: "found by a scan"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("hb%d", i)
			acts, _, sb, opps, _ := stagedOpportunity(t, name, `{"11": QUALIF, "14": PROPOSITION, "13": GAGNEE}`, 1)
			sb.Altior.Kit().SetFaults(simkit.Faults{LatencyMS: 1200})
			env := newWorkflowEnv() // the run takes seconds by design (1.2 s a request)
			env.RegisterActivity(acts)
			env.RegisterWorkflow(stagesOnce)
			in := StageInput{Connection: name}
			if tt.announced {
				in.IDs = opps
			}
			start := time.Now()
			env.ExecuteWorkflow(stagesOnce, in)
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			var res StageResult
			require.NoError(t, env.GetWorkflowResult(&res))
			assert.Equal(t, 3, res.Emitted, "%+v", res)
			assert.Equal(t, 1, res.Moved, "%+v", res)
			assert.Greater(t, time.Since(start), testHeartbeatTimeout*3/2, "the activity did outlast the heartbeat timeout")
		})
	}
}

// refuseEvents is Altior answering addErr to every event added to affaire on (any affaire
// when on is ""), and updateErr in the result of every update.
type refuseEvents struct {
	*altior.Client
	on                        string
	addErr, updateErr, getErr error
}

func (r *refuseEvents) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	if r.getErr != nil && (r.on == "" || slices.Contains(ids, r.on)) {
		return nil, r.getErr
	}
	return r.Client.Get(ctx, object, ids)
}

func (r *refuseEvents) AddEvent(ctx context.Context, object, id, code string) error {
	if r.addErr != nil && (r.on == "" || r.on == id) {
		return r.addErr
	}
	return r.Client.AddEvent(ctx, object, id, code)
}

func (r *refuseEvents) Update(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	if r.updateErr == nil {
		return r.Client.Update(ctx, object, recs)
	}
	res := make([]connectors.Result, len(recs))
	for i, rec := range recs {
		res[i] = connectors.Result{ID: rec.ID, Err: r.updateErr}
	}
	return res, nil
}

// useSideB puts b in place of the connection's side B.
func useSideB(t *testing.T, acts *Activities, name string, b func(*altior.Client) connectors.Connector) {
	t.Helper()
	ca, cb, err := acts.Conns.Connectors(name)
	require.NoError(t, err)
	acts.Conns.use(name, ca, b(cb.(*altior.Client)))
}

// An event or a stage side B refuses for the record (Altior 400/404/422) quarantines the
// record with the reason, and the activity goes on: the connection is not paused on it after
// every resume. A spent quota, an outage or a revoked token still fails the activity, and
// nothing is quarantined.
func TestPropagateStagesQuarantinesARefusedEvent(t *testing.T) {
	refused := func(kind connectors.Kind, status int) error {
		return &connectors.Error{Kind: kind, System: "altior", Op: "POST /affaires/{id}/events", Status: status, Message: "refused"}
	}
	updateRefused := func(kind connectors.Kind, status int) error {
		return &connectors.Error{Kind: kind, System: "altior", Op: "PATCH /affaires/{id}", Status: status, Message: "refused"}
	}
	tests := []struct {
		name              string
		events            string
		addErr, updateErr error  // what side B answers; nil: the simulator answers
		wantType          string // the application error's type; "": the activity succeeds
		message           string // in the error's message, after the file's name; "": not checked
		reason            string // the quarantine reason; "": nothing quarantined
	}{
		// The code is the file's, not the affaire's: every affaire reaching the step would be
		// refused alike, so the connection pauses (the simulator's own 400, read back against
		// Altior's event types) and nothing is quarantined. The pause names the file's place.
		{name: "an event code Altior does not know (400)", events: `{"11": QUALIF, "13": NOPE}`, wantType: ErrTypeConfiguration,
			message: `: pipeline 1: event NOPE: altior event type: configuration (HTTP 400): altior has no affaire event type "NOPE": create it in Altior`},
		{name: "the affaire is gone (404)", events: `{"13": GAGNEE}`, addErr: refused(connectors.KindInvalid, 404),
			reason: "event GAGNEE not added to altior record %s: altior POST /affaires/{id}/events: invalid_record (HTTP 404): refused"},
		{name: "quota spent", events: `{"13": GAGNEE}`, addErr: refused(connectors.KindRateLimited, 429), wantType: ErrTypeRateLimited},
		{name: "outage", events: `{"13": GAGNEE}`, addErr: refused(connectors.KindRetryable, 503), wantType: "Retryable"},
		{name: "token revoked", events: `{"13": GAGNEE}`, addErr: refused(connectors.KindConfig, 401), wantType: ErrTypeConfiguration},
		{name: "stage refused (422)", events: `{"13": GAGNEE}`, updateErr: updateRefused(connectors.KindInvalid, 422),
			reason: "stage of altior record %s not written: altior PATCH /affaires/{id}: invalid_record (HTTP 422): refused"},
		{name: "stage refused for quota, in its result", events: `{"13": GAGNEE}`, updateErr: updateRefused(connectors.KindRateLimited, 429), wantType: ErrTypeRateLimited},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			name := fmt.Sprintf("ev%d", i)
			acts, st, _, opps, affs := stagedOpportunity(t, name, tt.events, 1)
			if tt.addErr != nil || tt.updateErr != nil {
				useSideB(t, acts, name, func(c *altior.Client) connectors.Connector {
					return &refuseEvents{Client: c, addErr: tt.addErr, updateErr: tt.updateErr}
				})
			}
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(acts)
			v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name, IDs: opps})
			q, qerr := st.ListQuarantine(ctx, name, 10)
			require.NoError(t, qerr)
			pairs, perr := st.Pairs(ctx, name, "opportunity", store.SideA, opps)
			require.NoError(t, perr)
			assert.Nil(t, pairs[opps[0]].Snapshot[stageKey], "the stage is not recorded as propagated")
			if tt.wantType != "" {
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, err, &appErr)
				assert.Equal(t, tt.wantType, appErr.Type())
				if tt.message != "" {
					assert.Contains(t, appErr.Error(), t.Name()+".yaml"+tt.message)
				}
				assert.Empty(t, q, "not the record's fault")
				return
			}
			require.NoError(t, err)
			var res StageResult
			require.NoError(t, v.Get(&res))
			assert.Zero(t, res.Moved, "%+v", res)
			require.Len(t, q, 1)
			assert.Equal(t, opps[0], q[0].RecordID)
			assert.Equal(t, fmt.Sprintf(tt.reason, affs[0]), q[0].Reason)
		})
	}
}

// A failure that is not a record's (here a spent quota on the second affaire) fails the
// activity after saving the stages moved before it: the retry moves only what is left.
func TestPropagateStagesSavesWhatMovedBeforeAFailure(t *testing.T) {
	tests := []struct {
		name      string
		failOn    int // the affaire whose events are refused
		wantSaved []bool
		retried   int // stages the retry moves
	}{
		{name: "the second fails: the first is saved", failOn: 1, wantSaved: []bool{true, false}, retried: 1},
		{name: "the first fails: nothing is", failOn: 0, wantSaved: []bool{false, false}, retried: 2},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			name := fmt.Sprintf("sv%d", i)
			acts, st, _, opps, affs := stagedOpportunity(t, name, `{"11": QUALIF, "13": GAGNEE}`, 2)
			flaky := &refuseEvents{on: affs[tt.failOn], addErr: &connectors.Error{Kind: connectors.KindRateLimited, System: "altior", Op: "POST /affaires/{id}/events", Status: 429}}
			useSideB(t, acts, name, func(c *altior.Client) connectors.Connector {
				flaky.Client = c
				return flaky
			})
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(acts)
			_, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name, IDs: opps})
			require.Error(t, err)
			pairs, err := st.Pairs(ctx, name, "opportunity", store.SideA, opps)
			require.NoError(t, err)
			for j, want := range tt.wantSaved {
				_, saved := pairs[opps[j]].Snapshot[stageKey]
				assert.Equal(t, want, saved, "opportunity %d", j)
			}

			flaky.addErr = nil // Temporal's retry, once the quota is back
			v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name, IDs: opps})
			require.NoError(t, err)
			var res StageResult
			require.NoError(t, v.Get(&res))
			assert.Equal(t, tt.retried, res.Moved, "%+v", res)
		})
	}
}

// A status added to the shop after the map was checked, and reached by an order before the
// next check, pauses the connection with the status named — the map is wrong, not the order —
// and the order is neither quarantined nor passed by the scan: once the map is fixed, the
// next scan moves its card.
func TestAStatusAddedToTheShopPausesUntilMapped(t *testing.T) {
	const full = `{"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed", "Törölve": "Cancelled"`
	acts, st, ae, sb, path := unasMiniCRMFile(t, "added", "101", "", 4, unasOrderObject+unasPipeline(true, full+"}"))
	_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "added", Object: "order", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	_, err = ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "added"})
	require.NoError(t, err)

	time.Sleep(1100 * time.Millisecond) // UNAS's DateMod is to the second
	sb.UNAS.AddStatus(unassim.OrderStatus{ID: 6, Name: "Visszaküldve", Type: "close_fault"})
	key := sb.UNAS.Dump()[0].Key
	sb.UNAS.SetStatus(key, "Visszaküldve")
	_, err = ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "added"})
	requireConfigError(t, err, path, `"Visszaküldve"`)
	quarantined, err := st.CountQuarantine(context.Background(), "added")
	require.NoError(t, err)
	assert.Zero(t, quarantined, "the map's mistake, not the order's")
	assert.NotEqual(t, "Visszaküldve", orderCard(t, sb, key)["Text1202"])

	// The user maps the new status and resumes.
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	fixed := strings.Replace(string(raw), full+"}", full+`, "Visszaküldve": "Cancelled"}`, 1)
	require.NoError(t, os.WriteFile(path, []byte(fixed), 0o600))
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(path, later, later))
	v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "added"})
	require.NoError(t, err)
	var r StageResult
	require.NoError(t, v.Get(&r))
	assert.Equal(t, 1, r.Moved, "%+v", r)
	assert.Equal(t, "Visszaküldve", orderCard(t, sb, key)["Text1202"])
	assert.Equal(t, "2005", fmt.Sprint(orderCard(t, sb, key)["StatusId"]))
}

// Orders a scan read before their cards existed are read back by key once the cards do, each
// a call from UNAS's 1,000 an hour: a tenth of that a scan (connectors.GetLimit), so that
// the read-back never spends the hour alone and fails whole, again and again.
func TestPendingOrdersAreReadBackWithinTheBudget(t *testing.T) {
	const full = `{"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed", "Törölve": "Cancelled"}`
	acts, _, ae, sb, _ := unasMiniCRMFile(t, "budget", "101", "", 130, unasOrderObject+unasPipeline(true, full))
	scan := func() StageResult {
		t.Helper()
		v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "budget"})
		require.NoError(t, err)
		var r StageResult
		require.NoError(t, v.Get(&r))
		return r
	}
	assert.Equal(t, 130, scan().Pending, "no card yet")
	_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "budget", Object: "order", Side: "a", Mode: ModeImport})
	require.NoError(t, err)

	byKey := func() int { return sb.UNAS.Spent(unassim.LimitGetOrderSingle) }
	before := byKey()
	r := scan()
	assert.Equal(t, 100, r.Checked, "a tenth of the hour's reads by key")
	assert.Zero(t, r.Moved, "created at their status: in step")
	assert.Equal(t, 100, byKey()-before)
	assert.Equal(t, 30, scan().Checked, "the rest at the next scan")
}

// A record quarantined for its stage (an event side B refused) did not change: a quarantine
// retry runs its stage again, not only its fields, so that the fix moves it.
func TestRetryQuarantinedMovesAStageRefusedBefore(t *testing.T) {
	ctx := context.Background()
	acts, st, _, opps, affs := stagedOpportunity(t, "rq", `{"13": GAGNEE}`, 1)
	ca, cb, err := acts.Conns.Connectors("rq")
	require.NoError(t, err)
	plain := cb.(*altior.Client)
	acts.Conns.use("rq", ca, &refuseEvents{Client: plain, addErr: &connectors.Error{Kind: connectors.KindInvalid, System: "altior", Op: "POST /affaires/{id}/events", Status: 422, Message: "event type closed"}})
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(acts)
	_, err = ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "rq", IDs: opps})
	require.NoError(t, err)
	n, err := st.CountQuarantine(ctx, "rq")
	require.NoError(t, err)
	require.Equal(t, 1, n)

	acts.Conns.use("rq", ca, plain) // the event type is opened again in Altior
	v, err := ae.ExecuteActivity(acts.RetryQuarantined, RetryInput{Connection: "rq"})
	require.NoError(t, err)
	var res RetryResult
	require.NoError(t, v.Get(&res))
	assert.Equal(t, 1, res.Resolved, "%+v", res)
	pairs, err := st.Pairs(ctx, "rq", "opportunity", store.SideA, opps)
	require.NoError(t, err)
	assert.Equal(t, "13", pairs[opps[0]].Snapshot[stageKey], "the stage is propagated")
	got, err := plain.Get(ctx, altior.ObjectAffaire, affs)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Contains(t, got[0].Fields["events"], "GAGNEE")
}

// An order holding a status the shop no longer has (deleted while orders held it) cannot be
// mapped: it is quarantined with the reason, and the connection goes on, rather than pausing
// again after every resume.
func TestAnOrderAtADeletedStatusIsQuarantined(t *testing.T) {
	const rest = `"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed"`
	acts, st, ae, sb, _ := unasMiniCRMFile(t, "gone", "101", "", 4, unasOrderObject+unasPipeline(true, "{"+rest+"}"))
	sb.UNAS.RemoveStatus("Törölve") // before anything runs: the map need not name it
	for _, o := range sb.UNAS.Dump() {
		if o.Status == "Törölve" {
			t.Fatalf("order %s is at the deleted status before the test moves one there", o.Key)
		}
	}
	_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "gone", Object: "order", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	_, err = ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "gone"})
	require.NoError(t, err)

	time.Sleep(1100 * time.Millisecond) // UNAS's DateMod is to the second
	key := sb.UNAS.Dump()[0].Key
	sb.UNAS.AddStatus(unassim.OrderStatus{ID: 5, Name: "Törölve", Type: "close_fault"})
	sb.UNAS.SetStatus(key, "Törölve")
	sb.UNAS.RemoveStatus("Törölve")
	_, err = ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "gone"})
	require.NoError(t, err, "no pause: the status cannot be mapped")
	q, err := st.ListQuarantine(context.Background(), "gone", 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Contains(t, q[0].Reason, `stage "Törölve" is not a stage of the pipeline`)
}
