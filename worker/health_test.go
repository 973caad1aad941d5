package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/internal/testenv"
)

func TestHealthcheck(t *testing.T) {
	healthy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		if !healthy {
			http.Error(w, "unhealthy: connection refused", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	}))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	port := addr[strings.LastIndexByte(addr, ':'):]

	require.NoError(t, healthcheck(context.Background(), addr))
	require.NoError(t, healthcheck(context.Background(), port), `":port" as CRMSYNC_WEBHOOK_ADDR says it`)
	healthy = false
	err := healthcheck(context.Background(), addr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503 Service Unavailable: unhealthy: connection refused")
	err = healthcheck(context.Background(), "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CRMSYNC_WEBHOOK_ADDR is not set")
}

// The health check asks the worker on this machine, whatever proxy the environment names for
// the worker's calls to the systems (HTTP_PROXY, which Go's default client follows for any
// host but localhost and 127.0.0.0/8): a receiver listening on all interfaces (0.0.0.0:8090,
// [::]:8090) was asked through the proxy, which cannot reach it, and the worker was taken for
// unhealthy.
func TestHealthcheckAsksThisMachineWhateverTheProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the worker")
	}
	worker := testenv.WorkerBinary(t)
	ln, err := net.Listen("tcp", ":0") // every interface, as ":8090" or "0.0.0.0:8090" listen
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	proxied := make(chan string, 10)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied <- r.URL.String()
		http.Error(w, "the proxy cannot reach "+r.Host, http.StatusBadGateway)
	}))
	t.Cleanup(proxy.Close)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	for _, addr := range []string{":" + port, "127.0.0.1:" + port, "0.0.0.0:" + port} {
		t.Run(addr, func(t *testing.T) {
			cmd := exec.Command(worker, "healthcheck")
			cmd.Env = []string{"CRMSYNC_WEBHOOK_ADDR=" + addr, "HTTP_PROXY=" + proxy.URL, "http_proxy=" + proxy.URL}
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "healthcheck: %s", out)
			select {
			case u := <-proxied:
				t.Fatalf("asked through the proxy: %s", u)
			default:
			}
		})
	}
}
