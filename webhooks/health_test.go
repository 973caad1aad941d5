package webhooks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHealthz(t *testing.T) {
	tests := []struct {
		name   string
		check  func(context.Context) error
		status int
		body   string
	}{
		{"no check", nil, http.StatusOK, "ok\n"},
		{"Temporal answers", func(context.Context) error { return nil }, http.StatusOK, "ok\n"},
		{"Temporal does not", func(context.Context) error { return errors.New("connection refused") }, http.StatusServiceUnavailable, "unhealthy: connection refused\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(&fakeTemporal{}, "crmsync", nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if tc.check != nil {
				r = r.WithHealth(tc.check)
			}
			srv := httptest.NewServer(r.Handler())
			t.Cleanup(srv.Close)
			resp, err := http.Get(srv.URL + "/healthz")
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.body, string(body))
		})
	}
}
