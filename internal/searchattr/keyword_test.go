package searchattr

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/crmsync/crmsync/workflows"
)

func TestKeyword(t *testing.T) {
	paused, err := converter.GetDefaultDataConverter().ToPayload(workflows.PhasePaused)
	require.NoError(t, err)
	attrs := &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{workflows.AttrPhase.GetName(): paused}}
	tests := []struct {
		name  string
		attrs *commonpb.SearchAttributes
		want  string
	}{
		{"published", attrs, workflows.PhasePaused},
		{"another attribute only", &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"Other": paused}}, ""},
		{"no attributes", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Keyword(tt.attrs, workflows.AttrPhase))
		})
	}
}

// describer answers DescribeWorkflowExecution from a map of workflow id to status and phase.
type describer map[string]struct {
	status enums.WorkflowExecutionStatus
	phase  string
}

func (d describer) DescribeWorkflowExecution(_ context.Context, id, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	w, ok := d[id]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found: " + id)
	}
	phase, err := converter.GetDefaultDataConverter().ToPayload(w.phase)
	if err != nil {
		return nil, err
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Status:           w.status,
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{workflows.AttrPhase.GetName(): phase}},
	}}, nil
}

func TestPaused(t *testing.T) {
	const conn = "shop"
	running, done := enums.WORKFLOW_EXECUTION_STATUS_RUNNING, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED
	imp, sync, pipe := workflows.ImportWorkflowID(conn), workflows.SyncWorkflowID(conn), workflows.PipelineWorkflowID(conn)
	tests := []struct {
		name string
		d    describer
		want bool
	}{
		{"nothing runs", describer{}, false},
		{"sync paused", describer{sync: {running, workflows.PhasePaused}}, true},
		{"sync running", describer{sync: {running, "incremental"}}, false},
		{"import paused, no sync yet", describer{imp: {running, workflows.PhasePaused}}, true},
		{"import done, sync running", describer{imp: {done, workflows.PhasePaused}, sync: {running, "incremental"}}, false},
		{"sync ended while paused", describer{sync: {enums.WORKFLOW_EXECUTION_STATUS_TERMINATED, workflows.PhasePaused}}, false},
		{"only the pipeline sync paused", describer{pipe: {running, workflows.PhasePaused}, sync: {running, "incremental"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Paused(context.Background(), tt.d, conn)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
