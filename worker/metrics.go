package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
)

// newMetrics returns the Temporal SDK's metrics handler (its own metrics — activity and
// workflow task latencies, failures, polls — and crmsync's, recorded by the activities)
// exported for Prometheus, and the handler that serves them under /metrics.
func newMetrics() (client.MetricsHandler, http.Handler, error) {
	registry := promclient.NewRegistry()
	exporter, err := prometheus.New(prometheus.WithRegisterer(registry))
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	handler := opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{Meter: provider.Meter("crmsync")})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	return handler, mux, nil
}

// serveMetrics serves the metrics; the worker keeps running without them if the address
// cannot be used, and says so.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Info("metrics listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Error("metrics stopped", "error", err)
	}
}
