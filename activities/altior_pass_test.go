package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	altiorsim "github.com/crmsync/crmsync/connectors/altior/sim"
	"github.com/crmsync/crmsync/connectors/sellsy"
	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
)

// altiorPair is a Sellsy ⇄ Altior connection on the sandbox's simulators (Sellsy people 0–4
// and their companies), with its activities and connectors.
type altiorPair struct {
	t      *testing.T
	ctx    context.Context
	acts   *Activities
	st     store.Store
	ae     *testsuite.TestActivityEnvironment
	sb     *sandbox.Sandbox
	sellsy *sellsy.Client
	altior *altior.Client
}

// newAltiorPair starts the simulators and the connection whose objects are given as YAML.
func newAltiorPair(t *testing.T, objects string) *altiorPair {
	t.Helper()
	acts, st, ae, sb := sellsyAltiorConnection(t, "sa", "objects:\n"+objects)
	ca, cb, err := acts.Conns.Connectors("sa")
	require.NoError(t, err)
	return &altiorPair{t: t, ctx: context.Background(), acts: acts, st: st, ae: ae, sb: sb, sellsy: ca.(*sellsy.Client), altior: cb.(*altior.Client)}
}

// pass runs one SyncPass of an object from a side and returns its counts.
func (h *altiorPair) pass(object, side, mode string) Counts {
	h.t.Helper()
	c, err := h.tryPass(object, side, mode)
	require.NoError(h.t, err)
	return c
}

func (h *altiorPair) tryPass(object, side, mode string) (Counts, error) {
	v, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "sa", Object: object, Side: side, Mode: mode})
	if err != nil {
		return Counts{}, err
	}
	var r PassResult
	require.NoError(h.t, v.Get(&r))
	return r.Counts, nil
}

// create creates one record on a side and returns its id.
func (h *altiorPair) create(c connectors.Connector, object string, r connectors.Record) string {
	h.t.Helper()
	res, err := c.Create(h.ctx, object, []connectors.Record{r})
	require.NoError(h.t, err)
	require.NoError(h.t, res[0].Err)
	return res[0].ID
}

// firstCompany returns the id of a Sellsy company of the sandbox.
func (h *altiorPair) firstCompany() string {
	h.t.Helper()
	p, err := h.sellsy.List(h.ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 1})
	require.NoError(h.t, err)
	return p.Records[0].ID
}

// affaires returns Altior's affaires.
func (h *altiorPair) affaires() []connectors.Record {
	h.t.Helper()
	p, err := h.altior.List(h.ctx, altior.ObjectAffaire, connectors.ListQuery{Limit: 1000})
	require.NoError(h.t, err)
	return p.Records
}

func (h *altiorPair) quarantine() []store.QuarantineEntry {
	h.t.Helper()
	q, err := h.st.ListQuarantine(h.ctx, "sa", 100)
	require.NoError(h.t, err)
	return q
}

const companyToTiers = `  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    fields: [{a: name, b: name, direction: a_to_b}, {a: siret, b: siret, direction: a_to_b}, {a: type, b: relation, direction: a_to_b}]
`

const opportunityToAffaire = `  - name: individual
    b_object: company
    match: {a: email, b: email.PRINCIPAL}
    filter: {b: {kind: physical}}
    fields: [{a: last_name, b: last_name, direction: a_to_b}, {a: email, b: email.PRINCIPAL, direction: a_to_b}, {a: type, b: relation, direction: a_to_b}]
  - name: opportunity
    b_object: affaire
    match: {a: id, b: cf.SLSY}
    links: [company, individual]
    fields: [{a: name, b: title, direction: a_to_b}]
`

// Opportunities pair with affaires on the Sellsy id written into the affaire's SLSY custom
// field, not on their name: two opportunities with one name get two affaires, an affaire made
// by hand under that name is left alone, and an affaire an interrupted pass created is paired
// rather than created again.
func TestOpportunitiesPairOnTheSellsyID(t *testing.T) {
	tests := []struct {
		name          string
		opportunities []string
		handMade      bool // an affaire with the same title, made in Altior
		interrupted   bool // the first opportunity's affaire exists already, with its SLSY
		idField       bool // the id is also mapped as a field: {a: id, b: cf.SLSY, direction: a_to_b}
		wantCreated   int
		wantAffaires  int
	}{
		{name: "two opportunities with one name", opportunities: []string{"Rénovation", "Rénovation"}, wantCreated: 2, wantAffaires: 2},
		{name: "a hand-made affaire with the same title", opportunities: []string{"Rénovation"}, handMade: true, wantCreated: 1, wantAffaires: 2},
		{name: "an affaire created by an interrupted pass", opportunities: []string{"Rénovation", "Extension"}, interrupted: true, wantCreated: 1, wantAffaires: 2},
		{name: "the id mapped as a field too", opportunities: []string{"Rénovation", "Rénovation"}, idField: true, wantCreated: 2, wantAffaires: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objects := opportunityToAffaire
			if tt.idField {
				objects = strings.Replace(objects, "fields: [{a: name, b: title, direction: a_to_b}]", "fields: [{a: name, b: title, direction: a_to_b}, {a: id, b: cf.SLSY, direction: a_to_b}]", 1)
			}
			h := newAltiorPair(t, companyToTiers+objects)
			h.pass("company", "a", ModeImport)
			company := h.firstCompany()
			pr, err := h.st.Pairs(h.ctx, "sa", "company", store.SideA, []string{company})
			require.NoError(t, err)
			tiers := pr[company].BID
			require.NotEmpty(t, tiers)
			var handMade string
			if tt.handMade {
				handMade = h.create(h.altior, altior.ObjectAffaire, connectors.Record{Fields: map[string]any{"title": "Rénovation"}, Links: map[string]string{"company": tiers}})
			}
			var opps []string
			for _, name := range tt.opportunities {
				opps = append(opps, h.create(h.sellsy, sellsy.ObjectOpportunity, connectors.Record{
					Fields: map[string]any{"name": name, "pipeline_id": "1", "step_id": "11"}, Links: map[string]string{"company": company}}))
			}
			if tt.interrupted {
				h.create(h.altior, altior.ObjectAffaire, connectors.Record{Fields: map[string]any{"title": tt.opportunities[0], "cf.SLSY": opps[0]}, Links: map[string]string{"company": tiers}})
			}

			c := h.pass("opportunity", "a", ModeImport)
			assert.Equal(t, tt.wantCreated, c.CreatedB, "%+v", c)
			assert.Zero(t, c.Quarantined, "%+v", c)
			assert.Len(t, h.affaires(), tt.wantAffaires)
			pairs, err := h.st.Pairs(h.ctx, "sa", "opportunity", store.SideA, opps)
			require.NoError(t, err)
			require.Len(t, pairs, len(opps))
			seen := map[string]bool{}
			for _, opp := range opps {
				b := pairs[opp].BID
				assert.False(t, seen[b], "one affaire per opportunity")
				assert.NotEqual(t, handMade, b, "the hand-made affaire is not paired")
				seen[b] = true
				got, err := h.altior.Get(h.ctx, altior.ObjectAffaire, []string{b})
				require.NoError(t, err)
				require.Len(t, got, 1)
				assert.Equal(t, opp, got[0].Fields["cf.SLSY"])
			}
			if handMade != "" {
				got, err := h.altior.Get(h.ctx, altior.ObjectAffaire, []string{handMade})
				require.NoError(t, err)
				assert.Nil(t, got[0].Fields["cf.SLSY"], "the hand-made affaire is left alone")
			}
			again := h.pass("opportunity", "a", ModeIncremental)
			assert.Zero(t, again.CreatedB+again.UpdatedB, "%+v", again)
			assert.Equal(t, len(opps), again.Unchanged, "%+v", again)
		})
	}
}

// companiesOnSIRET is Sellsy companies → Altior tiers, matched on SIRET, with an
// initial.match choice ("" leaves it unset).
func companiesOnSIRET(match string) string {
	initial := ""
	if match != "" {
		initial = "    initial: {match: " + match + "}\n"
	}
	return companyToTiers + initial
}

// The guide's "match on SIRET" through a sync pass: unset, a company without a SIRET is
// quarantined; yes, companies pair with the Altior tiers of the same SIRET and one without a
// SIRET is created; no, nothing is matched and every company is created. A second pass
// creates nothing either way.
func TestCompaniesMatchOnSIRET(t *testing.T) {
	tests := []struct {
		name            string
		match           string
		wantPairedSIRET bool
		wantQuarantined int
		wantNoSIRET     int // tiers made for the company without a SIRET
	}{
		{name: "unset: a SIRET is required", match: "", wantPairedSIRET: true, wantQuarantined: 1},
		{name: "yes: pair on SIRET, create the others", match: "true", wantPairedSIRET: true, wantNoSIRET: 1},
		{name: "no: pair through the id map only", match: "false", wantNoSIRET: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newAltiorPair(t, companiesOnSIRET(tt.match))
			h.sb.Altior.SeedTiers(0, 5) // the same companies, with the same SIRETs
			seeded := h.sb.Altior.Count(altiorsim.ObjectTiers)
			companies, err := h.sellsy.List(h.ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 100})
			require.NoError(t, err)
			n := len(companies.Records)
			require.Equal(t, seeded, n)
			prospect := h.create(h.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Prospect sans SIRET", "type": "prospect"}})

			c := h.pass("company", "a", ModeImport)
			assert.Equal(t, tt.wantQuarantined, c.Quarantined, "%+v", c)
			assert.Len(t, h.quarantine(), tt.wantQuarantined)
			wantCreated := tt.wantNoSIRET
			if !tt.wantPairedSIRET {
				wantCreated += n
			}
			assert.Equal(t, wantCreated, c.CreatedB, "%+v", c)
			assert.Equal(t, seeded+wantCreated, h.sb.Altior.Count(altiorsim.ObjectTiers))

			ids := []string{prospect}
			for _, r := range companies.Records {
				ids = append(ids, r.ID)
			}
			pairs, err := h.st.Pairs(h.ctx, "sa", "company", store.SideA, ids)
			require.NoError(t, err)
			for _, r := range companies.Records {
				got, err := h.altior.Get(h.ctx, connectors.ObjectCompany, []string{pairs[r.ID].BID})
				require.NoError(t, err)
				require.Len(t, got, 1)
				assert.Equal(t, r.Fields["siret"], got[0].Fields["siret"])
				onSeeded := got[0].Fields["cf.SECT"] != nil // only the seeded tiers have a sector
				assert.Equal(t, tt.wantPairedSIRET, onSeeded, "company %s paired with a seeded tiers", r.ID)
			}
			_, prospectPaired := pairs[prospect]
			assert.Equal(t, tt.wantNoSIRET == 1, prospectPaired)

			again := h.pass("company", "a", ModeImport)
			assert.Zero(t, again.CreatedB, "%+v", again)
			assert.Equal(t, seeded+wantCreated, h.sb.Altior.Count(altiorsim.ObjectTiers))
		})
	}
}

// lostAnswer creates the records, then loses the answer once, as when the worker dies (or the
// connection drops) between the create and the saving of the pairs.
type lostAnswer struct {
	connectors.Connector
	lose bool
}

func (l *lostAnswer) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	res, err := l.Connector.Create(ctx, object, recs)
	if l.lose {
		l.lose = false
		return nil, &connectors.Error{Kind: connectors.KindRetryable, System: "altior", Op: "POST /tiers", Message: "connection reset"}
	}
	return res, err
}

// A company without a SIRET cannot be found again on Altior: when the answer to its create is
// lost, the retried pass does not create it a second time but quarantines it for someone to
// check, while the companies with a SIRET are found by it and paired.
func TestRetriedCreateWithoutKeyIsNotDuplicated(t *testing.T) {
	tests := []struct {
		name            string
		lose            bool
		addSIRET        bool // the prospect is given a SIRET before the retry
		wantQuarantined int
	}{
		{name: "answer received", wantQuarantined: 0},
		{name: "answer lost", lose: true, wantQuarantined: 1},
		{name: "answer lost, then a SIRET given", lose: true, addSIRET: true, wantQuarantined: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newAltiorPair(t, companiesOnSIRET("true"))
			flaky := &lostAnswer{Connector: h.altior, lose: tt.lose}
			h.acts.Conns.use("sa", h.sellsy, flaky)
			prospect := h.create(h.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Prospect sans SIRET", "type": "prospect"}})
			companies, err := h.sellsy.List(h.ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 100})
			require.NoError(t, err)
			n := len(companies.Records)

			_, err = h.tryPass("company", "a", ModeImport)
			if tt.lose {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "connection reset")
			} else {
				require.NoError(t, err)
			}
			if tt.addSIRET {
				res, err := h.sellsy.Update(h.ctx, connectors.ObjectCompany, []connectors.Record{{ID: prospect, Fields: map[string]any{"siret": "55555555500012"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
				got, err := h.sellsy.Get(h.ctx, connectors.ObjectCompany, []string{prospect})
				require.NoError(t, err)
				require.Equal(t, "55555555500012", got[0].Fields["siret"])
			}
			retry := h.pass("company", "a", ModeImport) // Temporal's retry, or the next cycle
			assert.Zero(t, retry.CreatedB, "%+v", retry)
			assert.Equal(t, n, h.sb.Altior.Count(altiorsim.ObjectTiers), "each company once")
			q := h.quarantine()
			require.Len(t, q, tt.wantQuarantined)
			if tt.wantQuarantined > 0 {
				assert.Contains(t, q[0].Reason, "an earlier attempt to create it on altior was interrupted")
				assert.Contains(t, q[0].Reason, "no siret")
			}
			n2, err := h.st.CountPairs(h.ctx, "sa", "company")
			require.NoError(t, err)
			assert.Equal(t, n-tt.wantQuarantined, n2, "the companies with a SIRET are paired")
			if tt.wantQuarantined == 0 {
				return
			}
			// Until someone has looked, a pass that reads it again (the next cycle's overlap
			// window, a resync, an edit) holds it still rather than create it.
			held := h.pass("company", "a", ModeImport)
			assert.Zero(t, held.CreatedB, "%+v", held)
			assert.Equal(t, 1, held.Quarantined, "%+v", held)
			assert.Equal(t, n, h.sb.Altior.Count(altiorsim.ObjectTiers), "still each company once")
			require.Len(t, h.quarantine(), 1)
			// Once someone has looked (here, they keep both), the retry from the quarantine
			// creates it, once.
			v, err := h.ae.ExecuteActivity(h.acts.RetryQuarantined, RetryInput{Connection: "sa"})
			require.NoError(t, err)
			var rr RetryResult
			require.NoError(t, v.Get(&rr))
			assert.Equal(t, 1, rr.Resolved, "%+v", rr)
			assert.Equal(t, n+1, h.sb.Altior.Count(altiorsim.ObjectTiers))
			assert.Empty(t, h.quarantine())
			again := h.pass("company", "a", ModeImport)
			assert.Zero(t, again.CreatedB+again.Quarantined, "%+v", again)
		})
	}
}

// An opportunity whose company or individual is not paired yet (at SA = no, or not synced
// yet) is held back, not quarantined; it goes down once its third party is paired, to the
// tiers of that third party.
func TestOpportunityWaitsForItsThirdParty(t *testing.T) {
	tests := []struct {
		name, object string
		fields       map[string]any
	}{
		{name: "company", object: connectors.ObjectCompany, fields: map[string]any{"name": "Nouvelle SARL", "type": "prospect"}},
		{name: "individual", object: sellsy.ObjectIndividual, fields: map[string]any{"last_name": "Durand", "email": "durand@example.com", "type": "prospect"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newAltiorPair(t, companiesOnSIRET("true")+opportunityToAffaire)
			h.pass("company", "a", ModeImport)
			third := h.create(h.sellsy, tt.object, connectors.Record{Fields: tt.fields})
			opp := h.create(h.sellsy, sellsy.ObjectOpportunity, connectors.Record{
				Fields: map[string]any{"name": "Projet", "pipeline_id": "1", "step_id": "11"}, Links: map[string]string{tt.object: third}})

			for range 2 { // every cycle reads opportunities again: held back each time, quietly
				c := h.pass("opportunity", "a", ModeIncremental)
				assert.Equal(t, 1, c.Filtered, "%+v", c)
				assert.Zero(t, c.Quarantined+c.CreatedB, "%+v", c)
			}
			assert.Empty(t, h.quarantine())
			assert.Empty(t, h.affaires())

			h.pass(tt.object, "a", ModeImport)
			c := h.pass("opportunity", "a", ModeIncremental)
			assert.Equal(t, 1, c.CreatedB, "%+v", c)
			tp, err := h.st.Pairs(h.ctx, "sa", tt.object, store.SideA, []string{third})
			require.NoError(t, err)
			op, err := h.st.Pairs(h.ctx, "sa", "opportunity", store.SideA, []string{opp})
			require.NoError(t, err)
			got, err := h.altior.Get(h.ctx, altior.ObjectAffaire, []string{op[opp].BID})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tp[third].BID, got[0].Links["company"])
		})
	}
}

// "Export existing Altior tiers: no" (initial.from_b false): tiers that existed when the
// import skipped Altior stay there even once edited; tiers created since go up to Sellsy.
func TestExistingTiersStayInAltiorOnceEdited(t *testing.T) {
	tests := []struct {
		name        string
		newTiers    bool // create a tiers after the mark, rather than edit an old one
		wantCreated int
	}{
		{name: "an existing tiers, edited", wantCreated: 0},
		{name: "a tiers created since", newTiers: true, wantCreated: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newAltiorPair(t, `  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    initial: {from_b: false}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
`)
			h.sb.Altior.SeedTiers(100, 3) // companies Sellsy does not have
			old, err := h.altior.List(h.ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 100})
			require.NoError(t, err)
			require.NotEmpty(t, old.Records)
			time.Sleep(1100 * time.Millisecond) // creation times are compared to the second
			h.pass("company", "b", ModeMark)
			h.pass("company", "a", ModeImport)
			before := h.sb.Sellsy.Count("companies")

			if tt.newTiers {
				h.create(h.altior, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"kind": "moral", "relation": "prospect", "name": "Tiers nouveau", "siret": "98765432100012"}})
			} else {
				res, err := h.altior.Update(h.ctx, connectors.ObjectCompany, []connectors.Record{{ID: old.Records[0].ID, Fields: map[string]any{"name": "Tiers renommé"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			c := h.pass("company", "b", ModeIncremental)
			assert.Equal(t, tt.wantCreated, c.CreatedA, "%+v", c)
			assert.Equal(t, before+tt.wantCreated, h.sb.Sellsy.Count("companies"))
		})
	}
}

// stopsAtSecond creates the first record of a batch, creates the second but loses its answer
// (a 5xx after the write), and does not send the rest: the Results a connector gives when a
// call stops on an error that is not one record's (see altior.Client.Create).
type stopsAtSecond struct {
	connectors.Connector
	done bool
}

func (s *stopsAtSecond) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	if s.done || len(recs) < 3 {
		return s.Connector.Create(ctx, object, recs)
	}
	s.done = true
	res, err := s.Connector.Create(ctx, object, recs[:2])
	if err != nil {
		return nil, err
	}
	res[1] = connectors.Result{}
	for range recs[2:] {
		res = append(res, connectors.Result{Err: &connectors.Error{Kind: connectors.KindRetryable, System: "altior", Op: "create", Message: "not sent", Unsent: true}})
	}
	return res, &connectors.Error{Kind: connectors.KindRetryable, System: "altior", Op: "POST /tiers", Message: "503 Service Unavailable"}
}

// When a call stops in the middle of a page, only the record whose fate is unknown is held
// for a check; those created are paired and those not sent are created by the retry.
func TestOnlyTheUnknownCreateIsHeld(t *testing.T) {
	h := newAltiorPair(t, companiesOnSIRET("false")) // nothing matched: every create is key-less
	flaky := &stopsAtSecond{Connector: h.altior}
	h.acts.Conns.use("sa", h.sellsy, flaky)
	for _, name := range []string{"Prospect A", "Prospect B", "Prospect C"} {
		h.create(h.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": name, "type": "prospect"}})
	}
	companies, err := h.sellsy.List(h.ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 100})
	require.NoError(t, err)
	n := len(companies.Records)

	_, err = h.tryPass("company", "a", ModeImport)
	require.Error(t, err)
	assert.Equal(t, 2, h.sb.Altior.Count(altiorsim.ObjectTiers))
	retry := h.pass("company", "a", ModeImport)
	assert.Equal(t, n-2, retry.CreatedB, "the ones not sent: %+v", retry)
	assert.Equal(t, 1, retry.Quarantined, "the one whose answer was lost: %+v", retry)
	assert.Equal(t, n, h.sb.Altior.Count(altiorsim.ObjectTiers), "each company once")
	q := h.quarantine()
	require.Len(t, q, 1)
	assert.Contains(t, q[0].Reason, "interrupted")
	pairs, err := h.st.CountPairs(h.ctx, "sa", "company")
	require.NoError(t, err)
	assert.Equal(t, n-1, pairs)
}

// An object paired on the Sellsy id with a field that travels back (title → name) is also
// read from Altior: an affaire not paired yet that holds an opportunity's id in cf.SLSY is
// found by that id on Sellsy (which has no search by id) and paired, not refused.
func TestAffaireFindsItsOpportunityByID(t *testing.T) {
	// The filter gives the opportunities created from affaires the pipeline and step Sellsy
	// requires, which the fields carry only to Altior.
	objects := strings.Replace(opportunityToAffaire, "fields: [{a: name, b: title, direction: a_to_b}]", "filter: {a: {pipeline_id: \"1\", step_id: \"11\"}}\n    fields: [{a: name, b: title, direction: both}, {a: pipeline_id, b: cf.PIPE, direction: a_to_b}, {a: step_id, b: cf.ETAP, direction: a_to_b}]", 1)
	h := newAltiorPair(t, companyToTiers+objects)
	h.pass("company", "a", ModeImport)
	company := h.firstCompany()
	pr, err := h.st.Pairs(h.ctx, "sa", "company", store.SideA, []string{company})
	require.NoError(t, err)
	opp := h.create(h.sellsy, sellsy.ObjectOpportunity, connectors.Record{
		Fields: map[string]any{"name": "Rénovation", "pipeline_id": "1", "step_id": "11"}, Links: map[string]string{"company": company}})
	aff := h.create(h.altior, altior.ObjectAffaire, connectors.Record{Fields: map[string]any{"title": "Rénovation", "cf.SLSY": opp}, Links: map[string]string{"company": pr[company].BID}})

	c := h.pass("opportunity", "b", ModeImport)
	assert.Zero(t, c.CreatedA+c.Quarantined, "%+v", c)
	pairs, err := h.st.Pairs(h.ctx, "sa", "opportunity", store.SideB, []string{aff})
	require.NoError(t, err)
	assert.Equal(t, opp, pairs[aff].AID)
}

// Altior's custom-field search is exact and case-sensitive (API.md): a company matched on a
// custom field whose value has capitals finds its tiers by the value as written, not lowered,
// and is paired rather than created a second time.
func TestMatchOnACustomFieldKeepsItsCase(t *testing.T) {
	h := newAltiorPair(t, `  - name: company
    match: {a: cf.CODE, b: cf.SECT}
    filter: {b: {kind: moral}}
    initial: {match: true}
    fields: [{a: name, b: name, direction: a_to_b}, {a: cf.CODE, b: cf.SECT, direction: a_to_b}, {a: type, b: relation, direction: a_to_b}]
`)
	h.sb.Sellsy.AddCustomField(sellsysim.CustomField{Code: "CODE", Type: "simple-text", Related: []string{"client", "prospect"}})
	company := h.create(h.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Casse SARL", "type": "prospect", "cf.CODE": "AbC-42"}})
	tiers := h.create(h.altior, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"kind": "moral", "relation": "prospect", "name": "Casse SARL", "cf.SECT": "AbC-42"}})

	_, err := h.acts.Conns.Config("sa") // the custom field is described from now on
	require.NoError(t, err)
	h.pass("company", "a", ModeImport)
	pairs, err := h.st.Pairs(h.ctx, "sa", "company", store.SideA, []string{company})
	require.NoError(t, err)
	assert.Equal(t, tiers, pairs[company].BID, "paired with the tiers of the same code")
	same, err := h.altior.FindByKey(h.ctx, connectors.ObjectCompany, "cf.SECT", []string{"AbC-42"})
	require.NoError(t, err)
	assert.Len(t, same, 1, "no second tiers with that code")
}

// Sellsy sets a company's type at creation only (its update body has no type). A company
// matched on SIRET with an Altior tiers of another relation leaves the tiers its relation
// (the ERP's client stays a client), whichever side is read, and nothing is written that
// Sellsy would ignore: the next full reads of both sides find every pair unchanged. An edit
// of the relation in Altior stays there too. A tiers created on Sellsy gives it its relation.
func TestCreateOnlyTypeTravelsFromSellsyOnceMatched(t *testing.T) {
	for _, side := range []string{"a", "b"} {
		t.Run("read from "+side, func(t *testing.T) {
			h := newAltiorPair(t, `  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    initial: {match: true}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
`)
			h.sb.Altior.SeedTiers(0, 5) // the Sellsy companies' SIRETs, as clients
			h.create(h.altior, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{
				"kind": "moral", "relation": "supplier", "name": "Fournisseur Altior", "siret": "99999999999999"}})
			sellsyCompanies, err := h.sellsy.List(h.ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 100})
			require.NoError(t, err)
			require.NotEmpty(t, sellsyCompanies.Records)
			for _, r := range sellsyCompanies.Records {
				require.Equal(t, "prospect", r.Fields["type"], "the sandbox's companies are prospects")
			}

			first := h.pass("company", side, ModeImport)
			other := map[string]string{"a": "b", "b": "a"}[side]
			h.pass("company", other, ModeImport)
			assert.Zero(t, first.UpdatedA+first.UpdatedB, "matched as they are: %+v", first)

			tiers := func(siret string) connectors.Record {
				t.Helper()
				got, err := h.altior.FindByKey(h.ctx, connectors.ObjectCompany, "siret", []string{siret})
				require.NoError(t, err)
				require.Len(t, got, 1)
				return got[0]
			}
			for _, r := range sellsyCompanies.Records {
				assert.Equal(t, "client", tiers(r.Fields["siret"].(string)).Fields["relation"], "the ERP keeps its relation")
			}
			supplier, err := h.sellsy.FindByKey(h.ctx, connectors.ObjectCompany, "siret", []string{"99999999999999"})
			require.NoError(t, err)
			require.Len(t, supplier, 1)
			assert.Equal(t, "supplier", supplier[0].Fields["type"], "a create sets the type")

			for _, s := range []string{"a", "b"} {
				c := h.pass("company", s, ModeImport)
				assert.Equal(t, c.Read, c.Unchanged, "full read of side %s: %+v", s, c)
			}

			// A prospect made a supplier in Altior stays one; the name edited with it travels.
			edited := tiers(sellsyCompanies.Records[0].Fields["siret"].(string))
			res, err := h.altior.Update(h.ctx, connectors.ObjectCompany, []connectors.Record{{ID: edited.ID, Fields: map[string]any{"relation": "supplier", "name": "Renamed"}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			c := h.pass("company", "b", ModeImport)
			assert.Equal(t, 1, c.UpdatedA, "%+v", c)
			assert.Zero(t, c.UpdatedB, "%+v", c)
			assert.Equal(t, "supplier", tiers(sellsyCompanies.Records[0].Fields["siret"].(string)).Fields["relation"])
			for _, s := range []string{"a", "b"} {
				c := h.pass("company", s, ModeImport)
				assert.Equal(t, c.Read, c.Unchanged, "full read of side %s after the edit: %+v", s, c)
			}
		})
	}
}

// lostEach creates the records and then answers each with a failure that may come after the
// write (a per-record call whose answer was lost: a timeout, a panic decoding it).
type lostEach struct {
	connectors.Connector
	err  error
	done bool
}

func (l *lostEach) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	res, err := l.Connector.Create(ctx, object, recs)
	if l.done || err != nil {
		return res, err
	}
	l.done = true
	for i := range res {
		res[i] = connectors.Result{Err: l.err}
	}
	return res, nil
}

// A record whose own create failed in a way that may come after the write stays in flight:
// the retried pass looks before creating (a key-less one is held for a check) instead of
// creating it twice. A record refused (a 4xx: nothing written) is quarantined with its reason.
func TestPerRecordLostCreateStaysInFlight(t *testing.T) {
	tests := []struct {
		name            string
		err             error
		wantQuarantined string
	}{
		{name: "lost answer", err: &connectors.Error{Kind: connectors.KindRetryable, System: "altior", Op: "POST /tiers", Message: "context deadline exceeded"},
			wantQuarantined: "interrupted"},
		{name: "panic decoding the answer", err: &connectors.Error{Kind: connectors.KindConfig, System: "altior", Op: "POST /tiers", Message: "panic", Panicked: true},
			wantQuarantined: "interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newAltiorPair(t, companiesOnSIRET("false")) // nothing matched: every create is key-less
			h.acts.Conns.use("sa", h.sellsy, &lostEach{Connector: h.altior, err: tt.err})
			h.create(h.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Prospect A", "type": "prospect"}})
			companies, err := h.sellsy.List(h.ctx, connectors.ObjectCompany, connectors.ListQuery{Limit: 100})
			require.NoError(t, err)
			n := len(companies.Records)

			_, err = h.tryPass("company", "a", ModeImport)
			require.Error(t, err)
			require.Equal(t, n, h.sb.Altior.Count(altiorsim.ObjectTiers), "created, answer lost")
			retry := h.pass("company", "a", ModeImport)
			assert.Zero(t, retry.CreatedB, "%+v", retry)
			assert.Equal(t, n, h.sb.Altior.Count(altiorsim.ObjectTiers), "each company once")
			q := h.quarantine()
			require.Len(t, q, n)
			assert.Contains(t, q[0].Reason, tt.wantQuarantined)
		})
	}
}
