package sellsyactions

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's table of Sellsy activities gives each one's input and output types as
// registered, and an input example that decodes into that type with no unknown field.
func TestREADMEListsEachActivityWithItsTypes(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(raw), "\n## Sellsy operations as activities\n")
	require.True(t, ok, "README section \"Sellsy operations as activities\"")
	section, _, _ = strings.Cut(section, "\n## ")
	cell := regexp.MustCompile("^`(\\w+)` `([^`]+)`.*→ `(\\w+)`")

	for _, x := range (&Actions{}).activities() {
		t.Run(x.name, func(t *testing.T) {
			var row string
			for _, line := range strings.Split(section, "\n") {
				if strings.HasPrefix(line, "| ") && strings.Contains(strings.SplitN(line, " | ", 2)[0], "`"+x.name+"`") {
					row = line
				}
			}
			require.NotEmpty(t, row, "no table row lists %s", x.name)
			cols := strings.Split(row, " | ")
			require.Len(t, cols, 3, "activity | input → output | does")
			m := cell.FindStringSubmatch(cols[1])
			require.NotNil(t, m, "the input → output cell of %s", x.name)

			fn := reflect.TypeOf(x.fn) // func(context.Context, In) (Out, error)
			in, out := fn.In(1), fn.Out(0)
			assert.Equal(t, in.Name(), m[1], "input type")
			assert.Equal(t, out.Name(), m[3], "output type")
			dec := json.NewDecoder(bytes.NewReader([]byte(m[2])))
			dec.DisallowUnknownFields()
			assert.NoError(t, dec.Decode(reflect.New(in).Interface()), "the example input %s", m[2])
		})
	}
}
