package store

import (
	"context"
	"crypto/tls"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The store's own end of each PostgreSQL connection gives up on a silent network as the
// server's end does (pgKeepalives): a query in flight when the server's host vanishes (a
// failover that moves the DNS name, as managed databases do) failed only after the kernel's
// retransmissions, about 15 minutes, its activity hanging meanwhile, heartbeating; an idle
// connection was found dead after Go's default keepalives, 2.5 minutes.
func TestPostgresClientEndGivesUpOnASilentNetwork(t *testing.T) {
	ctx := context.Background()
	st := open(t, postgresDSN(t)).(*pgStore)
	unlock, err := st.Lock(ctx, "conn/contact") // makes the lock pool
	require.NoError(t, err)
	defer unlock()
	want := map[string]struct{ level, opt, value int }{
		"TCP_USER_TIMEOUT (ms)": {syscall.IPPROTO_TCP, tcpUserTimeout, 25000},
		"SO_KEEPALIVE":          {syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1},
		"TCP_KEEPIDLE (s)":      {syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, 10},
		"TCP_KEEPINTVL (s)":     {syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, 5},
		"TCP_KEEPCNT":           {syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, 3},
	}
	for _, pool := range []struct {
		name string
		pool *pgxpool.Pool
	}{{"work", st.pool}, {"locks", st.locks}} {
		t.Run(pool.name, func(t *testing.T) {
			conn, err := pool.pool.Acquire(ctx)
			require.NoError(t, err)
			defer conn.Release()
			nc := conn.Conn().PgConn().Conn()
			if tc, ok := nc.(*tls.Conn); ok {
				nc = tc.NetConn()
			}
			tcp, ok := nc.(*net.TCPConn)
			require.True(t, ok, "a TCP connection, not %T", nc)
			raw, err := tcp.SyscallConn()
			require.NoError(t, err)
			for name, o := range want {
				var got int
				var gerr error
				require.NoError(t, raw.Control(func(fd uintptr) { got, gerr = syscall.GetsockoptInt(int(fd), o.level, o.opt) }))
				require.NoError(t, gerr, name)
				assert.Equal(t, o.value, got, name)
			}
		})
	}
}
