// Package envnames checks the CRMSYNC_* variables that name something (an address, a
// namespace, a task queue, a folder), for the worker and the crmsync command alike.
package envnames

import (
	"fmt"
	"strings"
)

// Name is one such variable: its key, the value read, and whether it may be empty (it may
// where its default is empty).
type Name struct {
	Key, Value string
	Needed     bool
}

// Check returns a problem, worded KEY="value": reason, for each name set but empty where it
// is needed, or with spaces around it. envconfig keeps a value set to "" rather than the
// default, and the SDK then takes its own default in silence (an empty namespace is
// "default", an empty address localhost:7233), while a task queue "crmsync " (an .env file's
// stray blank) is one no workflow is started on.
func Check(names []Name) []string {
	var problems []string
	for _, n := range names {
		switch {
		case strings.TrimSpace(n.Value) == "":
			if n.Needed {
				problems = append(problems, fmt.Sprintf("%s=%q: empty (leave it unset for the default)", n.Key, n.Value))
			}
		case n.Value != strings.TrimSpace(n.Value):
			problems = append(problems, fmt.Sprintf("%s=%q: has spaces around it", n.Key, n.Value))
		}
	}
	return problems
}
