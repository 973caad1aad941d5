package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A boolean may be written quoted ("true", "false") as YAML 1.1's yes/no/on/off are taken.
func TestQuotedBooleans(t *testing.T) {
	initial := strings.Replace(minimalConnection, "    fields:", "    initial: {from_a: %s, from_b: %s, match: %s}\n    fields:", 1)
	tests := []struct {
		a, b, match string
		want        [3]bool
	}{
		{`"true"`, `"false"`, `'TRUE'`, [3]bool{true, false, true}},
		{`"True"`, `"FALSE"`, `"False"`, [3]bool{true, false, false}},
		{`yes`, `"no"`, `"on"`, [3]bool{true, false, true}},
		{`true`, `false`, `off`, [3]bool{true, false, false}},
	}
	for _, tt := range tests {
		yaml := strings.Replace(initial, "%s", tt.a, 1) // the three placeholders, in order
		yaml = strings.Replace(yaml, "%s", tt.b, 1)
		yaml = strings.Replace(yaml, "%s", tt.match, 1)
		c, err := Parse("conn.yaml", []byte(yaml))
		require.NoError(t, err, "%s %s %s", tt.a, tt.b, tt.match)
		in := c.Objects[0].Initial
		require.NotNil(t, in.FromA)
		require.NotNil(t, in.FromB)
		require.NotNil(t, in.Match)
		assert.Equal(t, tt.want, [3]bool{*in.FromA, *in.FromB, *in.Match}, "%s %s %s", tt.a, tt.b, tt.match)
	}
	_, err := Parse("conn.yaml", []byte(strings.NewReplacer("%s", `"maybe"`).Replace(initial)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `objects[0].initial.from_a: "maybe" is not true or false`)
}
