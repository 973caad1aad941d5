package weavy

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/weavy/sim"
)

func TestParseContactTables(t *testing.T) {
	tests := []struct {
		in      string
		want    ContactTables
		wantErr string
		refused string // ContactTablesError.Name
	}{
		{in: "", want: ContactTables{Contacts: true, Entrants: true}},
		{in: "contacts", want: ContactTables{Contacts: true}},
		{in: " entrants ", want: ContactTables{Entrants: true}},
		{in: "entrants, contacts", want: ContactTables{Contacts: true, Entrants: true}},
		{in: "contacts,contacts", want: ContactTables{Contacts: true}},
		{in: " , ", wantErr: `names no table: give contacts, entrants, or both ("contacts, entrants")`},
		{in: "contacts, entrant", wantErr: `"entrant" is not one of contacts, entrants`, refused: "entrant"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseContactTables(tt.in)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				var refused *ContactTablesError
				require.ErrorAs(t, err, &refused, "config's validation tells the name refused")
				assert.Equal(t, tt.refused, refused.Name)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := New(Config{BaseURL: "http://x", Project: "crm", UserName: "u", Password: "p", ContactTables: "prospects"})
	ce := connErr(t, err)
	assert.Equal(t, connectors.KindConfig, ce.Kind)
	assert.Equal(t, `contact_tables: "prospects" is not one of contacts, entrants`, ce.Message)
}

// tableCalls records the tables the requests of e name (in their path or body).
type tableCalls struct {
	mu   sync.Mutex
	seen map[string]int
}

func (c *tableCalls) watch(e *env) {
	c.seen = map[string]int{}
	e.failWith = func(r *http.Request, body []byte) int {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, ent := range sim.Entities {
			if strings.Contains(r.URL.Path, "/"+ent) || strings.Contains(string(body), `"`+ent+`"`) {
				c.seen[ent]++
			}
		}
		return 0
	}
}

func (c *tableCalls) count(ent string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[ent]
}

// contactTablesEnv is a weavy with people 0..3 as contacts and 2..5 as entrants (2 and 3 are
// both), every right of the table not synced switched off, and a client that syncs only
// tables.
func contactTablesEnv(t *testing.T, tables string, off string) (*env, *tableCalls) {
	t.Helper()
	e := setup(t, sim.Options{PageSize: 2})
	e.sim.SeedPeople(0, 4)
	e.sim.SeedEntrants(2, 4)
	for _, right := range []string{"read", "insert", "update"} {
		e.sim.SetRight(off, right, false)
	}
	c, err := New(Config{BaseURL: e.srv.URL, Project: "crm", UserName: user, Password: pass, RequestsPerSecond: 10000, ContactTables: tables})
	require.NoError(t, err)
	c.now = e.clock.Now
	e.client = c
	calls := &tableCalls{}
	calls.watch(e)
	return e, calls
}

// With contact_tables: contacts, the "contact" object is the weavy contacts alone: entrants
// are never listed, looked up, read, created nor updated (their table, every right off, is
// never called), and a create — an Automation contact no weavy contact has the e-mail of —
// is refused for that record, saying why, rather than made an entrant.
func TestContactsOnly(t *testing.T) {
	e, calls := contactTablesEnv(t, "contacts", sim.Marketing)
	ctx := context.Background()

	recs, _ := listAll(t, e.client, "contact", time.Time{})
	assert.Equal(t, []string{"c:CC0000000", "c:CC0000001", "c:CC0000002", "c:CC0000003"}, ids(recs))
	for _, r := range recs {
		assert.Nil(t, r.Absent, "%s: no other table is described", r.ID)
	}
	e.clock.Advance(time.Minute)
	recs, _ = listAll(t, e.client, "contact", e.clock.Now())
	assert.Empty(t, recs, "nothing changed since")

	found, err := e.client.FindByKey(ctx, "contact", "email", []string{"person000003@example.com", "person000004@example.com"})
	require.NoError(t, err)
	assert.Equal(t, []string{"c:CC0000003"}, ids(found), "person 4 is an entrant only: not found")

	got, err := e.client.Get(ctx, "contact", []string{"c:CC0000001", "e:E0000004"})
	require.NoError(t, err)
	assert.Equal(t, []string{"c:CC0000001"}, ids(got), "an entrant is left out, as if it did not exist")

	fields, err := e.client.Describe(ctx, "contact")
	require.NoError(t, err)
	names := map[string]bool{}
	for _, f := range fields {
		names[f.Name] = true
	}
	assert.True(t, names["bouncedEmailDetected"])
	assert.False(t, names["companyName"], "an entrant's own field is not described")

	res, err := e.client.Create(ctx, "contact", []connectors.Record{{Fields: map[string]any{"email": "new@example.com", "lastName": "Neuf"}}})
	require.NoError(t, err)
	require.Len(t, res, 1)
	ce := connErr(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Equal(t, "no weavy contact has this e-mail, and entrants are not synced (settings.contact_tables: contacts): not created in weavy", ce.Message)
	assert.Empty(t, res[0].ID)

	res, err = e.client.Update(ctx, "contact", []connectors.Record{
		{ID: "c:CC0000000", Fields: map[string]any{"lastName": "Changé"}},
		{ID: "e:E0000004", Fields: map[string]any{"lastName": "Changé"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	ce = connErr(t, res[1].Err)
	assert.Equal(t, connectors.KindInvalid, ce.Kind)
	assert.Equal(t, "e:E0000004 is a weavy entrant, and entrants are not synced (settings.contact_tables: contacts): not written", ce.Message)

	require.NoError(t, e.client.CheckAccess(ctx, []connectors.Access{{Object: "contact", Write: true}}))

	assert.Zero(t, calls.count(sim.Marketing), "the entrants' table is never called")
	assert.Positive(t, calls.count(sim.CustomerContact))
	assert.Equal(t, 4, e.sim.Count(sim.Marketing), "no entrant created")
	assert.Equal(t, "Changé", e.sim.Dump(sim.CustomerContact)[0]["lastName"])
}

// With contact_tables: entrants, the "contact" object is the entrants alone: weavy contacts
// are never listed, looked up, read nor updated, and an Automation contact is created as an
// entrant, or updates the entrant of its e-mail.
func TestEntrantsOnly(t *testing.T) {
	e, calls := contactTablesEnv(t, "entrants", sim.CustomerContact)
	ctx := context.Background()

	recs, _ := listAll(t, e.client, "contact", time.Time{})
	assert.Equal(t, []string{"e:E0000002", "e:E0000003", "e:E0000004", "e:E0000005"}, ids(recs))
	for _, r := range recs {
		assert.Nil(t, r.Absent, r.ID)
	}

	found, err := e.client.FindByKey(ctx, "contact", "email", []string{"person000001@example.com", "person000003@example.com"})
	require.NoError(t, err)
	assert.Equal(t, []string{"e:E0000003"}, ids(found), "person 1 is a weavy contact only: not found")

	got, err := e.client.Get(ctx, "contact", []string{"c:CC0000001", "e:E0000004"})
	require.NoError(t, err)
	assert.Equal(t, []string{"e:E0000004"}, ids(got))

	fields, err := e.client.Describe(ctx, "contact")
	require.NoError(t, err)
	names := map[string]bool{}
	for _, f := range fields {
		names[f.Name] = true
	}
	assert.True(t, names["companyName"])
	assert.False(t, names["bouncedEmailDetected"], "a weavy contact's own field is not described")

	res, err := e.client.Create(ctx, "contact", []connectors.Record{{Fields: map[string]any{"email": "new@example.com", "lastName": "Neuf"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.True(t, strings.HasPrefix(res[0].ID, PrefixEntrant), res[0].ID)

	res, err = e.client.Update(ctx, "contact", []connectors.Record{
		{ID: "e:E0000002", Fields: map[string]any{"lastName": "Changé"}},
		{ID: "c:CC0000002", Fields: map[string]any{"lastName": "Changé"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	ce := connErr(t, res[1].Err)
	assert.Equal(t, "c:CC0000002 is a weavy contact, and weavy contacts are not synced (settings.contact_tables: entrants): not written", ce.Message)

	require.NoError(t, e.client.CheckAccess(ctx, []connectors.Access{{Object: "contact", Write: true}}))

	assert.Zero(t, calls.count(sim.CustomerContact), "the contacts' table is never called")
	assert.Equal(t, 5, e.sim.Count(sim.Marketing))
	assert.Equal(t, 4, e.sim.Count(sim.CustomerContact))
}

// A listing's cursor names the table by its place among both, whichever are synced: a
// listing resumed after contact_tables changed (a worker restarted mid-listing) goes on with
// the tables now synced instead of failing on its cursor or reading one table's offset in
// the other.
func TestACursorOutlivesAChangeOfContactTables(t *testing.T) {
	e, _ := contactTablesEnv(t, "contacts", sim.Marketing)
	e.sim.SetRight(sim.Marketing, "read", true)
	both := e.newClient(t)
	var cursors []string
	q := connectors.ListQuery{}
	for {
		p, err := both.List(context.Background(), "contact", q)
		require.NoError(t, err)
		if !p.More {
			break
		}
		cursors = append(cursors, p.Cursor)
		q.Cursor = p.Cursor
	}
	last := cursors[len(cursors)-1]
	require.True(t, strings.HasPrefix(last, "1:"), "the last cursor is in the entrants: %s", last)
	p, err := e.client.List(context.Background(), "contact", connectors.ListQuery{Cursor: last})
	require.NoError(t, err, "contacts only: a cursor in the entrants ends the listing")
	assert.Empty(t, p.Records)
	assert.False(t, p.More)
}

// The other way round: a listing taken in the weavy contacts and resumed with entrants only
// starts the entrants from their first record, not at the contacts' offset, and never calls
// the contacts' table (every right of it off).
func TestACursorInTheContactsGoesOnWithTheEntrants(t *testing.T) {
	e, calls := contactTablesEnv(t, "entrants", sim.CustomerContact)
	e.sim.SetRight(sim.CustomerContact, "read", true)
	p, err := e.newClient(t).List(context.Background(), "contact", connectors.ListQuery{})
	require.NoError(t, err)
	require.True(t, p.More)
	require.True(t, strings.HasPrefix(p.Cursor, "0:2:"), "a cursor in the contacts, after two: %s", p.Cursor)
	e.sim.SetRight(sim.CustomerContact, "read", false)
	before := calls.count(sim.CustomerContact)

	listed, _, err := listUpTo(t, e.client, "contact", connectors.ListQuery{Cursor: p.Cursor}, 100, nil)
	require.NoError(t, err, "entrants only: a cursor in the contacts goes on with the entrants")
	assert.Equal(t, []string{"e:E0000002", "e:E0000003", "e:E0000004", "e:E0000005"}, ids(listed))
	assert.Equal(t, before, calls.count(sim.CustomerContact), "the contacts' table is not called")
}

// Gone tells a deleted record (404 at its own address) from one Get leaves out because
// contact_tables does not sync its table: the latter is never gone, and not asked for.
func TestGoneKeepsTheTableNotSynced(t *testing.T) {
	e, calls := contactTablesEnv(t, "contacts", sim.Marketing)
	var _ connectors.GoneConfirmer = e.client
	require.True(t, e.sim.Delete(sim.CustomerContact, "CC0000001"))
	gone, err := e.client.Gone(context.Background(), "contact", []string{"c:CC0000000", "c:CC0000001", "e:E0000002", "e:NOPE", "X"})
	require.NoError(t, err)
	assert.Equal(t, []string{"c:CC0000001", "X"}, gone)
	assert.Zero(t, calls.count(sim.Marketing))

	e.sim.SetRight(sim.CustomerContact, "read", false)
	_, err = e.client.Gone(context.Background(), "contact", []string{"c:CC0000000"})
	assert.Equal(t, connectors.KindConfig, connErr(t, err).Kind, "a right off is no deletion")
}

// Tables names the contact object's tables, those contact_tables syncs and both, for the
// sync's cursor a table; a company is one table, with none to name.
func TestTables(t *testing.T) {
	tests := []struct {
		setting, object string
		synced, all     []string
	}{
		{"", "contact", []string{TableContacts, TableEntrants}, []string{TableContacts, TableEntrants}},
		{"contacts", "contact", []string{TableContacts}, []string{TableContacts, TableEntrants}},
		{"entrants", "contact", []string{TableEntrants}, []string{TableContacts, TableEntrants}},
		{"entrants", "company", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.setting+" "+tc.object, func(t *testing.T) {
			c, err := New(Config{BaseURL: "http://x", Project: "crm", UserName: "u", Password: "p", ContactTables: tc.setting})
			require.NoError(t, err)
			synced, all := c.Tables(tc.object)
			assert.Equal(t, tc.synced, synced)
			assert.Equal(t, tc.all, all)
		})
	}
}
