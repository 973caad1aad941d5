package recordactions

import (
	"fmt"
	"slices"
	"sort"

	"go.temporal.io/sdk/worker"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/config"
)

// RegisterUnserved registers the activities of every system of Prefixes that no loaded
// connection has a side of (those Register leaves out), each failing at once, whatever its
// input, as a ConfigurationError (not retried): "<P>: this worker has no <P> connection (…)"
// followed by hint, which says how to add one (see actions.RegisterFailing). It returns the
// names it registered.
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
		own := Names(system)
		actions.RegisterFailing(r, own, msg)
		names = append(names, own...)
	}
	return names
}
