package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// A file's YAML-level mistakes are all reported, each with its line, its field path and the
// reason, one a line; an empty file says so.
func TestYAMLErrorsNameTheField(t *testing.T) {
	const sides = `a: {system: sellsy, credentials: {client_id: S_ID, client_secret: S_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
`
	const objects = `objects: [{name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}]}]
`
	tests := []struct {
		name, yaml string
		want       []string // each a whole line of the error
	}{
		{name: "empty", yaml: "", want: []string{"conn.yaml: the file is empty: a connection file names at least name, a, b and objects (see config/examples)"}},
		{name: "only comments", yaml: "# nothing yet\n\n", want: []string{"conn.yaml: the file is empty: a connection file names at least name, a, b and objects (see config/examples)"}},
		{name: "only null", yaml: "~\n", want: []string{"conn.yaml: the file is empty: a connection file names at least name, a, b and objects (see config/examples)"}},
		{name: "every mistake, in line order", yaml: "name: demo\n" + sides + "schedule:\n  max_deletes: lots\n  interval: 5\n" + objects + "pipelines: [{object: contact, pipeline: p, events: {s: e}, follow: maybe}]\n",
			want: []string{
				`conn.yaml: line 5: schedule.max_deletes: "lots" is not a whole number`,
				`conn.yaml: line 6: schedule.interval: "5" is not a duration (examples: 90s, 15m, 1h)`,
				`conn.yaml: line 8: pipelines[0].follow: "maybe" is not true or false`,
			}},
		{name: "a fraction for a whole number", yaml: "name: demo\n" + sides + objects + "schedule: {max_deletes: 1.5}\n",
			want: []string{`conn.yaml: line 5: schedule.max_deletes: "1.5" is not a whole number`}},
		{name: "a quoted whole number", yaml: "name: demo\n" + sides + objects + "schedule: {max_deletes: \"20\"}\n",
			want: []string{`conn.yaml: line 5: schedule.max_deletes: "20" is quoted: give the whole number without quotes`}},
		{name: "a misspelt key", yaml: "name: demo\n" + sides + objects + "schedule: {max_delets: 20}\n",
			want: []string{"conn.yaml: line 5: schedule.max_delets: unknown key (did you mean max_deletes?); the keys of schedule: full_read, interval, max_deletes, overlap, reconcile"}},
		{name: "a key given twice", yaml: "name: demo\n" + sides + objects + "direction: both\ndirection: a_to_b\n",
			want: []string{"conn.yaml: line 6: direction: given twice (first at line 5)"}},
		{name: "a list for the file", yaml: "- name: demo\n",
			want: []string{"conn.yaml: line 1: the file: a list where a mapping (key: value) is expected"}},
		{name: "a list for a setting", yaml: "name: demo\n" + strings.Replace(sides, "{base_url: https://m.example}", "{base_url: [https://m.example]}", 1) + objects,
			want: []string{"conn.yaml: line 3: b.settings.base_url: a list where a text is expected"}},
		{name: "a value map key that is not plain", yaml: "name: demo\n" + sides + "objects: [{name: contact, match: {a: email, b: email}, fields: [{a: civility, b: title, values: {\"Mr.\": [M]}}]}]\n",
			want: []string{`conn.yaml: line 4: objects[0].fields[0].values["Mr."]: a list where a text is expected`}},
		{name: "a second document", yaml: "name: demo\n" + sides + objects + "---\nname: other\n",
			want: []string{"conn.yaml: line 5: a second document (after ---): a connection file holds one connection; put each in a file of its own"}},
		{name: "a syntax error", yaml: "name: demo\n  bad: indent\n",
			want: []string{"conn.yaml: line 2: mapping values are not allowed in this context"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("conn.yaml", []byte(tt.yaml))
			require.Error(t, err)
			assert.Equal(t, tt.want, strings.Split(err.Error(), "\n"))
		})
	}
}

// A misplaced credential value is never repeated in a YAML-level message.
func TestYAMLErrorsDoNotShowCredentials(t *testing.T) {
	for _, text := range []string{
		"credentials: hunter2-secret",
		"credentials: {client_id: S_ID, client_secret: [hunter2-secret]}",
		"credentials: {client_id: S_ID, client_secret: {hunter2-secret: x}}",
	} {
		t.Run(text, func(t *testing.T) {
			_, err := Parse("conn.yaml", []byte("name: demo\na: {system: sellsy, "+text+"}\n"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "a.credentials")
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

// Aliases and merge keys are followed; one that contains itself is an error, not a hang.
func TestYAMLAliases(t *testing.T) {
	base := "name: demo\na: {system: sellsy, credentials: &creds {client_id: S_ID, client_secret: S_SECRET}}\n" +
		"b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}\n" +
		"objects: [{name: contact, match: &m {a: email, b: email}, fields: [{<<: *m}]}]\n"
	_, err := Parse("conn.yaml", []byte(base))
	require.NoError(t, err)
	_, err = Parse("conn.yaml", []byte(strings.Replace(base, "fields: [{<<: *m}]", "fields: [{<<: *m, c: 1}]", 1)))
	require.ErrorContains(t, err, "conn.yaml: line 4: objects[0].fields[0].c: unknown key")
	// A key of the mapping's own overrides the merged one: not a key given twice.
	_, err = Parse("conn.yaml", []byte(strings.Replace(base, "fields: [{<<: *m}]", "fields: [{<<: *m, b: email}]", 1)))
	require.NoError(t, err)
	// A mapping that merges itself ends, with an error.
	_, err = Parse("conn.yaml", []byte(strings.Replace(base, "objects: [{name: contact, match: &m {a: email, b: email}, fields: [{<<: *m}]}]",
		"objects: [&o {name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}], <<: *o}]", 1)))
	require.Error(t, err)
}

// The decoder's own messages, a syntax error's, lose their prefix and stay on one line.
func TestYAMLMessage(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("yaml: line 3: did not find expected key"), "line 3: did not find expected key"},
		{&yaml.TypeError{Errors: []string{"line 5: one", "line 9: two"}}, "line 5: one; line 9: two"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, yamlMessage(tt.err))
	}
}

// Past maxProblems a file's problems are counted, not listed one by one.
func TestYAMLProblemsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: demo\n")
	for i := range maxProblems + 5 {
		fmt.Fprintf(&b, "unknown%d: 1\n", i)
	}
	_, err := Parse("conn.yaml", []byte(b.String()))
	require.Error(t, err)
	assert.Equal(t, maxProblems+1, strings.Count(err.Error(), "conn.yaml:"), "fifty problems and a count")
	assert.Contains(t, err.Error(), "conn.yaml: and 5 more")
}
