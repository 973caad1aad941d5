package activities

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/store"
)

// noOverlap makes the connection re-read nothing before its cursors, so that a change is read
// only when a cursor really starts before it (the default overlap of two minutes would cover
// every test's changes).
func noOverlap(yaml string) string {
	return strings.Replace(yaml, "  interval: 15m", "  interval: 15m\n  overlap: 0s", 1)
}

// tick waits past the second: weavy and Automation stamp their records to the second.
func tick() { time.Sleep(2100 * time.Millisecond) }

// automationContact returns the Automation contact of person.
func (r *exampleRun) automationContact(person int) connectors.Record {
	r.t.Helper()
	_, automation, err := r.acts.Conns.Connectors(r.name)
	require.NoError(r.t, err)
	found, err := automation.FindByKey(context.Background(), connectors.ObjectContact, "email", []string{simkit.PersonAt(person).Email})
	require.NoError(r.t, err)
	require.Len(r.t, found, 1, "person %d", person)
	return found[0]
}

// Entrants switched off, then back on: what changed in the entrants meanwhile, the Automation
// contacts created meanwhile (left out then: no entrant made without entrants) and the edits
// of the Automation contacts paired with entrants (written nowhere then) are read once
// entrants are back, without a resync. Before, the contact object had one cursor a
// side, which moved on while entrants were off: an entrant changed then was read only at its
// next change, and an Automation contact made then only by a resync.
func TestEntrantsSwitchedBackOnReadWhatChangedMeanwhile(t *testing.T) {
	r := startExample(t, "weavy-mautic") // weavy: contacts 30–49, entrants 55–64; Automation: 40–79
	r.useWeavyTables("", noOverlap)
	r.round(ModeImport, nil)
	tick()
	r.round(ModeIncremental, nil) // reads back what the import wrote: the cursors move past it
	tick()
	weavyBoth, automation, err := r.acts.Conns.Connectors(r.name)
	require.NoError(t, err)
	ctx := context.Background()
	const person = 60 // an entrant, paired with an Automation contact by the import
	entrant, mautic := r.pairedWith(person)
	require.Equal(t, "e:E0000060", entrant)

	r.useWeavyTables("[contacts]", noOverlap)
	tick()
	res, err := weavyBoth.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: entrant, Fields: map[string]any{"lastName": "Pendant"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	edited := r.automationContact(61) // paired with the entrant E0000061: written nowhere while entrants are off
	res, err = automation.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: edited.ID, Fields: map[string]any{"firstname": "Entretemps"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	newcomer := simkit.PersonAt(90)
	res, err = automation.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{
		"email": newcomer.Email, "firstname": newcomer.FirstName, "lastname": newcomer.LastName}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	tick()
	a := r.pass("contact", "a", ModeIncremental)
	b := r.pass("contact", "b", ModeIncremental)
	assert.Zero(t, a.Read, "entrants off: not read: %+v", a)
	assert.Zero(t, b.CreatedA+b.UpdatedA, "nothing written to weavy: %+v", b)
	assert.Equal(t, 1, b.Filtered, "the newcomer is left out: %+v", b)
	assert.Equal(t, 1, b.Missing, "the edit of an entrant's counterpart is written nowhere: %+v", b)
	tick()

	r.useWeavyTables("[contacts, entrants]", noOverlap)
	a = r.pass("contact", "a", ModeIncremental)
	assert.Equal(t, 1, a.Read, "the entrant changed while entrants were off is read, and nothing else: %+v", a)
	assert.Equal(t, 1, a.UpdatedB, "%+v", a)
	got, err := automation.Get(ctx, connectors.ObjectContact, []string{mautic})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "Pendant", got[0].Fields["lastname"])

	b = r.pass("contact", "b", ModeIncremental)
	assert.Equal(t, 3, b.Read, "the two Automation contacts changed while entrants were off, and the one just written: %+v", b)
	assert.Equal(t, 1, b.CreatedA, "the Automation contact made while entrants were off becomes an entrant: %+v", b)
	assert.Equal(t, 1, b.UpdatedA, "the edit made while entrants were off reaches the entrant: %+v", b)
	var names []any
	for _, e := range r.sb.Weavy.Dump("marketinginbound") {
		if e["marketinginbound_ID"] == "E0000061" {
			names = append(names, e["firstName"])
		}
	}
	assert.Equal(t, []any{"Entretemps"}, names)
	made, _ := r.pairedWith(90)
	assert.True(t, strings.HasPrefix(made, "e:"), "person 90 paired with %q", made)

	// Once read, the tables' cursors move on together: the next round writes nothing.
	tick()
	r.settled(ModeIncremental, "after entrants came back")
}

// A connection that ran with contacts alone and has entrants switched on reads the entrants
// it never read, whenever they last changed, and pairs them (here with the Automation
// contacts of the same people), as the import would have. Before, only the entrants changed
// after the switch were read.
func TestEntrantsSwitchedOnForTheFirstTimeAreReadWhole(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	r.useWeavyTables("[contacts]", noOverlap)
	r.round(ModeImport, nil)
	got, _ := r.pairedWith(60)
	require.Empty(t, got, "person 60 is an entrant alone: not paired without entrants")
	tick()
	r.round(ModeIncremental, nil)
	tick()

	r.useWeavyTables("[contacts, entrants]", noOverlap)
	a := r.pass("contact", "a", ModeIncremental)
	assert.GreaterOrEqual(t, a.Read, 10, "the ten entrants are read: %+v", a)
	for person := 55; person <= 64; person++ {
		got, _ := r.pairedWith(person)
		assert.Equal(t, fmt.Sprintf("e:E%07d", person), got, "person %d", person)
	}
}

// A connection that ran before tables had cursors has none: its tables are taken as read with
// the object, from its cursor, so that its first pass since reads what changed since, not
// every record again; that pass gives them their cursors.
func TestTablesWithoutCursorsAreReadFromTheObjectsCursor(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	r.useWeavyTables("", noOverlap)
	r.round(ModeImport, nil)
	tick()
	r.round(ModeIncremental, nil)
	tick()
	ctx := context.Background()
	keys := []string{tableKey("contact", "contacts"), tableKey("contact", "entrants")}
	require.NoError(t, r.st.ResetCursors(ctx, r.name, keys))
	for _, side := range []string{"a", "b"} {
		c := r.pass("contact", side, ModeIncremental)
		assert.Zero(t, c.Read, "side %s: nothing changed since the object's cursor: %+v", side, c)
		for _, key := range keys {
			v, ok, err := r.st.Cursor(ctx, r.name, key, store.Side(side))
			require.NoError(t, err)
			assert.True(t, ok && v != "", "side %s: %s has a cursor", side, key)
		}
	}
}

func TestTableSince(t *testing.T) {
	object := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	off := object.Add(-time.Hour)
	tests := []struct {
		name    string
		cursors map[string]time.Time
		want    time.Time
	}{
		{"its own cursor", map[string]time.Time{"entrants": off, "contacts": object}, off},
		{"no table has one: the object's", map[string]time.Time{}, object},
		{"another has one, not it: never read, everything", map[string]time.Time{"contacts": object}, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tableSince("entrants", tc.cursors, object))
		})
	}
}

// A pass that began with entrants off reads from the contacts' cursor; entrants switched on
// before it ends (a connection file saved between two stretches) were read from there too,
// not from their own older cursor: the pass moves the contacts' cursor and the object's, and
// leaves the entrants' for the next pass to read from.
func TestATableSwitchedOnMidPassKeepsItsCursor(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	r.useWeavyTables("[contacts, entrants]", noOverlap)
	ctx := context.Background()
	at := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	object := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	old, end := object.Add(-time.Hour), object.Add(time.Minute)
	for key, v := range map[string]time.Time{"contact": object, tableKey("contact", "contacts"): object, tableKey("contact", "entrants"): old} {
		require.NoError(t, r.st.SetCursor(ctx, r.name, key, store.SideA, at(v)))
	}
	p, err := r.acts.newPass(ctx, PassInput{Connection: r.name, Object: "contact", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	require.NoError(t, p.setCursor(ctx, at(end), object)) // read from the contacts' cursor
	for key, want := range map[string]time.Time{"contact": end, tableKey("contact", "contacts"): end, tableKey("contact", "entrants"): old} {
		v, _, err := r.st.Cursor(ctx, r.name, key, store.SideA)
		require.NoError(t, err)
		assert.Equal(t, at(want), v, key)
	}

	// A pass that read from the entrants' cursor moves both.
	p, err = r.acts.newPass(ctx, PassInput{Connection: r.name, Object: "contact", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	later := end.Add(time.Minute)
	require.NoError(t, p.setCursor(ctx, at(later), old))
	for _, key := range []string{"contact", tableKey("contact", "contacts"), tableKey("contact", "entrants")} {
		v, _, err := r.st.Cursor(ctx, r.name, key, store.SideA)
		require.NoError(t, err)
		assert.Equal(t, at(later), v, key)
	}
}

// A pass that began with entrants alone and ends with contacts switched back on (a file saved
// between two stretches, once the listing had passed the contacts, which come first) has not
// read the contacts, though their cursor is no older than its since: it leaves that cursor.
func TestATableSwitchedOnAfterThePassBeganKeepsItsCursor(t *testing.T) {
	r := startExample(t, "weavy-mautic")
	ctx := context.Background()
	at := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	last, end := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 12, 15, 0, 0, time.UTC)
	for _, key := range []string{"contact", tableKey("contact", "contacts"), tableKey("contact", "entrants")} {
		require.NoError(t, r.st.SetCursor(ctx, r.name, key, store.SideA, at(last)))
	}
	r.useWeavyTables("[entrants]", noOverlap)
	in := PassInput{Connection: r.name, Object: "contact", Side: "a", Mode: ModeIncremental}
	p, err := r.acts.newPass(ctx, in)
	require.NoError(t, err)
	require.NoError(t, p.noteTables(ctx)) // the pass's first stretch
	since, err := p.since(ctx)
	require.NoError(t, err)
	require.Equal(t, last, since)

	r.useWeavyTables("[contacts, entrants]", noOverlap)
	p, err = r.acts.newPass(ctx, in) // its last stretch
	require.NoError(t, err)
	require.NoError(t, p.setCursor(ctx, at(end), since))
	for key, want := range map[string]time.Time{"contact": end, tableKey("contact", "entrants"): end, tableKey("contact", "contacts"): last} {
		v, _, err := r.st.Cursor(ctx, r.name, key, store.SideA)
		require.NoError(t, err)
		assert.Equal(t, at(want), v, key)
	}
}

// A table's cursor that is not a time pauses the connection as the object's own does
// (TestACursorThatIsNoTimePausesNamingResync), naming the table and the command that sets it
// again: retried, the pass would fail the same way for ever.
func TestATableCursorThatIsNoTimePausesNamingResync(t *testing.T) {
	for _, side := range []string{"a", "b"} {
		t.Run("side "+side, func(t *testing.T) {
			r := startExample(t, "weavy-mautic")
			r.useWeavyTables("", noOverlap)
			r.round(ModeImport, nil)
			require.NoError(t, r.st.SetCursor(context.Background(), r.name, tableKey("contact", "entrants"), store.Side(side), "garbled"))
			_, err := r.ae.ExecuteActivity(r.acts.SyncPass, PassInput{Connection: r.name, Object: "contact", Side: side, Mode: ModeIncremental})
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			assert.Equal(t, ErrTypeConfiguration, appErr.Type(), "%v", err)
			assert.True(t, appErr.NonRetryable())
			assert.Contains(t, err.Error(), `table entrants`)
			assert.Contains(t, err.Error(), `"garbled"`)
			assert.Contains(t, err.Error(), "crmsync resync "+r.name+" --objects contact")
		})
	}
}
