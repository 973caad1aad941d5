package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/workflows"
)

// An import that read 1700 companies, 1600 of which a gate left out, showed 100 in the other
// columns and nothing of the 1600: the table has a LEFT OUT column (the progress's filtered),
// as the dry run's has LEAVE OUT.
func TestStatusShowsTheRecordsLeftOut(t *testing.T) {
	p := workflows.Progress{Connection: "c", Workflow: "InitialImport", Phase: workflows.PhaseImporting,
		Objects: []workflows.ObjectProgress{{Object: "company", Counts: activities.Counts{Read: 1700, CreatedB: 100, Filtered: 1600}}}}
	useFake(t, &fakeTemporal{workflows: map[string]fakeWorkflow{
		workflows.ImportWorkflowID("c"): {status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING, progress: p}}})
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"status", "c"}, &out))
	assert.Contains(t, out.String(), "QUARANTINED  LEFT OUT  PAIRS")
	var row []string
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "company" {
			row = f
		}
	}
	//                   OBJECT     READ    UNCHANGED CREATED A/B UPDATED A/B CONFLICTS QUARANTINED LEFT OUT PAIRS DONE
	assert.Equal(t, []string{"company", "1700", "0", "0", "100", "0", "0", "0", "0", "1600", "0", "false"}, row)
}
