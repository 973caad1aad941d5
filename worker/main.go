// Command crmsync-worker runs crmsync's workflows and activities: it reads its settings from
// the environment, loads the connection files, opens the store and serves the task queue.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"
	promclient "github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	recordactions "github.com/crmsync/crmsync/actions/records"
	sellsyactions "github.com/crmsync/crmsync/actions/sellsy"
	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/temporalconn"
	"github.com/crmsync/crmsync/webhooks"
	"github.com/crmsync/crmsync/workflows"
)

// Settings are read from the CRMSYNC_* environment variables, and from no other: each tag
// is the variable's whole name, and Process is given no prefix, so that envconfig has no
// unprefixed name to fall back on (with a prefix it reads NAMESPACE when CRMSYNC_NAMESPACE is
// unset). Credentials of the systems are read from the variables each connection file names.
type Settings struct {
	TemporalAddress string `envconfig:"CRMSYNC_TEMPORAL_ADDRESS" default:"localhost:7233" desc:"Temporal frontend host:port"`
	Namespace       string `envconfig:"CRMSYNC_NAMESPACE" default:"default" desc:"Temporal namespace"`
	TaskQueue       string `envconfig:"CRMSYNC_TASK_QUEUE" default:"crmsync" desc:"task queue the worker serves"`
	// Connections is a comma-separated list of connection files and folders.
	Connections string `envconfig:"CRMSYNC_CONNECTIONS" default:"./connections" desc:"comma-separated connection files and folders"`
	DataDir     string `envconfig:"CRMSYNC_DATA_DIR" default:"./data" desc:"folder of the default SQLite store"`
	// StoreDSN selects the store: sqlite:/path/file.db or postgres://…; default a SQLite
	// file in DataDir.
	StoreDSN string `envconfig:"CRMSYNC_STORE_DSN" desc:"sqlite:/path/file.db or postgres://… (default: SQLite in CRMSYNC_DATA_DIR)"`
	// MaxConcurrentActivities bounds the activities this worker runs at once.
	MaxConcurrentActivities int `envconfig:"CRMSYNC_MAX_CONCURRENT_ACTIVITIES" default:"8" desc:"activities run at once (1 or more)"`
	// StopTimeout is how long a stopping worker (SIGTERM, SIGINT) lets its activities finish
	// the page in hand and return their place before it cancels them.
	StopTimeout time.Duration `envconfig:"CRMSYNC_STOP_TIMEOUT" default:"20s" desc:"how long a stopping worker lets its activities finish (with its unit, e.g. 20s; 0s cancels them at once)"`
	// SellsyConnection names the connection whose Sellsy side serves the Sellsy.* activities
	// (optional when only one connection has a Sellsy side).
	SellsyConnection string `envconfig:"CRMSYNC_SELLSY_CONNECTION" desc:"connection whose Sellsy side serves the Sellsy.* activities"`
	// WebhookAddr, when set (e.g. :8090), serves the webhook receiver: Automation's signed
	// webhooks and the push URL of "send contact to Sellsy".
	WebhookAddr string `envconfig:"CRMSYNC_WEBHOOK_ADDR" desc:"address of the webhook receiver and /healthz, e.g. :8090"`
	// DebugAddr, when set (e.g. 127.0.0.1:6060), serves Go's profiler under /debug/pprof/.
	DebugAddr string `envconfig:"CRMSYNC_DEBUG_ADDR" desc:"address of Go's profiler, e.g. 127.0.0.1:6060"`
	// MetricsAddr, when set (e.g. :9090), serves Prometheus metrics under /metrics: the
	// Temporal SDK's and crmsync's records per connection, object and side.
	MetricsAddr string `envconfig:"CRMSYNC_METRICS_ADDR" desc:"address of the Prometheus metrics, e.g. :9090"`
	// The connection's TLS and API key, for a server that asks for them (Temporal Cloud).
	temporalconn.Settings
}

// ownWorkflows are the workflows the worker runs; config.IsOwnWorkflowType knows them by
// name, so that no webhook route starts one.
var ownWorkflows = []any{workflows.InitialImport, workflows.IncrementalSync, workflows.PushRecord,
	workflows.PipelineSync, workflows.RetryQuarantine, workflows.SellsyEvents}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if code, done := command(context.Background(), os.Args[1:], os.Stdout, os.Stderr); done {
		os.Exit(code)
	}
	if err := run(context.Background(), log); err != nil {
		log.Error("worker stopped", "error", err)
		os.Exit(1)
	}
}

const usageHead = `usage: crmsync-worker              run the worker (settings from the environment, below)
       crmsync-worker healthcheck  ask the running worker's /healthz (at CRMSYNC_WEBHOOK_ADDR)
       crmsync-worker -h           print this help

settings (environment):
`

// usageRows lists every setting the worker reads, its default and what it is.
const usageRows = `{{range .}}  {{usage_key .}}{{"\t"}}{{with usage_default .}}({{.}}){{end}}{{"\t"}}{{usage_description .}}
{{end}}`

// usage prints how to run the worker and the variables it reads.
func usage(w io.Writer) error {
	if _, err := io.WriteString(w, usageHead); err != nil {
		return err
	}
	tabs := tabwriter.NewWriter(w, 1, 0, 2, ' ', 0)
	if err := envconfig.Usagef("", &Settings{}, tabs, usageRows); err != nil {
		return err
	}
	if err := tabs.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\nThe systems' credentials are read from the variables each connection file names.\n")
	return err
}

// command handles the worker's arguments: healthcheck and -h answer and end the process
// (done, with its exit code); without arguments the worker runs (not done). Any other
// argument is refused rather than ignored: the worker takes its settings from the
// environment, and a mistyped flag must not start it with the defaults.
func command(ctx context.Context, args []string, stdout, stderr io.Writer) (code int, done bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "healthcheck":
		// The container's health check (distroless has no curl): asks the running worker.
		if err := healthcheck(ctx, os.Getenv("CRMSYNC_WEBHOOK_ADDR")); err != nil {
			fmt.Fprintln(stderr, err)
			return 1, true
		}
		return 0, true
	case "-h", "-help", "--help", "help":
		if err := usage(stdout); err != nil {
			fmt.Fprintln(stderr, err)
			return 1, true
		}
		return 0, true
	}
	fmt.Fprintf(stderr, "crmsync-worker: unknown argument %q\n", args[0])
	_ = usage(stderr)
	return 2, true
}

func run(ctx context.Context, log *slog.Logger) error {
	s, err := loadSettings()
	if err != nil {
		return err
	}
	listeners, err := listen(s)
	if err != nil {
		return err
	}
	defer func() {
		for _, ln := range listeners {
			_ = ln.Close() // a served one is closed already: its server's Close closes it
		}
	}()
	conns, err := config.LoadAll(s.Connections)
	if err != nil {
		return fmt.Errorf("connection files (CRMSYNC_CONNECTIONS=%s): %w", s.Connections, err)
	}
	if len(conns) == 0 {
		return fmt.Errorf("connection files: none found in %s (CRMSYNC_CONNECTIONS)", s.Connections)
	}
	// Missing credentials are reported now, not at the first activity, and all of them at
	// once: one restart, not one a variable.
	if err := config.CheckSecrets(conns...); err != nil {
		return fmt.Errorf("credentials:\n%w", err)
	}
	storeVar := "CRMSYNC_STORE_DSN" // not the DSN itself: it may hold a password (store's errors redact it)
	if s.StoreDSN == "" {
		if err := os.MkdirAll(s.DataDir, 0o750); err != nil {
			return fmt.Errorf("CRMSYNC_DATA_DIR=%q: %w", s.DataDir, err)
		}
		s.StoreDSN = "sqlite:" + filepath.Join(s.DataDir, "crmsync.db")
		storeVar = fmt.Sprintf("CRMSYNC_DATA_DIR=%q", s.DataDir) // the variable that placed the store
	}
	st, err := store.Open(ctx, s.StoreDSN)
	if err != nil {
		return fmt.Errorf("%s: %w", storeVar, err)
	}
	defer st.Close()

	names := make([]string, len(conns))
	for i, c := range conns {
		names[i] = c.Name
	}
	opts := client.Options{HostPort: s.TemporalAddress, Namespace: s.Namespace, Logger: log, FailureConverter: newFailureConverter()}
	if err := s.Settings.Apply(&opts); err != nil {
		return err
	}
	var registry *promclient.Registry
	var metrics http.Handler
	if s.MetricsAddr != "" {
		if opts.MetricsHandler, registry, metrics, err = newMetrics(); err != nil {
			return err
		}
	}
	c, err := client.Dial(opts)
	if err != nil {
		return fmt.Errorf("temporal at %s (CRMSYNC_TEMPORAL_ADDRESS): %w", s.TemporalAddress, err)
	}
	defer c.Close()
	// Stopped before the client closes: a delivery in hand still signals or starts its workflow.
	var served []*http.Server
	defer func() { shutdown(served, httpDrain, log) }()
	if registry != nil {
		registry.MustRegister(newConnectionGauges(c, s.Namespace, s.TaskQueue, st, names, log))
		served = append(served, serve(listeners["CRMSYNC_METRICS_ADDR"], metrics, log))
	}
	if err := ensureSearchAttributes(ctx, c, s.TemporalAddress, s.Namespace, log); err != nil {
		return err
	}

	connections := activities.NewConnections(conns)
	// UNAS's hourly limits ban the IP when broken: count its calls in the store, where every
	// worker sharing it sees them.
	connections.ShareQuotas(st)
	if opts.MetricsHandler != nil {
		connections.RecordRequests(opts.MetricsHandler)
	}
	// Every worker routes Sellsy events (SellsyEvents' activity), whichever one's receiver
	// took the delivery.
	receiver := newReceiver(c, s.TaskQueue, conns, connections, log).
		WithHealth(func(ctx context.Context) error {
			_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		})
	if s.WebhookAddr != "" {
		served = append(served, serve(listeners["CRMSYNC_WEBHOOK_ADDR"], receiver.Handler(), log))
	}
	if s.DebugAddr != "" {
		served = append(served, serve(listeners["CRMSYNC_DEBUG_ADDR"], debugMux(), log))
	}
	w := worker.New(c, s.TaskQueue, workerOptions(s))
	for _, wf := range ownWorkflows {
		w.RegisterWorkflow(wf)
	}
	w.RegisterActivity(&activities.Activities{Conns: connections, Store: st,
		Paused: func(ctx context.Context, connection string) (bool, error) {
			return searchattr.Paused(ctx, c, connection)
		},
		WorkflowPaused: func(ctx context.Context, workflowID string) (bool, error) {
			return searchattr.WorkflowPaused(ctx, c, workflowID)
		},
		SellsyEvents: receiver.RouteSellsyEvent})
	// Sellsy's operations as activities (Sellsy.CreateCompany, …) for users' own workflows.
	// A worker that cannot serve them registers them all the same, failing at once as a
	// ConfigurationError that says what to set: unregistered, a caller's workflow would retry
	// the SDK's "unable to find activityType" forever (the workers of a task queue load the
	// same connection files, so no other worker would take it).
	hint := fmt.Sprintf(": add a connection file with one to CRMSYNC_CONNECTIONS (%s, which loads %s) and restart the worker (every worker of task queue %q must load the same connection files)",
		s.Connections, strings.Join(names, ", "), s.TaskQueue)
	if src, err := sellsyactions.NewSource(conns, s.SellsyConnection, connections, connections.Accounts()); err == nil {
		secrets := func() []string { return recordactions.Secrets(connections) }
		sellsyactions.Register(w, &sellsyactions.Actions{Source: src.Client, Secrets: secrets})
	} else if s.SellsyConnection != "" {
		return fmt.Errorf("CRMSYNC_SELLSY_CONNECTION=%q: %w", s.SellsyConnection, err)
	} else {
		reason := "sellsy: this worker has no Sellsy connection (no side of system sellsy in its connection files)" + hint
		if slices.Contains(recordactions.Systems(conns), "sellsy") {
			reason = fmt.Sprintf("sellsy: this worker cannot choose the Sellsy account of the Sellsy.* activities (%v): set CRMSYNC_SELLSY_CONNECTION to the connection whose account serves them and restart the worker", err)
		}
		sellsyactions.RegisterUnserved(w, reason)
		log.Info("Sellsy activities fail as ConfigurationError on this worker", "reason", reason)
	}
	// Every connected system's records and any call as activities (Automation.Create, …).
	if names := recordactions.Register(w, connections, conns); len(names) > 0 {
		log.Info("record activities registered", "activities", names)
	}
	if names := recordactions.RegisterUnserved(w, conns, hint); len(names) > 0 {
		log.Info("record activities of systems no connection has fail as ConfigurationError", "activities", names)
	}

	log.Info("crmsync worker started", "temporal", s.TemporalAddress, "namespace", s.Namespace, "task_queue", s.TaskQueue, "connections", names)
	return w.Run(worker.InterruptCh())
}

// newReceiver is the worker's webhook receiver. It reads the connections through the
// activities' Connections: a changed file applies to the next delivery as to the next sync
// (routes, credentials), and is parsed once for both.
func newReceiver(t webhooks.Temporal, taskQueue string, conns []*config.Connection, connections *activities.Connections, log *slog.Logger) *webhooks.Receiver {
	return webhooks.New(t, taskQueue, conns, log).WithConfig(connections.Config).WithConnectors(connections.Connectors)
}

// healthClient asks the worker on this machine directly: Go's default client would send the
// request through HTTP_PROXY, which the environment may set for the worker's calls to the
// systems, for any host but localhost and 127.0.0.0/8 (a receiver on 0.0.0.0:8090, say).
var healthClient = &http.Client{Transport: &http.Transport{Proxy: nil}}

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
	resp, err := healthClient.Do(req)
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

// serve serves h on ln (opened at start, see listen) until the server is closed: the webhook
// receiver, the metrics, the profiler. It logs the address it listens on, the port the system
// chose included when the address asks for port 0.
func serve(ln opened, h http.Handler, log *slog.Logger) *http.Server {
	srv := newHTTPServer(h)
	srv.Addr = ln.Addr().String() // not listened on again: named by shutdown's log
	log.Info(ln.what+" listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(ln.what+" stopped", "error", err)
		}
	}()
	return srv
}

// httpDrain is how long a stopping worker, its activities stopped (CRMSYNC_STOP_TIMEOUT), lets
// its HTTP servers finish the requests in hand: a webhook delivery being read or answered.
// docker-compose.yml's stop_grace_period leaves the time for both.
const httpDrain = 5 * time.Second

// shutdown stops the servers together: each takes no new connection and finishes the requests
// in hand for at most drain, then cuts what is left. A delivery cut would be lost, as
// Automation and Sellsy are not documented to send it again.
func shutdown(servers []*http.Server, drain time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Go(func() {
			if err := srv.Shutdown(ctx); err != nil {
				log.Warn("requests cut short by the worker's stop", "addr", srv.Addr, "error", err)
				_ = srv.Close()
			}
		})
	}
	wg.Wait()
}

// newHTTPServer bounds how long a client may take to send its request, so that senders too
// slow to finish (the receiver reads a body before it can check its signature) cannot hold
// connections and memory, and how long an idle connection is kept. Answers are not bounded:
// a profile takes as long as it was asked to.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
}

// ensureSearchAttributes registers crmsync's search attributes. A workflow upserts them as it
// starts, and the server fails (and retries forever) a workflow task that upserts one it does
// not know: without them every workflow would stall, so the worker does not start. A role
// that may not list or add them (Temporal Cloud) is let through with the commands an operator
// runs, since they may well exist. A namespace that does not exist is said so, with the
// command that creates it: its search attributes are not what is wrong.
func ensureSearchAttributes(ctx context.Context, c client.Client, address, namespace string, log *slog.Logger) error {
	err := searchattr.Ensure(ctx, c, namespace)
	var denied *serviceerror.PermissionDenied
	var noNamespace *serviceerror.NamespaceNotFound
	var notFound *serviceerror.NotFound // the only thing ListSearchAttributes may not find
	var wrongType *searchattr.WrongTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &wrongType):
		return fmt.Errorf("search attributes: %w", err) // registered already: its own cure
	case errors.As(err, &denied):
		log.Warn("this worker may not register crmsync's search attributes; if they are missing, every workflow stalls: register them once with "+strings.Join(searchattr.Commands(namespace), "; "), "error", err)
		return nil
	case errors.As(err, &noNamespace), errors.As(err, &notFound):
		create := "temporal operator namespace create --namespace " + namespace
		if address != client.DefaultHostPort {
			create += " --address " + address // the CLI's default is the worker's
		}
		return fmt.Errorf("CRMSYNC_NAMESPACE=%q: namespace %s does not exist on the Temporal server at %s: create it with: %s (or set CRMSYNC_NAMESPACE to an existing one)",
			namespace, namespace, address, create)
	}
	return fmt.Errorf("search attributes: %w (register them with: %s)", err, strings.Join(searchattr.Commands(namespace), "; "))
}
