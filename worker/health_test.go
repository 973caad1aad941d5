package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
