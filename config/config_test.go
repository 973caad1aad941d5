package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExampleLoads(t *testing.T) {
	c, err := Load("examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	assert.Equal(t, "sellsy-mautic", c.Name)
	assert.Equal(t, 15*time.Minute, c.Schedule.Interval.Std())
	assert.Equal(t, []string{"company", "contact"}, c.ObjectNames())
	contact, ok := c.Object("contact")
	require.True(t, ok)
	assert.Equal(t, "contact", contact.AObject, "a_object defaults to the name")
	assert.Equal(t, Both, contact.Fields[0].Direction, "fields inherit the connection direction")
	company, _ := c.Object("company")
	assert.Equal(t, AToB, company.Fields[4].Direction)
}

// A wrong connection direction is reported once, not again for every field that takes it.
func TestBadConnectionDirectionIsReportedOnce(t *testing.T) {
	_, err := Parse("conn.yaml", []byte(`name: demo
direction: sideways
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}, {a: last_name, b: lastname, direction: up}]
`))
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), `"sideways" is not one of`), err.Error())
	assert.Contains(t, err.Error(), `objects[0].fields[1].direction: "up" is not one of`, "a field's own mistake is still named")
}

func TestObjectOrderFollowsLinks(t *testing.T) {
	c := &Connection{Objects: []Object{{Name: "contact", Links: []string{"company"}}, {Name: "company"}}}
	assert.Equal(t, []string{"company", "contact"}, c.ObjectNames())
}

func TestValidationMessages(t *testing.T) {
	base := minimalConnection
	tests := []struct {
		name    string
		yaml    string
		wantErr []string
	}{
		{"valid", base, nil},
		{"bad name", replace(base, "name: demo", "name: Demo Conn"), []string{"conn.yaml: name: \"Demo Conn\" must be lower-case"}},
		{"unknown system", replace(base, "system: mautic", "system: hubspot"), []string{"b.system: \"hubspot\" is not a supported system"}},
		{"secret value instead of env name", replace(base, "client_secret: SELLSY_SECRET", "client_secret: s3cr3t-value"), []string{"a.credentials.client_secret: must be the NAME of an environment variable"}},
		{"missing credential", replace(base, ", password: M_PASS", ""), []string{"b.credentials.password: missing"}},
		{"bad connection direction", replace(base, "name: demo", "name: demo\ndirection: sideways"), []string{"conn.yaml: direction: \"sideways\" is not one of both, a_to_b, b_to_a"}},
		{"bad direction", replace(base, "{a: email, b: email}]", "{a: email, b: email, direction: left}]"), []string{"objects[0].fields[0].direction: \"left\" is not one of both, a_to_b, b_to_a"}},
		{"no match", replace(base, "    match: {a: email, b: email}\n", ""), []string{"objects[0].match: both a and b are needed"}},
		{"unknown link", replace(base, "    fields:", "    links: [company]\n    fields:"), []string{"objects[0].links: \"company\" is not an object of this connection"}},
		{"unknown key", replace(base, "name: demo", "name: demo\nintervall: 5m"), []string{"conn.yaml: line 2: intervall: unknown key (did you mean schedule.interval? it goes under schedule); the keys of a connection file: a, b, direction,"}},
		{"unknown key of a field", replace(base, "{a: email, b: email}]", "{a: email, b: email, c: 1}]"), []string{"conn.yaml: line 7: objects[0].fields[0].c: unknown key; the keys of objects[0].fields[0]: a, b, direction, status_map, values, values_back"}},
		{"list for a text", replace(base, "name: demo", "name: [demo]"), []string{"conn.yaml: line 1: name: a list where a text is expected"}},
		{"text for a list", replace(base, "{a: email, b: email}]", "{a: email, b: email}]\n    links: company"), []string{"conn.yaml: line 8: objects[0].links: a text where a list is expected"}},
		{"number for a section", replace(base, "match: {a: email, b: email}", "match: 7"), []string{"conn.yaml: line 6: objects[0].match: a number where a mapping (key: value) is expected"}},
		{"list for a duration", base + "schedule: {interval: [15m]}\n", []string{"conn.yaml: line 8: schedule.interval: a list where a duration is expected (examples: 90s, 15m, 1h)"}},
		{"bad duration", base + "schedule: {interval: soon}\n", []string{"conn.yaml: line 8: schedule.interval: \"soon\" is not a duration (examples: 90s, 15m, 1h)"}},
		{"too short interval", base + "schedule: {interval: 1s}\n", []string{"schedule.interval: 1s is too short"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWantAll(t, tt.yaml, tt.wantErr)
		})
	}
}

func TestLoadAllReportsEveryFileAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), good, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.yaml"), good, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.yml"), []byte("name: [broken"), 0o600))
	conns, err := LoadAll(dir)
	require.Error(t, err)
	assert.Len(t, conns, 1)
	assert.Contains(t, err.Error(), "b.yaml: name: \"sellsy-mautic\" is already used by")
	assert.Contains(t, err.Error(), "c.yml")
}

func TestSecretFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	tests := []struct {
		name          string
		value, inFile string // the variable, and the path its _FILE names ("" for none)
		want, wantErr string
	}{
		{"from the variable", "pw", "", "pw", ""},
		{"from a mounted file, trimmed", "", file("pw", "s3cret\n"), "s3cret", ""},
		{"the variable wins over the file", "pw", file("other", "other"), "pw", ""},
		{"neither", "", "", "", "environment variable CRMSYNC_TEST_PW (credentials.password of mautic) is empty, and CRMSYNC_TEST_PW_FILE names no file"},
		{"a missing file", "", filepath.Join(dir, "missing"), "", "CRMSYNC_TEST_PW_FILE (credentials.password of mautic): open " + filepath.Join(dir, "missing")},
		{"an empty file", "", file("empty", " \n"), "", "CRMSYNC_TEST_PW_FILE (credentials.password of mautic): " + filepath.Join(dir, "empty") + " is empty"},
		// A CRLF .env file leaves a \r: trimmed, as a mounted file's content is.
		{"a trailing CR", "demo-password\r", "", "demo-password", ""},
		{"surrounding spaces", "  pw \t", "", "pw", ""},
		{"white space only", " \r\n", "", "", "environment variable CRMSYNC_TEST_PW (credentials.password of mautic) holds only white space, and CRMSYNC_TEST_PW_FILE names no file"},
		{"white space only, then the file", " ", file("pw2", "s3cret\r\n"), "s3cret", ""},
		{"a _FILE path with a trailing CR", "", file("pw3", "s3cret") + "\r", "s3cret", ""},
		// Windows editors (Notepad) begin a UTF-8 file with a byte order mark: not the secret's.
		{"a file with a byte order mark", "", file("bom", "\ufeffs3cret\r\n"), "s3cret", ""},
		{"a file of a byte order mark only", "", file("bom-only", "\ufeff\n"), "", "CRMSYNC_TEST_PW_FILE (credentials.password of mautic): " + filepath.Join(dir, "bom-only") + " is empty"},
		{"a byte order mark inside the secret is kept", "", file("bom-inside", "s3\ufeffcret"), "s3\ufeffcret", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CRMSYNC_TEST_PW", tc.value)
			t.Setenv("CRMSYNC_TEST_PW_FILE", tc.inFile)
			s := System{System: "mautic", Credentials: map[string]string{"password": "CRMSYNC_TEST_PW"}}
			v, err := s.Secret("password")
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, v)
		})
	}
}

// Every credential variable that cannot be read is named at once, with its file, connection,
// field and variable: one restart fixes them all.
func TestSecretsNameEveryMissingVariable(t *testing.T) {
	c, err := Parse("conns/demo.yaml", []byte(`name: demo
a: {system: sellsy, credentials: {client_id: CRMSYNC_TEST_ID, client_secret: CRMSYNC_TEST_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: CRMSYNC_TEST_USER, password: CRMSYNC_TEST_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`))
	require.NoError(t, err)
	for _, v := range []string{"CRMSYNC_TEST_ID", "CRMSYNC_TEST_SECRET", "CRMSYNC_TEST_USER", "CRMSYNC_TEST_PASS"} {
		t.Setenv(v, "")
		t.Setenv(v+"_FILE", "")
	}
	t.Setenv("CRMSYNC_TEST_SECRET", "set")
	t.Setenv("CRMSYNC_TEST_PASS", " \r")

	tests := []struct {
		name string
		err  func() error
		want []string
	}{
		{"every connection's variables", func() error { return CheckSecrets(c) }, []string{
			`conns/demo.yaml: connection "demo": a.credentials.client_id: environment variable CRMSYNC_TEST_ID (credentials.client_id of sellsy) is empty, and CRMSYNC_TEST_ID_FILE names no file`,
			`conns/demo.yaml: connection "demo": b.credentials.password: environment variable CRMSYNC_TEST_PASS (credentials.password of mautic) holds only white space, and CRMSYNC_TEST_PASS_FILE names no file`,
			`conns/demo.yaml: connection "demo": b.credentials.username: environment variable CRMSYNC_TEST_USER (credentials.username of mautic) is empty, and CRMSYNC_TEST_USER_FILE names no file`,
		}},
		{"a system's variables, on one line", func() error { _, err := c.B.Secrets(); return err }, []string{
			"environment variable CRMSYNC_TEST_USER (credentials.username of mautic) is empty, and CRMSYNC_TEST_USER_FILE names no file; " +
				"environment variable CRMSYNC_TEST_PASS (credentials.password of mautic) holds only white space, and CRMSYNC_TEST_PASS_FILE names no file",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			require.Error(t, err)
			assert.Equal(t, strings.Join(tt.want, "\n"), err.Error())
		})
	}
	assert.NoError(t, CheckSecrets(), "no connection, nothing to read")
}

// A folder's hidden files (editors' lock files and copies) and backups are not connection
// files; an entry that cannot be read is named with the reason.
func TestFilesOfAFolder(t *testing.T) {
	good, err := os.ReadFile("examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		paths   func(dir string) string // CRMSYNC_CONNECTIONS; the folder when nil
		want    []string                // the files loaded, relative to the folder
		wantErr string
	}{
		{name: "an Emacs lock file (a link to nowhere)", setup: func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink("me@host.1234:1700000000", filepath.Join(dir, ".#a.yaml")))
		}, want: []string{"a.yaml"}},
		{name: "a hidden copy", setup: func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, ".#a.yaml"), good, 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden.yml"), good, 0o600))
		}, want: []string{"a.yaml"}},
		{name: "a backup", setup: func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml~"), good, 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "b.yaml~"), good, 0o600))
		}, want: []string{"a.yaml"}},
		{name: "a hidden file named is read", setup: func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "a.yaml")))
			require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden.yaml"), good, 0o600))
		}, paths: func(dir string) string { return filepath.Join(dir, ".hidden.yaml") }, want: []string{".hidden.yaml"}},
		{name: "a link to nowhere", setup: func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink("gone.yaml", filepath.Join(dir, "b.yaml")))
		}, wantErr: "b.yaml: cannot be read: it is a link to gone.yaml, which does not exist"},
		{name: "a folder", setup: func(t *testing.T, dir string) {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "old.yaml"), 0o700))
		}, wantErr: "old.yaml: is a folder, not a connection file"},
		{name: "a path that is not there", paths: func(dir string) string { return filepath.Join(dir, "nope") },
			wantErr: "nope: no such file or folder"},
		// A file reached twice is loaded once: its connection's name is not "already used".
		{name: "the folder with and without its slash", paths: func(dir string) string { return dir + "," + dir + "/" },
			want: []string{"a.yaml"}},
		{name: "the folder and one of its files", paths: func(dir string) string { return dir + "," + filepath.Join(dir, "a.yaml") },
			want: []string{"a.yaml"}},
		{name: "a file named twice and spelt differently", paths: func(dir string) string {
			return filepath.Join(dir, "a.yaml") + "," + dir + "/./a.yaml"
		}, want: []string{"a.yaml"}},
		{name: "two files of one connection are still refused", setup: func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "b.yaml"), good, 0o600))
		}, wantErr: `b.yaml: name: "sellsy-mautic" is already used by`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), good, 0o600))
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			paths := dir
			if tt.paths != nil {
				paths = tt.paths(dir)
			}
			conns, err := LoadAll(paths)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), filepath.Join(dir, tt.wantErr))
				return
			}
			require.NoError(t, err)
			var got []string
			for _, c := range conns {
				got = append(got, filepath.Base(c.File))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func replace(s, old, new string) string {
	out := ""
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return out
}

func TestValueMaps(t *testing.T) {
	base := `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    fields:
      - {a: email, b: email}
      - a: cf.level
        b: level
        values: {Gold: gold, Silver: silver}
`
	tests := []struct {
		name    string
		yaml    string
		wantErr []string
	}{
		{"valid", base, nil},
		{"empty a value", replace(base, "Silver: silver", `"": silver`), []string{
			`conn.yaml: objects[0].fields[1].values: contact field cf.level>level: an empty value maps to "silver": name the a value`}},
		{"empty b value", replace(base, "Silver: silver", `Silver: ""`), []string{
			`conn.yaml: objects[0].fields[1].values: contact field cf.level>level: "Silver" maps to an empty value: name the b value`}},
		{"two values to one, both ways", replace(base, "Silver: silver", "Silver: gold, Bronze: gold"), []string{
			`conn.yaml: objects[0].fields[1].values: contact field cf.level>level: "Bronze", "Gold", "Silver" all map to "gold": with direction both, the way back would be ambiguous (name the one "gold" comes back as under values_back:, map each value once, or use direction a_to_b)`}},
		{"two values to one, values_back names the way back", replace(base, "Silver: silver}", "Silver: gold}\n        values_back: {gold: Gold}"), nil},
		{"two values to one, values_back names another value", replace(base, "Silver: silver}", "Silver: gold}\n        values_back: {gold: Bronze}"), []string{
			`"Gold", "Silver" all map to "gold": with direction both, the way back would be ambiguous (name the one "gold" comes back as under values_back:`}},
		// values_back names another a value than the one value mapped to that b value: the a
		// value would never stay (Gold → gold → Silver), and a b value written would reach a
		// as another.
		{"one value to one, values_back names another value", replace(base, "Silver: silver}", "Silver: silver}\n        values_back: {gold: Silver}"), []string{
			`conn.yaml: objects[0].fields[1].values: contact field cf.level>level: values_back: "gold" → "Silver", but values maps only "Gold" to "gold": with direction both, "Gold" would come back as "Silver" and never stay (make it "Gold", or remove the entry)`}},
		{"one value to one, values_back names it", replace(base, "Silver: silver}", "Silver: silver}\n        values_back: {gold: Gold}"), nil},
		{"values_back of a b value no a value maps to", replace(base, "Silver: silver}", "Silver: silver}\n        values_back: {bronze: Silver}"), nil},
		{"one value to one, values_back names another value, b_to_a", replace(base, "Silver: silver}", "Silver: silver}\n        values_back: {gold: Silver}\n        direction: b_to_a"), nil},
		{"values_back on a one-way field", replace(base, "Silver: silver}", "Silver: silver}\n        values_back: {gold: Gold}\n        direction: a_to_b"), []string{
			`values_back is the way back, but the field goes a_to_b only`}},
		{"values_back with an empty value", replace(base, "Silver: silver}", "Silver: silver}\n        values_back: {gold: \"\"}"), []string{
			`values_back: "gold" → "": name both the b value and the a value`}},
		{"two values to one, one way", replace(base, "Silver: silver}", "Silver: gold}\n        direction: a_to_b"), nil},
		{"two values to one, connection one way", replace(replace(base, "objects:", "direction: a_to_b\nobjects:"), "Silver: silver", "Silver: gold"), nil},
		{"two values to one, connection one way but field both", replace(replace(base, "objects:", "direction: a_to_b\nobjects:"), "Silver: silver}", "Silver: gold}\n        direction: both"), []string{
			`"Gold", "Silver" all map to "gold"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("conn.yaml", []byte(tt.yaml))
			if tt.wantErr == nil {
				require.NoError(t, err)
				o, _ := c.Object("contact")
				assert.NotEmpty(t, o.Fields[1].Values)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
	c, err := Parse("conn.yaml", []byte(base))
	require.NoError(t, err)
	o, _ := c.Object("contact")
	assert.Equal(t, map[string]string{"Gold": "gold", "Silver": "silver"}, o.Fields[1].Values)
}

func TestFieldReversed(t *testing.T) {
	tests := []struct {
		name string
		f    Field
		want map[string]string
	}{
		{"no map", Field{}, nil},
		{"one to one", Field{Values: map[string]string{"mr": "M", "mrs": "MME"}}, map[string]string{"M": "mr", "MME": "mrs"}},
		{"values_back decides", Field{Values: map[string]string{"mr": "M", "mrs": "MME", "ms": "MME"}, ValuesBack: map[string]string{"MME": "mrs"}},
			map[string]string{"M": "mr", "MME": "mrs"}},
		{"values_back decides the other way", Field{Values: map[string]string{"mr": "M", "mrs": "MME", "ms": "MME"}, ValuesBack: map[string]string{"MME": "ms"}},
			map[string]string{"M": "mr", "MME": "ms"}},
		{"values_back alone", Field{ValuesBack: map[string]string{"X": "x"}}, map[string]string{"X": "x"}},
		{"a tie without values_back: the first in sorted order", Field{Values: map[string]string{"ms": "MME", "mrs": "MME"}}, map[string]string{"MME": "mrs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // the same answer every time, whatever the map order
				assert.Equal(t, tt.want, tt.f.Reversed())
			}
		})
	}
}

func TestConnectionDirectionIsTheFieldsDefault(t *testing.T) {
	doc := `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
direction: b_to_a
objects:
  - name: contact
    match: {a: email, b: email}
    fields:
      - {a: email, b: email}
      - {a: first_name, b: firstname, direction: both}
      - {a: last_name, b: lastname, direction: a_to_b}
`
	c, err := Parse("conn.yaml", []byte(doc))
	require.NoError(t, err)
	o, _ := c.Object("contact")
	assert.Equal(t, []Direction{BToA, Both, AToB}, []Direction{o.Fields[0].Direction, o.Fields[1].Direction, o.Fields[2].Direction})

	c, err = Parse("conn.yaml", []byte(replace(doc, "direction: b_to_a\n", "")))
	require.NoError(t, err)
	o, _ = c.Object("contact")
	assert.Equal(t, Both, o.Fields[0].Direction, "no direction anywhere: both")
}

func TestObjectsCanBeChosen(t *testing.T) {
	head := `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
objects:
`
	contact := `  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`
	company := `  - name: company
    match: {a: name, b: companyname}
    fields: [{a: name, b: companyname}]
`
	for name, doc := range map[string]string{"contact only": head + contact, "company only": head + company, "both": head + company + contact} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("conn.yaml", []byte(doc))
			assert.NoError(t, err)
		})
	}
	_, err := Parse("conn.yaml", []byte(head+replace(contact, "    fields:", "    links: [company]\n    fields:")))
	assert.ErrorContains(t, err, `objects[0].links: "company" is not an object of this connection`, "a contact linking to companies needs the company object")
}

func TestObjectSends(t *testing.T) {
	tests := []struct {
		name         string
		directions   []Direction
		wantA, wantB bool
	}{
		{"both ways", []Direction{Both}, true, true},
		{"a to b only", []Direction{AToB, AToB}, true, false},
		{"b to a only", []Direction{BToA}, false, true},
		{"mixed", []Direction{AToB, BToA}, true, true},
		{"no fields", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Object{}
			for _, d := range tt.directions {
				o.Fields = append(o.Fields, Field{A: "x", B: "y", Direction: d})
			}
			assert.Equal(t, tt.wantA, o.Sends("a"))
			assert.Equal(t, tt.wantB, o.Sends("b"))
		})
	}
}

func TestPipelineStatusMapAndTargets(t *testing.T) {
	base := `name: p
a: {system: unas, credentials: {api_key: K}}
b: {system: minicrm, settings: {base_url: https://r3.example, owner: "101"}, credentials: {system_id: S, api_key: K}}
objects:
  - name: customer
    b_object: person
    match: {a: email, b: Email}
    fields: [{a: email, b: Email}]
  - name: order
    b_object: "card:Orders"
    match: {a: order_ref, b: Text1203}
    links: [customer]
    fields: [{a: order_ref, b: Text1203}]
pipelines:
  - object: order
    pipeline: orders
    follow: true
    pipeline_target: none
`
	tests := []struct {
		name    string
		extra   string
		want    map[string]string
		wantErr string
	}{
		{name: "status map with typographic quotes", extra: "    status_map: '{“Beérkezett”: “New”, “Törölve”: “Cancelled”}'\n",
			want: map[string]string{"Beérkezett": "New", "Törölve": "Cancelled"}},
		{name: "both", extra: "    status_map: '{\"A\": \"B\"}'\n    events: {A: B}\n", wantErr: "pipelines[0]: give either status_map or events, not both"},
		{name: "neither", wantErr: "pipelines[0].events: bind at least the first event"},
		{name: "a broken map", extra: "    status_map: '{\"A\" \"B\"}'\n", wantErr: "pipelines[0].status_map:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parseWant(t, base+tt.extra, tt.wantErr)
			if c == nil {
				return
			}
			p := c.Pipelines[0]
			assert.Equal(t, tt.want, p.Events)
			assert.True(t, p.Follow)
			assert.Equal(t, NoTarget, p.PipelineTarget)
			assert.Equal(t, NoTarget, p.StageTarget, "a UNAS pipeline's default: the UNAS Status field is optional")
			// Links are held, on each side, under the linked pair's object there.
			assert.Equal(t, "customer", c.LinkKey("customer", "a"))
			assert.Equal(t, "person", c.LinkKey("customer", "b"))
			assert.Equal(t, "other", c.LinkKey("other", "b"), "not a pair: its own name")
		})
	}
}
