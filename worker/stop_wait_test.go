package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/minicrm"
	"github.com/crmsync/crmsync/connectors/minicrm/sim"
	"github.com/crmsync/crmsync/internal/testenv"
)

// callMiniCRMOnce runs the activity miniCRMCall once.
func callMiniCRMOnce(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute, HeartbeatTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	return workflow.ExecuteActivity(ctx, "miniCRMCall").Get(ctx, nil)
}

// A stopping worker ends a MiniCRM call that waits for the client's rate limit (59 requests a
// minute) at once, with an error saying it was not sent, instead of holding the activity until
// CRMSYNC_STOP_TIMEOUT cancels it; a request already sent is left to finish.
func TestStopEndsTheWaitForTheRateLimitNotTheRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev server")
	}
	temporalAddr := testenv.DevServer(t).FrontendHostPort()
	const stopTimeout = 5 * time.Second
	tests := []struct {
		name     string
		limiter  func() *rate.Limiter
		answerIn time.Duration // how long the server takes to answer, from the stop
		stopping bool          // the call ends with the stop's unsent error
		within   time.Duration // from the stop to the activity's end
	}{
		{name: "waiting for the limiter", limiter: func() *rate.Limiter {
			l := rate.NewLimiter(rate.Every(2*time.Minute), 1)
			l.Allow() // spent: the call waits two minutes, within its five-minute timeout
			return l
		}, stopping: true, within: time.Second},
		{name: "sent, answered after the stop", limiter: func() *rate.Limiter { return rate.NewLimiter(rate.Inf, 1) },
			answerIn: time.Second, within: time.Second + time.Second},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stopped := make(chan time.Time, 1)
			s := sim.New(sim.Options{SystemID: "12345", APIKey: "k", RequestsPerMinute: -1})
			var requests atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if tt.answerIn > 0 {
					<-time.After(time.Until((<-stopped).Add(tt.answerIn)))
				}
				s.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)
			mc, err := minicrm.New(minicrm.Config{BaseURL: ts.URL, SystemID: "12345", APIKey: "k", Limiter: tt.limiter()})
			require.NoError(t, err)

			queue := "stop-wait-" + string(rune('a'+i))
			c, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: quietSDK})
			require.NoError(t, err)
			w := worker.New(c, queue, workerOptions(Settings{MaxConcurrentActivities: 1, StopTimeout: stopTimeout}))
			w.RegisterWorkflow(callMiniCRMOnce)
			started := make(chan struct{}, 1)
			type end struct {
				at  time.Time
				err error
			}
			ended := make(chan end, 1)
			w.RegisterActivityWithOptions(func(ctx context.Context) error {
				started <- struct{}{}
				_, _, err := mc.Call(ctx, http.MethodGet, "/Api/R3/Category", nil, nil)
				ended <- end{time.Now(), err}
				return err
			}, activity.RegisterOptions{Name: "miniCRMCall"})
			require.NoError(t, w.Start())

			observer, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: quietSDK})
			require.NoError(t, err)
			t.Cleanup(observer.Close)
			_, err = observer.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{TaskQueue: queue}, callMiniCRMOnce)
			require.NoError(t, err)
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				t.Fatal("the activity did not start")
			}
			time.Sleep(100 * time.Millisecond) // the call waits, or is with the server

			stopAt := time.Now()
			if tt.answerIn > 0 {
				stopped <- stopAt
			}
			go func() { w.Stop(); c.Close() }() // what run does once SIGTERM comes
			var e end
			select {
			case e = <-ended:
			case <-time.After(stopTimeout + 2*time.Second):
				t.Fatal("the activity did not end")
			}
			took := e.at.Sub(stopAt)
			t.Logf("from the stop to the activity's end: %s (error: %v)", took.Round(time.Millisecond), e.err)
			assert.Less(t, took, tt.within)
			if !tt.stopping {
				assert.NoError(t, e.err, "a request sent before the stop is answered, not cancelled")
				assert.EqualValues(t, 1, requests.Load())
				return
			}
			require.Error(t, e.err)
			assert.True(t, connectors.Stopping(e.err), "%v", e.err)
			assert.True(t, connectors.NothingWritten(e.err), "%v", e.err)
			assert.Zero(t, requests.Load(), "nothing was sent")
		})
	}
}
