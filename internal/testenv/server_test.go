package testenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reserved ports are distinct, in range, and no block is handed out twice while the test
// that reserved it runs (a lock taken on another open file conflicts as another process's
// does); the block is free again once that test ends.
func TestReservePortsNeverHandsABlockOutTwice(t *testing.T) {
	var held []int
	t.Run("reserve", func(t *testing.T) {
		seen := map[int]bool{}
		blocks := map[int]bool{}
		for range 20 {
			ports := reservePorts(t, 9)
			require.Len(t, ports, 9)
			block := (ports[0] - portLow) / portBlock
			assert.False(t, blocks[block], "block %d handed out twice", block)
			blocks[block] = true
			for _, p := range ports {
				assert.False(t, seen[p], "port %d handed out twice", p)
				seen[p] = true
				assert.True(t, p >= portLow && p < portHigh, "port %d", p)
				assert.Equal(t, block, (p-portLow)/portBlock, "port %d out of its block", p)
			}
			held = append(held, block)
			// Another process cannot take the block meanwhile.
			f := openBlock(t, block)
			assert.Error(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB), "block %d taken twice", block)
			require.NoError(t, f.Close())
		}
	})
	// The test is over: its blocks are free again.
	for _, block := range held {
		f := openBlock(t, block)
		assert.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB), "block %d still held", block)
		require.NoError(t, f.Close())
	}
}

func openBlock(t *testing.T, block int) *os.File {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "crmsync-testenv-ports", fmt.Sprintf("%d.lock", block)), os.O_RDWR, 0)
	require.NoError(t, err)
	return f
}

// FreeAddr's port is below the ephemeral range (no listener on port 0 nor outgoing connection
// of another process is handed it) and its block stays reserved until the test ends.
func TestFreeAddrIsReservedOutsideTheEphemeralRange(t *testing.T) {
	addr := FreeAddr(t)
	host, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	assert.True(t, port >= portLow && port < portHigh, "port %d", port)
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var low int
		_, err := fmt.Sscan(string(b), &low)
		require.NoError(t, err)
		assert.Less(t, port, low, "below the ephemeral range")
	}
	f := openBlock(t, (port-portLow)/portBlock)
	defer f.Close()
	assert.Error(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB), "reserved for the test")
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "free to listen on")
	require.NoError(t, ln.Close())
}
