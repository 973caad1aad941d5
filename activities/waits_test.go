package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

const contactOfTiers = `  - name: contact
    match: {a: email, b: email}
    links: [company]
    fields: [{a: email, b: email}, {a: last_name, b: last_name}]
`

// A contact whose company is not paired yet is held back: Altior has no contact without a
// tiers. Once the company is paired (ticked SA = yes, given its SIRET, created later), the
// contact goes down at the next pass although it did not change, and an incremental read
// would not see it again.
func TestAContactHeldForItsCompanyGoesOnceTheCompanyIsPaired(t *testing.T) {
	h := newAltiorPair(t, companiesOnSIRET("true")+contactOfTiers)
	h.pass("company", "a", ModeImport)
	h.pass("contact", "a", ModeImport)

	company := h.create(h.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Nouvelle SARL", "type": "prospect"}})
	contact := h.create(h.sellsy, connectors.ObjectContact, connectors.Record{
		Fields: map[string]any{"last_name": "Martin", "email": "martin@nouvelle.example"}, Links: map[string]string{connectors.ObjectCompany: company}})

	// The next passes run an hour later: what the contact pass reads now, it does not read
	// again (its cursor moves past the records' last change).
	later := time.Now().Add(time.Hour)
	h.acts.Now = func() time.Time { return later }
	c := h.pass("contact", "a", ModeIncremental)
	assert.Equal(t, 1, c.Filtered, "held back: its company is not paired: %+v", c)
	assert.Zero(t, c.CreatedB+c.Quarantined, "%+v", c)
	ready, err := h.st.ReadyWaits(h.ctx, "sa", "contact", store.SideA, 0)
	require.NoError(t, err)
	assert.Empty(t, ready, "its company is not paired")

	c = h.pass("company", "a", ModeIncremental)
	require.Equal(t, 1, c.CreatedB, "%+v", c)
	ready, err = h.st.ReadyWaits(h.ctx, "sa", "contact", store.SideA, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{contact}, ready)

	later = later.Add(time.Hour)
	c = h.pass("contact", "a", ModeIncremental)
	assert.Equal(t, 1, c.CreatedB, "the contact went down with its company: %+v", c)
	pairs, err := h.st.Pairs(h.ctx, "sa", "contact", store.SideA, []string{contact})
	require.NoError(t, err)
	require.Contains(t, pairs, contact)
	companies, err := h.st.Pairs(h.ctx, "sa", "company", store.SideA, []string{company})
	require.NoError(t, err)
	got, err := h.altior.Get(h.ctx, connectors.ObjectContact, []string{pairs[contact].BID})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, companies[company].BID, got[0].Links[connectors.ObjectCompany])

	later = later.Add(time.Hour)
	c = h.pass("contact", "a", ModeIncremental)
	assert.Equal(t, Counts{}, c, "nothing waits any more")
}

// Automation takes a contact without its company: the contact goes at once, and its company
// link follows once the company is paired, without the contact changing again.
func TestAContactsLinkFollowsOnceItsCompanyIsPaired(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)

	res, err := h.sellsy.Create(h.ctx, connectors.ObjectCompany, []connectors.Record{{Fields: map[string]any{"name": "Later SAS", "type": "prospect"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	company := res[0].ID
	res, err = h.sellsy.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{
		Fields: map[string]any{"last_name": "Later", "email": "later@example.com"}, Links: map[string]string{connectors.ObjectCompany: company}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	contact := res[0].ID

	later := time.Now().Add(time.Hour)
	h.acts.Now = func() time.Time { return later }
	c := h.pass("contact", "a", ModeIncremental) // before its company's pass
	require.Equal(t, 1, c.CreatedB, "%+v", c)
	c = h.pass("company", "a", ModeIncremental)
	require.Equal(t, 1, c.CreatedB, "%+v", c)

	later = later.Add(time.Hour)
	c = h.pass("contact", "a", ModeIncremental)
	assert.Equal(t, 1, c.UpdatedB, "the link went: %+v", c)
	pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{contact})
	require.NoError(t, err)
	companies, err := h.st.Pairs(h.ctx, "t", "company", store.SideA, []string{company})
	require.NoError(t, err)
	got, err := h.mautic.Get(h.ctx, connectors.ObjectContact, []string{pairs[contact].BID})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, companies[company].BID, got[0].Links[connectors.ObjectCompany])
}
