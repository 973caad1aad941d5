package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/internal/testenv"
)

// A worker stopped (SIGTERM, a deploy) while a webhook delivery is under way answers it before
// it exits, rather than cutting the connection: Automation and Sellsy are not documented to
// send a delivery again, so one cut would be lost. New connections are refused meanwhile.
func TestStoppingWorkerAnswersTheDeliveryInHand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev server and the worker process")
	}
	temporal := testenv.DevServer(t).FrontendHostPort()
	src, err := os.ReadFile(filepath.Join(repoRoot, "config/examples/sellsy-mautic.yaml"))
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "sellsy-mautic.yaml")
	withSecret := strings.Replace(string(src), "    password: MAUTIC_PASSWORD\n", "    password: MAUTIC_PASSWORD\n    webhook_secret: SHOP_SECRET\n", 1)
	require.NotEqual(t, string(src), withSecret)
	require.NoError(t, os.WriteFile(file, []byte(withSecret), 0o600))

	w := testenv.StartWorker(t, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + temporal, "CRMSYNC_CONNECTIONS=" + file, "CRMSYNC_DATA_DIR=" + t.TempDir(),
		"CRMSYNC_WEBHOOK_ADDR=127.0.0.1:0", "CRMSYNC_STOP_TIMEOUT=1s", "SHOP_SECRET=secret",
		"SELLSY_CLIENT_ID=x", "SELLSY_CLIENT_SECRET=x", "MAUTIC_USERNAME=x", "MAUTIC_PASSWORD=x",
	})
	addr := w.ListenAddr(t, "webhook receiver")

	// A deletion webhook whose body is still on its way when the worker is told to stop.
	const body = `{"mautic.lead_post_delete":[{"id":17,"contact":{"id":17},"timestamp":"2026-11-25T10:00:00+00:00"}]}`
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /webhooks/sellsy-mautic/mautic HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nWebhook-Signature: %s\r\nContent-Length: %d\r\n\r\n%s",
		addr, simkit.SignHMAC([]byte(body), "secret"), len(body), body[:10])
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // the server has the request in hand

	require.NoError(t, w.Cmd.Process.Signal(syscall.SIGTERM))
	testenv.Eventually(t, 15*time.Second, 20*time.Millisecond, "the receiver to stop taking connections", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	})
	_, err = conn.Write([]byte(body[10:]))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the delivery in hand is answered, not cut")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
