package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// In an ERP a person often has only a phone: the example connection creates a Sellsy
// individual or contact at SA = yes without an e-mail in Altior (initial.match: true) instead
// of quarantining it for the missing match key.
func TestExamplePersonsWithoutAnEmailAreCreated(t *testing.T) {
	r := startExample(t, "sellsy-altior")
	ctx := context.Background()
	ca, cb, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	sl := ca.(*sellsy.Client)
	create := func(object string, rec connectors.Record) string {
		t.Helper()
		res, err := sl.Create(ctx, object, []connectors.Record{rec})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		return res[0].ID
	}
	company := create(connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Menuiserie Roche", "type": "client", "siret": "55512345600018", "cf.SA": true}})
	individual := create(sellsy.ObjectIndividual, connectors.Record{Fields: map[string]any{"last_name": "Roche", "first_name": "Paul", "type": "client", "phone_number": "+33 4 78 00 00 01", "cf.SA": true}})
	contact := create(connectors.ObjectContact, connectors.Record{Fields: map[string]any{"last_name": "Roche", "first_name": "Anne", "phone_number": "+33 4 78 00 00 02", "cf.SA": true},
		Links: map[string]string{connectors.ObjectCompany: company}})

	r.round(ModeImport, nil)
	for object, id := range map[string]string{"individual": individual, "contact": contact} {
		pairs, err := r.st.Pairs(ctx, r.name, object, "a", []string{id})
		require.NoError(t, err)
		require.Contains(t, pairs, id, "the %s without an e-mail is paired", object)
		got, err := cb.Get(ctx, map[string]string{"individual": connectors.ObjectCompany, "contact": connectors.ObjectContact}[object], []string{pairs[id].BID})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "Roche", got[0].Fields["last_name"], object)
	}
	q, err := r.st.ListQuarantine(ctx, r.name, 100)
	require.NoError(t, err)
	for _, e := range q {
		assert.NotContains(t, []string{individual, contact}, e.RecordID, "%+v", e)
	}
	r.settled(ModeIncremental, "after the import")
}
