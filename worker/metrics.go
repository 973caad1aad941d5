package main

import (
	"fmt"
	"net/http"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
)

// newMetrics returns the Temporal SDK's metrics handler (its own metrics — activity and
// workflow task latencies, failures, polls — and crmsync's, recorded by the activities)
// exported for Prometheus, the registry they are gathered from, and the handler that serves
// them under /metrics.
func newMetrics() (client.MetricsHandler, *promclient.Registry, http.Handler, error) {
	registry := promclient.NewRegistry()
	exporter, err := prometheus.New(prometheus.WithRegisterer(registry))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("metrics: %w", err)
	}
	// The SDK's and crmsync's timers are histograms in seconds; OpenTelemetry's default
	// buckets (0, 5, 10, 25, … 10000) suit milliseconds and would put every request and task
	// in the first one.
	seconds := sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: secondBuckets}})
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(seconds))
	// Monotonic counters: Prometheus types them as counters (name_total), so rate() and
	// increase() see a worker's restart as a reset rather than a fall.
	handler := opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{Meter: provider.Meter("crmsync"), UseMonotonicCounters: true})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	return handler, registry, mux, nil
}

// secondBuckets spans a fast API answer (5 ms) to a slow page or a long activity (2 min).
var secondBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
