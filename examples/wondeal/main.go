// Command wondeal is an example of a user's own workflow built only from crmsync's Sellsy
// activities: when an opportunity is won, it creates a follow-up task for the opportunity's
// owner and comments on its company — once per opportunity, however often the won deal is
// edited afterwards.
//
// It runs its own worker on task queue WONDEAL_TASK_QUEUE ("examples") and calls Sellsy.Call,
// Sellsy.CreateTask and Sellsy.CreateComment by name on crmsync's worker's task queue
// (CRMSYNC_TASK_QUEUE, "crmsync"), so it needs neither Sellsy's credentials nor crmsync's
// code. It reaches Temporal as crmsync does (CRMSYNC_TEMPORAL_ADDRESS, CRMSYNC_NAMESPACE).
// WONDEAL_TASK_LABEL_ID (required) is the account's task label the follow-up task gets. A
// connection file routes Sellsy's webhook to it:
//
//	events:
//	  - object: opportunity
//	    event: updated
//	    start: {workflow: OnOpportunityWon, task_queue: examples}
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	sellsyactions "github.com/crmsync/crmsync/actions/sellsy"
	"github.com/crmsync/crmsync/temporalconn"
	"github.com/crmsync/crmsync/webhooks"
)

// TaskQueue is where this example's workflows run by default (WONDEAL_TASK_QUEUE).
const TaskQueue = "examples"

// Workflow names, as the connection file's events: route and the child workflow call name them.
const (
	OnOpportunityWonName       = "OnOpportunityWon"
	FollowUpWonOpportunityName = "FollowUpWonOpportunity"
)

// Workflows are this example's workflows. ActivityQueue is the task queue of crmsync's worker,
// which serves the Sellsy.* activities: a setting of the process, the same on every worker of
// the example, so that a replay schedules the activities where the first run did.
// TaskLabelID is the Sellsy task label of the follow-up task (Sellsy requires one; each
// account has its own, which GET /tasks/labels lists).
type Workflows struct {
	ActivityQueue string
	TaskLabelID   int
}

// Register registers the workflows under their names.
func (wf *Workflows) Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(wf.OnOpportunityWon, workflow.RegisterOptions{Name: OnOpportunityWonName})
	r.RegisterWorkflowWithOptions(wf.FollowUpWonOpportunity, workflow.RegisterOptions{Name: FollowUpWonOpportunityName})
}

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
func (wf *Workflows) OnOpportunityWon(ctx workflow.Context, in webhooks.EventInput) (Result, error) {
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
		return wf.FollowUpWonOpportunity(ctx, in)
	}
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            FollowUpID(in.Connection, in.ID),
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
	})
	var res Result
	err := workflow.ExecuteChildWorkflow(ctx, FollowUpWonOpportunityName, in).Get(ctx, &res)
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
// company. A task's owner is a staff member: an opportunity owned by someone else (Sellsy's
// owner.type thirdcontact) has its task owned by its first assigned staff member, or, with
// none, by whoever Sellsy makes the owner of a task created without one (the API's user).
func (wf *Workflows) FollowUpWonOpportunity(ctx workflow.Context, in webhooks.EventInput) (Result, error) {
	id, err := opportunityID(in)
	if err != nil {
		return Result{}, err
	}
	if wf.TaskLabelID <= 0 {
		return Result{}, temporal.NewNonRetryableApplicationError("no task label: set WONDEAL_TASK_LABEL_ID to one of the account's task labels (GET /tasks/labels)", "ConfigurationError", nil)
	}
	// crmsync's activities run on crmsync's task queue; invalid input and configuration
	// errors are not retried, rate limits wait as long as Sellsy asks.
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           wf.ActivityQueue,
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
			ID   int    `json:"id"`
			Type string `json:"type"` // staff | thirdcontact
		} `json:"owner"`
		AssignedStaffIDs []int `json:"assigned_staff_ids"`
		Related          []struct {
			Type string `json:"type"`
			ID   int    `json:"id"`
		} `json:"related"`
		CompanyID json.Number `json:"company_id"`
	}
	if err := json.Unmarshal(call.Body, &opp); err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError("unreadable opportunity: "+err.Error(), "BadInput", nil)
	}
	owner := 0 // none: Sellsy's default owner
	switch {
	case opp.Owner.Type == "staff":
		owner = opp.Owner.ID
	case len(opp.AssignedStaffIDs) > 0:
		owner = opp.AssignedStaffIDs[0]
	}

	var res Result
	var task sellsyactions.RecordOutput
	due := workflow.Now(ctx).AddDate(0, 0, 2).UTC().Format(time.RFC3339)
	if err := workflow.ExecuteActivity(ctx, "Sellsy.CreateTask", sellsyactions.TaskInput{
		Title: "Kick-off: " + opp.Name, DueDate: due, LabelID: wf.TaskLabelID, OwnerID: owner,
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

// Settings are read from the environment: crmsync's own variables for Temporal and for the
// task queue of crmsync's worker, and WONDEAL_TASK_QUEUE for this example's. Each tag is the
// variable's whole name (no prefix: envconfig would fall back to unprefixed names).
type Settings struct {
	TemporalAddress string `envconfig:"CRMSYNC_TEMPORAL_ADDRESS" default:"localhost:7233" desc:"Temporal frontend host:port"`
	Namespace       string `envconfig:"CRMSYNC_NAMESPACE" default:"default" desc:"Temporal namespace"`
	ActivityQueue   string `envconfig:"CRMSYNC_TASK_QUEUE" default:"crmsync" desc:"task queue of crmsync's worker, which runs the Sellsy.* activities"`
	TaskQueue       string `envconfig:"WONDEAL_TASK_QUEUE" default:"examples" desc:"task queue this example serves: the events: route's task_queue"`
	TaskLabelID     int    `envconfig:"WONDEAL_TASK_LABEL_ID" required:"true" desc:"the Sellsy task label of the follow-up task (required: GET /tasks/labels lists the account's)"`
	// The connection's TLS and API key, as crmsync's worker reads them.
	temporalconn.Settings
}

func loadSettings() (Settings, error) {
	var s Settings
	if err := envconfig.Process("", &s); err != nil {
		return s, fmt.Errorf("settings: %w", err)
	}
	return s, nil
}

// usage prints how to run the example and the variables it reads.
func usage(w io.Writer) error {
	if _, err := io.WriteString(w, "usage: wondeal   run the example's worker (settings from the environment, below)\n\nsettings (environment):\n"); err != nil {
		return err
	}
	tabs := tabwriter.NewWriter(w, 1, 0, 2, ' ', 0)
	if err := envconfig.Usagef("", &Settings{}, tabs, `{{range .}}  {{usage_key .}}{{"\t"}}({{usage_default .}}){{"\t"}}{{usage_description .}}
{{end}}`); err != nil {
		return err
	}
	if err := tabs.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\nRoute Sellsy's webhook to it in a connection file, task_queue being WONDEAL_TASK_QUEUE:\n"+
		"  events: [{object: opportunity, event: updated, start: {workflow: OnOpportunityWon, task_queue: examples}}]\n")
	return err
}

func main() {
	// Settings come from the environment: -h prints them, and any other argument is refused
	// rather than ignored.
	if len(os.Args) > 1 {
		if a := os.Args[1]; a == "-h" || a == "-help" || a == "--help" {
			_ = usage(os.Stdout)
			return
		}
		fmt.Fprintf(os.Stderr, "wondeal: unexpected argument %q\n", os.Args[1])
		_ = usage(os.Stderr)
		os.Exit(2)
	}
	s, err := loadSettings()
	if err != nil {
		log.Fatal(err)
	}
	opts := client.Options{HostPort: s.TemporalAddress, Namespace: s.Namespace}
	if err := s.Settings.Apply(&opts); err != nil {
		log.Fatal(err)
	}
	c, err := client.Dial(opts)
	if err != nil {
		log.Fatalf("temporal at %s: %v", s.TemporalAddress, err)
	}
	defer c.Close()
	w := worker.New(c, s.TaskQueue, worker.Options{})
	(&Workflows{ActivityQueue: s.ActivityQueue, TaskLabelID: s.TaskLabelID}).Register(w)
	log.Printf("wondeal: serving task queue %q; Sellsy.* activities on %q (namespace %s at %s)", s.TaskQueue, s.ActivityQueue, s.Namespace, s.TemporalAddress)
	if err := w.Run(worker.InterruptCh()); err != nil {
		log.Fatal(err)
	}
}
