// Package apimetrics counts and times the HTTP requests connectors make to the systems they
// sync, by system and status, so that an operator sees a system answering 429 or 5xx, or
// slowing down, before a connection falls behind.
package apimetrics

import (
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
)

// Metric names, exported through the worker's metrics handler (Prometheus adds _total to
// the counter and _seconds to the timer's histogram).
const (
	Requests = "crmsync_api_requests"        // tags: system, status (the HTTP status, or "error")
	Latency  = "crmsync_api_request_latency" // tags: system
)

// Transport is an http.RoundTripper that records each request it carries to one system.
// Tags hold the system's name and the status only: never a URL, which may carry record ids
// or e-mail addresses.
type Transport struct {
	Base    http.RoundTripper // nil: http.DefaultTransport
	Metrics client.MetricsHandler
	System  string
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	start := time.Now()
	resp, err := base.RoundTrip(r)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	m := t.Metrics.WithTags(map[string]string{"system": t.System})
	m.Timer(Latency).Record(time.Since(start))
	m.WithTags(map[string]string{"status": status}).Counter(Requests).Inc(1)
	return resp, err
}

// Client returns a copy of hc (nil: a new client) whose requests t's metrics record.
func Client(hc *http.Client, metrics client.MetricsHandler, system string) *http.Client {
	c := &http.Client{}
	if hc != nil {
		cp := *hc
		c = &cp
	}
	c.Transport = &Transport{Base: c.Transport, Metrics: metrics, System: system}
	return c
}
