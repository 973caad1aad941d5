package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A sender that starts a request and never finishes its body is cut off, rather than holding
// a connection (and the body read so far) for ever.
func TestHTTPServerCutsOffASlowSender(t *testing.T) {
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1024)
		for {
			if _, err := r.Body.Read(buf); err != nil {
				return
			}
		}
	}))
	srv.ReadTimeout = 300 * time.Millisecond // the same bound, shorter for the test
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("POST /webhooks/shop/mautic HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\npartial"))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadAll(conn) // whatever the server answers, until it closes
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "closed by the server, not by the test's deadline: %v", err)
	assert.Equal(t, 30*time.Second, newHTTPServer(nil).ReadTimeout)
}
