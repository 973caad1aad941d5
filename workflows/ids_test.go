package workflows

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
)

// The connection file's check of signal routes knows crmsync's own workflows by their ids'
// suffixes (config cannot import this package): every id made here is one of them.
func TestConfigKnowsEveryOwnWorkflowID(t *testing.T) {
	for _, id := range []string{
		SyncWorkflowID("c"), ImportWorkflowID("c"), PipelineWorkflowID("c"),
		ImportDryRunWorkflowID("c"), RetryQuarantineWorkflowID("c"),
	} {
		assert.True(t, config.IsOwnWorkflow(id), id)
	}
	assert.False(t, config.IsOwnWorkflow("c/orders"))
}
