package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/minicrm"
	"github.com/crmsync/crmsync/connectors/registry"
	"github.com/crmsync/crmsync/connectors/unas"
	"github.com/crmsync/crmsync/internal/envnames"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/temporalconn"

	"github.com/kelseyhightower/envconfig"
	"go.temporal.io/sdk/client"
)

// settings are the CRMSYNC_* variables the CLI shares with the worker: seven of the worker's
// and its TLS settings, listed in the README. Each tag is the variable's whole name and Process is given no prefix:
// with a prefix, envconfig falls back to the unprefixed name (NAMESPACE, CONNECTIONS) when the
// CRMSYNC_ one is unset.
type settings struct {
	TemporalAddress string `envconfig:"CRMSYNC_TEMPORAL_ADDRESS" default:"localhost:7233"`
	Namespace       string `envconfig:"CRMSYNC_NAMESPACE" default:"default"`
	TaskQueue       string `envconfig:"CRMSYNC_TASK_QUEUE" default:"crmsync"`
	Connections     string `envconfig:"CRMSYNC_CONNECTIONS" default:"./connections"`
	DataDir         string `envconfig:"CRMSYNC_DATA_DIR" default:"./data"`
	StoreDSN        string `envconfig:"CRMSYNC_STORE_DSN"`
	// SellsyConnection is the worker's choice of Sellsy account for its Sellsy.* activities,
	// and the default of `crmsync sellsy`'s --connection: the same account by hand.
	SellsyConnection string `envconfig:"CRMSYNC_SELLSY_CONNECTION"`
	// The connection's TLS and API key, as the worker's.
	temporalconn.Settings
}

func loadSettings() (settings, error) {
	var s settings
	if err := envconfig.Process("", &s); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) && pe.TypeName == "bool" {
			// Worded as the worker words it (its only typed setting the command shares).
			return s, fmt.Errorf("settings: %s=%q: not true or false (leave it unset for false)", pe.KeyName, pe.Value)
		}
		return s, fmt.Errorf("settings: %w", err)
	}
	// A DSN set but empty (a ${VAR} left unset) is refused, as the worker refuses it: the
	// command would read a SQLite store of this machine's, empty, and show no quarantine.
	if v, set := os.LookupEnv("CRMSYNC_STORE_DSN"); set && strings.TrimSpace(v) == "" {
		return s, errors.New(`settings: CRMSYNC_STORE_DSN="": empty (leave it unset for the SQLite store in CRMSYNC_DATA_DIR)`)
	}
	if err := s.checkNames(); err != nil {
		return s, fmt.Errorf("settings: %w", err)
	}
	if s.StoreDSN == "" {
		s.StoreDSN = "sqlite:" + filepath.Join(s.DataDir, "crmsync.db")
	}
	return s, nil
}

// checkNames refuses, as the worker does, a name set but empty or with spaces around it
// (envnames.Check says why). CRMSYNC_DATA_DIR is needed only when no DSN names the store.
func (s settings) checkNames() error {
	problems := envnames.Check([]envnames.Name{
		{Key: "CRMSYNC_TEMPORAL_ADDRESS", Value: s.TemporalAddress, Needed: true},
		{Key: "CRMSYNC_NAMESPACE", Value: s.Namespace, Needed: true},
		{Key: "CRMSYNC_TASK_QUEUE", Value: s.TaskQueue, Needed: true},
		{Key: "CRMSYNC_CONNECTIONS", Value: s.Connections, Needed: true},
		{Key: "CRMSYNC_DATA_DIR", Value: s.DataDir, Needed: s.StoreDSN == ""},
		{Key: "CRMSYNC_SELLSY_CONNECTION", Value: s.SellsyConnection},
	})
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// loadConnections loads the worker's connection files (CRMSYNC_CONNECTIONS); its errors say
// where the files were looked for.
func loadConnections(s settings) ([]*config.Connection, error) {
	conns, err := config.LoadAll(s.Connections)
	if err != nil {
		return conns, fmt.Errorf("connection files (CRMSYNC_CONNECTIONS=%s): %w", s.Connections, err)
	}
	return conns, nil
}

// dial reads the settings and connects to their Temporal server.
func dial() (client.Client, settings, error) {
	s, err := loadSettings()
	if err != nil {
		return nil, s, err
	}
	c, err := dialWith(s)
	return c, s, err
}

// connect dials a Temporal server; tests replace it with a client of their own.
var connect = client.Dial

// dialWith connects to the Temporal server of settings already read.
func dialWith(s settings) (client.Client, error) {
	opts := client.Options{HostPort: s.TemporalAddress, Namespace: s.Namespace, Logger: quietLogger{}}
	if err := s.Settings.Apply(&opts); err != nil {
		return nil, err
	}
	c, err := connect(opts)
	if err != nil && s.Settings.Enabled() {
		// A certificate or an API key refused fails the dial too: name what may be wrong.
		return nil, fmt.Errorf("temporal at %s (CRMSYNC_TEMPORAL_ADDRESS, over TLS: CRMSYNC_TEMPORAL_TLS_CA, _CERT, _KEY, _SERVER_NAME, CRMSYNC_TEMPORAL_API_KEY) does not answer or refuses the connection: %w", s.TemporalAddress, err)
	}
	if err != nil {
		return nil, fmt.Errorf("temporal at %s (CRMSYNC_TEMPORAL_ADDRESS) does not answer: %w", s.TemporalAddress, err)
	}
	return c, nil
}

// quietLogger keeps the SDK's info logs out of the CLI's output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

// storeOpenTimeout bounds how long a command waits for the workers' store to open: an
// unreachable database is no reason to hang.
const storeOpenTimeout = 10 * time.Second

// openWorkersStore opens the workers' store, never a new, empty one (store.OpenExisting),
// waiting at most within for it to answer.
func openWorkersStore(ctx context.Context, dsn string, within time.Duration) (store.Store, error) {
	octx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	st, err := store.OpenExisting(octx, dsn)
	if err != nil && octx.Err() != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("the workers' store did not answer within %s (CRMSYNC_STORE_DSN): %w", within, err)
	}
	if errors.Is(err, store.ErrNoStore) {
		// Most often the default ./data, looked for away from the worker's directory.
		return nil, fmt.Errorf("%w (the workers' store: run this where the worker runs, or give it the worker's CRMSYNC_DATA_DIR or CRMSYNC_STORE_DSN)", err)
	}
	return st, err
}

// sharedBudget returns the Accounts through which the command's calls to connection c's
// systems count in the quotas the workers keep in their store — UNAS's hourly budgets, whose
// breaking bans the shop's IP for hours, and MiniCRM's minute, whose 61st request costs the
// workers a whole minute — when c reads such a system and the store is there: the command
// then waits, or is refused, as a worker would. Without one the command counts its calls
// apart and says so on stderr. close releases the store.
func sharedBudget(ctx context.Context, s settings, c *config.Connection, warn io.Writer) (accounts *registry.Accounts, close func()) {
	var counted []string
	for _, sys := range []struct{ name, quota string }{{unas.System, "UNAS calls count apart from the workers' hourly budget"}, {minicrm.System, "MiniCRM requests count apart from the workers' minute"}} {
		if c.A.System == sys.name || c.B.System == sys.name {
			counted = append(counted, sys.quota)
		}
	}
	if len(counted) == 0 {
		return nil, func() {}
	}
	st, err := openWorkersStore(ctx, s.StoreDSN, storeOpenTimeout)
	if err != nil {
		fmt.Fprintf(warn, "crmsync: note: this command's %s (%v)\n", strings.Join(counted, ", and its "), err)
		return nil, func() {}
	}
	return &registry.Accounts{Quotas: st}, func() { _ = st.Close() }
}
