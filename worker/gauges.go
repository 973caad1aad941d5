package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	promclient "github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/workflows"
)

// Gauges of the connections' health, for alerting.
const (
	// MetricPaused is 1 while a connection's workflow is paused (by a user, or by an error a
	// person must fix: a revoked credential, a right switched off), else 0.
	MetricPaused = "crmsync_paused"
	// MetricQuarantined is the number of a connection's records in quarantine.
	MetricQuarantined = "crmsync_quarantined"
)

// workflowLister is the part of the Temporal client the gauges read.
type workflowLister interface {
	ListWorkflow(context.Context, *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
}

// connectionGauges reports, at each scrape, whether each connection's running workflows are
// paused (from Temporal's visibility: the CrmPhase search attribute) and how many of its
// records are in quarantine (from the store). Every worker reports the same truth, whichever
// one ran a workflow last: a gauge set by the workflow itself would stay, stale, on a worker
// the workflow has moved away from. Figures are read at most once per ttl, whatever the
// number of scrapers.
type connectionGauges struct {
	temporal    workflowLister
	namespace   string
	taskQueue   string
	store       store.Store
	connections []string
	ttl         time.Duration
	timeout     time.Duration
	log         *slog.Logger

	paused, quarantined *promclient.Desc

	mu      sync.Mutex
	readAt  time.Time
	metrics []promclient.Metric
}

func newConnectionGauges(temporal workflowLister, namespace, taskQueue string, st store.Store, connections []string, log *slog.Logger) *connectionGauges {
	return &connectionGauges{
		temporal: temporal, namespace: namespace, taskQueue: taskQueue, store: st, connections: connections,
		// Two reads give up well within Prometheus's 10 s scrape timeout: with Temporal or
		// the store down, the scrape still brings the other metrics.
		ttl: 15 * time.Second, timeout: 4 * time.Second, log: log,
		paused: promclient.NewDesc(MetricPaused,
			"1 while the connection's workflow is paused (by a user or by an error a person must fix), else 0.",
			[]string{"connection", "workflow"}, nil),
		quarantined: promclient.NewDesc(MetricQuarantined,
			"Records of the connection in quarantine.", []string{"connection"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (g *connectionGauges) Describe(ch chan<- *promclient.Desc) {
	ch <- g.paused
	ch <- g.quarantined
}

// Collect implements prometheus.Collector. What cannot be read now is left out rather than
// reported stale; the error is logged.
func (g *connectionGauges) Collect(ch chan<- promclient.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.readAt) >= g.ttl {
		g.metrics = g.read()
		g.readAt = time.Now()
	}
	for _, m := range g.metrics {
		ch <- m
	}
}

// read reads the figures, Temporal's and the store's each within the timeout, so that one
// down leaves the other's in.
func (g *connectionGauges) read() []promclient.Metric {
	var out []promclient.Metric
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	paused, err := g.pausedWorkflows(ctx)
	cancel()
	if err != nil {
		g.log.Warn("metrics: crmsync_paused left out", "error", err)
	}
	for k, v := range paused {
		out = append(out, promclient.MustNewConstMetric(g.paused, promclient.GaugeValue, v, k[0], k[1]))
	}
	ctx, cancel = context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	for _, name := range g.connections {
		n, err := g.store.CountQuarantine(ctx, name)
		if err != nil {
			g.log.Warn("metrics: crmsync_quarantined left out", "connection", name, "error", err)
			continue
		}
		out = append(out, promclient.MustNewConstMetric(g.quarantined, promclient.GaugeValue, float64(n), name))
	}
	return out
}

// pausedWorkflows tells, for each connection and workflow type of the task queue's running
// workflows, 1 when one is paused, else 0: one series per connection and workflow type, as an
// import and its dry run are both InitialImport, and either paused is the connection's import
// paused. After an error it holds what was read before.
func (g *connectionGauges) pausedWorkflows(ctx context.Context) (map[[2]string]float64, error) {
	req := &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: g.namespace,
		PageSize:  1000,
		Query:     fmt.Sprintf("TaskQueue = %q AND ExecutionStatus = 'Running'", g.taskQueue),
	}
	out := map[[2]string]float64{}
	for {
		resp, err := g.temporal.ListWorkflow(ctx, req)
		if err != nil {
			return out, fmt.Errorf("list the running workflows of %s: %w", g.taskQueue, err)
		}
		for _, e := range resp.GetExecutions() {
			connection := searchattr.Keyword(e.GetSearchAttributes(), workflows.AttrConnection)
			if connection == "" {
				// Started without the attribute (by hand, with the plain Temporal CLI): the
				// workflow id begins with the connection's name.
				connection, _, _ = strings.Cut(e.GetExecution().GetWorkflowId(), "/")
			}
			k := [2]string{connection, e.GetType().GetName()}
			if searchattr.Keyword(e.GetSearchAttributes(), workflows.AttrPhase) == workflows.PhasePaused {
				out[k] = 1
			} else if _, ok := out[k]; !ok {
				out[k] = 0
			}
		}
		if len(resp.GetNextPageToken()) == 0 {
			return out, nil
		}
		req.NextPageToken = resp.GetNextPageToken()
	}
}
