package activities

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// The mark of a side the import does not import is when the import began, not when its pass
// runs: a tiers created in Altior while earlier objects were importing is new, and goes. A
// pass given no cycle start (run on its own) marks its own start.
func TestTheMarkOfASkippedSideIsWhenTheImportBegan(t *testing.T) {
	tests := []struct {
		name       string
		cycleStart bool
		wantInSync int
	}{
		{"marked at the import's start", true, 1},
		{"marked when its pass runs", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newAltiorPair(t, `  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    initial: {from_b: false, match: true}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
`)
			var importStart time.Time
			if tt.cycleStart {
				importStart = time.Now().UTC()
			}
			time.Sleep(1100 * time.Millisecond) // creation times are to the second
			// Earlier objects import meanwhile; a user creates a tiers in Altior.
			h.create(h.altior, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"kind": "moral", "relation": "client", "name": "Nouveau client"}})
			time.Sleep(1100 * time.Millisecond)
			_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "sa", Object: "company", Side: "b", Mode: ModeMark, CycleStart: importStart})
			require.NoError(t, err)

			c := h.pass("company", "b", ModeIncremental)
			found, err := h.sellsy.FindByKey(h.ctx, connectors.ObjectCompany, "name", []string{"Nouveau client"})
			require.NoError(t, err)
			assert.Len(t, found, tt.wantInSync, "%+v", c)
		})
	}
}

// A paired record switched to no at the gate (SA = no in Sellsy) stays at no when its
// counterpart changes: the gate is joined only by a record found by key, never forced back
// on one the user opted out.
func TestAPairedRecordOptedOutAtTheGateStaysOut(t *testing.T) {
	h := newHarnessYAML(t, "both", "filter: {a: {cf.cf_bool: true}}")
	h.pass("contact", "a", ModeImport)
	h.pass("contact", "b", ModeImport)
	require.Equal(t, true, h.person(h.sellsy, 12).Fields["cf.cf_bool"], "found by key at no, person 12 joined the gate")

	h.edit(h.sellsy, 12, map[string]any{"cf.cf_bool": false})
	h.pass("contact", "a", ModeIncremental)
	time.Sleep(1100 * time.Millisecond) // Automation's modification times are to the second
	h.edit(h.mautic, 12, map[string]any{"position": "Directrice"})
	h.pass("contact", "b", ModeIncremental)

	assert.Equal(t, false, h.person(h.sellsy, 12).Fields["cf.cf_bool"], "the user's no is not switched back to yes")
}

// A Sellsy contact whose e-mail an Altior contact holds as another of its e-mails (Altior
// finds contacts by any of them) is neither paired with it, which could merge two people
// sharing an address, nor created beside it as a duplicate: it is quarantined naming both.
// Found by the main e-mail, it is paired, also when a contact with the other one is read
// with it.
func TestAContactFoundByAnotherOfItsEmailsIsNotCreatedAgain(t *testing.T) {
	const main, accounting = "p@martin.example", "x@martin.example"
	tests := []struct {
		name        string
		emails      []string // of the Sellsy contacts
		wantPaired  string   // the e-mail of the one paired with the Altior contact
		wantHeldOut string   // the e-mail of the one quarantined
	}{
		{"by its accounting e-mail", []string{accounting}, "", accounting},
		{"by its main e-mail", []string{main}, main, ""},
		{"both on one page", []string{main, accounting}, main, accounting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newAltiorPair(t, companiesOnSIRET("true")+`  - name: contact
    match: {a: email, b: email}
    links: [company]
    fields: [{a: email, b: email, direction: a_to_b}, {a: last_name, b: last_name, direction: a_to_b}]
`)
			h.pass("company", "a", ModeImport)
			company := h.firstCompany()
			pairs, err := h.st.Pairs(h.ctx, "sa", "company", store.SideA, []string{company})
			require.NoError(t, err)
			existing := h.create(h.altior, connectors.ObjectContact, connectors.Record{
				Fields: map[string]any{"last_name": "Martin", "email.PRINCIPAL": main, "email.COMPTABILITE": accounting},
				Links:  map[string]string{connectors.ObjectCompany: pairs[company].BID}})
			byEmail := map[string]string{}
			for _, e := range tt.emails {
				byEmail[e] = h.create(h.sellsy, connectors.ObjectContact, connectors.Record{
					Fields: map[string]any{"last_name": "Martin", "email": e}, Links: map[string]string{connectors.ObjectCompany: company}})
			}

			c := h.pass("contact", "a", ModeImport)

			for _, e := range tt.emails {
				found, err := h.altior.FindByKey(h.ctx, connectors.ObjectContact, "email", []string{e})
				require.NoError(t, err)
				assert.Len(t, found, 1, "no second Altior contact: %+v", c)
			}
			paired, err := h.st.Pairs(h.ctx, "sa", "contact", store.SideA, slices.Collect(maps.Values(byEmail)))
			require.NoError(t, err)
			if tt.wantPaired != "" {
				assert.Equal(t, existing, paired[byEmail[tt.wantPaired]].BID)
			}
			if tt.wantHeldOut == "" {
				assert.Zero(t, c.Quarantined, "%+v", c)
				return
			}
			heldOut := byEmail[tt.wantHeldOut]
			assert.NotContains(t, paired, heldOut)
			assert.Equal(t, 1, c.Quarantined, "%+v", c)
			q := h.quarantine()
			require.Len(t, q, 1)
			assert.Equal(t, heldOut, q[0].RecordID)
			assert.Equal(t, "its email is altior record "+existing+"'s email.COMPTABILITE, not its email: neither paired with it nor created as a second one; if they are the same, make it "+existing+"'s email (or give this record that one); if not, take it off "+existing+"'s email.COMPTABILITE", q[0].Reason)
		})
	}
}

// An affaire is created in its pipeline's establishment ("Grands comptes" in E2), not the
// connection's (E1).
func TestAnAffaireIsCreatedInItsPipelinesEstablishment(t *testing.T) {
	h := newStageHarness(t, twoPipelines)
	opp := h.opportunity("Projet", "3", "31")
	_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	assert.Equal(t, "E2", h.affaire(opp).Fields["establishment_id"])
}

// inItsEstablishment gives a side-B create its pipeline's establishment, and keeps one the
// record sets itself.
func TestInItsEstablishment(t *testing.T) {
	h := newStageHarness(t, twoPipelines)
	tests := []struct {
		name     string
		side     string
		pipeline string
		fields   map[string]any
		want     any
	}{
		{"Ventes", "a", "1", nil, "E1"},
		{"Grands comptes", "a", "3", nil, "E2"},
		{"its own establishment", "a", "3", map[string]any{"establishment_id": "E9"}, "E9"},
		{"a pipeline not bound", "a", "2", nil, nil},
		{"a create on Sellsy", "b", "3", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := h.acts.newPass(h.ctx, PassInput{Connection: "st", Object: "opportunity", Side: tt.side})
			require.NoError(t, err)
			got := p.inItsEstablishment(connectors.Record{Fields: map[string]any{"pipeline_id": tt.pipeline}}, tt.fields)
			assert.Equal(t, tt.want, got["establishment_id"])
		})
	}
}

// mergesOnName answers the create of a company with the company of the same name when there
// is one, written over with the create's fields, as Automation's /companies/new and
// batch/new do without force.
type mergesOnName struct{ connectors.Connector }

func (m *mergesOnName) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	if object != connectors.ObjectCompany {
		return m.Connector.Create(ctx, object, recs)
	}
	out := make([]connectors.Result, 0, len(recs))
	for _, r := range recs {
		same, err := m.FindByKey(ctx, object, "companyname", []string{r.Fields["companyname"].(string)})
		if err != nil {
			return out, err
		}
		if len(same) == 0 {
			res, err := m.Connector.Create(ctx, object, []connectors.Record{r})
			if err != nil {
				return out, err
			}
			out = append(out, res[0])
			continue
		}
		res, err := m.Update(ctx, object, []connectors.Record{{ID: same[0].ID, Fields: r.Fields}})
		if err != nil {
			return out, err
		}
		out = append(out, connectors.Result{ID: same[0].ID, Err: res[0].Err})
	}
	return out, nil
}

// A create answered with a record that belongs to another (two establishments "Dupont SA"
// with different SIRETs, merged by Automation into one company) does not take that record's
// pair: it is quarantined naming the owner, and the owner's values are written back on the
// merged record, so that the next pass does not carry the second SIRET over the first.
func TestACreateMergedIntoAnotherRecordDoesNotTakeItsPair(t *testing.T) {
	tests := []struct {
		name      string
		samePage  bool
		wantOwner string
	}{
		{"paired before", false, "already paired with sellsy record %s"},
		{"created on the same page", true, "given to sellsy record %s of the same page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessObjects(t, "both", `
  - name: company
    match: {a: siret, b: siret}
    fields:
      - {a: name, b: companyname}
      - {a: siret, b: siret}
      - {a: email, b: companyemail}
`)
			h.acts.Conns.use("t", h.sellsy, &mergesOnName{h.mautic})
			company := func(siret, email string) string {
				res, err := h.sellsy.Create(h.ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Dupont SA", "siret": siret, "email": email}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
				return res[0].ID
			}
			lyon := company("11111111100011", "lyon@dupont.example")
			if !tt.samePage {
				h.pass("company", "a", ModeImport)
				h.pass("company", "b", ModeImport)
				time.Sleep(1100 * time.Millisecond) // modification times are to the second
			}
			paris := company("11111111100029", "paris@dupont.example")
			c := h.pass("company", "a", ModeIncremental)
			assert.Equal(t, 1, c.Quarantined, "%+v", c)

			pairs, err := h.st.Pairs(h.ctx, "t", "company", store.SideA, []string{lyon, paris})
			require.NoError(t, err)
			require.Contains(t, pairs, lyon, "the first establishment keeps its pair")
			assert.NotContains(t, pairs, paris)
			q, err := h.st.ListQuarantine(h.ctx, "t", 10)
			require.NoError(t, err)
			require.Len(t, q, 1)
			assert.Equal(t, paris, q[0].RecordID)
			assert.Equal(t, "mautic answered its create with its existing record "+pairs[lyon].BID+" (merged into it), "+fmt.Sprintf(tt.wantOwner, lyon)+
				": not paired with it, which would take that pair; to sync it, make it differ from the other in what mautic merges on (a name, an e-mail), or create its counterpart on mautic by hand, then retry it from the quarantine", q[0].Reason)

			merged, err := h.mautic.Get(h.ctx, connectors.ObjectCompany, []string{pairs[lyon].BID})
			require.NoError(t, err)
			require.Len(t, merged, 1)
			assert.Equal(t, "11111111100011", merged[0].Fields["siret"], "the first establishment's values written back")
			assert.Equal(t, "lyon@dupont.example", merged[0].Fields["companyemail"])
			time.Sleep(1100 * time.Millisecond)
			h.pass("company", "b", ModeIncremental)
			got, err := h.sellsy.Get(h.ctx, connectors.ObjectCompany, []string{lyon})
			require.NoError(t, err)
			assert.Equal(t, "11111111100011", strings.ReplaceAll(got[0].Fields["siret"].(string), " ", ""), "the second SIRET does not reach the first establishment")
		})
	}
}

// A create merged into a record whose owner is gone (deleted in Sellsy, where deletions do not
// travel) takes its pair, as a record found by key does.
func TestACreateMergedIntoARecordWhoseOwnerIsGoneTakesItsPair(t *testing.T) {
	h := newHarnessObjects(t, "both", `
  - name: company
    match: {a: siret, b: siret}
    fields:
      - {a: name, b: companyname}
      - {a: siret, b: siret}
`)
	h.acts.Conns.use("t", h.sellsy, &mergesOnName{h.mautic})
	company := func(siret string) string {
		res, err := h.sellsy.Create(h.ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Dupont SA", "siret": siret}}})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		return res[0].ID
	}
	gone := company("11111111100011")
	h.pass("company", "a", ModeImport)
	before, err := h.st.Pairs(h.ctx, "t", "company", store.SideA, []string{gone})
	require.NoError(t, err)
	res, err := h.sellsy.Delete(h.ctx, connectors.ObjectCompany, []string{gone})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	time.Sleep(1100 * time.Millisecond)

	successor := company("11111111100029")
	c := h.pass("company", "a", ModeIncremental)
	assert.Zero(t, c.Quarantined, "%+v", c)
	after, err := h.st.Pairs(h.ctx, "t", "company", store.SideA, []string{successor})
	require.NoError(t, err)
	assert.Equal(t, before[gone].BID, after[successor].BID)
}
