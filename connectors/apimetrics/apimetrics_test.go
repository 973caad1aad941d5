package apimetrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

	rec := testenv.NewMetrics()
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
	}, rec.Counters(), "by status, never by URL")
	assert.Equal(t, map[string]int{"crmsync_api_request_latency{system=sellsy}": 5}, rec.Timers())
}

// Client wraps the caller's transport rather than replacing it.
func TestClientKeepsTheBaseTransport(t *testing.T) {
	var through int
	base := roundTripper(func(r *http.Request) (*http.Response, error) {
		through++
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
	})
	rec := testenv.NewMetrics()
	hc := Client(&http.Client{Transport: base}, rec, "unas")
	resp, err := hc.Get("http://127.0.0.1:1/x")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 1, through)
	assert.Equal(t, int64(1), rec.Counters()["crmsync_api_requests{status=204,system=unas}"])
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
