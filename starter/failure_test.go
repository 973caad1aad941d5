package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/workflows"
)

// A workflow the command waits for (push, quarantine --retry, start --wait or --dry-run) that
// fails says why: the activity's reason and class, not buried at the end of Temporal's
// wrapping (workflow execution error (type, workflowID, runID): activity error (type,
// scheduledEventID, startedEventID, identity): …).
func TestAWorkflowFailureSaysItsReason(t *testing.T) {
	// What the client's Get returns for a workflow failed by its activity's error.
	activityFailed := func(message, class string) error {
		err := temporal.GetDefaultFailureConverter().FailureToError(&failurepb.Failure{
			Message: "activity error",
			FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
				ActivityType: &commonpb.ActivityType{Name: "PushOne"}, Identity: "1@worker@", RetryState: enums.RETRY_STATE_NON_RETRYABLE_FAILURE}},
			Cause: &failurepb.Failure{Message: message, FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
				ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: class, NonRetryable: true}}},
		})
		return fmt.Errorf("workflow execution error (type: PushRecord, workflowID: x, runID: y): %w", err)
	}
	push := activities.PushInput{Connection: "c", Object: "contact", Side: "b", ID: "99"}
	tests := []struct {
		args   []string
		id     string
		result error
		want   string
	}{
		{[]string{"push", "c", "--id", "99"}, workflows.PushWorkflowID(push), activityFailed("mautic has no contact with id 99", "NotFound"),
			"push: c/push/contact/b-99 failed: mautic has no contact with id 99 [NotFound]"},
		{[]string{"quarantine", "c", "--retry"}, workflows.RetryQuarantineWorkflowID("c"), activityFailed("mautic GET /api/contacts: configuration (HTTP 401)", "ConfigurationError"),
			"quarantine --retry: c/retry-quarantine failed: mautic GET /api/contacts: configuration (HTTP 401) [ConfigurationError]"},
		{[]string{"start", "import", "c", "--wait"}, workflows.ImportWorkflowID("c"), activityFailed("sellsy: no object named contactz", "ConfigurationError"),
			"c/initial-import failed: sellsy: no object named contactz [ConfigurationError]"},
		{[]string{"start", "import", "c", "--dry-run"}, workflows.ImportDryRunWorkflowID("c"), activityFailed("boom", ""),
			"c/import-dry-run failed: boom"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			useFake(t, &fakeTemporal{workflows: map[string]fakeWorkflow{}, results: map[string]any{tt.id: tt.result}})
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "scheduledEventID", "Temporal's wrapping left out")
			var app *temporal.ApplicationError
			assert.ErrorAs(t, err, &app, "the failure stays in the chain")
		})
	}
}
