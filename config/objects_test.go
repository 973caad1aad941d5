package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// An object pair's object on a side (a_object, b_object, or the pair's name they default to)
// must be one of that system's objects: offline validate refuses another, naming the field,
// the system's objects and the one probably meant, instead of a file that passes and then
// pauses the connection at its first read ("object "people" is not supported").
func TestObjectsOfTheSystems(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           []string // nil: valid
	}{
		{"the pair's name is both sides' object", "", "", nil},
		{"a name of the user's, objects named", "- name: contact", "- name: people\n    a_object: contact\n    b_object: contact", nil},
		{"the pair's name, no object of either", "- name: contact", "- name: people", []string{
			`conn.yaml: objects[0].a_object: "people" (the pair's name, which a_object defaults to) is not an object of sellsy; its objects: company, contact, individual, opportunity: name it with a_object`,
			`conn.yaml: objects[0].b_object: "people" (the pair's name, which b_object defaults to) is not an object of mautic; its objects: company, contact: name it with b_object`}},
		{"a plural", "- name: contact", "- name: contact\n    b_object: contacts", []string{
			`conn.yaml: objects[0].b_object: "contacts" is not an object of mautic (did you mean contact?); its objects: company, contact`}},
		{"Altior's affaire on Sellsy", "- name: contact", "- name: contact\n    a_object: affaire", []string{
			`conn.yaml: objects[0].a_object: "affaire" is not an object of sellsy; its objects: company, contact, individual, opportunity`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := minimalConnection
			if tt.old != "" {
				yaml = replace(minimalConnection, tt.old, tt.new)
			}
			parseWantAll(t, yaml, tt.want)
		})
	}
}

// MiniCRM's objects are person, business and card:<module>; UNAS's and Altior's their own.
func TestObjectsOfMiniCRMUNASAltior(t *testing.T) {
	conn := func(aObject, bObject string) string {
		return `name: demo
a: {system: unas, credentials: {api_key: UNAS_KEY}}
b: {system: minicrm, settings: {base_url: https://r3.minicrm.hu, owner: "1"}, credentials: {system_id: M_ID, api_key: M_KEY}}
direction: a_to_b
objects:
  - name: x
    a_object: ` + aObject + `
    b_object: "` + bObject + `"
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`
	}
	for _, ok := range [][2]string{{"customer", "person"}, {"company", "business"}, {"order", "card:Orders"}} {
		_, err := Parse("conn.yaml", []byte(conn(ok[0], ok[1])))
		require.NoError(t, err, "%v", ok)
	}
	parseWantAll(t, conn("orders", "card:"), []string{
		`objects[0].a_object: "orders" is not an object of unas (did you mean order?); its objects: company, customer, order`,
		`objects[0].b_object: "card:" is not an object of minicrm; its objects: business, person, card:<module> (a module's cards, such as card:Orders)`})

	altior := `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: altior, settings: {base_url: https://a.example, reference_user_email: r@example.com, establishment: E1}, credentials: {api_key: A_KEY}}
objects:
  - name: deal
    a_object: opportunity
    b_object: affaires
    match: {a: id, b: cf.SLSY}
    fields: [{a: name, b: title}]
`
	parseWant(t, altior, `objects[0].b_object: "affaires" is not an object of altior (did you mean affaire?); its objects: affaire, company, contact`)
}
