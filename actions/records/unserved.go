package recordactions

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/config"
)

// RegisterUnserved registers the activities of every system of Prefixes that no loaded
// connection has a side of (those Register leaves out), each failing at once, whatever its
// input, as a ConfigurationError (not retried): "<P>: this worker has no <P> connection (…)"
// followed by hint, which says how to add one. It returns the names it registered.
//
// Registering none is worse: the SDK reports an activity type a worker does not have as a
// retryable failure ("unable to find activityType", so that another worker of the task
// queue may take it), and under the default retry policy the caller's workflow retries it
// forever. crmsync's workers on one task queue load the same connection files (a sync
// activity also fails for good on a worker without its connection), so when this one has no
// such connection none has.
func RegisterUnserved(r worker.ActivityRegistry, loaded []*config.Connection, hint string) []string {
	served := Systems(loaded)
	systems := make([]string, 0, len(Prefixes))
	for system := range Prefixes {
		if !slices.Contains(served, system) {
			systems = append(systems, system)
		}
	}
	sort.Strings(systems)
	var names []string
	for _, system := range systems {
		prefix := Prefixes[system]
		msg := fmt.Sprintf("%s: this worker has no %s connection (no side of system %s in its connection files)%s", prefix, prefix, system, hint)
		fail := func(context.Context) error { return actions.Configuration(msg) }
		for _, name := range Names(system) {
			r.RegisterActivityWithOptions(fail, activity.RegisterOptions{Name: name})
			names = append(names, name)
		}
	}
	return names
}
