package unas

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An encoding declared with either quote is read, converted and declared UTF-8 after.
func TestUTF8AnswerDeclarationQuotes(t *testing.T) {
	for _, decl := range []string{`<?xml version="1.0" encoding="ISO-8859-2"?>`, `<?xml version='1.0' encoding='ISO-8859-2'?>`} {
		out, err := utf8Answer([]byte(decl + "<Key>\xf5</Key>"))
		require.NoError(t, err, decl)
		assert.Contains(t, string(out), "UTF-8", decl)
		assert.NotContains(t, string(out), "ISO-8859-2", decl)
		assert.Contains(t, string(out), "<Key>ő</Key>", decl)
	}
	_, err := utf8Answer([]byte(`<?xml version='1.0' encoding='KOI8-R'?><Key/>`))
	assert.ErrorContains(t, err, `"KOI8-R"`)
}
