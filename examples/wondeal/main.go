// Command wondeal is an example of a user's own workflow built only from crmsync's Sellsy
// activities: when an opportunity is won, it creates a follow-up task for the opportunity's
// owner and comments on its company — once per opportunity, however often the won deal is
// edited afterwards.
//
// It runs its own worker on task queue "examples" and calls Sellsy.Call, Sellsy.CreateTask and
// Sellsy.CreateComment by name on crmsync's task queue, so it needs neither Sellsy's
// credentials nor crmsync's code. A connection file routes Sellsy's webhook to it:
//
//	events:
//	  - object: opportunity
//	    event: updated
//	    start: {workflow: OnOpportunityWon, task_queue: examples}
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	sellsyactions "github.com/crmsync/crmsync/actions/sellsy"
	"github.com/crmsync/crmsync/webhooks"
)

// TaskQueue is where this example's workflow runs.
const TaskQueue = "examples"

// Result says what the workflow did.
type Result struct {
	Skipped   string `json:"skipped,omitempty"` // why nothing was done
	TaskID    int    `json:"task_id,omitempty"`
	CommentID int    `json:"comment_id,omitempty"`
}

// Skipped reasons.
const (
	NotAnOpportunity = "not an opportunity"
	NotWon           = "not won"
	AlreadyDone      = "already followed up"
)

// FollowUpID is the id of the one follow-up of an opportunity.
func FollowUpID(connection, opportunityID string) string {
	return connection + "/wondeal/opportunity-" + opportunityID
}

// OnOpportunityWon follows up a won opportunity. Its input is what crmsync's webhook receiver
// starts it with: the opportunity as read back through the API. Every "updated" event of a
// won opportunity starts it, so the follow-up itself is the child workflow
// FollowUpWonOpportunity, whose id names the opportunity: the server refuses to start it again
// once it has completed (or while it runs), and the event is then skipped. A follow-up that
// failed may run again. (The server forgets a closed workflow after the namespace's retention
// period: an edit after that follows up once more.)
func OnOpportunityWon(ctx workflow.Context, in webhooks.EventInput) (Result, error) {
	if in.Object != "opportunity" {
		return Result{Skipped: NotAnOpportunity}, nil
	}
	if in.Fields["status"] != "won" {
		return Result{Skipped: NotWon}, nil
	}
	if _, err := opportunityID(in); err != nil {
		return Result{}, err
	}
	// Runs started before the follow-up became a child followed up every event themselves.
	if workflow.GetVersion(ctx, "once-per-opportunity", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return FollowUpWonOpportunity(ctx, in)
	}
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            FollowUpID(in.Connection, in.ID),
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
	})
	var res Result
	err := workflow.ExecuteChildWorkflow(ctx, FollowUpWonOpportunity, in).Get(ctx, &res)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return Result{Skipped: AlreadyDone}, nil
	}
	return res, err
}

// opportunityID reads the event's Sellsy id; a bad one is not retried.
func opportunityID(in webhooks.EventInput) (int, error) {
	id, err := strconv.Atoi(in.ID)
	if err != nil {
		return 0, temporal.NewNonRetryableApplicationError("opportunity id "+in.ID+" is not a number", "BadInput", nil)
	}
	return id, nil
}

// FollowUpWonOpportunity creates the task for the opportunity's owner and the comment on its
// company.
func FollowUpWonOpportunity(ctx workflow.Context, in webhooks.EventInput) (Result, error) {
	id, err := opportunityID(in)
	if err != nil {
		return Result{}, err
	}
	// crmsync's activities run on crmsync's task queue; invalid input and configuration
	// errors are not retried, rate limits wait as long as Sellsy asks.
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           "crmsync",
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{NonRetryableErrorTypes: []string{"InvalidRecord", "ConfigurationError"}},
	})

	// The owner is not in the synced fields: any API call reads it.
	var call sellsyactions.CallOutput
	if err := workflow.ExecuteActivity(ctx, "Sellsy.Call", sellsyactions.CallInput{Method: "GET", Path: "/opportunities/" + in.ID}).Get(ctx, &call); err != nil {
		return Result{}, err
	}
	var opp struct {
		Name  string `json:"name"`
		Owner struct {
			ID int `json:"id"`
		} `json:"owner"`
		Related []struct {
			Type string `json:"type"`
			ID   int    `json:"id"`
		} `json:"related"`
		CompanyID json.Number `json:"company_id"`
	}
	if err := json.Unmarshal(call.Body, &opp); err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError("unreadable opportunity: "+err.Error(), "BadInput", nil)
	}

	var res Result
	var task sellsyactions.RecordOutput
	due := workflow.Now(ctx).AddDate(0, 0, 2).UTC().Format(time.RFC3339)
	if err := workflow.ExecuteActivity(ctx, "Sellsy.CreateTask", sellsyactions.TaskInput{
		Title: "Kick-off: " + opp.Name, DueDate: due, LabelID: 2, OwnerID: opp.Owner.ID,
		Related: &sellsyactions.Related{Type: "opportunity", ID: id},
	}).Get(ctx, &task); err != nil {
		return res, err
	}
	res.TaskID = task.ID

	company, _ := strconv.Atoi(opp.CompanyID.String())
	if company == 0 {
		if c, err := strconv.Atoi(in.Links["company"]); err == nil {
			company = c
		}
	}
	if company > 0 {
		var comment sellsyactions.RecordOutput
		if err := workflow.ExecuteActivity(ctx, "Sellsy.CreateComment", sellsyactions.CommentInput{
			Description: fmt.Sprintf("Opportunity %q won.", opp.Name),
			Related:     sellsyactions.Related{Type: "company", ID: company},
		}).Get(ctx, &comment); err != nil {
			return res, err
		}
		res.CommentID = comment.ID
	}
	return res, nil
}

func main() {
	address := os.Getenv("TEMPORAL_ADDRESS")
	if address == "" {
		address = "localhost:7233"
	}
	c, err := client.Dial(client.Options{HostPort: address})
	if err != nil {
		log.Fatalf("temporal at %s: %v", address, err)
	}
	defer c.Close()
	w := worker.New(c, TaskQueue, worker.Options{})
	w.RegisterWorkflow(OnOpportunityWon)
	w.RegisterWorkflow(FollowUpWonOpportunity)
	if err := w.Run(worker.InterruptCh()); err != nil {
		log.Fatal(err)
	}
}
