// Command crmsync-worker runs crmsync's workflows and activities: it reads its settings from
// the environment, loads the connection files, opens the store and serves the task queue.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	promclient "github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	recordactions "github.com/crmsync/crmsync/actions/records"
	sellsyactions "github.com/crmsync/crmsync/actions/sellsy"
	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/webhooks"
	"github.com/crmsync/crmsync/workflows"
)

// Settings are read from CRMSYNC_* environment variables. Credentials of the systems are
// read from the variables each connection file names.
type Settings struct {
	TemporalAddress string `envconfig:"TEMPORAL_ADDRESS" default:"localhost:7233"`
	Namespace       string `envconfig:"NAMESPACE" default:"default"`
	TaskQueue       string `envconfig:"TASK_QUEUE" default:"crmsync"`
	// Connections is a comma-separated list of connection files and folders.
	Connections string `envconfig:"CONNECTIONS" default:"./connections"`
	DataDir     string `envconfig:"DATA_DIR" default:"./data"`
	// StoreDSN selects the store: sqlite:/path/file.db or postgres://…; default a SQLite
	// file in DataDir.
	StoreDSN string `envconfig:"STORE_DSN"`
	// MaxConcurrentActivities bounds the activities this worker runs at once.
	MaxConcurrentActivities int `envconfig:"MAX_CONCURRENT_ACTIVITIES" default:"8"`
	// StopTimeout is how long a stopping worker (SIGTERM, SIGINT) lets its activities finish
	// the page in hand and return their place before it cancels them.
	StopTimeout time.Duration `envconfig:"STOP_TIMEOUT" default:"20s"`
	// SellsyConnection names the connection whose Sellsy side serves the Sellsy.* activities
	// (optional when only one connection has a Sellsy side).
	SellsyConnection string `envconfig:"SELLSY_CONNECTION"`
	// WebhookAddr, when set (e.g. :8090), serves the webhook receiver: Automation's signed
	// webhooks and the push URL of "send contact to Sellsy".
	WebhookAddr string `envconfig:"WEBHOOK_ADDR"`
	// DebugAddr, when set (e.g. 127.0.0.1:6060), serves Go's profiler under /debug/pprof/.
	DebugAddr string `envconfig:"DEBUG_ADDR"`
	// MetricsAddr, when set (e.g. :9090), serves Prometheus metrics under /metrics: the
	// Temporal SDK's and crmsync's records per connection, object and side.
	MetricsAddr string `envconfig:"METRICS_ADDR"`
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		// The container's health check (distroless has no curl): asks the running worker.
		if err := healthcheck(context.Background(), os.Getenv("CRMSYNC_WEBHOOK_ADDR")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), log); err != nil {
		log.Error("worker stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger) error {
	var s Settings
	if err := envconfig.Process("crmsync", &s); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	conns, err := config.LoadAll(s.Connections)
	if err != nil {
		return fmt.Errorf("connection files: %w", err)
	}
	if len(conns) == 0 {
		return fmt.Errorf("connection files: none found in %s (CRMSYNC_CONNECTIONS)", s.Connections)
	}
	// A missing credential is reported now, not at the first activity.
	for _, c := range conns {
		for _, sys := range []config.System{c.A, c.B} {
			for key := range sys.Credentials {
				if _, err := sys.Secret(key); err != nil {
					return fmt.Errorf("%s: %w", c.File, err)
				}
			}
		}
	}
	if s.StoreDSN == "" {
		if err := os.MkdirAll(s.DataDir, 0o750); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		s.StoreDSN = "sqlite:" + filepath.Join(s.DataDir, "crmsync.db")
	}
	st, err := store.Open(ctx, s.StoreDSN)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer st.Close()

	names := make([]string, len(conns))
	for i, c := range conns {
		names[i] = c.Name
	}
	opts := client.Options{HostPort: s.TemporalAddress, Namespace: s.Namespace, Logger: log}
	var registry *promclient.Registry
	var metrics http.Handler
	if s.MetricsAddr != "" {
		if opts.MetricsHandler, registry, metrics, err = newMetrics(); err != nil {
			return err
		}
	}
	c, err := client.Dial(opts)
	if err != nil {
		return fmt.Errorf("temporal %s: %w", s.TemporalAddress, err)
	}
	defer c.Close()
	if registry != nil {
		registry.MustRegister(newConnectionGauges(c, s.Namespace, s.TaskQueue, st, names, log))
		go serve("metrics", s.MetricsAddr, metrics, log)
	}
	if err := searchattr.Ensure(ctx, c, s.Namespace); err != nil {
		log.Warn("search attributes not registered; progress columns will be missing in the web UI", "error", err)
	}

	connections := activities.NewConnections(conns)
	// UNAS's hourly limits ban the IP when broken: count its calls in the store, where every
	// worker sharing it sees them.
	connections.ShareQuotas(st)
	if opts.MetricsHandler != nil {
		connections.RecordRequests(opts.MetricsHandler)
	}
	if s.WebhookAddr != "" {
		receiver := webhooks.New(c, s.TaskQueue, conns, log).WithConnectors(connections.Connectors).
			WithHealth(func(ctx context.Context) error {
				_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			})
		go serve("webhook receiver", s.WebhookAddr, receiver.Handler(), log)
	}
	if s.DebugAddr != "" {
		go serve("profiler", s.DebugAddr, debugMux(), log)
	}
	w := worker.New(c, s.TaskQueue, worker.Options{MaxConcurrentActivityExecutionSize: s.MaxConcurrentActivities, WorkerStopTimeout: s.StopTimeout})
	w.RegisterWorkflow(workflows.InitialImport)
	w.RegisterWorkflow(workflows.IncrementalSync)
	w.RegisterWorkflow(workflows.PushRecord)
	w.RegisterWorkflow(workflows.PipelineSync)
	w.RegisterWorkflow(workflows.RetryQuarantine)
	w.RegisterActivity(&activities.Activities{Conns: connections, Store: st,
		Paused: func(ctx context.Context, connection string) (bool, error) {
			return searchattr.Paused(ctx, c, connection)
		}})
	// Sellsy's operations as activities (Sellsy.CreateCompany, …) for users' own workflows.
	if sc, err := sellsyactions.OpenClient(conns, s.SellsyConnection, connections.Accounts()); err == nil {
		secrets := func() []string { return recordactions.Secrets(connections) }
		sellsyactions.Register(w, &sellsyactions.Actions{Client: sc, Secrets: secrets})
	} else if s.SellsyConnection != "" {
		return fmt.Errorf("sellsy actions: %w", err)
	} else {
		log.Info("Sellsy activities not registered (CRMSYNC_SELLSY_CONNECTION names the connection whose account serves them)", "reason", err)
	}
	// Every connected system's records and any call as activities (Automation.Create, …).
	if names := recordactions.Register(w, connections, conns); len(names) > 0 {
		log.Info("record activities registered", "activities", names)
	}

	log.Info("crmsync worker started", "temporal", s.TemporalAddress, "namespace", s.Namespace, "task_queue", s.TaskQueue, "connections", names)
	return w.Run(worker.InterruptCh())
}

// healthcheck asks the worker's receiver at addr (CRMSYNC_WEBHOOK_ADDR, ":8090" style) whether
// the worker is healthy.
func healthcheck(ctx context.Context, addr string) error {
	if addr == "" {
		return fmt.Errorf("healthcheck: CRMSYNC_WEBHOOK_ADDR is not set: the worker serves /healthz there")
	}
	if addr[0] == ':' {
		addr = "127.0.0.1" + addr
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// debugMux serves the profiler on a mux of its own, never on a public address by default.
func debugMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// serve listens on addr and serves h until the process ends: the webhook receiver, the
// metrics, the profiler. The worker keeps running without one whose address cannot be used,
// and says so. It logs the address it listens on, the port the system chose included when
// addr asks for port 0.
func serve(what, addr string, h http.Handler, log *slog.Logger) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error(what+" not started", "addr", addr, "error", err)
		return
	}
	log.Info(what+" listening", "addr", ln.Addr().String())
	if err := newHTTPServer(h).Serve(ln); err != nil {
		log.Error(what+" stopped", "error", err)
	}
}

// newHTTPServer bounds how long a client may take to send its request, so that senders too
// slow to finish (the receiver reads a body before it can check its signature) cannot hold
// connections and memory, and how long an idle connection is kept. Answers are not bounded:
// a profile takes as long as it was asked to.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
}
