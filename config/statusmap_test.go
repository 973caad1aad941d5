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
