package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
)

// LeftOutReasons tells, from the connection file, what may leave a pushed record out.
func TestLeftOutReasons(t *testing.T) {
	tests := []struct {
		name    string
		object  string // the object's YAML after its name
		side    string
		want    []string
		wantNot []string
	}{
		{name: "nothing leaves it out", object: "    match: {a: email, b: email}\n    fields: [{a: email, b: email}]\n", side: "b"},
		{name: "a gate", object: "    match: {a: email, b: email}\n    filter: {a: {cf.SA: true}}\n    fields: [{a: email, b: email}]\n", side: "a",
			want: []string{"the object's filter on side a lets through only the records with cf.SA = true"}},
		{name: "a list", object: "    match: {a: email, b: email}\n    filter: {a: {position: [CEO, CTO], cf.SA: true}}\n    fields: [{a: email, b: email}]\n", side: "a",
			want: []string{"the object's filter on side a lets through only the records with cf.SA = true and position = CEO or CTO"}},
		{name: "the gate of the other side", object: "    match: {a: email, b: email}\n    filter: {a: {cf.SA: true}}\n    fields: [{a: email, b: email}]\n", side: "b"},
		{name: "one way", object: "    match: {a: email, b: email}\n    fields: [{a: email, b: email, direction: a_to_b}]\n", side: "b",
			want: []string{"no field of the object travels from side b, so its records are never created on side a"}},
		{name: "no key carried there", object: "    match: {a: email, b: email}\n    fields: [{a: email, b: email, direction: a_to_b}, {a: last_name, b: lastname}]\n", side: "b",
			want: []string{"its records are not created on side a, where no field carries the match field email (one not paired there by its key is left alone)"}},
		{name: "not imported", object: "    match: {a: email, b: email}\n    initial: {from_a: false}\n    fields: [{a: email, b: email}]\n", side: "a",
			want: []string{"initial.from_a is false: a record that existed before the initial import stays on side a"}},
		{name: "a link", object: "    match: {a: email, b: email}\n    links: [company]\n    fields: [{a: email, b: email}]\n", side: "b",
			want: []string{"a record whose company is not paired yet waits for it where side a requires that link"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := config.Parse("left.yaml", []byte(`name: left
a: {system: sellsy, credentials: {client_id: L_ID, client_secret: L_SECRET}}
b: {system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: L_USER, password: L_PASS}}
objects:
  - name: company
    match: {a: name, b: companyname}
    fields: [{a: name, b: companyname}]
  - name: contact
`+tt.object))
			require.NoError(t, err)
			o, ok := conn.Object("contact")
			require.True(t, ok)
			got := LeftOutReasons(conn, o, tt.side)
			assert.Equal(t, len(tt.want), len(got), "%q", got)
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
		})
	}
}
