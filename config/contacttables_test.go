package config

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors/weavy"
)

// weavy's contact_tables chooses the weavy tables of the contact object, as the Divalto
// plugin's "Sélection des objets synchronisés" does: contacts, entrants or both, as a YAML
// list or comma-separated; an empty or unknown value is refused naming the file and field.
func TestWeavyContactTables(t *testing.T) {
	conn := func(tables string) string {
		return "name: demo\na: {system: weavy, settings: {base_url: https://w.example, project: crm" + tables + "}, credentials: {username: W_USER, password: W_PASS}}\n" +
			"b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}\n" +
			"objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]\n"
	}
	const noTable = `conn.yaml: a.settings.contact_tables: names no table: give contacts, entrants, or both ("contacts, entrants"); left out, both are synced`
	tests := []struct {
		name, tables string
		want         string // the setting as read; "" when refused
		wantErr      string
	}{
		{name: "left out: both", tables: "", want: ""},
		{name: "contacts", tables: ", contact_tables: contacts", want: "contacts"},
		{name: "entrants", tables: ", contact_tables: entrants", want: "entrants"},
		{name: "both, comma-separated", tables: `, contact_tables: "contacts, entrants"`, want: "contacts, entrants"},
		{name: "a YAML list", tables: ", contact_tables: [entrants, contacts]", want: "entrants, contacts"},
		{name: "a YAML list of one", tables: ", contact_tables: [contacts]", want: "contacts"},
		{name: "empty", tables: `, contact_tables: ""`, wantErr: noTable},
		{name: "an empty list", tables: ", contact_tables: []", wantErr: noTable},
		{name: "commas only", tables: `, contact_tables: " , "`, wantErr: noTable},
		{name: "unknown", tables: ", contact_tables: [contacts, entrant]",
			wantErr: `conn.yaml: a.settings.contact_tables: "entrant" is not one of contacts, entrants (did you mean entrants?)`},
		{name: "tiers are the company object", tables: ", contact_tables: tiers",
			wantErr: `conn.yaml: a.settings.contact_tables: "tiers" is not one of contacts, entrants`},
		{name: "a list of lists", tables: ", contact_tables: [[contacts]]",
			wantErr: `conn.yaml: line 2: a.settings.contact_tables: a list where a text is expected`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("conn.yaml", []byte(conn(tt.tables)))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.A.Settings["contact_tables"])
		})
	}
}

// A side given through a merge key or an alias is read as the decoder reads it: its
// contact_tables as a YAML list is folded into the text settings are, as when the side is
// written out. It was refused as "a list where a text is expected".
func TestWeavyContactTablesInAMergedSide(t *testing.T) {
	const b = "b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}\n" +
		"objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]\n"
	const settings = "{base_url: https://w.example, project: crm, contact_tables: [entrants, contacts]}"
	tests := []struct{ name, a string }{
		{"written out", "a: {system: weavy, settings: " + settings + ", credentials: {username: W_USER, password: W_PASS}}\n"},
		{"system and settings merged", "a: {<<: {system: weavy, settings: " + settings + "}, credentials: {username: W_USER, password: W_PASS}}\n"},
		{"system merged", "a: {<<: {system: weavy}, settings: " + settings + ", credentials: {username: W_USER, password: W_PASS}}\n"},
		{"settings merged", "a: {<<: {settings: " + settings + "}, system: weavy, credentials: {username: W_USER, password: W_PASS}}\n"},
		{"merged from a list of mappings", "a: {<<: [&w {system: weavy, settings: " + settings + "}], credentials: {username: W_USER, password: W_PASS}}\n"},
		{"the system an alias", "a: {system: *w, settings: " + settings + ", credentials: {username: W_USER, password: W_PASS}}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("conn.yaml", []byte("name: &w weavy\n"+tt.a+b))
			require.NoError(t, err)
			assert.Equal(t, "entrants, contacts", c.A.Settings["contact_tables"])
		})
	}
}

// NotCreated tells, from the file, a side whose connector creates no record of an object:
// weavy makes a contact an entrant, so without entrants it creates none.
func TestNotCreated(t *testing.T) {
	tests := []struct {
		system, tables, object string
		want                   string
	}{
		{system: "weavy", object: "contact"},
		{system: "weavy", tables: "contacts, entrants", object: "contact"},
		{system: "weavy", tables: "entrants", object: "contact"},
		{system: "weavy", tables: "contacts", object: "contact",
			want: "weavy creates a contact as an entrant, and a.settings.contact_tables (contacts) leaves entrants out"},
		{system: "weavy", tables: "contacts", object: "company"},
		{system: "mautic", tables: "contacts", object: "contact"},
	}
	for _, tt := range tests {
		t.Run(tt.system+"/"+tt.tables+"/"+tt.object, func(t *testing.T) {
			c := &Connection{A: System{System: tt.system, Settings: map[string]string{}}, Objects: []Object{{Name: "o", AObject: tt.object, BObject: "contact"}}}
			if tt.tables != "" {
				c.A.Settings["contact_tables"] = tt.tables
			}
			assert.Equal(t, tt.want, c.NotCreated(&c.Objects[0], "a"))
			assert.Empty(t, c.NotCreated(&c.Objects[0], "b"), "side b is no weavy")
		})
	}
}

// The weavy example names the setting, commented out (both tables: the plugin's default).
func TestTheWeavyExampleShowsContactTables(t *testing.T) {
	c, err := Load("examples/weavy-mautic.yaml")
	require.NoError(t, err)
	assert.NotContains(t, c.A.Settings, "contact_tables")
	raw, err := os.ReadFile("examples/weavy-mautic.yaml")
	require.NoError(t, err)
	data := string(raw)
	var line string
	for _, l := range strings.Split(data, "\n") {
		if strings.Contains(l, "contact_tables:") {
			line = l
		}
	}
	require.NotEmpty(t, line, "the example shows contact_tables")
	uncommented := strings.Replace(data, line, strings.Replace(line, "# ", "", 1), 1)
	c, err = Parse("weavy-mautic.yaml", []byte(uncommented))
	require.NoError(t, err, "the line shown is valid once uncommented")
	assert.Equal(t, "contacts, entrants", c.A.Settings["contact_tables"])
}

// validate and the weavy connector read contact_tables alike: a value the file accepts opens
// the connector on the tables NotCreated goes by too, and a value it refuses the connector
// refuses too, in the same words (validate adds where, and a "did you mean"). All read it
// with weavy.ParseContactTables; this keeps a second reading from coming back.
func TestWeavyContactTablesAsTheConnectorReadsThem(t *testing.T) {
	conn := func(tables string) []byte {
		q, _ := json.Marshal(tables) // a JSON string is a YAML double-quoted one
		return []byte("name: demo\na: {system: weavy, settings: {base_url: https://w.example, project: crm, contact_tables: " + string(q) + "}, credentials: {username: W_USER, password: W_PASS}}\n" +
			"b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}\n" +
			"objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]\n")
	}
	tests := []struct {
		value    string
		contacts bool // the tables synced, when the value is accepted
		entrants bool
		refused  string // the word both refuse; "(none)" when the value names no table
	}{
		{value: "contacts", contacts: true},
		{value: "entrants", entrants: true},
		{value: "contacts, entrants", contacts: true, entrants: true},
		{value: "entrants,contacts", contacts: true, entrants: true},
		{value: " contacts ,, entrants, ", contacts: true, entrants: true},
		{value: "entrants, entrants", entrants: true},
		{value: "\tcontacts\u00a0", contacts: true},
		{value: ",contacts", contacts: true},
		{value: "", refused: "(none)"},
		{value: " , ", refused: "(none)"},
		{value: ",,", refused: "(none)"},
		{value: "Contacts", refused: "Contacts"},
		{value: "contacts, ENTRANTS", refused: "ENTRANTS"},
		{value: "contact", refused: "contact"},
		{value: "contacts; entrants", refused: "contacts; entrants"},
		{value: "contacts entrants", refused: "contacts entrants"},
		{value: "tiers", refused: "tiers"},
		{value: "entrants, leads, contacts", refused: "leads"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := Parse("conn.yaml", conn(tt.value))
			if tt.refused != "" {
				require.Error(t, err, "validate refuses it")
				assert.Contains(t, err.Error(), "conn.yaml: a.settings.contact_tables: ", "naming the file and the field")
				if tt.value == "" {
					return // given empty is no choice for validate; the connector, which cannot tell it from left out, syncs both
				}
				_, werr := weavy.ParseContactTables(tt.value)
				require.Error(t, werr, "the connector refuses it too")
				assert.True(t, strings.HasPrefix(err.Error(), "conn.yaml: a.settings.contact_tables: "+werr.Error()),
					"in the connector's words: %q, %q", err, werr)
				if tt.refused == "(none)" {
					assert.Contains(t, werr.Error(), "names no table")
				} else {
					assert.Contains(t, werr.Error(), strconv.Quote(tt.refused))
				}
				return
			}
			require.NoError(t, err)
			setting := c.A.Settings["contact_tables"]
			got, err := weavy.ParseContactTables(setting)
			require.NoError(t, err, "the connector opens on what validate accepts")
			assert.Equal(t, weavy.ContactTables{Contacts: tt.contacts, Entrants: tt.entrants}, got)
			_, err = weavy.New(weavy.Config{BaseURL: "https://w.example", Project: "crm", UserName: "u", Password: "p", ContactTables: setting})
			require.NoError(t, err)
			assert.Equal(t, !tt.entrants, c.NotCreated(&c.Objects[0], "a") != "", "no contact is created without entrants: %q", c.NotCreated(&c.Objects[0], "a"))
		})
	}
}
