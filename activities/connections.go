// Package activities holds crmsync's Temporal activities: thin wrappers that call connectors,
// run the engine and update the store. Records never leave an activity: workflows see
// cursors and counts only.
package activities

import (
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"

	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/registry"
	"github.com/crmsync/crmsync/store"
)

// Connections resolves connection names to their files and connectors. Connectors are built
// once per connection and shared by every activity, and connectors on one account share one
// rate limiter, so that the account's quota is kept whatever runs on it.
type Connections struct {
	HTTPClient *http.Client

	accounts registry.Accounts

	mu          sync.Mutex
	conns       map[string]*config.Connection
	stamps      map[string]fileStamp // of each connection's file when it was last read
	broken      map[string]error     // the error of a file that did not load, until it changes
	open        map[string][2]connectors.Connector
	fieldCodecs map[string]*fieldCodecs
}

// NewConnections holds the given connections.
func NewConnections(conns []*config.Connection) *Connections {
	m := make(map[string]*config.Connection, len(conns))
	stamps := make(map[string]fileStamp, len(conns))
	for _, c := range conns {
		m[c.Name] = c
		if fi, err := os.Stat(c.File); err == nil {
			stamps[c.Name] = stampOf(fi)
		}
	}
	return &Connections{conns: m, stamps: stamps, broken: map[string]error{}, open: map[string][2]connectors.Connector{}}
}

// Config returns a connection's file. A file changed on disk is loaded again (a new
// interval, a new mapping apply to a running connection); a file that no longer validates is
// a configuration error, which pauses the connection with the message. A broken file is read
// once per change: its error is kept and returned until the file changes again, since every
// activity and webhook delivery of the connection asks.
func (cs *Connections) Config(name string) (*config.Connection, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.conns[name]
	if !ok {
		// CRMSYNC_CONNECTIONS is read at start only: say so, or a file added since looks ignored.
		return nil, &connectors.Error{Kind: connectors.KindConfig, System: "crmsync", Op: "connection " + name,
			Message: fmt.Sprintf("no connection file of this worker is named %q (loaded: %s); a connection file added after the worker started takes a restart of the worker, which reads CRMSYNC_CONNECTIONS at start",
				name, strings.Join(cs.namesLocked(), ", "))}
	}
	fi, err := os.Stat(c.File)
	if err != nil || stampOf(fi) == cs.stamps[name] {
		// Unchanged (or gone: keep what was read, a broken file's error included).
		if err := cs.broken[name]; err != nil {
			return nil, err
		}
		return c, nil
	}
	cs.stamps[name] = stampOf(fi)
	fresh, err := config.Load(c.File)
	if err == nil && fresh.Name != name {
		err = fmt.Errorf("%s: name changed from %q to %q: a connection cannot be renamed while its workflows run", c.File, name, fresh.Name)
	}
	if err != nil {
		cs.broken[name] = configError(err)
		return nil, cs.broken[name]
	}
	delete(cs.broken, name)
	cs.conns[name] = fresh
	delete(cs.open, name) // settings may have changed: connectors are built again
	for key := range cs.fieldCodecs {
		if strings.HasPrefix(key, name+"/") {
			delete(cs.fieldCodecs, key)
		}
	}
	return fresh, nil
}

// fileStamp tells whether a file changed since it was read: its modification time and its
// size. The time alone may not: a save that truncates the file and then writes it can give
// both states one coarse time, and a read between the two would keep the empty file's error.
type fileStamp struct {
	mod  int64 // UnixNano
	size int64
}

func stampOf(fi os.FileInfo) fileStamp {
	return fileStamp{mod: fi.ModTime().UnixNano(), size: fi.Size()}
}

// Loaded returns the version of a connection's file last loaded without error, even while
// the file on disk does not validate (Config then fails): what its credentials were, for the
// answers that must hide them whatever state the file is in. nil for an unknown name.
func (cs *Connections) Loaded(name string) *config.Connection {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.conns[name]
}

// Connectors returns the connectors of both sides of a connection.
func (cs *Connections) Connectors(name string) (a, b connectors.Connector, err error) {
	if _, err := cs.Config(name); err != nil {
		return nil, nil, err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if pair, ok := cs.open[name]; ok {
		return pair[0], pair[1], nil
	}
	// Not the version Config returned: a save another caller read since is newer, and
	// connectors built from the older file would stay until the next save.
	c := cs.conns[name]
	if a, err = registry.OpenShared(c, "a", cs.HTTPClient, &cs.accounts); err != nil {
		return nil, nil, configError(err)
	}
	if b, err = registry.OpenShared(c, "b", cs.HTTPClient, &cs.accounts); err != nil {
		return nil, nil, configError(err)
	}
	cs.open[name] = [2]connectors.Connector{a, b}
	return a, b, nil
}

// ShareQuotas makes the connectors count the calls whose hourly limits ban (UNAS's) in q, the
// store every worker process shares, rather than each in its own memory. Call it before the
// first connector opens.
func (cs *Connections) ShareQuotas(q store.Quotas) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.accounts.Quotas = q
}

// RecordRequests makes the connectors count and time their requests in m, the worker's
// metrics (crmsync_api_requests, crmsync_api_request_latency). Call it before the first
// connector opens.
func (cs *Connections) RecordRequests(m client.MetricsHandler) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.accounts.Metrics = m
}

// Accounts returns the rate limiters shared per account, for other connectors the worker
// opens on the same accounts (the Sellsy activities).
func (cs *Connections) Accounts() *registry.Accounts { return &cs.accounts }

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
	return &connectors.Error{Kind: connectors.KindConfig, System: "crmsync", Op: "connection", Message: err.Error()}
}
