package activities

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// failCompanyCustomFields answers 503 to the first n PUTs of a company's custom fields.
type failCompanyCustomFields struct {
	mu sync.Mutex
	n  int
}

func (f *failCompanyCustomFields) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/v2/companies/") && strings.HasSuffix(r.URL.Path, "/custom-fields") {
		f.mu.Lock()
		fail := f.n > 0
		f.n--
		f.mu.Unlock()
		if fail {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Content-Type": {"application/json"}}, Body: http.NoBody, Request: r}, nil
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// An Altior tiers created in Sellsy whose second call (the custom fields, SA = yes among
// them) fails is created once: its pair is saved with the id the POST returned, the page
// fails for the outage, and the retry writes what was missing instead of creating the
// company again.
func TestACreateHalfDoneIsNotCreatedAgain(t *testing.T) {
	h := newAltiorPair(t, `  - name: company
    match: {a: siret, b: siret}
    filter: {a: {cf.SA: true}, b: {kind: moral}}
    initial: {match: true}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
`)
	sc, err := sellsy.New(sellsy.Config{APIURL: h.sb.SellsyURL + "/v2", TokenURL: h.sb.SellsyURL + "/oauth2/access-tokens", ClientID: "id", ClientSecret: "secret",
		RequestsPerSecond: 1000, HTTPClient: &http.Client{Transport: &failCompanyCustomFields{n: 3}}})
	require.NoError(t, err)
	h.acts.Conns.use("sa", sc, h.altior)
	tiers := h.create(h.altior, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"kind": "moral", "name": "Prospect Sans Siret", "relation": "prospect"}})

	_, err = h.tryPass("company", "b", ModeImport)
	require.Error(t, err, "the outage fails the page")
	h.pass("company", "b", ModeImport) // the retry

	found, err := h.sellsy.FindByKey(h.ctx, connectors.ObjectCompany, "name", []string{"Prospect Sans Siret"})
	require.NoError(t, err)
	require.Len(t, found, 1, "one Sellsy company for one Altior tiers")
	got, err := h.sellsy.Get(h.ctx, connectors.ObjectCompany, []string{found[0].ID})
	require.NoError(t, err)
	assert.Equal(t, true, got[0].Fields["cf.SA"], "SA = yes written by the retry")
	pairs, err := h.st.Pairs(h.ctx, "sa", "company", "b", []string{tiers})
	require.NoError(t, err)
	assert.Equal(t, found[0].ID, pairs[tiers].AID)
}

// A Sellsy individual whose e-mail is a company tiers' in Altior is not paired with it (the
// pair would turn the company into a physical person): it is reported, and the tiers stays
// a company.
func TestAnIndividualIsNotPairedWithACompanyTiers(t *testing.T) {
	h := newAltiorPair(t, `  - name: individual
    b_object: company
    match: {a: email, b: email.PRINCIPAL}
    filter: {a: {cf.SA: true}, b: {kind: physical}}
    fields: [{a: last_name, b: last_name}, {a: first_name, b: first_name}, {a: email, b: email.PRINCIPAL}, {a: type, b: relation}]
`)
	tiers := h.create(h.altior, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"kind": "moral", "name": "Martin Plomberie", "relation": "client", "email.PRINCIPAL": "jean.martin@example.com"}})
	person := h.create(h.sellsy, sellsy.ObjectIndividual, connectors.Record{Fields: map[string]any{"last_name": "Martin", "first_name": "Jean", "email": "jean.martin@example.com", "type": "client", "cf.SA": true}})
	c := h.pass("individual", "a", ModeImport)
	assert.Equal(t, 1, c.Quarantined, "%+v", c)
	got, err := h.altior.Get(h.ctx, connectors.ObjectCompany, []string{tiers})
	require.NoError(t, err)
	assert.Equal(t, "moral", got[0].Fields["kind"], "a company tiers does not become a physical person")
	q, err := h.st.ListQuarantine(h.ctx, "sa", 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, person, q[0].RecordID)
	assert.Equal(t, "its email matches altior record "+tiers+", whose kind is moral, not physical as this object's: not paired with it", q[0].Reason)
}
