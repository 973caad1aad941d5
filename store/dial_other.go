//go:build !linux

package store

import (
	"syscall"
	"time"
)

// controlUserTimeout does nothing where TCP_USER_TIMEOUT is not Linux's: the keepalives alone
// then find a silent network, once the connection is idle.
func controlUserTimeout(time.Duration) func(network, address string, c syscall.RawConn) error {
	return nil
}
