package config

import (
	"fmt"
	"strings"
)

// SideOn finds the side ("a" or "b") that is system: of the connection named name, or, when
// name is empty, of the only connection with a side on system. The errors name what is
// missing, or the candidates to choose from.
func SideOn(conns []*Connection, system, name string) (*Connection, string, error) {
	var hits []*Connection
	for _, c := range conns {
		switch {
		case name != "" && c.Name != name:
			continue
		case name != "" && c.A.System != system && c.B.System != system:
			return nil, "", fmt.Errorf("connection %q has no %s side (its systems: %s, %s)", name, system, c.A.System, c.B.System)
		case c.A.System == system || c.B.System == system:
			hits = append(hits, c)
		}
	}
	switch {
	case len(hits) == 1 && hits[0].A.System == system:
		return hits[0], "a", nil
	case len(hits) == 1:
		return hits[0], "b", nil
	case name != "":
		all := make([]string, len(conns))
		for i, c := range conns {
			all[i] = c.Name
		}
		return nil, "", fmt.Errorf("no connection named %q%s", name, DidYouMean(name, all))
	case len(hits) == 0:
		return nil, "", fmt.Errorf("no connection has a %s side", system)
	}
	names := make([]string, len(hits))
	for i, c := range hits {
		names[i] = c.Name
	}
	return nil, "", fmt.Errorf("%d connections have a %s side (%s): name one", len(hits), system, strings.Join(names, ", "))
}
