package main

import (
	"cmp"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/crmsync/crmsync/workflows"
)

// fakeWorkflow is a workflow execution as fakeTemporal knows it.
type fakeWorkflow struct {
	status   enums.WorkflowExecutionStatus
	closed   time.Time
	progress any    // what a progress query answers, even once closed (as Temporal does)
	queryErr error  // what a progress query fails with instead, when set
	phase    string // the CrmPhase it last published ("": none)
	// quarantined is the CrmQuarantined it last published (nil: none).
	quarantined *int64
	taskQueue   string // the task queue it runs on ("": crmsync)
	// unanswered: a progress query waits for a worker that never comes, until its deadline
	// (a worker gone a moment ago, the server still waiting for it).
	unanswered bool
}

// fakeTemporal is the part of a Temporal client the commands use, answering from its maps:
// descriptions and queries of workflows, starts (recorded), and what a started workflow
// returns. Any other call panics (the embedded nil client).
type fakeTemporal struct {
	client.Client
	mu        sync.Mutex // the commands may call it from several goroutines
	workflows map[string]fakeWorkflow
	started   []string
	signals   []string                              // "name workflow-id" of each signal sent
	results   map[string]any                        // workflow id → its result, for a started workflow's Get
	operator  operatorservice.OperatorServiceClient // nil: fakeOperator
	noWorker  bool                                  // no worker polls the task queue
	idleFor   int                                   // task queue descriptions with no worker before one polls
	onlyQueue string                                // when set, the one task queue a worker polls
	goneAfter int                                   // task queue descriptions with a worker before none polls (0: never gone)
	err       error                                 // what every description and signal fails with, when set
	errAfter  int                                   // descriptions answered before err applies
	described int
	queues    int // task queue descriptions
}

// useFake makes the commands of the test talk to f instead of a Temporal server.
func useFake(t *testing.T, f *fakeTemporal) {
	t.Helper()
	old := connect
	connect = func(client.Options) (client.Client, error) { return f, nil }
	t.Cleanup(func() { connect = old })
	t.Setenv("CRMSYNC_CONNECTIONS", "./nowhere")
	t.Setenv("CRMSYNC_DATA_DIR", t.TempDir())
}

func (f *fakeTemporal) Close() {}

func (f *fakeTemporal) DescribeWorkflowExecution(_ context.Context, id, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil && f.described >= f.errAfter {
		return nil, f.err
	}
	f.described++
	w, ok := f.workflows[id]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found for ID: " + id)
	}
	info := &workflowpb.WorkflowExecutionInfo{Status: w.status, TaskQueue: cmp.Or(w.taskQueue, "crmsync")}
	if !w.closed.IsZero() {
		info.CloseTime = timestamppb.New(w.closed)
	}
	published := map[string]any{}
	if w.phase != "" {
		published[workflows.AttrPhase.GetName()] = w.phase
	}
	if w.quarantined != nil {
		published[workflows.AttrQuarantined.GetName()] = *w.quarantined
	}
	if len(published) > 0 {
		info.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{}}
		for name, v := range published {
			p, err := converter.GetDefaultDataConverter().ToPayload(v)
			if err != nil {
				return nil, err
			}
			info.SearchAttributes.IndexedFields[name] = p
		}
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: info}, nil
}

func (f *fakeTemporal) QueryWorkflow(ctx context.Context, id, _, _ string, _ ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	w, ok := f.workflows[id]
	f.mu.Unlock()
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found for ID: " + id)
	}
	if w.unanswered {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if w.queryErr != nil {
		return nil, w.queryErr
	}
	return fakeValue{w.progress}, nil
}

// fakeValue is a query's answer.
type fakeValue struct{ v any }

func (v fakeValue) HasValue() bool     { return v.v != nil }
func (v fakeValue) Get(into any) error { return jsonCopy(v.v, into) }

func (f *fakeTemporal) DescribeTaskQueue(_ context.Context, queue string, _ enums.TaskQueueType) (*workflowservice.DescribeTaskQueueResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues++
	if f.noWorker || f.idleFor > 0 || (f.onlyQueue != "" && queue != f.onlyQueue) {
		f.idleFor--
		return &workflowservice.DescribeTaskQueueResponse{}, nil
	}
	if f.goneAfter > 0 && f.queues > f.goneAfter {
		// The worker gone: Temporal still lists it, with the time it last polled.
		gone := timestamppb.New(time.Now().Add(-2 * pollerSilence))
		return &workflowservice.DescribeTaskQueueResponse{Pollers: []*taskqueuepb.PollerInfo{{LastAccessTime: gone}}}, nil
	}
	return &workflowservice.DescribeTaskQueueResponse{Pollers: []*taskqueuepb.PollerInfo{{LastAccessTime: timestamppb.Now()}}}, nil
}

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, o.ID)
	return fakeRun{id: o.ID, result: f.results[o.ID]}, nil
}

func (f *fakeTemporal) OperatorService() operatorservice.OperatorServiceClient {
	if f.operator != nil {
		return f.operator
	}
	return fakeOperator{}
}

// fakeOperator lists crmsync's search attributes as registered, with their types.
type fakeOperator struct {
	operatorservice.OperatorServiceClient
}

func (fakeOperator) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	attrs := map[string]enums.IndexedValueType{}
	for name, typ := range workflows.SearchAttributeTypes() {
		attrs[name] = enums.IndexedValueType(enums.IndexedValueType_value["INDEXED_VALUE_TYPE_"+strings.ToUpper(typ)])
	}
	return &operatorservice.ListSearchAttributesResponse{CustomAttributes: attrs}, nil
}

// fakeRun is a started workflow whose Get returns result (through JSON, as a payload would).
type fakeRun struct {
	client.WorkflowRun
	id     string
	result any
}

func (r fakeRun) GetID() string    { return r.id }
func (r fakeRun) GetRunID() string { return "run-" + r.id }
func (r fakeRun) Get(ctx context.Context, into any) error {
	if r.result == neverEnds {
		<-ctx.Done()
		return ctx.Err()
	}
	if later, ok := r.result.(endsAfter); ok {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(later.d):
		}
		return jsonCopy(later.result, into)
	}
	if err, ok := r.result.(error); ok {
		return err
	}
	return jsonCopy(r.result, into)
}

// endsAfter is the result of a workflow that runs for d, then returns result.
type endsAfter struct {
	d      time.Duration
	result any
}

// neverEnds is the result of a workflow no worker runs: its Get waits until its context ends.
var neverEnds = &struct{ never bool }{}

func jsonCopy(from, into any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// SignalWorkflow records a signal to a running workflow; NotFound for any other.
func (f *fakeTemporal) SignalWorkflow(_ context.Context, id, _, name string, _ any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if w, ok := f.workflows[id]; !ok || w.status != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return serviceerror.NewNotFound("workflow not found for ID: " + id)
	}
	f.signals = append(f.signals, name+" "+id)
	return nil
}
