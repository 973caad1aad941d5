package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// A Sellsy contact whose e-mail is cleared must not get, at the next Altior pass,
// another of the Altior contact's addresses (its accounting one) as its e-mail.
func TestClearedContactEmailDoesNotComeBackAsAnother(t *testing.T) {
	h := newAltiorPair(t, `  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
  - name: contact
    match: {a: email, b: email}
    links: [company]
    initial: {match: true}
    fields: [{a: email, b: email}, {a: last_name, b: last_name}]
`)
	h.pass("company", "a", ModeImport)
	company := h.firstCompany()
	pr, err := h.st.Pairs(h.ctx, "sa", "company", store.SideA, []string{company})
	require.NoError(t, err)
	tiers := pr[company].BID
	ac := h.create(h.altior, connectors.ObjectContact, connectors.Record{Fields: map[string]any{"last_name": "Dupont", "email.PRINCIPAL": "lea@dupont.example.com", "email.COMPTABILITE": "compta@dupont.example.com"},
		Links: map[string]string{"company": tiers}})
	h.pass("contact", "b", ModeImport)
	cp, err := h.st.Pairs(h.ctx, "sa", "contact", store.SideB, []string{ac})
	require.NoError(t, err)
	require.Contains(t, cp, ac)
	sc := cp[ac].AID

	res, err := h.sellsy.Update(h.ctx, connectors.ObjectContact, []connectors.Record{{ID: sc, Fields: map[string]any{"email": nil}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	h.pass("contact", "a", ModeIncremental)
	h.pass("contact", "b", ModeIncremental)
	got, err := h.sellsy.Get(h.ctx, connectors.ObjectContact, []string{sc})
	require.NoError(t, err)
	assert.Nil(t, got[0].Fields["email"], "the e-mail cleared in Sellsy stays cleared, not replaced by the accounting address")
}
