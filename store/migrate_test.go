package store

import (
	"context"
	"errors"
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
		{name: "a newer crmsync wrote it", current: 4, err: "database schema version 4 is newer than this crmsync knows (3)"},
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
