package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// retried is a workflow that runs activity with retries, as the workflows do: a rate-limited
// attempt is tried again after the delay the system asked for.
func retried[I, R any](activity func(context.Context, I) (R, error)) func(workflow.Context, I) (R, error) {
	return func(ctx workflow.Context, in I) (R, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 2 * time.Minute, HeartbeatTimeout: testHeartbeatTimeout,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
		})
		var res R
		err := workflow.ExecuteActivity(ctx, activity, in).Get(ctx, &res)
		return res, err
	}
}

// sellsyGetFailsOnce is the Sellsy connector (with its pipelines) failing one Get call.
type sellsyGetFailsOnce struct {
	*sellsy.Client
	failOnce
}

func (f *sellsyGetFailsOnce) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	if err := f.next(); err != nil {
		return nil, err
	}
	return f.Client.Get(ctx, object, ids)
}

// requirePausedError requires the error of a workflow whose activity waited for the resume
// until its attempts ran out.
func requirePausedError(t *testing.T, err error) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, ErrTypePaused, appErr.Type(), "%v", err)
}

// An activity whose first attempt met a quota (an hour's ban on UNAS) is retried after it: a
// pause that came meanwhile holds the retry before its first page, not after it — the
// workflow cannot stop an activity in its backoff, so the attempt asks. A pass, a
// reconciliation and a stage scan each write nothing then, and keep their place; announced
// deletions and stage changes, which have no place to keep, wait for the resume (retried a
// minute apart, as a push does).
func TestARetriedActivityAsksForAPauseBeforeItsFirstPage(t *testing.T) {
	quota := func(system, op string) error {
		return &connectors.Error{Kind: connectors.KindRateLimited, System: system, Op: op, Status: 429, RetryAfter: time.Hour, Message: "request quota exceeded"}
	}
	tests := []struct {
		activity string
		paused   bool
	}{
		{activity: "pass", paused: true},
		{activity: "pass"},
		{activity: "reconcile", paused: true},
		{activity: "reconcile"},
		{activity: "scan", paused: true},
		{activity: "scan"},
		{activity: "deletes", paused: true},
		{activity: "deletes"},
		{activity: "announced stages", paused: true},
		{activity: "announced stages"},
	}
	var a *Activities
	for _, tt := range tests {
		name := tt.activity + " running"
		if tt.paused {
			name = tt.activity + " paused during the backoff"
		}
		t.Run(name, func(t *testing.T) {
			paused := func(context.Context, string) (bool, error) { return tt.paused, nil }
			env := newWorkflowEnv()
			switch tt.activity {
			case "pass":
				h := newHarness(t, "both")
				h.pass("company", "a", ModeImport)
				h.pass("company", "b", ModeImport)
				before := h.sb.Mautic.Count("contacts")
				h.acts.Conns.use("t", &sellsyListFailsOnce{Client: h.sellsy.(*sellsy.Client), failOnce: failOnce{failAt: 1, err: quota("sellsy", "GET /contacts")}}, h.mautic)
				h.acts.WorkflowPaused = paused
				env.RegisterActivity(h.acts)
				env.ExecuteWorkflow(retried(a.SyncPass), PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport, PageSize: 7, Stretch: time.Hour})
				require.NoError(t, env.GetWorkflowError())
				var res PassResult
				require.NoError(t, env.GetWorkflowResult(&res))
				if tt.paused {
					assert.Equal(t, PassResult{PassStart: res.PassStart}, res, "no page read")
					assert.Equal(t, before, h.sb.Mautic.Count("contacts"), "nothing written while paused")
					return
				}
				assert.True(t, res.Done)
				assert.Equal(t, 3, res.Pages, "Sellsy's 20 contacts, 7 a page")
			case "reconcile":
				h := newHarnessWith(t, "both", "b_to_a")
				h.cycle(ModeImport)
				h.deleteOn(h.mautic, 15)
				before := h.sb.Sellsy.Count("contacts")
				h.acts.Conns.use("t", h.sellsy, &getFailsOnce{Connector: h.mautic, failOnce: failOnce{failAt: 1, err: quota("mautic", "GET /contacts")}})
				h.acts.WorkflowPaused = paused
				env.RegisterActivity(h.acts)
				env.ExecuteWorkflow(retried(a.Reconcile), ReconcileInput{Connection: "t", Object: "contact", Side: "b", PageSize: 7, Stretch: time.Hour})
				require.NoError(t, env.GetWorkflowError())
				var res ReconcileResult
				require.NoError(t, env.GetWorkflowResult(&res))
				if tt.paused {
					assert.Equal(t, ReconcileResult{}, res, "nothing checked")
					assert.Equal(t, before, h.sb.Sellsy.Count("contacts"), "nothing deleted while paused")
					return
				}
				assert.True(t, res.Done)
				assert.Equal(t, 1, res.Deletes.Propagated, "%+v", res)
				assert.Equal(t, before-1, h.sb.Sellsy.Count("contacts"))
			case "scan":
				acts, _, _, opps, _ := stagedOpportunity(t, "rs", `{"13": GAGNEE}`, 3)
				ca, cb, err := acts.Conns.Connectors("rs")
				require.NoError(t, err)
				acts.Conns.use("rs", &sellsyListFailsOnce{Client: ca.(*sellsy.Client), failOnce: failOnce{failAt: 1, err: quota("sellsy", "POST /opportunities/search")}}, cb)
				acts.WorkflowPaused = paused
				env.RegisterActivity(acts)
				env.ExecuteWorkflow(retried(a.PropagateStages), StageInput{Connection: "rs", PageSize: 1, Stretch: time.Hour})
				require.NoError(t, env.GetWorkflowError())
				var res StageResult
				require.NoError(t, env.GetWorkflowResult(&res))
				if tt.paused {
					assert.Equal(t, StageResult{}, res, "no event emitted while paused")
					return
				}
				assert.True(t, res.Done)
				assert.Equal(t, len(opps), res.Emitted, "%+v", res)
			case "deletes":
				h := newHarnessWith(t, "both", "b_to_a")
				h.cycle(ModeImport)
				id := h.deleteOn(h.mautic, 15)
				before := h.sb.Sellsy.Count("contacts")
				h.acts.Conns.use("t", h.sellsy, &getFailsOnce{Connector: h.mautic, failOnce: failOnce{failAt: 1, err: quota("mautic", "GET /contacts")}})
				h.acts.WorkflowPaused = paused
				env.RegisterActivity(h.acts)
				env.ExecuteWorkflow(retried(a.PropagateDeletes), DeleteInput{Connection: "t", Object: "contact", Side: "b", IDs: []string{id}})
				if tt.paused {
					requirePausedError(t, env.GetWorkflowError())
					assert.Equal(t, before, h.sb.Sellsy.Count("contacts"), "nothing deleted while paused")
					return
				}
				require.NoError(t, env.GetWorkflowError())
				var res DeleteResult
				require.NoError(t, env.GetWorkflowResult(&res))
				assert.Equal(t, DeleteResult{Propagated: 1}, res)
				assert.Equal(t, before-1, h.sb.Sellsy.Count("contacts"))
			case "announced stages":
				acts, _, _, opps, _ := stagedOpportunity(t, "ra", `{"13": GAGNEE}`, 3)
				ca, cb, err := acts.Conns.Connectors("ra")
				require.NoError(t, err)
				acts.Conns.use("ra", &sellsyGetFailsOnce{Client: ca.(*sellsy.Client), failOnce: failOnce{failAt: 1, err: quota("sellsy", "POST /opportunities/search")}}, cb)
				acts.WorkflowPaused = paused
				env.RegisterActivity(acts)
				env.ExecuteWorkflow(retried(a.PropagateStages), StageInput{Connection: "ra", IDs: opps, Stretch: time.Hour})
				if tt.paused {
					requirePausedError(t, env.GetWorkflowError())
					acts.WorkflowPaused = nil // resumed
					var suite testsuite.WorkflowTestSuite
					ae := suite.NewTestActivityEnvironment()
					ae.RegisterActivity(acts)
					v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "ra", IDs: opps})
					require.NoError(t, err)
					var moved StageResult
					require.NoError(t, v.Get(&moved))
					assert.Equal(t, len(opps), moved.Emitted, "no event emitted while paused: each is still to emit after the resume")
					return
				}
				require.NoError(t, env.GetWorkflowError())
				var res StageResult
				require.NoError(t, env.GetWorkflowResult(&res))
				assert.Equal(t, len(opps), res.Emitted, "%+v", res)
			}
		})
	}
}
