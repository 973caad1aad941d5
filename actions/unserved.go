package actions

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
)

// RegisterFailing registers each of names as an activity that fails at once, whatever its
// input, as a ConfigurationError (not retried) whose message is reason: an activity of a
// system this worker has no connection for.
//
// Registering none is worse: the SDK reports an activity type a worker does not have as a
// retryable failure ("unable to find activityType", so that another worker of the task
// queue may take it), and under the default retry policy the caller's workflow retries it
// forever. crmsync's workers on one task queue load the same connection files (a sync
// activity also fails for good on a worker without its connection), so when this one has no
// such connection none has, and waiting serves nothing.
func RegisterFailing(r worker.ActivityRegistry, names []string, reason string) {
	fail := func(context.Context) error { return Configuration(reason) }
	for _, name := range names {
		r.RegisterActivityWithOptions(fail, activity.RegisterOptions{Name: name})
	}
}
