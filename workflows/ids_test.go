package workflows

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
)

// ownIDs are the functions that name a connection's own workflows, by function name.
var ownIDs = map[string]func(string) string{
	"SyncWorkflowID":            SyncWorkflowID,
	"ImportWorkflowID":          ImportWorkflowID,
	"PipelineWorkflowID":        PipelineWorkflowID,
	"ImportDryRunWorkflowID":    ImportDryRunWorkflowID,
	"RetryQuarantineWorkflowID": RetryQuarantineWorkflowID,
}

// The connection file's check of signal routes knows crmsync's own workflows by their ids'
// suffixes (config cannot import this package): every id made here is one of them.
func TestConfigKnowsEveryOwnWorkflowID(t *testing.T) {
	for name, id := range ownIDs {
		assert.True(t, config.IsOwnWorkflow(id("c")), "%s: %s", name, id("c"))
	}
	assert.True(t, config.IsOwnWorkflow(SellsyEventsWorkflowID("c", "company", "5")))
	assert.False(t, config.IsOwnWorkflow("c/orders"))
}

// A new func XxxWorkflowID(connection string) in this package must join ownIDs, or the check
// above would not see it. PushWorkflowID is left out on purpose: it takes a PushInput, and a
// push lasts seconds, so no signal route targets it.
func TestOwnIDsListsEveryConnectionWorkflowID(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var found []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		require.NoError(t, err, name)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() || !strings.HasSuffix(fn.Name.Name, "WorkflowID") {
				continue
			}
			params := fn.Type.Params.List
			if len(params) != 1 || len(params[0].Names) != 1 {
				continue
			}
			if typ, ok := params[0].Type.(*ast.Ident); ok && typ.Name == "string" {
				found = append(found, fn.Name.Name)
			}
		}
	}
	require.NotEmpty(t, found, "no workflow id function was read")
	var listed []string
	for name := range ownIDs {
		listed = append(listed, name)
	}
	sort.Strings(found)
	sort.Strings(listed)
	assert.Equal(t, listed, found)
}
