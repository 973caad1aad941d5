package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// events[].object names an object whose Sellsy events the connector reads back, on a
// connection with a Sellsy side that names its webhook token; a wrong one is refused naming
// the file, the field and why.
func TestValidateEventObjects(t *testing.T) {
	conn := func(b, object string) string {
		return `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET, webhook_token: SELLSY_WEBHOOK_TOKEN}}
b: ` + b + `
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
events:
  - object: ` + object + `
    start: {workflow: OnEvent}
`
	}
	mautic := "{system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}"
	tests := []struct {
		name, yaml, wantErr string
	}{
		{name: "opportunity", yaml: conn(mautic, "opportunity")},
		{name: "task", yaml: conn(mautic, "task")},
		{name: "calendar event", yaml: conn(mautic, "calendar-event")},
		{name: "comment", yaml: conn(mautic, "comment")},
		{name: "Sellsy's relatedtype instead of the object", yaml: conn(mautic, "client"),
			wantErr: `conn.yaml: events[0].object: "client" is not an object whose Sellsy events can be read back (calendar-event, comment, company, contact, individual, opportunity, task)`},
		{name: "a plural", yaml: conn(mautic, "opportunities"), wantErr: `conn.yaml: events[0].object: "opportunities" is not an object`},
		{name: "missing", yaml: conn(mautic, `""`), wantErr: "conn.yaml: events[0].object: missing: the object whose events are routed (calendar-event, comment"},
		{name: "no webhook token", yaml: replace(conn(mautic, "contact"), ", webhook_token: SELLSY_WEBHOOK_TOKEN", ""),
			wantErr: "conn.yaml: a.credentials.webhook_token: missing: events: routes Sellsy's webhooks, which reach the worker only at /webhooks/demo/sellsy/<token>"},
		{name: "no Sellsy side", yaml: replace(conn(mautic, "contact"), "a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET, webhook_token: SELLSY_WEBHOOK_TOKEN}}",
			"a: {system: weavy, settings: {base_url: https://w.example, project: P}, credentials: {username: W_USER, password: W_PASS}}"), wantErr: "conn.yaml: events: routes Sellsy's webhooks, but neither side of this connection is sellsy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, tt.yaml, tt.wantErr)
		})
	}
}

// deletes: is refused when either side is weavy (no deletion is ever propagated there) or
// altior (its API deletes nothing), or when it would delete on unas (read-only) or minicrm
// (whose connector deletes nothing), naming the file, the field and why.
func TestValidateDeletesBySystem(t *testing.T) {
	systems := map[string]string{
		"sellsy":  "{system: sellsy, credentials: {client_id: S_ID, client_secret: S_SECRET}}",
		"mautic":  "{system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}",
		"weavy":   "{system: weavy, settings: {base_url: https://w.example, project: P}, credentials: {username: W_USER, password: W_PASS}}",
		"altior":  "{system: altior, settings: {base_url: https://a.example, reference_user_email: ref@example.com, establishment: E1}, credentials: {api_key: ALTIOR_KEY}}",
		"unas":    "{system: unas, credentials: {api_key: UNAS_KEY}}",
		"minicrm": "{system: minicrm, settings: {base_url: https://r3.example}, credentials: {system_id: M_ID, api_key: M_KEY}}",
	}
	tests := []struct {
		name, a, b, deletes string
		wantErr             []string
	}{
		{name: "sellsy and mautic", a: "sellsy", b: "mautic", deletes: "b_to_a"},
		{name: "weavy, no deletes", a: "weavy", b: "mautic"},
		{name: "weavy as a", a: "weavy", b: "mautic", deletes: "b_to_a",
			wantErr: []string{"conn.yaml: objects[0].deletes: not possible on this connection: weavy (side a) never takes part in deletions"}},
		{name: "altior as b, either way", a: "sellsy", b: "altior", deletes: "a_to_b",
			wantErr: []string{"conn.yaml: objects[0].deletes: not possible on this connection: altior (side b) has no delete in its API"}},
		{name: "both sides refused", a: "weavy", b: "altior", deletes: "both",
			wantErr: []string{"weavy (side a)", "altior (side b)"}},
		// UNAS refuses every write and MiniCRM deletes nothing: a deletion cannot go to them.
		{name: "unas and minicrm, a_to_b", a: "unas", b: "minicrm", deletes: "a_to_b",
			wantErr: []string{"conn.yaml: objects[0].deletes: a_to_b propagates deletions to minicrm (side b), where none can be made: the MiniCRM connector does not support deleting records; leave deletes out"}},
		{name: "unas and minicrm, b_to_a", a: "unas", b: "minicrm", deletes: "b_to_a",
			wantErr: []string{"conn.yaml: objects[0].deletes: b_to_a propagates deletions to unas (side a), where none can be made: the UNAS connector is read-only: it refuses every write, deletions included; leave deletes out"}},
		{name: "unas and minicrm, both", a: "unas", b: "minicrm", deletes: "both",
			wantErr: []string{"to unas (side a)", "to minicrm (side b)"}},
		{name: "to sellsy from unas", a: "sellsy", b: "unas", deletes: "b_to_a"},
		{name: "to unas from sellsy", a: "sellsy", b: "unas", deletes: "a_to_b",
			wantErr: []string{"conn.yaml: objects[0].deletes: a_to_b propagates deletions to unas (side b), where none can be made"}},
		{name: "to mautic from minicrm", a: "minicrm", b: "mautic", deletes: "a_to_b"},
		{name: "to minicrm from mautic", a: "minicrm", b: "mautic", deletes: "both",
			wantErr: []string{"conn.yaml: objects[0].deletes: both propagates deletions to minicrm (side a), where none can be made"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A person on each side: UNAS's customer, MiniCRM's person, the others' contact.
			person := func(system string) string {
				switch system {
				case "unas":
					return "customer"
				case "minicrm":
					return "person"
				}
				return "contact"
			}
			y := "name: demo\na: " + systems[tt.a] + "\nb: " + systems[tt.b] + `
objects:
  - name: contact
    a_object: ` + person(tt.a) + `
    b_object: ` + person(tt.b) + `
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`
			if tt.deletes != "" {
				y += "    deletes: " + tt.deletes + "\n"
			}
			parseWantAll(t, y, tt.wantErr)
		})
	}
}

// A connection that writes MiniCRM cards names their owner user: MiniCRM gives a card
// without one to a user of its own choosing. Contacts have no owner, and cards only read need
// none.
func TestValidateMiniCRMOwner(t *testing.T) {
	conn := func(settings, object, direction string) string {
		return `name: demo
a: {system: unas, credentials: {api_key: UNAS_KEY}}
b: {system: minicrm, settings: {base_url: https://r3.example` + settings + `}, credentials: {system_id: M_ID, api_key: M_KEY}}
direction: ` + direction + `
objects:
  - name: customer
    a_object: customer
    b_object: person
    match: {a: email, b: Email}
    fields: [{a: email, b: Email}]
  - name: order
    b_object: "` + object + `"
    match: {a: order_ref, b: Text1203}
    fields: [{a: order_ref, b: Text1203}]
`
	}
	tests := []struct {
		name, yaml, wantErr string
	}{
		{name: "cards with an owner", yaml: conn(`, owner: "101"`, "card:Orders", "a_to_b")},
		{name: "cards without an owner", yaml: conn("", "card:Orders", "a_to_b"),
			wantErr: "conn.yaml: b.settings.owner: missing: objects[1] writes MiniCRM cards (card:Orders), and MiniCRM gives a card without an owner to a user of its own choosing"},
		{name: "a blank owner", yaml: conn(`, owner: " "`, "card:Webshop", "both"),
			wantErr: "conn.yaml: b.settings.owner: missing: objects[1] writes MiniCRM cards (card:Webshop)"},
		{name: "contacts only", yaml: conn("", "business", "a_to_b")},
		{name: "cards only read", yaml: conn("", "card:Orders", "b_to_a")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, tt.yaml, tt.wantErr)
		})
	}
	_, err := Load("examples/unas-minicrm.yaml")
	require.NoError(t, err, "the example names its owner")
}

// parseWant parses yaml as conn.yaml: with wantErr "" it must parse (the connection is
// returned); otherwise it must fail with a message that says wantErr (nil is returned).
// A connection's name is refused with the reason it is wrong: the characters, the first one,
// or the length (63, a DNS label's), never one for another.
func TestValidateName(t *testing.T) {
	conn := func(name string) string {
		return `name: ` + name + `
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`
	}
	long := strings.Repeat("a", 60) + "-b1c"
	tests := []struct {
		name, conn, wantErr, notWant string
	}{
		{name: "63 characters", conn: strings.Repeat("a", 63)},
		{name: "64 characters", conn: long,
			wantErr: `conn.yaml: name: "` + long + `" is 64 characters long: at most 63, a DNS label's length (the name becomes part of workflow ids`,
			notWant: "lower-case"},
		{name: "upper case", conn: "Demo", wantErr: `conn.yaml: name: "Demo" must be lower-case letters, digits and dashes`},
		{name: "a leading dash", conn: "-demo", wantErr: `conn.yaml: name: "-demo" must start with a letter or a digit`, notWant: "lower-case"},
		{name: "missing", conn: `""`, wantErr: "conn.yaml: name: missing: the connection's name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, conn(tt.conn), tt.wantErr)
			if tt.notWant != "" {
				_, err := Parse("conn.yaml", []byte(conn(tt.conn)))
				assert.NotContains(t, err.Error(), tt.notWant)
			}
		})
	}
}

// parseWant parses yaml as conn.yaml: with wantErr empty it must be valid and is returned,
// else its error must contain wantErr.
func parseWant(t *testing.T, yaml, wantErr string) *Connection {
	t.Helper()
	if wantErr == "" {
		return parseWantAll(t, yaml, nil)
	}
	return parseWantAll(t, yaml, []string{wantErr})
}

// parseWantAll is parseWant for an error that must contain each of wantErr.
func parseWantAll(t *testing.T, yaml string, wantErr []string) *Connection {
	t.Helper()
	c, err := Parse("conn.yaml", []byte(yaml))
	if len(wantErr) == 0 {
		require.NoError(t, err)
		return c
	}
	require.Error(t, err)
	for _, want := range wantErr {
		assert.Contains(t, err.Error(), want)
	}
	return nil
}
