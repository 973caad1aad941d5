package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/store"
)

// exampleAltior is the example Sellsy ⇄ Altior connection with its two connectors.
type exampleAltior struct {
	*exampleRun
	ctx    context.Context
	sellsy *sellsy.Client
	altior connectors.Connector
}

func startExampleAltior(t *testing.T) *exampleAltior {
	r := startExample(t, "sellsy-altior")
	ca, cb, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	return &exampleAltior{exampleRun: r, ctx: context.Background(), sellsy: ca.(*sellsy.Client), altior: cb}
}

func (x *exampleAltior) create(c connectors.Connector, object string, rec connectors.Record) string {
	x.t.Helper()
	res, err := c.Create(x.ctx, object, []connectors.Record{rec})
	require.NoError(x.t, err)
	require.NoError(x.t, res[0].Err)
	return res[0].ID
}

func (x *exampleAltior) update(c connectors.Connector, object, id string, fields map[string]any) {
	x.t.Helper()
	res, err := c.Update(x.ctx, object, []connectors.Record{{ID: id, Fields: fields}})
	require.NoError(x.t, err)
	require.NoError(x.t, res[0].Err)
}

func (x *exampleAltior) get(c connectors.Connector, object, id string) connectors.Record {
	x.t.Helper()
	got, err := c.Get(x.ctx, object, []string{id})
	require.NoError(x.t, err)
	require.Len(x.t, got, 1, "%s %s %s", c.System(), object, id)
	return got[0]
}

// pair returns the pair of a side-A record, ok false when it has none.
func (x *exampleAltior) pair(object, id string) (store.Pair, bool) {
	x.t.Helper()
	pairs, err := x.st.Pairs(x.ctx, x.name, object, store.SideA, []string{id})
	require.NoError(x.t, err)
	p, ok := pairs[id]
	return p, ok
}

// reasons returns the quarantine's reasons by record id.
func (x *exampleAltior) reasons() map[string]string {
	x.t.Helper()
	q, err := x.st.ListQuarantine(x.ctx, x.name, 100)
	require.NoError(x.t, err)
	out := map[string]string{}
	for _, e := range q {
		out[e.RecordID] = e.Reason
	}
	return out
}

// Data as an ERP holds it, through the example connection: accents and apostrophes and a
// legal form named by its label go down as written (the form as its code); two Sellsy
// companies with one SIRET make one tiers, the second quarantined naming the first; a contact
// with no company is quarantined, Altior having no contact without a tiers; a tiers whose
// name is longer than Sellsy takes is quarantined with Sellsy's reason; a tiers without an
// e-mail comes up without one.
func TestExampleAltiorDataEdges(t *testing.T) {
	x := startExampleAltior(t)
	accents := x.create(x.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "L'Atelier d'Émile & Fils", "type": "client",
		"siret": "55512345600018", "cf.SA": true, "phone_number": "04.78.00.00.01", "legal_form": "Association"}})
	first := x.create(x.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Doublon 1", "type": "client", "siret": "55512345600026", "cf.SA": true}})
	second := x.create(x.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Doublon 2", "type": "client", "siret": "55512345600026", "cf.SA": true}})
	orphan := x.create(x.sellsy, connectors.ObjectContact, connectors.Record{Fields: map[string]any{"last_name": "O'Brien", "first_name": "Seán", "email": "sean@example.org", "cf.SA": true}})
	long := x.create(x.altior, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"kind": "moral", "relation": "prospect", "name": strings.Repeat("Très long nom ", 20)}})
	noMail := x.create(x.altior, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"kind": "moral", "relation": "client", "name": "Sans Mail SA", "siret": "55512345600034", "phone.PRINCIPALE": "+33 (0)4 78 00 00 02"}})
	x.round(ModeImport, nil)
	reasons := x.reasons()

	p, ok := x.pair("company", accents)
	require.True(t, ok)
	tiers := x.get(x.altior, connectors.ObjectCompany, p.BID)
	assert.Equal(t, "L'Atelier d'Émile & Fils", tiers.Fields["name"])
	assert.Equal(t, "AS", tiers.Fields["legal_form"], "the legal form named by its label is written as its code")
	assert.Equal(t, "04.78.00.00.01", tiers.Fields["phone.PRINCIPALE"], "a phone goes as written")

	_, ok = x.pair("company", first)
	assert.True(t, ok)
	_, ok = x.pair("company", second)
	assert.False(t, ok)
	assert.Contains(t, reasons[second], "duplicate siret")
	assert.Contains(t, reasons[second], first)

	assert.Contains(t, reasons[orphan], `"company"`, "a contact without a company cannot be an Altior contact")
	assert.Contains(t, reasons[long], "250 caractères")

	pairs, err := x.st.Pairs(x.ctx, x.name, "company", store.SideB, []string{noMail})
	require.NoError(t, err)
	require.Contains(t, pairs, noMail)
	company := x.get(x.sellsy, connectors.ObjectCompany, pairs[noMail].AID)
	assert.Nil(t, company.Fields["email"])
	assert.Equal(t, "+33 (0)4 78 00 00 02", company.Fields["phone_number"])
	assert.Equal(t, true, company.Fields["cf.SA"])
}

// A tiers deleted in Altior's screens is not created again by a change of its Sellsy company,
// and nothing is deleted in Sellsy (counted missing); a tiers created again in Altior with its
// SIRET is paired with the company, not brought up as a second one.
func TestExampleAltiorTiersDeletedInAltior(t *testing.T) {
	x := startExampleAltior(t)
	company := x.create(x.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Menuiserie Roche", "type": "client", "siret": "55512345600018", "cf.SA": true}})
	x.round(ModeImport, nil)
	p, ok := x.pair("company", company)
	require.True(t, ok)
	require.True(t, x.sb.Altior.Remove("tiers", p.BID))
	tiers, companies := x.sb.Altior.Count("tiers"), x.sb.Sellsy.Count("companies")

	x.update(x.sellsy, connectors.ObjectCompany, company, map[string]any{"name": "Menuiserie Roche et Fils"})
	c := x.pass("company", "a", ModeIncremental)
	assert.Equal(t, 1, c.Missing, "%+v", c)
	assert.Zero(t, c.CreatedB+c.Quarantined, "%+v", c)
	assert.Equal(t, tiers, x.sb.Altior.Count("tiers"), "not created again")
	assert.Equal(t, companies, x.sb.Sellsy.Count("companies"), "nothing deleted in Sellsy")
	x.get(x.sellsy, connectors.ObjectCompany, company)

	time.Sleep(1100 * time.Millisecond) // Altior's changed_since is to the second
	again := x.create(x.altior, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"kind": "moral", "relation": "client", "name": "Menuiserie Roche et Fils", "siret": "55512345600018"}})
	x.round(ModeIncremental, nil)
	x.round(ModeIncremental, nil)
	p, ok = x.pair("company", company)
	require.True(t, ok)
	assert.Equal(t, again, p.BID, "paired with the tiers created again")
	assert.Equal(t, companies, x.sb.Sellsy.Count("companies"), "no second company")
	assert.Empty(t, x.reasons())
}

// SA back to no: a Sellsy change no longer goes down and the tiers stays (the sync deletes
// nothing); a change made in Altior still comes up without switching SA back to yes; switched
// to yes again, the company goes down at the next cycle.
func TestExampleAltiorSABackToNo(t *testing.T) {
	x := startExampleAltior(t)
	company := x.create(x.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Menuiserie Roche", "type": "client", "siret": "55512345600018", "cf.SA": true, "phone_number": "04 78 00 00 01"}})
	x.round(ModeImport, nil)
	p, ok := x.pair("company", company)
	require.True(t, ok)
	time.Sleep(1100 * time.Millisecond)

	x.update(x.sellsy, connectors.ObjectCompany, company, map[string]any{"cf.SA": false, "phone_number": "04 78 00 00 09"})
	x.round(ModeIncremental, nil)
	tiers := x.get(x.altior, connectors.ObjectCompany, p.BID)
	assert.Equal(t, "04 78 00 00 01", tiers.Fields["phone.PRINCIPALE"], "at SA = no nothing goes down")

	time.Sleep(1100 * time.Millisecond)
	x.update(x.altior, connectors.ObjectCompany, p.BID, map[string]any{"url.WEB": "https://roche.example"})
	x.round(ModeIncremental, nil)
	got := x.get(x.sellsy, connectors.ObjectCompany, company)
	assert.Equal(t, "https://roche.example", got.Fields["website"], "Altior's changes still come up")
	assert.Equal(t, false, got.Fields["cf.SA"], "the sync never switches SA back to yes")

	time.Sleep(1100 * time.Millisecond)
	x.update(x.sellsy, connectors.ObjectCompany, company, map[string]any{"cf.SA": true})
	x.round(ModeIncremental, nil)
	tiers = x.get(x.altior, connectors.ObjectCompany, p.BID)
	assert.Equal(t, "04 78 00 00 09", tiers.Fields["phone.PRINCIPALE"], "switched to yes again, it goes down")
}
