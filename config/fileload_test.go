package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// demoConnection is a valid Sellsy ⇄ Automation connection of contacts, which the tests below
// change in one place each.
const demoConnection = `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
schedule: {interval: 15m}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`

// demoWith is demoConnection with old replaced by new; old must be there.
func demoWith(t *testing.T, old, new string) string {
	t.Helper()
	require.Contains(t, demoConnection, old)
	return strings.Replace(demoConnection, old, new, 1)
}

// A whole number past an int's range is refused naming its field and line, as every other
// value that does not fit is (the decoder's message named neither).
func TestWholeNumberOutOfRangeNamesTheField(t *testing.T) {
	tests := []struct {
		name, value, wantErr string
	}{
		{name: "the largest", value: "9223372036854775807"},
		{name: "one past the largest", value: "9223372036854775808",
			wantErr: `conn.yaml: line 4: schedule.max_deletes: "9223372036854775808" is too large a number (at most 9223372036854775807)`},
		{name: "an unsigned 64-bit number", value: "18446744073709551615",
			wantErr: `conn.yaml: line 4: schedule.max_deletes: "18446744073709551615" is too large a number (at most 9223372036854775807)`},
		{name: "past 64 bits", value: "99999999999999999999",
			wantErr: `conn.yaml: line 4: schedule.max_deletes: "99999999999999999999" is too large a number (at most 9223372036854775807)`},
		{name: "too negative", value: "-99999999999999999999",
			wantErr: `conn.yaml: line 4: schedule.max_deletes: "-99999999999999999999" is too small a number (at least -9223372036854775808)`},
		{name: "a decimal number", value: "1.5", wantErr: `conn.yaml: line 4: schedule.max_deletes: "1.5" is not a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, demoWith(t, "{interval: 15m}", "{interval: 15m, max_deletes: "+tt.value+"}"), tt.wantErr)
		})
	}
}

// A field's status_map fills its values and gets every check values: gets, reported at
// status_map.
func TestStatusMapIsCheckedAsValues(t *testing.T) {
	tests := []struct {
		name, field, wantErr string
	}{
		{name: "two statuses to one, both ways",
			field:   `{a: position, b: position, status_map: '{"lead": "hot", "prospect": "hot"}'}`,
			wantErr: `conn.yaml: objects[0].fields[1].status_map: contact field position>position: "lead", "prospect" all map to "hot": with direction both, the way back would be ambiguous`},
		{name: "the same map as values", // what the status map must be held to
			field:   `{a: position, b: position, values: {lead: hot, prospect: hot}}`,
			wantErr: `conn.yaml: objects[0].fields[1].values: contact field position>position: "lead", "prospect" all map to "hot"`},
		{name: "two statuses to one, one way",
			field: `{a: position, b: position, direction: a_to_b, status_map: '{"lead": "hot", "prospect": "hot"}'}`},
		{name: "two statuses to one, the way back named",
			field: `{a: position, b: position, status_map: '{"lead": "hot", "prospect": "hot"}', values_back: {hot: lead}}`},
		{name: "values_back on a one-way status map",
			field:   `{a: position, b: position, direction: a_to_b, status_map: '{"lead": "hot"}', values_back: {hot: lead}}`,
			wantErr: `conn.yaml: objects[0].fields[1].status_map: contact field position>position: values_back is the way back, but the field goes a_to_b only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, demoWith(t, "fields: [{a: email, b: email}]", "fields: [{a: email, b: email}, "+tt.field+"]"), tt.wantErr)
		})
	}
}

// A credential names the variable that holds it, never the <NAME>_FILE one that names a file:
// Secret reads that one by itself, and named, its path would be sent as the credential.
func TestCredentialNamingAFileVariable(t *testing.T) {
	tests := []struct {
		name, variable, wantErr string
	}{
		{name: "a _FILE variable", variable: "M_PASS_FILE",
			wantErr: "conn.yaml: b.credentials.password: M_PASS_FILE ends in _FILE: name M_PASS instead; crmsync reads M_PASS_FILE, the path of a file holding the credential, by itself when M_PASS is empty or unset"},
		{name: "_FILE alone", variable: "_FILE",
			wantErr: "conn.yaml: b.credentials.password: _FILE ends in _FILE, which names a variable holding the path of a file, not the credential"},
		{name: "a name ending in FILE, not _FILE", variable: "M_PROFILE"},
		{name: "FILE inside the name", variable: "M_FILE_PASS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, demoWith(t, "password: M_PASS", "password: "+tt.variable), tt.wantErr)
		})
	}
}

// An object's name is one crmsync resync --objects can name: its comma-separated list is
// split at commas and each name trimmed.
func TestObjectNamesResyncCanName(t *testing.T) {
	tests := []struct {
		name, object, wantErr string
	}{
		{name: "a comma", object: `"contact, main"`,
			wantErr: `conn.yaml: objects[0].name: "contact, main": an object's name has no comma and no space at either end, so that crmsync resync --objects, which takes a comma-separated list, can name it`},
		{name: "a leading space", object: `" contact"`, wantErr: `conn.yaml: objects[0].name: " contact": an object's name has no comma`},
		{name: "a trailing tab", object: `"contact\t"`, wantErr: `conn.yaml: objects[0].name: "contact\t": an object's name has no comma`},
		{name: "a space inside", object: `"main contact"`},
		{name: "a dash", object: "main-contact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The objects named: the pair's name alone would have to be a system's object.
			parseWant(t, demoWith(t, "- name: contact", "- name: "+tt.object+"\n    a_object: contact\n    b_object: contact"), tt.wantErr)
		})
	}
}

// A line indented with a tab is named as such, with its line, whatever the decoder says
// about it ("found character that cannot start any token", or a tab on the line before);
// other syntax errors keep the decoder's words.
func TestTabIndentationIsNamed(t *testing.T) {
	const tabbed = "the line is indented with a tab: YAML allows only spaces for indentation; replace the tab with spaces"
	tests := []struct {
		name, old, new, wantErr string
	}{
		{name: "a tab for the indentation", old: "    match:", new: "\tmatch:", wantErr: "conn.yaml: line 7: " + tabbed},
		{name: "spaces then a tab", old: "    match:", new: "  \tmatch:", wantErr: "conn.yaml: line 7: " + tabbed},
		{name: "a tab then spaces", old: "    match:", new: "\t  match:", wantErr: "conn.yaml: line 7: " + tabbed},
		{name: "a list item", old: "  - name: contact", new: "\t- name: contact", wantErr: "conn.yaml: line 6: " + tabbed},
		{name: "the first line", old: "name: demo", new: "\tname: demo", wantErr: "conn.yaml: line 1: " + tabbed},
		{name: "a tab inside a value", old: "name: demo", new: "name: demo\t"},
		{name: "a tab in a flow list's continuation", old: "[{a: email, b: email}]", new: "[{a: email, b: email},\n\t{a: last_name, b: lastname}]"},
		{name: "another syntax error", old: "name: demo", new: "name: demo\nstart_date: @2026", wantErr: "conn.yaml: line 2: found character that cannot start any token"},
		{name: "another syntax error beside a tab", old: "name: demo", new: "name: demo\t\nstart_date: @2026", wantErr: "conn.yaml: line 2: found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, demoWith(t, tt.old, tt.new), tt.wantErr)
		})
	}
}

// A filter value is kept as written, true and false apart: YAML's rules would read 0123 as
// the octal 83 and 2026-01-31 as a time, which no record holding them passes. A list holds
// the values a record may hold any of, each kept so; an empty list, a list in it, true or
// false in it and a mapping are refused naming the field.
func TestFilterValuesAsWritten(t *testing.T) {
	tests := []struct {
		name, value string
		want        any
		wantErr     string
	}{
		{name: "a leading zero", value: "0123", want: "0123"},
		{name: "a date", value: "2026-01-31", want: "2026-01-31"},
		{name: "a date and time", value: "2026-01-31T10:00:00Z", want: "2026-01-31T10:00:00Z"},
		{name: "an exponent", value: "1e3", want: "1e3"},
		{name: "a hexadecimal", value: "0x1F", want: "0x1F"},
		{name: "a decimal with its zero", value: "1.50", want: "1.50"},
		{name: "a number", value: "12", want: "12"},
		{name: "a text", value: "moral", want: "moral"},
		{name: "yes stays a text", value: "yes", want: "yes"},
		{name: "true", value: "true", want: true},
		{name: "false", value: "false", want: false},
		{name: "true quoted stays a text", value: `"true"`, want: "true"},
		// Left empty, a gate would keep the records whose field is empty, and give them none.
		{name: "no value", value: "",
			wantErr: `conn.yaml: line 7: objects[0].filter.a["cf.CODE"]: no value: give the value records must hold, or a list of the values they may hold (a text, a number, true or false; "" for an empty field)`},
		{name: "null", value: "~",
			wantErr: `conn.yaml: line 7: objects[0].filter.a["cf.CODE"]: no value: give the value records must hold`},
		{name: "an empty text", value: `""`, want: ""},
		{name: "a list", value: "[prospect, client]", want: []any{"prospect", "client"}},
		{name: "a list of one", value: "[prospect]", want: []any{"prospect"}},
		{name: "a list kept as written", value: "[0123, 2026-01-31, 1e3, 12, yes, \"true\", \"\"]",
			want: []any{"0123", "2026-01-31", "1e3", "12", "yes", "true", ""}},
		{name: "an empty list", value: "[]",
			wantErr: `conn.yaml: line 7: objects[0].filter.a["cf.CODE"]: an empty list, which no record would pass: give the values records may hold, at least one`},
		{name: "a list in the list", value: "[[a], b]",
			wantErr: `conn.yaml: line 7: objects[0].filter.a["cf.CODE"][0]: a list in a list of values: each is one value (a text or a number)`},
		{name: "a mapping in the list", value: "[a, {x: 1}]",
			wantErr: `conn.yaml: line 7: objects[0].filter.a["cf.CODE"][1]: a mapping in a list of values: each is one value (a text or a number)`},
		{name: "no value in the list", value: "[a, ~]",
			wantErr: `conn.yaml: line 7: objects[0].filter.a["cf.CODE"][1]: no value: give each value of the list (a text or a number; "" for an empty field)`},
		{name: "a gate's both values", value: "[true, false]",
			wantErr: "conn.yaml: line 7: objects[0].filter.a[\"cf.CODE\"][0]: true in a list of values: a yes/no gate takes one value, true or false, not a list\n" +
				"conn.yaml: line 7: objects[0].filter.a[\"cf.CODE\"][1]: false in a list of values: a yes/no gate takes one value, true or false, not a list"},
		{name: "true among texts", value: "[a, true]",
			wantErr: `conn.yaml: line 7: objects[0].filter.a["cf.CODE"][1]: true in a list of values: a yes/no gate takes one value, true or false, not a list`},
		{name: "a mapping", value: "{x: 1}",
			wantErr: `conn.yaml: line 7: objects[0].filter.a["cf.CODE"]: a mapping where a value or a list of values is expected (a text, a number, true or false)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parseWant(t, demoWith(t, "    match:", "    filter: {a: {cf.CODE: "+tt.value+"}}\n    match:"), tt.wantErr)
			if tt.wantErr == "" {
				assert.Equal(t, tt.want, c.Objects[0].Filter.A["cf.CODE"])
			}
		})
	}
	t.Run("through an anchor", func(t *testing.T) {
		c := parseWant(t, demoWith(t, "    match:", "    filter: {a: {cf.CODE: &code 0123}, b: {code: *code}}\n    match:"), "")
		assert.Equal(t, "0123", c.Objects[0].Filter.A["cf.CODE"])
		assert.Equal(t, "0123", c.Objects[0].Filter.B["code"])
	})
	t.Run("a list through anchors", func(t *testing.T) {
		c := parseWant(t, demoWith(t, "    match:", "    filter: {a: {cf.CODE: &types [&first 0123, client]}, b: {code: *types, other: [*first, 2]}}\n    match:"), "")
		assert.Equal(t, []any{"0123", "client"}, c.Objects[0].Filter.A["cf.CODE"])
		assert.Equal(t, []any{"0123", "client"}, c.Objects[0].Filter.B["code"])
		assert.Equal(t, []any{"0123", "2"}, c.Objects[0].Filter.B["other"])
	})
}

// A filter value stands for the values it lets through, gives records created its first,
// and reads as they are joined by or.
func TestFilterValueHelpers(t *testing.T) {
	tests := []struct {
		name  string
		value any
		all   []any
		given any
		text  string
	}{
		{name: "one value", value: "moral", all: []any{"moral"}, given: "moral", text: "moral"},
		{name: "a gate", value: true, all: []any{true}, given: true, text: "true"},
		{name: "a list", value: []any{"prospect", "client"}, all: []any{"prospect", "client"}, given: "prospect", text: "prospect or client"},
		{name: "a list of one", value: []any{"client"}, all: []any{"client"}, given: "client", text: "client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.all, FilterValues(tt.value))
			assert.Equal(t, tt.given, FilterGiven(tt.value))
			assert.Equal(t, tt.text, FilterText(tt.value))
		})
	}
}

// A Sellsy company's type is set at its creation only, from the filter's type when it names
// one (a list's first), else from company_type: a company_type the filter overrides is
// refused, naming the fix.
func TestCompanyTypeAndTheFilterOnType(t *testing.T) {
	conn := func(settings, filter, direction string) string {
		return `name: demo
a: {system: sellsy, settings: {` + settings + `}, credentials: {client_id: S_ID, client_secret: S_SECRET}}
b: {system: mautic, settings: {base_url: https://m.example}, credentials: {username: M_USER, password: M_PASS}}
direction: ` + direction + `
objects:
  - name: company
    match: {a: name, b: companyname}
    filter: ` + filter + `
    fields: [{a: name, b: companyname}]
`
	}
	const prospectOrClient = "{a: {type: [prospect, client]}}"
	tests := []struct {
		name, yaml, wantErr string
	}{
		{name: "no company_type", yaml: conn("", prospectOrClient, "both")},
		{name: "company_type the list's first", yaml: conn("company_type: prospect", prospectOrClient, "both")},
		{name: "company_type the one value", yaml: conn("company_type: client", "{a: {type: client}}", "both")},
		{name: "company_type in the list, not first", yaml: conn("company_type: client", prospectOrClient, "both"),
			wantErr: `conn.yaml: a.settings.company_type: "client", but objects[0] (company) gives the Sellsy companies it creates the type prospect, from its filter (filter.a.type: prospect or client), which company_type does not change: put client first in the filter's list, or leave company_type out`},
		{name: "company_type not in the list", yaml: conn("company_type: supplier", prospectOrClient, "both"),
			wantErr: `conn.yaml: a.settings.company_type: "supplier", but objects[0] (company) gives the Sellsy companies it creates the type prospect, from its filter (filter.a.type: prospect or client), which company_type does not change: leave company_type out, or make it prospect`},
		{name: "company_type not the one value", yaml: conn("company_type: supplier", "{a: {type: client}}", "both"),
			wantErr: `conn.yaml: a.settings.company_type: "supplier", but objects[0] (company) gives the Sellsy companies it creates the type client, from its filter (filter.a.type: client)`},
		{name: "a list written as a block", yaml: conn("company_type: client", "\n      a:\n        type:\n          - client\n          - prospect", "both")},
		{name: "no company created in Sellsy", yaml: conn("company_type: supplier", prospectOrClient, "a_to_b")},
		{name: "a filter on another field", yaml: conn("company_type: supplier", "{a: {cf.sa: true}}", "both")},
		{name: "a type on the other side", yaml: conn("company_type: supplier", "{b: {type: client}}", "both")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, tt.yaml, tt.wantErr)
		})
	}
}

// Settings are trimmed once, when the file is read: the connectors open with the values that
// were validated.
func TestSettingsAreTrimmedWhenRead(t *testing.T) {
	c := parseWant(t, demoWith(t, "settings: {base_url: https://m.example}",
		`settings: {base_url: " https://m.example\t", requests_per_second: "20 "}`), "")
	assert.Equal(t, map[string]string{"base_url": "https://m.example", "requests_per_second": "20"}, c.B.Settings)
	assert.Equal(t, 15*time.Minute, c.Schedule.Interval.Std(), "the other defaults are applied as before")
}

// A line indented out of step with its block is named by its own line: the decoder names the
// line where the block it could not close began, or the line before ("line 8: did not find
// expected key"), where there is nothing to fix.
func TestMisindentedLineIsNamed(t *testing.T) {
	tests := []struct {
		name, old, new, wantErr string
	}{
		{name: "a list item one space short", old: "  - name: contact\n    match", new: "  - name: contact\n    match: {a: email, b: email}\n    fields: [{a: email, b: email}]\n - name: company\n    match",
			wantErr: "conn.yaml: line 9: did not find expected key: this line is indented out of step with the lines above it"},
		{name: "a key one space short", old: "    match:", new: "   match:",
			wantErr: "conn.yaml: line 7: did not find expected '-' indicator: this line is indented out of step with the lines above it"},
		{name: "a comment above the block", old: "objects:\n", new: "# the objects\nobjects:\n  - name: company\n    match: {a: name, b: companyname}\n    fields: [{a: name, b: companyname}]\n - name: x\n",
			wantErr: "conn.yaml: line 10: did not find expected key: this line is indented out of step with the lines above it"},
		{name: "another syntax error keeps the decoder's line", old: "name: demo", new: "name: demo\nstart_date: @2026", wantErr: "conn.yaml: line 2: found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseWant(t, demoWith(t, tt.old, tt.new), tt.wantErr)
		})
	}
}
