package main

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportsOnlyPublicPackages keeps the example copyable into a user's own module: Go refuses
// an import of another module's internal packages, so main.go may import none of crmsync's.
func TestImportsOnlyPublicPackages(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue // tests run inside crmsync's module and may use its test helpers
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		require.NoError(t, err, name)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			if strings.HasPrefix(path, "github.com/crmsync/crmsync/") {
				require.NotContains(t, "/"+path+"/", "/internal/",
					"%s imports %s: a user who copies the example into their module cannot", name, path)
			}
			checked++
		}
	}
	require.Positive(t, checked, "no import was read")
}
