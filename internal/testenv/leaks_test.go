package testenv

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/operatorservice/v1"
	updatepb "go.temporal.io/api/update/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	plantedEmail  = "jeanne.dupont@example.fr"
	plantedSecret = "planted-s3cret&<key>"
)

// planted is what a careless workflow or activity would carry.
type planted struct {
	Connection string
	Email      string
	Token      string
}

func payloads(t *testing.T, v ...any) *commonpb.Payloads {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayloads(v...)
	require.NoError(t, err)
	return p
}

func payload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

// oldCheck is what the e2e tests did before: search the protojson of the history, where payload
// data is base64.
func oldCheck(t *testing.T, h *historypb.History, secret string) bool {
	t.Helper()
	data, err := HistoryJSON(h)
	require.NoError(t, err)
	return EmailAddress.Match(data) || strings.Contains(string(data), secret)
}

func TestFindLeaksDecodesEveryPayload(t *testing.T) {
	leak := planted{Connection: "acme", Email: plantedEmail, Token: plantedSecret}
	cases := []struct {
		name      string
		event     *historypb.HistoryEvent
		path      string
		oldCaught bool
	}{
		{
			name: "workflow input",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
					Input: payloads(t, leak)}}},
			path: "workflow_execution_started_event_attributes.input.payloads[0]",
		},
		{
			name: "memo",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
					Memo: &commonpb.Memo{Fields: map[string]*commonpb.Payload{"owner": payload(t, leak)}}}}},
			path: "workflow_execution_started_event_attributes.memo.fields[owner]",
		},
		{
			name: "upserted search attribute",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
				Attributes: &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{
					SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"CrmsyncPhase": payload(t, plantedEmail+" "+plantedSecret)}}}}},
			path: "upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields[CrmsyncPhase]",
		},
		{
			name: "activity input",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
				Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
					Input: payloads(t, "acme", leak)}}},
			path: "activity_task_scheduled_event_attributes.input.payloads[1]",
		},
		{
			name: "activity header",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
				Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
					Header: &commonpb.Header{Fields: map[string]*commonpb.Payload{"trace": payload(t, leak)}}}}},
			path: "activity_task_scheduled_event_attributes.header.fields[trace]",
		},
		{
			name: "activity result",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
				Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
					Result: payloads(t, leak)}}},
			path: "activity_task_completed_event_attributes.result.payloads[0]",
		},
		{
			name: "signal input",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{
					SignalName: "resync", Input: payloads(t, leak)}}},
			path: "workflow_execution_signaled_event_attributes.input.payloads[0]",
		},
		{
			name: "heartbeat details of a timed-out activity",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
				Attributes: &historypb.HistoryEvent_ActivityTaskTimedOutEventAttributes{ActivityTaskTimedOutEventAttributes: &historypb.ActivityTaskTimedOutEventAttributes{
					Failure: &failurepb.Failure{Message: "activity timeout", Cause: &failurepb.Failure{Message: "heartbeat timeout",
						FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{
							LastHeartbeatDetails: payloads(t, leak)}}}}}}},
			path: "activity_task_timed_out_event_attributes.failure.cause.timeout_failure_info.last_heartbeat_details.payloads[0]",
		},
		{
			name: "application failure details",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_ACTIVITY_TASK_FAILED,
				Attributes: &historypb.HistoryEvent_ActivityTaskFailedEventAttributes{ActivityTaskFailedEventAttributes: &historypb.ActivityTaskFailedEventAttributes{
					Failure: &failurepb.Failure{Message: "invalid record",
						FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
							Type: "InvalidRecord", Details: payloads(t, leak)}}}}}},
			path: "activity_task_failed_event_attributes.failure.application_failure_info.details.payloads[0]",
		},
		{
			name: "encoded failure attributes",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{WorkflowExecutionFailedEventAttributes: &historypb.WorkflowExecutionFailedEventAttributes{
					Failure: &failurepb.Failure{Message: "Encoded failure",
						EncodedAttributes: payload(t, map[string]string{"message": "no contact " + plantedEmail + " " + plantedSecret})}}}},
			path: "workflow_execution_failed_event_attributes.failure.encoded_attributes",
		},
		{
			name: "marker details",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_MARKER_RECORDED,
				Attributes: &historypb.HistoryEvent_MarkerRecordedEventAttributes{MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{
					MarkerName: "SideEffect", Details: map[string]*commonpb.Payloads{"data": payloads(t, leak)}}}},
			path: "marker_recorded_event_attributes.details[data].payloads[0]",
		},
		{
			name: "update input",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{
					AcceptedRequest: &updatepb.Request{Input: &updatepb.Input{Name: "push", Args: payloads(t, leak)}}}}},
			path: "workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads[0]",
		},
		{
			name: "workflow result",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{
					Result: payloads(t, leak)}}},
			path: "workflow_execution_completed_event_attributes.result.payloads[0]",
		},
		{
			name: "proto payload",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
				Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
					Result: &commonpb.Payloads{Payloads: []*commonpb.Payload{protoPayload(t, &commonpb.WorkflowExecution{WorkflowId: plantedEmail, RunId: plantedSecret})}}}}},
			path: "activity_task_completed_event_attributes.result.payloads[0]",
		},
		{
			name: "bytes field inside a JSON payload",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
				Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
					Result: payloads(t, struct{ Raw []byte }{[]byte(`{"email":"` + plantedEmail + `","token":"` + plantedSecret + `"}`)})}}},
			path: "activity_task_completed_event_attributes.result.payloads[0].Raw (base64)",
		},
		{
			// A plain string field was searched before too, and still is.
			name: "failure message",
			event: &historypb.HistoryEvent{EventType: enums.EVENT_TYPE_ACTIVITY_TASK_FAILED,
				Attributes: &historypb.HistoryEvent_ActivityTaskFailedEventAttributes{ActivityTaskFailedEventAttributes: &historypb.ActivityTaskFailedEventAttributes{
					Failure: &failurepb.Failure{Message: "no contact " + plantedEmail + " with key " + plantedSecret}}}},
			path:      "activity_task_failed_event_attributes.failure.message",
			oldCaught: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.event.EventId = 7
			h := &historypb.History{Events: []*historypb.HistoryEvent{tc.event}}
			assert.Equal(t, tc.oldCaught, oldCheck(t, h, plantedSecret), "the old protojson search")

			leaks, err := FindLeaks(h, plantedSecret)
			require.NoError(t, err)
			var emails, secrets int
			for _, l := range leaks {
				assert.Equal(t, int64(7), l.EventID)
				assert.Equal(t, tc.event.EventType, l.EventType)
				assert.True(t, strings.HasPrefix(l.Path, tc.path), "path %s", l.Path)
				switch l.Match {
				case plantedEmail:
					emails++
				case plantedSecret:
					secrets++
				default:
					t.Errorf("unexpected match %q", l.Match)
				}
			}
			assert.Positive(t, emails, "the e-mail address is found: %v", leaks)
			assert.Positive(t, secrets, "the secret is found: %v", leaks)
			seen := map[string]bool{}
			for _, l := range leaks {
				assert.False(t, seen[l.String()], "reported twice: %s", l)
				seen[l.String()] = true
			}
		})
	}
}

func protoPayload(t *testing.T, m any) *commonpb.Payload {
	t.Helper()
	p, err := converter.NewProtoPayloadConverter().ToPayload(m)
	require.NoError(t, err)
	require.Equal(t, converter.MetadataEncodingProto, string(p.Metadata[converter.MetadataEncoding]))
	return p
}

func TestFindLeaksInPendingHeartbeat(t *testing.T) {
	desc := &workflowservice.DescribeWorkflowExecutionResponse{PendingActivities: []*workflowpb.PendingActivityInfo{{
		ActivityId: "5", HeartbeatDetails: payloads(t, planted{Email: plantedEmail, Token: plantedSecret}),
	}}}
	leaks, err := FindLeaksIn(desc, plantedSecret)
	require.NoError(t, err)
	require.Len(t, leaks, 2, "%v", leaks)
	assert.Equal(t, "pending_activities[0].heartbeat_details.payloads[0].Email", leaks[0].Path)
	assert.Equal(t, `pending_activities[0].heartbeat_details.payloads[0].Email: "`+plantedEmail+`"`, leaks[0].String())
	assert.Equal(t, "pending_activities[0].heartbeat_details.payloads[0].Token", leaks[1].Path)
}

func TestFindLeaksCleanHistory(t *testing.T) {
	h := &historypb.History{Events: []*historypb.HistoryEvent{
		{EventId: 1, EventType: enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
				Input:    payloads(t, planted{Connection: "acme"}, nil, []byte("binary")),
				Identity: "1234@runner-7.ci.example.com@", // a host name with dots is no address
				Memo:     &commonpb.Memo{Fields: map[string]*commonpb.Payload{"empty": {}}},
			}}},
	}}
	leaks, err := FindLeaks(h, plantedSecret, "")
	require.NoError(t, err)
	assert.Empty(t, leaks)
	// A secret is still looked for in an identity.
	h.Events[0].GetWorkflowExecutionStartedEventAttributes().Identity = "1234@" + plantedSecret + "@"
	leaks, err = FindLeaks(h, plantedSecret)
	require.NoError(t, err)
	require.Len(t, leaks, 1)
	assert.Equal(t, "identity", leaks[0].Path[len(leaks[0].Path)-len("identity"):])
}

func TestFindLeaksRefusesWhatItCannotDecode(t *testing.T) {
	h := &historypb.History{Events: []*historypb.HistoryEvent{
		{EventId: 3, EventType: enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
			Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
				Result: &commonpb.Payloads{Payloads: []*commonpb.Payload{{
					Metadata: map[string][]byte{converter.MetadataEncoding: []byte("binary/encrypted")},
					Data:     []byte{0x01, 0x02},
				}}},
			}}},
	}}
	_, err := FindLeaks(h)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `event 3 ActivityTaskCompleted, activity_task_completed_event_attributes.result.payloads[0]: payload encoding "binary/encrypted" cannot be decoded`)
}

// leakyWorkflow carries the planted e-mail and secret everywhere a real workflow could: input,
// memo (set by the starter), search attribute, signal, activity input and result, heartbeat
// details of a timed-out activity, details of a failed one, a side-effect marker, its result.
func leakyWorkflow(ctx workflow.Context, in planted) (planted, error) {
	key := temporal.NewSearchAttributeKeyKeyword(leakyAttribute)
	if err := workflow.UpsertTypedSearchAttributes(ctx, key.ValueSet(in.Email)); err != nil {
		return planted{}, err
	}
	var signal string
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, &signal)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 3 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var out planted
	if err := workflow.ExecuteActivity(ctx, "Leaky", in, "ok").Get(ctx, &out); err != nil {
		return planted{}, err
	}
	for _, mode := range []string{"fail", "timeout"} {
		if err := workflow.ExecuteActivity(ctx, "Leaky", in, mode).Get(ctx, nil); err == nil {
			return planted{}, errors.New("the activity did not " + mode)
		}
	}
	var side string
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return signal }).Get(&side); err != nil {
		return planted{}, err
	}
	return out, nil
}

const leakyAttribute = "LeakyKeyword"

func leakyActivity(ctx context.Context, in planted, mode string) (planted, error) {
	switch mode {
	case "fail":
		return planted{}, temporal.NewNonRetryableApplicationError("invalid record", "InvalidRecord", nil, in)
	case "timeout":
		activity.RecordHeartbeat(ctx, in)
		<-ctx.Done()
		return planted{}, ctx.Err()
	}
	return in, nil
}

func TestFindLeaksInARecordedHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal dev server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := DevServer(t).Client()
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: "default", SearchAttributes: map[string]enums.IndexedValueType{leakyAttribute: enums.INDEXED_VALUE_TYPE_KEYWORD},
	})
	require.NoError(t, err)
	w := worker.New(c, "leaks", worker.Options{})
	w.RegisterWorkflowWithOptions(leakyWorkflow, workflow.RegisterOptions{Name: "Leaky"})
	w.RegisterActivityWithOptions(leakyActivity, activity.RegisterOptions{Name: "Leaky"})
	require.NoError(t, w.Start())
	defer w.Stop()

	leak := planted{Connection: "acme", Email: plantedEmail, Token: plantedSecret}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "leaky", TaskQueue: "leaks",
		Memo: map[string]any{"owner": plantedEmail}}, "Leaky", leak)
	require.NoError(t, err)
	require.NoError(t, c.SignalWorkflow(ctx, "leaky", "", "go", plantedSecret))
	require.NoError(t, run.Get(ctx, nil))
	h, err := History(ctx, c, "leaky", "")
	require.NoError(t, err)

	assert.False(t, oldCheck(t, h, plantedSecret), "the old protojson search sees nothing")
	leaks, err := FindLeaks(h, plantedSecret)
	require.NoError(t, err)
	found := map[string]bool{}
	for _, l := range leaks {
		found[l.EventType.String()+" "+strings.SplitN(l.Path, ".", 2)[1]] = true
	}
	for _, want := range []string{
		"WorkflowExecutionStarted input.payloads[0].Email",
		"WorkflowExecutionStarted memo.fields[owner]",
		"UpsertWorkflowSearchAttributes search_attributes.indexed_fields[" + leakyAttribute + "]",
		"WorkflowExecutionSignaled input.payloads[0]",
		"ActivityTaskScheduled input.payloads[0].Token",
		"ActivityTaskCompleted result.payloads[0].Email",
		"ActivityTaskFailed failure.application_failure_info.details.payloads[0].Email",
		"ActivityTaskTimedOut failure.timeout_failure_info.last_heartbeat_details.payloads[0].Token",
		"MarkerRecorded details[data].payloads[0]",
		"WorkflowExecutionCompleted result.payloads[0].Email",
	} {
		assert.True(t, found[want], "%s not found in %v", want, leaks)
	}
}
