package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyMigrations(t *testing.T) {
	migrations := [][]string{nil, {"v1a", "v1b"}, {"v2"}, {"v3"}}
	tests := []struct {
		name     string
		current  int
		failOn   string
		ran      []string
		recorded []int
		err      string
	}{
		{name: "a new database", current: 0, ran: []string{"v1a", "v1b", "v2", "v3"}, recorded: []int{1, 2, 3}},
		{name: "from version 1", current: 1, ran: []string{"v2", "v3"}, recorded: []int{2, 3}},
		{name: "up to date", current: 3},
		{name: "a statement fails", current: 1, failOn: "v3", ran: []string{"v2", "v3"}, recorded: []int{2}, err: "version 3: boom"},
		{name: "a newer crmsync wrote it", current: 4, err: "the store is at version 4, newer than this crmsync knows (3): upgrade crmsync"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ran []string
			var recorded []int
			err := applyMigrations(tt.current, migrations,
				func(stmt string) error {
					ran = append(ran, stmt)
					if stmt == tt.failOn {
						return errors.New("boom")
					}
					return nil
				},
				func(v int) error { recorded = append(recorded, v); return nil })
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.ran, ran)
			assert.Equal(t, tt.recorded, recorded)
		})
	}
}

// A database a crmsync of schema version 4 wrote (snapshots and quarantined records as
// jsonb) opens: its pairs and entries are kept, and a NUL can be stored from then on.
func TestPostgresFromVersion4(t *testing.T) {
	ctx := context.Background()
	dsn := postgresDSN(t)
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
	require.NoError(t, err)
	for v := 1; v <= 4; v++ {
		for _, stmt := range pgMigrations[v] {
			_, err := conn.Exec(ctx, stmt)
			require.NoError(t, err, "version %d", v)
		}
		_, err = conn.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v)
		require.NoError(t, err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO pairs VALUES ('c', 'contact', 'a1', 'b1', '{"email": "a@example.com", "n": 1.50}', now())`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO quarantine VALUES ('c', 'contact', 'a', 'a2', 'why', '{"id": "a2"}', now())`)
	require.NoError(t, err)

	st := open(t, dsn)
	got, err := st.Pairs(ctx, "c", "contact", SideA, []string{"a1"})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"email": "a@example.com", "n": 1.5}, got["a1"].Snapshot)
	q, err := st.ListQuarantine(ctx, "c", 0)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.JSONEq(t, `{"id": "a2"}`, string(q[0].Record))
	require.NoError(t, st.SavePairs(ctx, "c", "contact", []Pair{{AID: "a1", BID: "b1", Snapshot: map[string]any{"note": "x\x00y"}, SyncedAt: t0}}))
}

// schemaVersion is the newest version recorded in the store at dsn, read apart from it.
func schemaVersion(t *testing.T, b backend, dsn string) int {
	t.Helper()
	var v int
	switch b.name {
	case "postgres":
		conn, err := pgx.Connect(context.Background(), dsn)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		require.NoError(t, conn.QueryRow(context.Background(), `SELECT MAX(version) FROM schema_version`).Scan(&v))
	default:
		db, err := sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite:"))
		require.NoError(t, err)
		defer db.Close()
		require.NoError(t, db.QueryRow(`SELECT MAX(version) FROM schema_version`).Scan(&v))
	}
	return v
}

// execOn runs statements on the database at dsn, apart from any store.
func execOn(t *testing.T, b backend, dsn string, stmts ...string) {
	t.Helper()
	switch b.name {
	case "postgres":
		conn, err := pgx.Connect(context.Background(), dsn)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		for _, s := range stmts {
			_, err := conn.Exec(context.Background(), s)
			require.NoError(t, err, s)
		}
	default:
		db, err := sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite:"))
		require.NoError(t, err)
		defer db.Close()
		for _, s := range stmts {
			_, err := db.Exec(s)
			require.NoError(t, err, s)
		}
	}
}

func latestVersion(b backend) int {
	if b.name == "postgres" {
		return len(pgMigrations) - 1
	}
	return len(sqliteMigrations) - 1
}

// OpenExisting (the CLI) never changes the schema: a store a version behind or ahead of this
// crmsync is refused with what to upgrade, and nothing is migrated.
func TestOpenExistingMigratesNothing(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			latest := latestVersion(b)
			st, err := Open(ctx, dsn)
			require.NoError(t, err)
			require.NoError(t, st.Close())

			execOn(t, b, dsn, fmt.Sprintf(`DELETE FROM schema_version WHERE version = %d`, latest))
			_, err = OpenExisting(ctx, dsn)
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("the store is at version %d, this crmsync needs %d: upgrade the workers first", latest-1, latest))
			assert.Equal(t, latest-1, schemaVersion(t, b, dsn), "nothing migrated")

			now := "0"
			if b.name == "postgres" {
				now = "now()"
			}
			execOn(t, b, dsn, fmt.Sprintf(`INSERT INTO schema_version (version, applied_at) VALUES (%d, %s), (%d, %s)`, latest, now, latest+1, now))
			_, err = OpenExisting(ctx, dsn)
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("the store is at version %d, newer than this crmsync knows (%d): upgrade crmsync", latest+1, latest))
			_, err = Open(ctx, dsn)
			require.Error(t, err, "nor does a worker use it")
			assert.Contains(t, err.Error(), "upgrade crmsync")
		})
	}
}

// A database with no crmsync tables is no store for OpenExisting, which creates none.
func TestOpenExistingEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	dsn := postgresDSN(t)
	_, err := OpenExisting(ctx, dsn)
	require.ErrorIs(t, err, ErrNoStore)
	assert.Contains(t, err.Error(), "a worker creates its tables when it first starts")
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var tables int
	require.NoError(t, conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables))
	assert.Zero(t, tables, "no table created")

	empty := filepath.Join(t.TempDir(), "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	_, err = OpenExisting(ctx, "sqlite:"+empty)
	require.ErrorIs(t, err, ErrNoStore)
}

// The CLI works with a role that may only read (and write the rows it writes: quotas).
func TestOpenExistingReadOnlyRole(t *testing.T) {
	ctx := context.Background()
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	role := "crmsync_ro_" + hex.EncodeToString(buf[:])
	admin, err := pgx.Connect(ctx, testPostgresURL())
	require.NoError(t, err)
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'ro-pw'")
	require.NoError(t, err)
	t.Cleanup(func() { // after the database is dropped (cleanups run last first)
		c, err := pgx.Connect(context.Background(), testPostgresURL())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
			c.Close(context.Background())
		}
	})
	dsn := postgresDSN(t)
	st, err := Open(ctx, dsn)
	require.NoError(t, err)
	require.NoError(t, st.SetCursor(ctx, "c", "o", SideA, "v"))
	require.NoError(t, st.Close())
	execOn(t, backends[1], dsn, "GRANT USAGE ON SCHEMA public TO "+role, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+role)

	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.User = url.UserPassword(role, "ro-pw")
	ro, err := OpenExisting(ctx, u.String())
	require.NoError(t, err)
	defer ro.Close()
	cur, _, err := ro.Cursor(ctx, "c", "o", SideA)
	require.NoError(t, err)
	assert.Equal(t, "v", cur)
}

// A database holding another application's schema_version (Temporal's, when the DSN names
// Temporal's database) is refused, saying so.
func TestOtherSchemaVersion(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			execOn(t, b, dsn, `CREATE TABLE schema_version (version_partition INTEGER NOT NULL, db_name VARCHAR(255) NOT NULL,
				creation_time TIMESTAMP, curr_version VARCHAR(64), min_compatible_version VARCHAR(64), PRIMARY KEY (version_partition, db_name))`)
			for _, open := range []func(context.Context, string) (Store, error){Open, OpenExisting} {
				_, err := open(ctx, dsn)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "holds another application's tables (schema_version): give crmsync its own")
			}
		})
	}
}
