// Package activities holds crmsync's Temporal activities: thin wrappers that call connectors,
// run the engine and update the store. Records never leave an activity: workflows see
// cursors and counts only.
package activities

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/registry"
)

// Connections resolves connection names to their files and connectors. Connectors are built
// once per connection and shared by every activity, so that one rate limiter guards each
// account.
type Connections struct {
	HTTPClient *http.Client

	mu          sync.Mutex
	conns       map[string]*config.Connection
	open        map[string][2]connectors.Connector
	fieldCodecs map[string]*fieldCodecs
}

// NewConnections holds the given connections.
func NewConnections(conns []*config.Connection) *Connections {
	m := make(map[string]*config.Connection, len(conns))
	for _, c := range conns {
		m[c.Name] = c
	}
	return &Connections{conns: m, open: map[string][2]connectors.Connector{}}
}

// Config returns a connection's file.
func (cs *Connections) Config(name string) (*config.Connection, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.conns[name]
	if !ok {
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: "crmsync", Op: "connection " + name,
			Message: fmt.Sprintf("no connection file of this worker is named %q (loaded: %s)", name, strings.Join(cs.namesLocked(), ", "))}
	}
	return c, nil
}

// Connectors returns the connectors of both sides of a connection.
func (cs *Connections) Connectors(name string) (a, b connectors.Connector, err error) {
	c, err := cs.Config(name)
	if err != nil {
		return nil, nil, err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if pair, ok := cs.open[name]; ok {
		return pair[0], pair[1], nil
	}
	if a, err = registry.Open(c, "a", cs.HTTPClient); err != nil {
		return nil, nil, configError(err)
	}
	if b, err = registry.Open(c, "b", cs.HTTPClient); err != nil {
		return nil, nil, configError(err)
	}
	cs.open[name] = [2]connectors.Connector{a, b}
	return a, b, nil
}

// Names lists the loaded connections.
func (cs *Connections) Names() []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.namesLocked()
}

func (cs *Connections) namesLocked() []string {
	names := make([]string, 0, len(cs.conns))
	for n := range cs.conns {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func configError(err error) error {
	return &connectors.Error{Kind: connectors.KindConfig, System: "crmsync", Op: "open connector", Message: err.Error()}
}
