package sellsyactions

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/actions"
)

// RegisterUnserved registers every activity Register does on a worker that serves no Sellsy
// account, each failing at once, whatever its input, as a ConfigurationError (not retried)
// whose message is reason: what is missing and how to set it.
//
// Registering none is worse: the SDK reports an activity type a worker does not have as a
// retryable failure ("unable to find activityType", so that another worker of the task
// queue may take it), and under the default retry policy the caller's workflow retries it
// forever. crmsync's workers on one task queue load the same connection files (a sync
// activity also fails for good on a worker without its connection), so when this one has no
// Sellsy account none has, and waiting serves nothing.
func RegisterUnserved(r worker.ActivityRegistry, reason string) {
	fail := func(context.Context) error { return actions.Configuration(reason) }
	for _, name := range Names() {
		r.RegisterActivityWithOptions(fail, activity.RegisterOptions{Name: name})
	}
}
