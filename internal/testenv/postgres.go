package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// PostgresURL is the PostgreSQL server every machine here runs (trust auth, database test);
// CRMSYNC_TEST_POSTGRES overrides it.
func PostgresURL() string {
	if v := os.Getenv("CRMSYNC_TEST_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test"
}

// PostgresDSN creates a database of the test's own on the test server and drops it (FORCE)
// in cleanup. An unreachable server fails the test unless CRMSYNC_SKIP_POSTGRES=1.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	if os.Getenv("CRMSYNC_SKIP_POSTGRES") == "1" {
		tb.Skip("CRMSYNC_SKIP_POSTGRES=1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := PostgresURL()
	conn, err := pgx.Connect(ctx, admin)
	require.NoError(tb, err, "PostgreSQL at %s is unreachable (set CRMSYNC_SKIP_POSTGRES=1 to skip)", admin)
	defer conn.Close(ctx)
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	name := "crmsync_test_" + hex.EncodeToString(buf[:])
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	require.NoError(tb, err)
	u.Path = "/" + name
	return u.String()
}
