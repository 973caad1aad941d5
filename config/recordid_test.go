package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The record's id may be the source of a one-way field (the Sellsy opportunity id written into
// an Altior affaire's custom field) and a match key, never a field that is written.
func TestRecordIDField(t *testing.T) {
	tests := []struct {
		name, field, wantErr string
	}{
		{name: "a's id goes to b", field: "{a: id, b: cf.SLSY, direction: a_to_b}"},
		{name: "b's id goes to a", field: "{a: cf.ALT, b: id, direction: b_to_a}"},
		{name: "a's id written from b", field: "{a: id, b: cf.SLSY, direction: both}",
			wantErr: "conn.yaml: objects[0].fields[1].direction: a is the record's id, which cannot be written: use a_to_b"},
		{name: "b's id written from a", field: "{a: cf.ALT, b: id, direction: a_to_b}",
			wantErr: "conn.yaml: objects[0].fields[1].direction: b is the record's id, which cannot be written: use b_to_a"},
		{name: "id on both sides", field: "{a: id, b: id, direction: a_to_b}",
			wantErr: "conn.yaml: objects[0].fields[1]: id on both sides"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: altior, settings: {base_url: https://a.example, reference_user_email: ref@example.com, establishment: E1}, credentials: {api_key: ALTIOR_KEY}}
objects:
  - name: opportunity
    b_object: affaire
    match: {a: id, b: cf.SLSY}
    fields: [{a: name, b: title, direction: a_to_b}, ` + tt.field + `]
`
			_, err := Parse("conn.yaml", []byte(y))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
		})
	}
}

// initial.match: unset, a match key is required; true, it is used when present; false,
// nothing is matched.
func TestInitialMatch(t *testing.T) {
	tests := []struct {
		name, initial             string
		wantOnKey, wantKeyMissing bool
	}{
		{name: "unset: key required", initial: "{}", wantOnKey: true, wantKeyMissing: true},
		{name: "yes: key optional", initial: "{match: true}", wantOnKey: true},
		{name: "no: id map only", initial: "{match: false}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("conn.yaml", []byte(`name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: altior, settings: {base_url: https://a.example, reference_user_email: ref@example.com, establishment: E1}, credentials: {api_key: ALTIOR_KEY}}
objects:
  - name: company
    match: {a: siret, b: siret}
    initial: `+tt.initial+`
    fields: [{a: name, b: name}]
`))
			require.NoError(t, err)
			o, _ := c.Object("company")
			assert.Equal(t, tt.wantOnKey, o.MatchesOnKey())
			assert.Equal(t, tt.wantKeyMissing, o.KeyRequired())
		})
	}
	_, err := Parse("conn.yaml", []byte(`name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: altior, settings: {base_url: https://a.example, reference_user_email: ref@example.com, establishment: E1}, credentials: {api_key: ALTIOR_KEY}}
objects:
  - name: company
    match: {a: siret, b: siret}
    initial: {match: sometimes}
    fields: [{a: name, b: name}]
`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "conn.yaml")
}
