package activities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/minicrm"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
)

// twoPipelines binds pipeline 1 (Ventes: steps 11, 14, 12, 13 in order) and pipeline 3
// (Grands comptes: Qualification 31, Soutenance 32, Gagné 33) of the Sellsy simulator to
// Altior's affaire events.
var twoPipelines = twoPipelinesAs(`"3"`, `{"31": QUALIF, "33": GAGNEE}`)

// twoPipelinesAs binds pipeline 1 of the Sellsy simulator by its id, and a second pipeline
// (in establishment E2) as pipeline and events write it: by id, or by names as the guide has
// users write them.
func twoPipelinesAs(pipeline, events string) string {
	return `  - name: opportunity
    b_object: affaire
    match: {a: name, b: title}
    links: [company]
    fields: [{a: name, b: title}]
pipelines:
  - object: opportunity
    pipeline: "1"
    establishment: E1
    events: {"11": QUALIF, "14": PROPOSITION, "12": NEGOCIATION, "13": GAGNEE}
  - object: opportunity
    pipeline: ` + pipeline + `
    establishment: E2
    events: ` + events + `
`
}

// stageHarness is a Sellsy ⇄ Altior connection with its companies paired.
type stageHarness struct {
	t       *testing.T
	ctx     context.Context
	acts    *Activities
	st      store.Store
	ae      *testsuite.TestActivityEnvironment
	sellsy  *sellsy.Client
	altior  *altior.Client
	company string // a Sellsy company, paired
}

func newStageHarness(t *testing.T, objects string) *stageHarness {
	t.Helper()
	acts, st, ae, _ := sellsyAltior(t, "st", objects)
	ca, cb, err := acts.Conns.Connectors("st")
	require.NoError(t, err)
	h := &stageHarness{t: t, ctx: context.Background(), acts: acts, st: st, ae: ae, sellsy: ca.(*sellsy.Client), altior: cb.(*altior.Client)}
	_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "st", Object: "company", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	companies, err := h.sellsy.List(h.ctx, connectors.ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	h.company = companies.Records[0].ID
	return h
}

// opportunity creates a Sellsy opportunity of the company at a step.
func (h *stageHarness) opportunity(name, pipeline, step string) string {
	h.t.Helper()
	res, err := h.sellsy.Create(h.ctx, sellsy.ObjectOpportunity, []connectors.Record{{Fields: map[string]any{"name": name, "pipeline_id": pipeline, "step_id": step},
		Links: map[string]string{"company": h.company}}})
	require.NoError(h.t, err)
	require.NoError(h.t, res[0].Err)
	return res[0].ID
}

// propagate runs PropagateStages for the opportunities a webhook announced.
func (h *stageHarness) propagate(ids ...string) StageResult {
	h.t.Helper()
	v, err := h.ae.ExecuteActivity(h.acts.PropagateStages, StageInput{Connection: "st", IDs: ids})
	require.NoError(h.t, err)
	var r StageResult
	require.NoError(h.t, v.Get(&r))
	return r
}

// affaire returns the affaire paired with an opportunity.
func (h *stageHarness) affaire(opp string) connectors.Record {
	h.t.Helper()
	p, err := h.st.Pairs(h.ctx, "st", "opportunity", store.SideA, []string{opp})
	require.NoError(h.t, err)
	require.Contains(h.t, p, opp, "opportunity %s is paired", opp)
	got, err := h.altior.Get(h.ctx, altior.ObjectAffaire, []string{p[opp].BID})
	require.NoError(h.t, err)
	require.Len(h.t, got, 1)
	return got[0]
}

// An opportunity moved to another pipeline goes on from where it is there: the events of the
// new pipeline's steps it has reached go, those already on the affaire do not go again, and
// the affaire takes the new pipeline's name and establishment.
func TestAnOpportunityMovedToAnotherPipelineGoesOn(t *testing.T) {
	h := newStageHarness(t, twoPipelines)
	opp := h.opportunity("Projet", "1", "14")
	_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	r := h.propagate(opp)
	require.Equal(t, 2, r.Emitted, "%+v", r)
	assert.Equal(t, []string{"QUALIF", "PROPOSITION"}, h.affaire(opp).Fields["events"])

	res, err := h.sellsy.Update(h.ctx, sellsy.ObjectOpportunity, []connectors.Record{{ID: opp, Fields: map[string]any{"pipeline_id": "3", "step_id": "33"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	r = h.propagate(opp)
	assert.Equal(t, StageResult{Done: true, Checked: 1, Moved: 1, Emitted: 1}, r)
	a := h.affaire(opp)
	assert.Equal(t, []string{"QUALIF", "PROPOSITION", "GAGNEE"}, a.Fields["events"])
	assert.Equal(t, "E2", a.Fields["establishment_id"])
	q, err := h.st.ListQuarantine(h.ctx, "st", 10)
	require.NoError(t, err)
	assert.Empty(t, q)
	assert.Equal(t, StageResult{Done: true, Checked: 1}, h.propagate(opp), "nothing more to do")
}

// A bound step an opportunity reaches before its affaire exists is not lost when it moves
// back before the affaire is created: the affaire gets every event up to the furthest step.
func TestAStepReachedBeforeTheAffaireExistsGoesOnceItDoes(t *testing.T) {
	h := newStageHarness(t, twoPipelines)
	opp := h.opportunity("Projet", "1", "11")
	require.NoError(t, h.sellsy.MoveStep(h.ctx, opp, "12")) // Négociation, announced by a webhook
	assert.Equal(t, 1, h.propagate(opp).Pending)
	require.NoError(t, h.sellsy.MoveStep(h.ctx, opp, "14")) // back to Proposition
	assert.Equal(t, 1, h.propagate(opp).Pending)

	_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	r := h.propagate(opp)
	assert.Equal(t, 3, r.Emitted, "%+v", r)
	a := h.affaire(opp)
	assert.Equal(t, []string{"QUALIF", "PROPOSITION", "NEGOCIATION"}, a.Fields["events"])
	assert.Equal(t, "Proposition", a.Fields["cf.ETAP"], "the affaire shows the step the opportunity is at")
	notes, err := h.st.Notes(h.ctx, "st", "opportunity", reachedNote, []string{opp})
	require.NoError(t, err)
	assert.Empty(t, notes, "the step reached is forgotten once its events went")
	assert.Zero(t, h.propagate(opp).Emitted)
}

// scanDuring runs scan, once, while the sync pass writes its first card (not a status).
type scanDuring struct {
	*minicrm.Client
	scan func()
	done bool
}

func (s *scanDuring) Update(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	if _, status := recs[0].Fields["StatusId"]; !s.done && !status {
		s.done = true
		s.scan()
	}
	return s.Client.Update(ctx, object, recs)
}

// followedOrder is a UNAS → MiniCRM connection whose cards follow their order's status,
// imported and scanned once, and the first order of the shop with the status it had.
type followedOrder struct {
	t    *testing.T
	name string
	acts *Activities
	ae   *testsuite.TestActivityEnvironment
	sb   *sandbox.Sandbox
	key  string // the order
	was  string // its first status
}

// newFollowedOrder maps an order's fields (YAML flow mappings) besides order_ref.
func newFollowedOrder(t *testing.T, name, fields string) *followedOrder {
	acts, ae, sb := unasMiniCRM(t, name, 3, `objects:
  - name: order
    b_object: "card:Orders"
    match: {a: order_ref, b: Text1203}
    fields: [{a: order_ref, b: Text1203}, `+fields+`]
pipelines:
  - object: order
    pipeline: orders
    pipeline_field: pipeline
    stage_field: status
    follow: true
    stage_target: Text1202
    pipeline_target: none
    status_map: '{"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed", "Törölve": "Cancelled"}'
`)
	h := &followedOrder{t: t, name: name, acts: acts, ae: ae, sb: sb}
	_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: name, Object: "order", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	require.NoError(t, h.scan(ae))
	o := sb.UNAS.Dump()[0]
	h.key, h.was = o.Key, string(o.Status)
	return h
}

// scan runs a PipelineSync scan in env.
func (h *followedOrder) scan(env *testsuite.TestActivityEnvironment) error {
	_, err := env.ExecuteActivity(h.acts.PropagateStages, StageInput{Connection: h.name})
	return err
}

// status is the MiniCRM status of the order's card.
func (h *followedOrder) status() string { return fmt.Sprint(orderCard(h.t, h.sb, h.key)["StatusId"]) }

// setStatus changes the order's status a second after anything before (UNAS times are to the
// second), and waits a second more so that a read after it tells it apart.
func (h *followedOrder) setStatus(status string) {
	time.Sleep(1100 * time.Millisecond)
	h.sb.UNAS.SetStatus(h.key, status)
	time.Sleep(1100 * time.Millisecond)
}

// useCards makes the connection write the cards through wrap's connector.
func (h *followedOrder) useCards(wrap func(*minicrm.Client) connectors.Connector) {
	ca, cb, err := h.acts.Conns.Connectors(h.name)
	require.NoError(h.t, err)
	h.acts.Conns.use(h.name, ca, wrap(cb.(*minicrm.Client)))
}

// PipelineSync's scan and IncrementalSync's pass may meet on one order (one UNAS webhook
// wakes both). The pass saves the pair it read before the scan moved the card; the stage
// the scan records is not put back to the old one by it, so when the order later returns to
// that status, the card follows.
func TestAStageMovedDuringASyncPassIsNotPutBack(t *testing.T) {
	h := newFollowedOrder(t, "rc", "{a: key, b: Name}, {a: status_name, b: Text1202}")
	before := h.status()
	var suite testsuite.WorkflowTestSuite
	ae2 := suite.NewTestActivityEnvironment()
	ae2.RegisterActivity(h.acts)
	scanned := make(chan struct{})
	h.useCards(func(c *minicrm.Client) connectors.Connector {
		return &scanDuring{Client: c, scan: func() {
			// The scan reads the pair now, while the pass holds it; it records its stage
			// once the pass has saved the pair it read before.
			go func() { defer close(scanned); assert.NoError(t, h.scan(ae2)) }()
			time.Sleep(200 * time.Millisecond)
		}}
	})

	h.setStatus("Törölve")
	_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "rc", Object: "order", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	<-scanned
	require.NotEqual(t, before, h.status())

	h.setStatus(h.was) // the cancellation is undone
	require.NoError(t, h.scan(h.ae))
	assert.Equal(t, before, h.status(), "the card went back with the order")
}

// failFieldWrite fails, once, the write that follows a card's status (its UNAS Status field),
// as an outage between two PUTs would.
type failFieldWrite struct {
	*minicrm.Client
	fail bool
}

func (f *failFieldWrite) Update(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	if _, status := recs[0].Fields["StatusId"]; f.fail && !status {
		f.fail = false
		return nil, &connectors.Error{Kind: connectors.KindRetryable, System: "minicrm", Op: "PUT /Project/{id}", Status: 503, Message: "unavailable"}
	}
	return f.Client.Update(ctx, object, recs)
}

// A card moved to a new status whose other writes then failed, and whose order went back
// before the retry, is moved back: the stage whose writes began is recorded first, so the
// retry knows the card may show it.
func TestACardMovedBeforeAFailureFollowsTheOrderBack(t *testing.T) {
	h := newFollowedOrder(t, "fp", "{a: key, b: Name}")
	before := h.status()
	f := &failFieldWrite{}
	h.useCards(func(c *minicrm.Client) connectors.Connector { f.Client = c; return f })

	h.setStatus("Törölve")
	f.fail = true
	require.Error(t, h.scan(h.ae), "the field write failed after the status moved")
	require.NotEqual(t, before, h.status(), "the card shows Cancelled")

	h.setStatus(h.was) // the cancellation is undone before the retry
	require.NoError(t, h.scan(h.ae))
	assert.Equal(t, before, h.status(), "the card went back with the order")
	assert.Equal(t, h.was, orderCard(t, h.sb, h.key)["Text1202"])
}

// An opportunity of a pipeline the connection binds to nothing (Sellsy's "Partenariats",
// pipeline 2, here) gets no affaire: the guide's configurations are for the pipelines a user
// needs. Those of bound pipelines do.
func TestAnOpportunityOfAnUnboundPipelineMakesNoAffaire(t *testing.T) {
	h := newStageHarness(t, twoPipelines)
	unbound := h.opportunity("Partenariat X", "2", "21")
	bound := h.opportunity("Projet Y", "1", "11")
	v, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	var r PassResult
	require.NoError(t, v.Get(&r))
	assert.Equal(t, 1, r.Counts.CreatedB, "%+v", r.Counts)
	assert.Equal(t, 1, r.Counts.Filtered, "%+v", r.Counts)
	pairs, err := h.st.Pairs(h.ctx, "st", "opportunity", store.SideA, []string{unbound, bound})
	require.NoError(t, err)
	assert.NotContains(t, pairs, unbound)
	assert.Contains(t, pairs, bound)
}

// failOnEvent is Altior answering 503 to one event code while fail is set.
type failOnEvent struct {
	*altior.Client
	code string
	fail bool
}

func (f *failOnEvent) AddEvent(ctx context.Context, object, id, code string) error {
	if f.fail && code == f.code {
		return &connectors.Error{Kind: connectors.KindRetryable, System: "altior", Op: "POST /affaires/{id}/events", Status: 503}
	}
	return f.Client.AddEvent(ctx, object, id, code)
}

// A jump forward that failed half-way (Altior down on an event) owes the rest of its events
// even when the opportunity moved back before the retry: the step being written was reached.
func TestEventsOwedByAFailedJumpGoAfterAMoveBack(t *testing.T) {
	h := newStageHarness(t, twoPipelines)
	opp := h.opportunity("Projet", "1", "11")
	_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	require.Equal(t, 1, h.propagate(opp).Emitted)

	f := &failOnEvent{code: "NEGOCIATION", fail: true}
	useSideB(t, h.acts, "st", func(c *altior.Client) connectors.Connector { f.Client = c; return f })
	require.NoError(t, h.sellsy.MoveStep(h.ctx, opp, "12")) // 11 → 14 → 12: PROPOSITION, NEGOCIATION
	_, err = h.ae.ExecuteActivity(h.acts.PropagateStages, StageInput{Connection: "st", IDs: []string{opp}})
	require.Error(t, err, "Altior down on NEGOCIATION")
	require.NoError(t, h.sellsy.MoveStep(h.ctx, opp, "14")) // moved back before the retry
	f.fail = false
	h.propagate(opp)
	assert.Equal(t, []string{"QUALIF", "PROPOSITION", "NEGOCIATION"}, h.affaire(opp).Fields["events"])
	assert.Equal(t, "Proposition", h.affaire(opp).Fields["cf.ETAP"], "the step it is at")
}
