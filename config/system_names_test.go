package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A side's system written as the product is called (Webmecanik Automation, Divalto weavy),
// or left out, is refused with the system name meant, not only the list of them; a link
// misspelt is named with the object meant.
func TestSystemAndLinkNamesSayWhatIsMeant(t *testing.T) {
	base := `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects:
  - name: company
    match: {a: name, b: companyname}
    fields: [{a: name, b: companyname}]
  - name: contact
    match: {a: email, b: email}
    links: [company]
    fields: [{a: email, b: email}]
`
	tests := []struct {
		name, old, new, want string
	}{
		{"automation", "system: mautic", "system: automation",
			`conn.yaml: b.system: "automation" is not a supported system (supported: altior, mautic, minicrm, sellsy, unas, weavy) (did you mean mautic? Webmecanik Automation is system mautic)`},
		{"webmecanik", "system: mautic", "system: webmecanik",
			`b.system: "webmecanik" is not a supported system (supported: altior, mautic, minicrm, sellsy, unas, weavy) (did you mean mautic? Webmecanik Automation is system mautic)`},
		{"Automation in capitals", "system: mautic", "system: Automation",
			`(did you mean mautic? Webmecanik Automation is system mautic)`},
		{"divalto", "system: mautic", "system: divalto",
			`b.system: "divalto" is not a supported system (supported: altior, mautic, minicrm, sellsy, unas, weavy) (did you mean weavy? Divalto weavy is system weavy)`},
		{"capitals", "system: sellsy", "system: SELLSY",
			`a.system: "SELLSY" is not a supported system (supported: altior, mautic, minicrm, sellsy, unas, weavy) (did you mean sellsy?)`},
		{"missing", "system: sellsy, ", "",
			`conn.yaml: a.system: missing: one of altior, mautic, minicrm, sellsy, unas, weavy`},
		{"misspelt link", "links: [company]", "links: [compny]",
			`conn.yaml: objects[1].links: "compny" is not an object of this connection (did you mean company?) (objects: company, contact)`},
		{"misspelt pipeline object", "objects:", "pipelines: [{object: contatc, pipeline: P1, events: {S1: E1}}]\nobjects:",
			`conn.yaml: pipelines[0].object: "contatc" is not an object of this connection (did you mean contact?) (objects: company, contact)`},
		{"misspelt event object", "objects:", "events: [{object: contacts, signal: {workflow_id: \"{connection}/incremental-sync\", name: sync-now}}]\nobjects:",
			`conn.yaml: events[0].object: "contacts" is not an object whose Sellsy events can be read back (did you mean contact?) (calendar-event, comment, company, contact, individual, opportunity, task)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("conn.yaml", []byte(replace(base, tt.old, tt.new)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
