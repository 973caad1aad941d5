package activities

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/store"
)

// An Automation contact with no weavy contact became an entrant; when a weavy user later
// creates the contact with that e-mail, the contact takes the pair (the seed's rule updates
// the contact when there is one) and the entrant is reported — not the contact quarantined as
// a duplicate while Automation's edits go on reaching the entrant.
func TestAWeavyContactTakesThePairOfItsEntrant(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	r.round(ModeImport, nil)
	const person = 70 // in Automation only: the import made an entrant of them
	ctx := context.Background()
	_, automation, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	found, err := automation.FindByKey(ctx, connectors.ObjectContact, "email", []string{simkit.PersonAt(person).Email})
	require.NoError(t, err)
	require.Len(t, found, 1)
	mautic := found[0].ID
	pairs, err := r.st.Pairs(ctx, r.name, "contact", store.SideB, []string{mautic})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(pairs[mautic].AID, "e:"), "paired with an entrant: %+v", pairs[mautic])
	entrant := pairs[mautic].AID

	r.sb.Weavy.SeedPeople(person, 1) // a weavy user creates the contact
	// The contact takes the pair, the entrant is reported as superseded; read later in the
	// same pass (entrants come after contacts), the entrant is reported again, as the
	// contact's duplicate, which is the reason that stays.
	c := r.pass("contact", "a", ModeIncremental)
	assert.Equal(t, 2, c.Quarantined, "the entrant is reported: %+v", c)
	pairs, err = r.st.Pairs(ctx, r.name, "contact", store.SideB, []string{mautic})
	require.NoError(t, err)
	assert.Equal(t, "c:CC0000070", pairs[mautic].AID, "the contact holds the pair")
	q, err := r.st.ListQuarantine(ctx, r.name, 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, entrant, q[0].RecordID)
	assert.Equal(t, "duplicate email: its mautic record "+mautic+" is already paired with weavy record c:CC0000070", q[0].Reason)

	// Automation's edits now reach the contact.
	_, err = automation.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: mautic, Fields: map[string]any{"lastname": "Contact"}}})
	require.NoError(t, err)
	r.pass("contact", "b", ModeImport)
	for _, rec := range r.sb.Weavy.Dump("customercontact") {
		if rec["codecustomercontact"] == "CC0000070" {
			assert.Equal(t, "Contact", rec["lastName"])
		}
	}
}
