package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/crmsync/crmsync/internal/testenv"
)

var quietSDK = log.NewStructuredLogger(slog.New(slog.DiscardHandler))

// callUntilCancelled runs the activity untilCancelled, retried, with a heartbeat timeout far
// longer than the test waits.
func callUntilCancelled(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute, HeartbeatTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 5},
	})
	return workflow.ExecuteActivity(ctx, "untilCancelled").Get(ctx, nil)
}

// An activity still running when CRMSYNC_STOP_TIMEOUT is up is cancelled, and its end reaches
// the server before the worker closes its client, so that the workflow retries it at once on
// another worker. The SDK cancels it only as Stop returns, and the worker closed its client
// right after: the end was lost, and the activity waited for its heartbeat timeout.
func TestActivityCancelledByTheStopIsReported(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev server")
	}
	temporalAddr := testenv.DevServer(t).FrontendHostPort()
	for _, stop := range []time.Duration{0, 500 * time.Millisecond} {
		t.Run("CRMSYNC_STOP_TIMEOUT="+stop.String(), func(t *testing.T) {
			queue := "stop-" + stop.String()
			c, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: quietSDK})
			require.NoError(t, err)
			started := make(chan struct{}, 1)
			w := worker.New(c, queue, workerOptions(Settings{MaxConcurrentActivities: 1, StopTimeout: stop}))
			w.RegisterWorkflow(callUntilCancelled)
			w.RegisterActivityWithOptions(func(ctx context.Context) error {
				started <- struct{}{}
				<-ctx.Done() // a page that honours its context, not the stop
				return ctx.Err()
			}, activity.RegisterOptions{Name: "untilCancelled"})
			require.NoError(t, w.Start())

			observer, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: quietSDK})
			require.NoError(t, err)
			t.Cleanup(observer.Close)
			run, err := observer.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{TaskQueue: queue}, callUntilCancelled)
			require.NoError(t, err)
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				t.Fatal("the activity did not start")
			}

			// What run does once SIGTERM comes: stop the worker, then close the client.
			w.Stop()
			c.Close()

			testenv.Eventually(t, 10*time.Second, 50*time.Millisecond, "the server to hear of the activity's end", func() bool {
				d, err := observer.DescribeWorkflowExecution(t.Context(), run.GetID(), run.GetRunID())
				require.NoError(t, err)
				for _, p := range d.GetPendingActivities() {
					if p.GetLastFailure() != nil || p.GetAttempt() > 1 {
						return true
					}
				}
				return false
			})
		})
	}
}
