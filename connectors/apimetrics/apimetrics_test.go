package apimetrics

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

// recorder is a client.MetricsHandler that keeps what it is given, by metric and tags.
type recorder struct {
	mu     *sync.Mutex
	tags   map[string]string
	counts map[string]int64
	timers map[string]int
}

func newRecorder() *recorder {
	return &recorder{mu: &sync.Mutex{}, tags: map[string]string{}, counts: map[string]int64{}, timers: map[string]int{}}
}

func (r *recorder) key(name string) string {
	parts := make([]string, 0, len(r.tags))
	for k, v := range r.tags {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

func (r *recorder) WithTags(tags map[string]string) client.MetricsHandler {
	merged := map[string]string{}
	for k, v := range r.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return &recorder{mu: r.mu, tags: merged, counts: r.counts, timers: r.timers}
}

func (r *recorder) Counter(name string) client.MetricsCounter {
	key := r.key(name)
	return counterFunc(func(d int64) { r.mu.Lock(); r.counts[key] += d; r.mu.Unlock() })
}

func (r *recorder) Gauge(name string) client.MetricsGauge {
	return client.MetricsNopHandler.Gauge(name)
}

func (r *recorder) Timer(name string) client.MetricsTimer {
	key := r.key(name)
	return timerFunc(func(time.Duration) { r.mu.Lock(); r.timers[key]++; r.mu.Unlock() })
}

func TestTransportCountsRequestsBySystemAndStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/quota":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	rec := newRecorder()
	hc := Client(&http.Client{Timeout: 5 * time.Second}, rec, "sellsy")
	assert.Equal(t, 5*time.Second, hc.Timeout, "the timeout is kept")
	for _, u := range []string{srv.URL + "/ok", srv.URL + "/ok?email=a@example.com", srv.URL + "/quota", srv.URL + "/broken", closed.URL} {
		resp, err := hc.Get(u)
		if err == nil {
			resp.Body.Close()
		}
	}
	assert.Equal(t, map[string]int64{
		"crmsync_api_requests{status=200,system=sellsy}":   2,
		"crmsync_api_requests{status=429,system=sellsy}":   1,
		"crmsync_api_requests{status=500,system=sellsy}":   1,
		"crmsync_api_requests{status=error,system=sellsy}": 1,
	}, rec.counts, "by status, never by URL")
	assert.Equal(t, map[string]int{"crmsync_api_request_latency{system=sellsy}": 5}, rec.timers)
}

// Client wraps the caller's transport rather than replacing it.
func TestClientKeepsTheBaseTransport(t *testing.T) {
	var through int
	base := roundTripper(func(r *http.Request) (*http.Response, error) {
		through++
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
	})
	rec := newRecorder()
	hc := Client(&http.Client{Transport: base}, rec, "unas")
	resp, err := hc.Get("http://127.0.0.1:1/x")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 1, through)
	assert.Equal(t, int64(1), rec.counts["crmsync_api_requests{status=204,system=unas}"])
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
