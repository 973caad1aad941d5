package store

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// silentProxy forwards TCP connections to target until silence, after which it forwards
// nothing more and answers nothing, the connections left open: a network cut that neither
// side is told of (a pulled cable, a paused VM, a firewall dropping packets).
type silentProxy struct {
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	silent chan struct{}
	once   sync.Once
}

func newSilentProxy(t *testing.T, target string) *silentProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &silentProxy{ln: ln, silent: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go p.pipe(c, s)
			go p.pipe(s, c)
		}
	}()
	t.Cleanup(p.close)
	return p
}

// close ends the proxy and its connections, which both sides then see.
func (p *silentProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
}

// pipe copies from to to, and stops copying once the proxy is silent.
func (p *silentProxy) pipe(from, to net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		select {
		case <-p.silent:
			_, _ = io.Copy(io.Discard, from) // read, never answered
			return
		default:
		}
		if n > 0 {
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// silence cuts the network, silently.
func (p *silentProxy) silence() { p.once.Do(func() { close(p.silent) }) }

// dsnThrough is dsn with its host replaced by the proxy's.
func (p *silentProxy) dsnThrough(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Host = p.ln.Addr().String()
	return u.String()
}

// An unlock gives up on a session that no longer answers within lockCheckTimeout, ending it
// (which frees the lock once the server notices): it is called as the holder's activity
// ends, and, waiting on a network cut, it held the activity for as long as the cut lasted
// (the kernel's retransmissions: about 15 minutes; forever when something still acknowledges
// the packets).
func TestUnlockOnASilentNetworkReturns(t *testing.T) {
	tests := []struct {
		name string
		lock func(st Store) (func(), error)
	}{
		{"Lock", func(st Store) (func(), error) { return st.Lock(context.Background(), "conn/contact") }},
		{"LockHeld", func(st Store) (func(), error) {
			_, unlock, err := st.LockHeld(context.Background(), "conn/contact")
			return unlock, err
		}},
	}
	defer func(d time.Duration) { lockCheckTimeout = d }(lockCheckTimeout)
	lockCheckTimeout = time.Second
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := postgresDSN(t)
			u, err := url.Parse(dsn)
			require.NoError(t, err)
			proxy := newSilentProxy(t, u.Host)
			dsn = proxy.dsnThrough(t, dsn)
			st, err := Open(context.Background(), dsn)
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })
			t.Cleanup(proxy.close) // first: the store's sessions then end at once
			unlock, err := tt.lock(st)
			require.NoError(t, err)

			proxy.silence() // after the holder's last write, before its unlock
			done := make(chan struct{})
			go func() {
				unlock()
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(lockCheckTimeout + 5*time.Second):
				t.Fatalf("unlock still waits %s after the network went silent", lockCheckTimeout+5*time.Second)
			}
		})
	}
}
