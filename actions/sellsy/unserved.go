package sellsyactions

import (
	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/actions"
)

// RegisterUnserved registers every activity Register does on a worker that serves no Sellsy
// account, each failing at once, whatever its input, as a ConfigurationError (not retried)
// whose message is reason: what is missing and how to set it (see actions.RegisterFailing).
func RegisterUnserved(r worker.ActivityRegistry, reason string) {
	actions.RegisterFailing(r, Names(), reason)
}
