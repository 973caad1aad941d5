package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	sellsyactions "github.com/crmsync/crmsync/actions/sellsy"
	"github.com/crmsync/crmsync/webhooks"
)

// OnOpportunityWon skips what is not a won opportunity, and hands a won one to the follow-up
// child named after it (that a second event starts nothing is the end-to-end test's).
func TestOnOpportunityWon(t *testing.T) {
	won := map[string]any{"status": "won"}
	tests := []struct {
		name    string
		in      webhooks.EventInput
		want    Result
		wantErr string
		child   bool
		legacy  bool // a run started before the follow-up became a child
	}{
		{name: "not an opportunity", in: webhooks.EventInput{Object: "company", ID: "5", Fields: won}, want: Result{Skipped: NotAnOpportunity}},
		{name: "open", in: webhooks.EventInput{Object: "opportunity", ID: "7", Fields: map[string]any{"status": "open"}}, want: Result{Skipped: NotWon}},
		{name: "deleted: nothing read back", in: webhooks.EventInput{Object: "opportunity", Event: "deleted", ID: "7"}, want: Result{Skipped: NotWon}},
		{name: "bad id", in: webhooks.EventInput{Object: "opportunity", ID: "x7", Fields: won}, wantErr: "is not a number"},
		{name: "won", in: webhooks.EventInput{Connection: "ex", Object: "opportunity", ID: "7", Fields: won}, want: Result{TaskID: 11, CommentID: 12}, child: true},
		{name: "won, an older run", in: webhooks.EventInput{Connection: "ex", Object: "opportunity", ID: "7", Fields: won}, want: Result{TaskID: 11, CommentID: 12}, legacy: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv()
			(&Workflows{ActivityQueue: "crmsync-prod", TaskLabelID: 7}).Register(env)
			for _, name := range []string{"Sellsy.Call", "Sellsy.CreateTask", "Sellsy.CreateComment"} {
				env.RegisterActivityWithOptions(func(context.Context, any) (any, error) { return nil, nil }, activity.RegisterOptions{Name: name})
			}
			env.OnActivity("Sellsy.Call", mock.Anything, mock.Anything).Return(sellsyactions.CallOutput{Status: 200,
				Body: []byte(`{"name":"Contrat","owner":{"id":3},"company_id":40}`)}, nil)
			env.OnActivity("Sellsy.CreateTask", mock.Anything, mock.Anything).Return(sellsyactions.RecordOutput{ID: 11}, nil)
			env.OnActivity("Sellsy.CreateComment", mock.Anything, mock.Anything).Return(sellsyactions.RecordOutput{ID: 12}, nil)
			queues := map[string]bool{} // where the Sellsy.* activities were scheduled
			env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				queues[info.TaskQueue] = true
			})
			var childID string
			env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
				childID = info.WorkflowExecution.ID
			})

			if tt.legacy {
				env.OnGetVersion("once-per-opportunity", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
			env.ExecuteWorkflow(OnOpportunityWonName, tt.in)
			require.True(t, env.IsWorkflowCompleted())
			if tt.wantErr != "" {
				require.Error(t, env.GetWorkflowError())
				assert.Contains(t, env.GetWorkflowError().Error(), tt.wantErr)
				return
			}
			require.NoError(t, env.GetWorkflowError())
			var got Result
			require.NoError(t, env.GetWorkflowResult(&got))
			assert.Equal(t, tt.want, got)
			if tt.child {
				assert.Equal(t, "ex/wondeal/opportunity-7", childID)
			} else {
				assert.Empty(t, childID)
			}
			if got.TaskID != 0 {
				assert.Equal(t, map[string]bool{"crmsync-prod": true}, queues, "the activities go to crmsync's worker's queue")
			}
		})
	}
}

// The follow-up task gets the configured label (it was label 2 whatever the account) and a
// staff member for owner: the opportunity's owner when it is staff, else its first assigned
// staff member, else none (Sellsy's default). An owner of another type (thirdcontact) was sent
// as the task's owner_id, a staff id. Without a label configured, nothing is created.
func TestFollowUpTaskLabelAndOwner(t *testing.T) {
	tests := []struct {
		name    string
		opp     string
		label   int
		owner   any // the task's owner_id as sent (nil: none)
		wantErr string
	}{
		{name: "staff owner", opp: `{"name":"C","owner":{"id":3,"type":"staff"},"assigned_staff_ids":[5]}`, label: 7, owner: 3.0},
		{name: "contact owner: the first assigned staff", opp: `{"name":"C","owner":{"id":1000001,"type":"thirdcontact"},"assigned_staff_ids":[5,6]}`, label: 7, owner: 5.0},
		{name: "contact owner, no staff: none", opp: `{"name":"C","owner":{"id":1000001,"type":"thirdcontact"}}`, label: 4, owner: nil},
		{name: "no label", opp: `{"name":"C","owner":{"id":3,"type":"staff"}}`, wantErr: "WONDEAL_TASK_LABEL_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv()
			(&Workflows{ActivityQueue: "crmsync", TaskLabelID: tt.label}).Register(env)
			for _, name := range []string{"Sellsy.Call", "Sellsy.CreateTask", "Sellsy.CreateComment"} {
				env.RegisterActivityWithOptions(func(context.Context, any) (any, error) { return nil, nil }, activity.RegisterOptions{Name: name})
			}
			env.OnActivity("Sellsy.Call", mock.Anything, mock.Anything).Return(sellsyactions.CallOutput{Status: 200, Body: []byte(tt.opp)}, nil)
			var task map[string]any
			env.OnActivity("Sellsy.CreateTask", mock.Anything, mock.Anything).Return(func(_ context.Context, in any) (any, error) {
				task, _ = in.(map[string]any)
				return sellsyactions.RecordOutput{ID: 11}, nil
			})
			env.ExecuteWorkflow(FollowUpWonOpportunityName, webhooks.EventInput{Connection: "ex", Object: "opportunity", ID: "7", Fields: map[string]any{"status": "won"}})
			require.True(t, env.IsWorkflowCompleted())
			if tt.wantErr != "" {
				require.Error(t, env.GetWorkflowError())
				assert.Contains(t, env.GetWorkflowError().Error(), tt.wantErr)
				assert.Nil(t, task, "no task created")
				return
			}
			require.NoError(t, env.GetWorkflowError())
			require.NotNil(t, task)
			assert.EqualValues(t, tt.label, task["label_id"])
			assert.Equal(t, tt.owner, task["owner_id"])
		})
	}
}

// newTestEnv is a workflow test environment that survives a stalled machine: the SDK takes a
// workflow goroutine that has not yielded for 1 s of wall time for a deadlock, and a loaded
// two-core CI machine stalls that long now and then.
func newTestEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	return env
}
