package main

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/connectors"
)

// stopReport is how long a stopping worker waits, past CRMSYNC_STOP_TIMEOUT, for the
// activities it then cancels to end and tell the server: told, the workflow retries them at
// once on another worker; untold, only once their heartbeat timeout is up. An activity
// honouring its context ends within milliseconds. docker-compose's 30 s stop_grace_period
// covers the 20 s default, this and the HTTP servers' 5 s.
const stopReport = 3 * time.Second

// errWorkerStopping is the cause of an activity's context ended by the worker's stop.
var errWorkerStopping = errors.New("the worker is stopping (CRMSYNC_STOP_TIMEOUT is up)")

// workerOptions are the options of the worker serving the task queue. The activities still
// running CRMSYNC_STOP_TIMEOUT after the stop began are cancelled by stopCanceller, not by the
// SDK: the SDK cancels them only as its Stop returns, and the worker then closes its client,
// which drops what they report.
func workerOptions(s Settings) worker.Options {
	return worker.Options{
		MaxConcurrentActivityExecutionSize: s.MaxConcurrentActivities,
		WorkerStopTimeout:                  s.StopTimeout + stopReport,
		Interceptors:                       []interceptor.WorkerInterceptor{&stopCanceller{after: s.StopTimeout}},
	}
}

// stopCanceller cancels each activity's context once the worker has been stopping for after.
// Before that, from the moment the stop begins, a connector's wait for its client's rate
// limit ends (connectors.WithStop): nothing was sent, and the stretch hands its place on at
// once rather than wait for the limiter until the cancel, then fail.
type stopCanceller struct {
	interceptor.WorkerInterceptorBase
	after time.Duration
}

func (s *stopCanceller) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &stopCancellerActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, after: s.after}
}

type stopCancellerActivity struct {
	interceptor.ActivityInboundInterceptorBase
	after time.Duration
}

func (a *stopCancellerActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopping := activity.GetWorkerStopChannel(ctx)
	ctx = connectors.WithStop(ctx, stopping)
	go func() {
		select {
		case <-stopping:
		case <-ctx.Done():
			return
		}
		t := time.NewTimer(a.after)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(errWorkerStopping)
		case <-ctx.Done():
		}
	}()
	return a.Next.ExecuteActivity(ctx, in)
}
