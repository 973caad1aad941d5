package activities

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/store"
)

// useWeavyTables runs r on the weavy ⇄ Automation example with contact_tables set to tables
// ("" leaves it out: both) and edits made, on r's store, as a connection file edited while it
// runs.
func (r *exampleRun) useWeavyTables(tables string, edits ...func(string) string) *config.Connection {
	r.t.Helper()
	data, err := os.ReadFile("../config/examples/weavy-mautic.yaml")
	require.NoError(r.t, err)
	yaml := strings.NewReplacer("http://127.0.0.1:18083", r.sb.WeavyURL, "http://127.0.0.1:18082", r.sb.MauticURL,
		`requests_per_second: "10"`, `requests_per_second: "1000"`).Replace(string(data))
	if tables != "" {
		yaml = strings.Replace(yaml, "# contact_tables: [contacts, entrants]", "contact_tables: "+tables, 1)
		require.Contains(r.t, yaml, "contact_tables: "+tables)
	}
	for _, edit := range edits {
		yaml = edit(yaml)
	}
	conn, err := config.Parse("weavy-mautic.yaml", []byte(yaml))
	require.NoError(r.t, err)
	r.acts = &Activities{Conns: NewConnections([]*config.Connection{conn}), Store: r.st}
	var suite testsuite.WorkflowTestSuite
	r.ae = suite.NewTestActivityEnvironment()
	r.ae.RegisterActivity(r.acts)
	return conn
}

// pairedWith returns the weavy id the Automation contact of person is paired with ("" when
// unpaired), and that contact's id.
func (r *exampleRun) pairedWith(person int) (weavyID, automationID string) {
	r.t.Helper()
	ctx := context.Background()
	_, automation, err := r.acts.Conns.Connectors(r.name)
	require.NoError(r.t, err)
	found, err := automation.FindByKey(ctx, connectors.ObjectContact, "email", []string{simkit.PersonAt(person).Email})
	require.NoError(r.t, err)
	require.Len(r.t, found, 1)
	pairs, err := r.st.Pairs(ctx, r.name, "contact", store.SideB, []string{found[0].ID})
	require.NoError(r.t, err)
	return pairs[found[0].ID].AID, found[0].ID
}

// With contact_tables: [contacts], an Automation contact that no weavy contact has the e-mail
// of is created nowhere — not made an entrant, nor quarantined as a failed create: it is left
// out, counted as filtered, and a push of it says why; the entrants are not read. (Before,
// the contact object always covered both tables.)
func TestContactsOnlyLeavesAutomationContactsWithoutWeavyContactOut(t *testing.T) {
	r := startExample(t, "weavy-mautic") // weavy: contacts 30–49, entrants 55–64; Automation: 40–79
	conn := r.useWeavyTables("[contacts]")
	entrants := r.sb.Weavy.Dump("marketinginbound")

	a, b := r.contactImport()
	assert.Equal(t, 20, a.Read, "the weavy contacts alone are read, not the entrants: %+v", a)
	assert.Zero(t, b.CreatedA, "no entrant created: %+v", b)
	assert.Zero(t, b.Quarantined, "%+v", b)
	assert.Equal(t, 30, b.Filtered, "Automation's people 50–79 have no weavy contact: left out, counted: %+v", b)
	assert.Equal(t, entrants, r.sb.Weavy.Dump("marketinginbound"), "the entrants are left as they are")

	for person, want := range map[int]string{45: "c:CC0000045", 60: "", 70: ""} { // 60 is an entrant
		got, _ := r.pairedWith(person)
		assert.Equal(t, want, got, "person %d", person)
	}
	q, err := r.st.ListQuarantine(context.Background(), r.name, 10)
	require.NoError(t, err)
	assert.Empty(t, q)

	o, ok := conn.Object("contact")
	require.True(t, ok)
	assert.Contains(t, LeftOutReasons(conn, o, "b"),
		"its records are not created on side a, since weavy creates a contact as an entrant, and a.settings.contact_tables (contacts) leaves entrants out: one that no record there matches by its email is left alone")
	for _, why := range LeftOutReasons(conn, o, "a") {
		assert.NotContains(t, why, "contact_tables", "weavy contacts are created in Automation as before")
	}

	// Nothing is written by a second round: the contacts left out stay left out.
	r.settled(ModeIncremental, "after the import")
}

// Switching entrants off on a running connection deletes nothing and writes nothing to the
// entrants: a pair with an entrant stays in the store, left alone (an edit of its Automation
// contact counts as missing, as a pair whose counterpart cannot be read), and syncs again
// once entrants are back.
func TestSwitchingEntrantsOffLeavesTheirPairsAlone(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	r.useWeavyTables("") // both, on a store of the test's
	r.round(ModeImport, nil)
	const person = 70 // Automation only: the import made an entrant of them
	entrant, mautic := r.pairedWith(person)
	require.True(t, strings.HasPrefix(entrant, "e:"), entrant)
	entrants := r.sb.Weavy.Count("marketinginbound")

	r.useWeavyTables("[contacts]")
	ctx := context.Background()
	_, automation, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	_, err = automation.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: mautic, Fields: map[string]any{"lastname": "Pendant"}}})
	require.NoError(t, err)
	time.Sleep(1100 * time.Millisecond) // both systems time their records to the second
	c := r.pass("contact", "b", ModeIncremental)
	assert.Zero(t, c.CreatedA+c.UpdatedA+c.Quarantined, "%+v", c)
	assert.Equal(t, 1, c.Missing, "the pair is left alone: %+v", c)
	r.pass("contact", "a", ModeIncremental)
	got, _ := r.pairedWith(person)
	assert.Equal(t, entrant, got, "the pair stays")
	assert.Equal(t, entrants, r.sb.Weavy.Count("marketinginbound"))
	for _, e := range r.sb.Weavy.Dump("marketinginbound") {
		assert.NotEqual(t, "Pendant", e["lastName"], "nothing written to an entrant")
	}

	// Entrants back: the pair syncs again from the next change on.
	r.useWeavyTables("[contacts, entrants]")
	_, err = automation.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: mautic, Fields: map[string]any{"lastname": "Après"}}})
	require.NoError(t, err)
	time.Sleep(1100 * time.Millisecond)
	c = r.pass("contact", "b", ModeIncremental)
	assert.Equal(t, 1, c.UpdatedA, "%+v", c)
	var names []any
	for _, e := range r.sb.Weavy.Dump("marketinginbound") {
		names = append(names, e["lastName"])
	}
	assert.Contains(t, names, "Après")
}

// With contact_tables: [entrants], weavy contacts are neither read nor written: an Automation
// contact becomes an entrant, or updates the entrant of its e-mail, even when a weavy contact
// has that e-mail; the fields mapped are the entrants' (a weavy contact's own field mapped,
// such as the NPAI date, pauses the connection naming it).
func TestEntrantsOnlyMakesAutomationContactsEntrants(t *testing.T) {
	r := startExample(t, "weavy-mautic") // weavy: contacts 30–49, entrants 55–64; Automation: 40–79
	const npai = "      - {a: bouncedEmailDetected, b: bounced_at, direction: b_to_a}\n"
	r.useWeavyTables("[entrants]", func(yaml string) string {
		require.Contains(t, yaml, npai)
		return strings.Replace(yaml, npai, "", 1)
	})
	contacts := r.sb.Weavy.Dump("customercontact")

	a, b := r.contactImport()
	assert.Equal(t, 10, a.Read, "the entrants alone are read: %+v", a)
	assert.Equal(t, 30, b.CreatedA, "Automation's people 40–54 and 65–79 become entrants, 45 too though a weavy contact has its e-mail: %+v", b)
	assert.Zero(t, a.Quarantined+b.Quarantined+b.Filtered, "%+v %+v", a, b)
	assert.Equal(t, 40, r.sb.Weavy.Count("marketinginbound"))
	assert.Equal(t, contacts, r.sb.Weavy.Dump("customercontact"), "the weavy contacts are left as they are")
	for person, prefix := range map[int]string{45: "e:CRMSYNC-", 60: "e:E0000060", 70: "e:CRMSYNC-"} {
		got, _ := r.pairedWith(person)
		assert.True(t, strings.HasPrefix(got, prefix), "person %d: %s", person, got)
	}
	r.settled(ModeIncremental, "after the import")
}

// A weavy user who creates the contact of a person paired with an entrant, once entrants are
// switched off, moves the pair to the contact, as with both tables, and the entrant is
// reported as superseded rather than dropped from its pair without a word (Get leaves it
// out since its table is not synced, which is no deletion).
func TestAContactSupersedesAnEntrantNoLongerSynced(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	r.useWeavyTables("")
	r.round(ModeImport, nil)
	const person = 70
	entrant, mautic := r.pairedWith(person)
	require.True(t, strings.HasPrefix(entrant, "e:"), entrant)

	r.useWeavyTables("[contacts]")
	r.sb.Weavy.SeedPeople(person, 1) // a weavy user creates the contact
	c := r.pass("contact", "a", ModeIncremental)
	assert.Equal(t, 1, c.Quarantined, "the entrant is reported: %+v", c)
	got, _ := r.pairedWith(person)
	assert.Equal(t, "c:CC0000070", got, "the contact holds the pair")
	q, err := r.st.ListQuarantine(context.Background(), r.name, 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, entrant, q[0].RecordID)
	assert.Equal(t, "superseded: weavy record c:CC0000070 has its email and now holds the pair with mautic record "+mautic+"; this one is no longer synced (merge or delete it in weavy)", q[0].Reason)
}

// contactImport runs an import round and returns the contact object's counts, side a's and
// side b's.
func (r *exampleRun) contactImport() (a, b Counts) {
	r.round(ModeImport, func(object, side string, c Counts) {
		if object == "contact" {
			map[string]*Counts{"a": &a, "b": &b}[side].Add(c)
		}
	})
	return a, b
}
