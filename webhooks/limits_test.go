package webhooks

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
)

// A delivery is read whole before its signature is checked: at most 2 MiB of it (it was 8),
// and a bigger one is refused as too large without being kept.
func TestDeliveryBodyBound(t *testing.T) {
	// padded is a signed Automation delivery of about n bytes, one the receiver acts on.
	padded := func(n int) string {
		head, tail := `{"mautic.email_on_open":[{"id":1,"pad":"`, `"}]}`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}
	tests := []struct {
		name   string
		size   int
		status int
	}{
		{"under the bound", 2<<20 - 1024, 200},
		{"at the bound", 2 << 20, 200},
		{"past the bound", 2<<20 + 1, 413},
		{"three MiB", 3 << 20, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newReceiver(t, &fakeTemporal{})
			body := padded(tt.size)
			require.Len(t, body, tt.size)
			status, answer := post(t, srv.URL+"/webhooks/shop/mautic", "application/json", body, map[string]string{"Webhook-Signature": sign(body, "whsec-123")})
			assert.Equal(t, tt.status, status, answer)
		})
	}
}

// The receiver reads a bounded number of deliveries at once: one more is answered 503 with
// Retry-After, at once, before its signature is known (a URL's token is checked first), and the
// next one is read again once a slot is free. Every delivery was read, up to 8 MiB each,
// however many came at once.
func TestDeliveriesReadAtOnceBound(t *testing.T) {
	f := &fakeTemporal{}
	conn := shopConnection(t)
	var logs bytes.Buffer
	r := New(f, "crmsync", []*config.Connection{conn}, slog.New(slog.NewTextHandler(&logs, nil)))
	r.reading = make(chan struct{}, 1)
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)

	// A slow sender holds the one slot: its body comes in two parts.
	body := deleteDelivery
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/shop/mautic", pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Webhook-Signature", sign(body, "whsec-123"))
	slow := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	_, err = pw.Write([]byte(body[:10]))
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for len(r.reading) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	require.Len(t, r.reading, 1, "the slow delivery is being read")

	for _, path := range []string{"/webhooks/shop/mautic", "/webhooks/shop/sellsy/sel-789", "/push/shop/tok-456", "/webhooks/shop/mautic"} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(notif("updated", "client", "5")))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, path)
		assert.Equal(t, "5", resp.Header.Get("Retry-After"), path)
	}
	assert.Contains(t, logs.String(), "as many being read")
	for _, token := range []string{"sel-789", "tok-456"} {
		assert.NotContains(t, logs.String(), token, "a refusal's log names the route, not the path that holds the token")
	}

	_, err = pw.Write([]byte(body[10:]))
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	assert.Equal(t, 200, <-slow, "the slow delivery is acted on")
	assert.Len(t, f.signals, 1)
	assert.Empty(t, r.reading, "its slot is free")
	status, _ := post(t, srv.URL+"/webhooks/shop/mautic", "application/json", deleteDelivery, map[string]string{"Webhook-Signature": sign(deleteDelivery, "whsec-123")})
	assert.Equal(t, 200, status, "read again")
}
