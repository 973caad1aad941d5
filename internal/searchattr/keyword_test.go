package searchattr

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"

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

// operator answers the operator service's search-attribute calls: it lists what it holds, and
// what it is asked to add once listed (never, when stuck).
type operator struct {
	operatorservice.OperatorServiceClient
	held    map[string]enums.IndexedValueType
	stuck   bool
	listErr error
	added   []string
}

func (o *operator) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	if o.listErr != nil {
		return nil, o.listErr
	}
	return &operatorservice.ListSearchAttributesResponse{CustomAttributes: maps.Clone(o.held)}, nil
}

func (o *operator) AddSearchAttributes(_ context.Context, in *operatorservice.AddSearchAttributesRequest, _ ...grpc.CallOption) (*operatorservice.AddSearchAttributesResponse, error) {
	for name, typ := range in.GetSearchAttributes() {
		o.added = append(o.added, name)
		if !o.stuck {
			o.held[name] = typ
		}
	}
	return &operatorservice.AddSearchAttributesResponse{}, nil
}

// operatorClient is a Temporal client whose operator service is o.
type operatorClient struct {
	client.Client
	o *operator
}

func (c operatorClient) OperatorService() operatorservice.OperatorServiceClient { return c.o }

// Ensure adds what is missing and waits until the server lists it; one that never lists
// it is an error (every workflow would stall on its first upsert), as is a refusal.
func TestEnsure(t *testing.T) {
	wait := ensureWait
	ensureWait = 300 * time.Millisecond
	t.Cleanup(func() { ensureWait = wait })
	all := crmsyncTypes()
	tests := []struct {
		name    string
		o       *operator
		added   int
		wantErr string
	}{
		{name: "all there", o: &operator{held: maps.Clone(all)}},
		{name: "added", o: &operator{held: map[string]enums.IndexedValueType{}}, added: len(all)},
		{name: "never listed", o: &operator{held: map[string]enums.IndexedValueType{}, stuck: true}, added: len(all), wantErr: "does not list the search attributes added (CrmConnection"},
		{name: "denied", o: &operator{listErr: serviceerror.NewPermissionDenied("no", "")}, wantErr: "no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Ensure(context.Background(), operatorClient{o: tt.o}, "default")
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
			}
			assert.Len(t, tt.o.added, tt.added)
		})
	}
	assert.Contains(t, Commands("prod"), "temporal operator search-attribute create --namespace prod --name CrmConnection --type Keyword")
}

// crmsyncTypes are crmsync's search attributes with their types, as a namespace holds them.
func crmsyncTypes() map[string]enums.IndexedValueType {
	types := map[string]enums.IndexedValueType{}
	for name, typ := range workflows.SearchAttributeTypes() {
		types[name] = enums.IndexedValueType(enums.IndexedValueType_value["INDEXED_VALUE_TYPE_"+strings.ToUpper(typ)])
	}
	return types
}

// An attribute the namespace holds with another type than crmsync's (created by hand) is
// named with the cure, and nothing is added: every workflow would stall on its first upsert
// of it. One missing is added.
func TestEnsureRefusesAWrongType(t *testing.T) {
	right := crmsyncTypes()
	wrong := maps.Clone(right)
	wrong["CrmRecordsRead"] = enums.INDEXED_VALUE_TYPE_KEYWORD
	delete(wrong, "CrmPhase")
	missing := maps.Clone(right)
	delete(missing, "CrmPhase")
	tests := []struct {
		name    string
		o       *operator
		added   int
		wantErr string
	}{
		{"right types", &operator{held: right}, 0, ""},
		{"one missing", &operator{held: missing}, 1, ""},
		{"a wrong type", &operator{held: wrong}, 0,
			"namespace default: search attribute CrmRecordsRead is Keyword, crmsync needs Int: every workflow would fail to publish its progress; remove it (temporal operator search-attribute remove --namespace default --name CrmRecordsRead) and start the worker again, which adds it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Ensure(context.Background(), operatorClient{o: tt.o}, "default")
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tt.wantErr)
			}
			assert.Len(t, tt.o.added, tt.added)
		})
	}
}
