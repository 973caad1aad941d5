package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatusMap(t *testing.T) {
	tests := []struct {
		name string
		text string
		want map[string]string
		err  string
	}{
		{name: "plain quotes", text: `{"Új": "New", "Teljesítve": "Closed"}`, want: map[string]string{"Új": "New", "Teljesítve": "Closed"}},
		{name: "typographic quotes as pasted from the guide", text: `{“Unas-Status1”: “MiniCRM-Status1”, „Unas-Status2”: “MiniCRM-Status2”}`, want: map[string]string{"Unas-Status1": "MiniCRM-Status1", "Unas-Status2": "MiniCRM-Status2"}},
		{name: "mapped twice", text: `{"A": "X", "A": "Y"}`, err: `status "A" is mapped twice`},
		{name: "not an object", text: `["A", "X"]`, err: "must be an object"},
		{name: "target not a string", text: `{"A": 3}`, err: `status "A" maps to 3`},
		{name: "empty", text: "  ", err: "the status map is empty"},
		{name: "broken", text: `{"A": "X",`, err: "not valid"},
		{name: "trailing text", text: `{"A": "X"} {}`, err: "text after its closing brace"},
		{name: "a stray closing brace", text: `{"A": "X"}}`, err: "text after its closing brace"},
		{name: "empty name", text: `{"A": ""}`, err: "names cannot be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatusMap(tt.text)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// A status map or follow binds every stage; plain events bind the stages they name.
func TestPipelineStrict(t *testing.T) {
	for _, tt := range []struct {
		p    Pipeline
		want bool
	}{
		{Pipeline{Events: map[string]string{"11": "QUALIF"}}, false},
		{Pipeline{Follow: true}, true},
		{Pipeline{StatusMap: `{"A": "B"}`}, true},
	} {
		assert.Equal(t, tt.want, tt.p.Strict(), "%+v", tt.p)
	}
}

// A status map copied from a web page (the seed page itself) arrives with non-breaking spaces
// between its tokens and inside names; they are plain spaces. What still cannot be read is
// named by its character and where it is, in lines and characters, never as a byte offset or
// as the first byte of a UTF-8 sequence ("invalid character 'Â'").
func TestParseStatusMapPastedText(t *testing.T) {
	tests := []struct {
		name string
		text string
		want map[string]string
		err  []string // all of them in the error
		not  []string // none of them in the error
	}{
		{name: "non-breaking spaces between tokens", text: "{”Beérkezett”:\u00a0”New”,\u00a0”Teljesítve”:\u00a0”Closed”}",
			want: map[string]string{"Beérkezett": "New", "Teljesítve": "Closed"}},
		{name: "narrow non-breaking spaces", text: "{\u202f“Beérkezett”\u202f:\u202f“New”\u202f}",
			want: map[string]string{"Beérkezett": "New"}},
		{name: "a non-breaking space inside a name is a space", text: "{\"Szállítás\u00a0alatt\": \"In\u202fprogress\"}",
			want: map[string]string{"Szállítás alatt": "In progress"}},
		{name: "leading and trailing non-breaking spaces", text: "\u00a0{\"A\": \"X\"}\u00a0\n",
			want: map[string]string{"A": "X"}},
		{name: "an invisible character named with its position", text: "{\"A\": \"X\",\ufeff\"B\": \"Y\"}",
			err: []string{"character 11", "U+FEFF"}, not: []string{"Ã", "ï", "offset"}},
		{name: "a missing colon", text: `{"A" "X"}`,
			err: []string{`a quote (") at character 6`, "colon"}},
		{name: "a missing comma", text: `{“A”: “X” “B”: “Y”}`,
			err: []string{"a quote (“) at character 11", "comma"}},
		{name: "a missing comma, plain quotes", text: `{"A": "X" "B": "Y"}`,
			err: []string{"character 11", "comma"}},
		{name: "an unquoted name", text: `{"A": "X", B: "Y"}`,
			err: []string{"character 12", `"B"`, "quotes"}},
		{name: "an unquoted target with an accent", text: `{"A": Új}`,
			err: []string{"character 7", `"Ú"`}, not: []string{"Ã"}},
		{name: "a tab inside a name", text: "{\"A\tB\": \"X\"}",
			err: []string{"character 4", "a tab"}},
		{name: "on the second line", text: "{\"A\": \"X\",\n \"B\": Y}",
			err: []string{"line 2, character 7,", `"Y"`}},
		{name: "a trailing comma", text: `{"A": "X",}`,
			err: []string{"character 11", `"}"`}},
		{name: "cut short", text: `{"A": "X",`, err: []string{"not valid", "ends before its closing brace"}},
		{name: "text after the closing brace", text: `{"A": "X"} x`,
			err: []string{"text after its closing brace", "character 12", `"x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatusMap(tt.text)
			if tt.want != nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			assert.Nil(t, got)
			for _, s := range tt.err {
				assert.Contains(t, err.Error(), s)
			}
			for _, s := range tt.not {
				assert.NotContains(t, err.Error(), s)
			}
		})
	}
}

// A status map pasted with decomposed accents (macOS, some PDFs: "e" followed by U+0301)
// holds the names as they are typed, composed (NFC): they compare equal to the shop's. A
// name written both ways is one name, mapped twice.
func TestParseStatusMapDecomposedAccents(t *testing.T) {
	m, err := ParseStatusMap("{”Bee\u0301rkezett”: ”Leza\u0301rt”, ”Teljesítve”: ”Closed”}")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Beérkezett": "Lezárt", "Teljesítve": "Closed"}, m)
	_, err = ParseStatusMap("{\"Beérkezett\": \"A\", \"Bee\u0301rkezett\": \"B\"}")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `status "Beérkezett" is mapped twice`)
}

// Two names that differ only in what cannot be seen are told apart in words.
func TestInvisibleDifference(t *testing.T) {
	for _, tt := range []struct{ a, b, want string }{
		{"Beérkezett", "Bee\u0301rkezett", "decomposed accents"},
		{"New", "New\u200b", "an invisible character (U+200B) at character 4"},
		{"Ne\u00adw", "New", "an invisible character (U+00AD) at character 3"},
		{"New ", "New", "a space at its start or end"},
	} {
		why, ok := InvisibleDifference(tt.a, tt.b)
		assert.True(t, ok, "%q %q", tt.a, tt.b)
		assert.Contains(t, why, tt.want, "%q %q", tt.a, tt.b)
	}
	for _, pair := range [][2]string{{"New", "New"}, {"New", "Paid"}, {"Új", "Uj"}, {"New", "new"}} {
		_, ok := InvisibleDifference(pair[0], pair[1])
		assert.False(t, ok, "%q %q", pair[0], pair[1])
	}
}
