package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenPostgresDSNReason: a DSN that does not parse is refused with the reason, never with
// the password (s3cret-pw or a part of it), and the store's prefix once.
func TestOpenPostgresDSNReason(t *testing.T) {
	tests := []struct {
		name, dsn string
		want      []string
	}{
		{"percent not encoded", "postgres://postgres:s3cret%zz-pw@127.0.0.1:5432/test",
			[]string{"store: open postgres postgres://xxxxx@127.0.0.1:5432/test: invalid DSN: ", "invalid percent-encoded token in password", "%25 for %"}},
		{"at sign not encoded", "postgres://postgres:s3cret@pw@127.0.0.1:5432/test",
			[]string{"invalid DSN: more than one @ before the host", "%40 for @"}},
		{"space not encoded", "postgres://postgres:s3cret pw@127.0.0.1:5432/test",
			[]string{"unexpected spaces found in password", "%20 for a space"}},
		{"slash not encoded", "postgres://postgres:s3cret/p%zzw@127.0.0.1:5432/test",
			[]string{"invalid DSN: ", "(a value hidden: it may hold the password)", "%2F for /"}},
		{"slash in password, port", "postgres://postgres:s3c/ret-pw@127.0.0.1:5432/test",
			[]string{"invalid DSN: invalid port", "%2F for /"}},
		{"at sign in user", "postgres://me@corp:s3cret-pw@127.0.0.1:5432/test",
			[]string{"more than one @ before the host"}},
		{"connect_timeout", "postgres://postgres:s3cret-pw@127.0.0.1:5432/test?connect_timeout=abc",
			[]string{"store: open postgres postgres://postgres:xxxxx@127.0.0.1:5432/test?connect_timeout=abc: invalid DSN: invalid connect_timeout: \"abc\" is not a whole number"}},
		{"pool_max_conns", "postgres://u@127.0.0.1:1/x?pool_max_conns=zero",
			[]string{`invalid DSN: cannot parse pool_max_conns: "zero" is not a whole number`}},
		{"pool_max_conns zero", "postgres://u@127.0.0.1:1/x?pool_max_conns=0",
			[]string{`pool_max_conns too small`}},
		{"sslmode", "postgres://postgres:s3cret-pw@127.0.0.1:5432/test?sslmode=bogus",
			[]string{"invalid DSN: failed to configure TLS (sslmode is invalid)"}},
		{"query password", "postgres://postgres@127.0.0.1:5432/test?password=s3cret%zz-pw",
			[]string{"invalid percent-encoded token in password"}},
		{"database name", "postgres://postgres:s3cret-pw@127.0.0.1:5432/te%zzst",
			[]string{`invalid percent-encoded token: "te%zzst"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Open(context.Background(), tt.dsn)
			if err == nil {
				st.Close()
			}
			require.Error(t, err)
			t.Log(err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, secret := range []string{"s3cret", "cret", "ret-pw", "p%zzw", "zz-pw"} {
				assert.NotContains(t, err.Error(), secret)
			}
			assert.NotContains(t, err.Error(), "store: store:")
		})
	}
}

// pool_max_conns bounds the pool, defaultPGConns otherwise; a password pgx reads as libpq
// does ("?" and "#" need no encoding there) is not refused for Go's URL parser.
func TestPgPoolConfig(t *testing.T) {
	tests := []struct {
		name, dsn, password string
		maxConns            int32
	}{
		{"default bound", "postgres://u:pw@127.0.0.1:5432/x", "pw", defaultPGConns},
		{"pool_max_conns", "postgres://u:pw@127.0.0.1:5432/x?pool_max_conns=3", "pw", 3},
		{"? in the password", "postgres://u:a?b@127.0.0.1:5432/x", "a?b", defaultPGConns},
		{"# in the password", "postgres://u:a#b@127.0.0.1:5432/x?pool_max_conns=2", "a#b", 2},
		{"encoded @ and %", "postgres://u:a%40b%25c@127.0.0.1:5432/x", "a@b%c", defaultPGConns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := pgPoolConfig(tt.dsn)
			require.NoError(t, err)
			assert.Equal(t, tt.maxConns, cfg.MaxConns)
			assert.Equal(t, tt.password, cfg.ConnConfig.Password)
			assert.Equal(t, "127.0.0.1", cfg.ConnConfig.Host)
		})
	}
}

// A DSN Go's URL parser refuses is still named in errors, by its host and database only.
func TestRedact(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://u:s3cret@127.0.0.1:5432/x?password=s3cret", "postgres://u:xxxxx@127.0.0.1:5432/x?password=xxxxx"},
		{"postgres://u:s3c?ret@127.0.0.1:5432/x", "postgres://xxxxx@127.0.0.1:5432/x"},
		{"postgres://u@127.0.0.1:5432/x?password=s3cret%zz", "postgres://xxxxx@127.0.0.1:5432/x"},
		{"postgresql://127.0.0.1:5432/x%zz?a=b", "postgresql://127.0.0.1:5432/x%zz"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, redact(tt.dsn), tt.dsn)
	}
}

// keywordDSN is the test database of dsn (a postgres:// URL) as a keyword/value DSN.
func keywordDSN(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgPoolConfig(dsn)
	require.NoError(t, err)
	c := cfg.ConnConfig
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s", c.Host, c.Port, c.User, c.Database)
}

// A keyword/value DSN (libpq's other form) is PostgreSQL, never a SQLite file named after it,
// and its password is never shown; nor is a bare SQLite path holding "=" or white space.
func TestKeywordDSN(t *testing.T) {
	for dsn, want := range map[string]bool{
		"host=db port=5432 user=crmsync password=s3cret dbname=crmsync": true,
		"dbname=crmsync":                  true,
		"  user = crmsync host=/run/pg  ": true,
		"service=crmsync":                 true,
		"postgres://db/crmsync":           true,
		"sqlite:/data/host=a.db":          false,
		"/data/user=bob/crmsync.db":       false,
		"data/my store.db":                false,
		"sqlite:data/crmsync.db":          false,
	} {
		assert.Equal(t, want, isPostgresDSN(strings.TrimSpace(dsn)), dsn)
	}

	ctx := context.Background()
	t.Chdir(t.TempDir()) // a SQLite file named after a DSN would be made here
	kw := keywordDSN(t, postgresDSN(t))
	st, err := Open(ctx, kw)
	require.NoError(t, err)
	_, isPG := st.(*pgStore)
	assert.True(t, isPG, "a keyword/value DSN opens PostgreSQL")
	require.NoError(t, st.SetCursor(ctx, "c", "o", SideA, "v"))
	require.NoError(t, st.Close())
	st, err = OpenExisting(ctx, kw+" pool_max_conns=3")
	require.NoError(t, err)
	assert.Equal(t, int32(3), st.(*pgStore).pool.Config().MaxConns, "pool_max_conns of the keyword form")
	cur, _, err := st.Cursor(ctx, "c", "o", SideA)
	require.NoError(t, err)
	assert.Equal(t, "v", cur)
	require.NoError(t, st.Close())
	files, err := os.ReadDir(".")
	require.NoError(t, err)
	assert.Empty(t, files, "no SQLite file")

	for _, tc := range []struct{ name, dsn, want string }{
		{"unreachable", "host=127.0.0.1 port=1 user=crmsync password=s3cret-pw dbname=crmsync connect_timeout=2",
			"store: open postgres host=127.0.0.1 port=1 user=crmsync password=xxxxx dbname=crmsync connect_timeout=2: "},
		{"quoted password", "host=127.0.0.1 port=1 password='s3cret-pw zq9x' dbname=crmsync connect_timeout=2", "password=xxxxx dbname=crmsync"},
		{"escaped space", `password=s3cret-pw\ zq9x host=127.0.0.1 port=1 connect_timeout=2`, "password=xxxxx host=127.0.0.1"},
		{"unquoted space", "host=127.0.0.1 password=s3cret-pw zq9x dbname=crmsync", "invalid DSN: "},
		{"unterminated quote", "host=127.0.0.1 password='s3cret-pw zq9x dbname=crmsync", "unterminated quoted string"},
		{"bad number", "host=127.0.0.1 password=s3cret-pw connect_timeout=abc", `invalid connect_timeout: "abc" is not a whole number`},
		{"a keyword mistyped", "hots=db passwd=s3cret-pw zq9x", "store: the DSN looks like a PostgreSQL keyword/value DSN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, open := range []func(context.Context, string) (Store, error){Open, OpenExisting} {
				st, err := open(ctx, tc.dsn)
				if err == nil {
					st.Close()
				}
				require.Error(t, err)
				t.Log(err)
				assert.Contains(t, err.Error(), tc.want)
				for _, secret := range []string{"s3cret", "zq9x"} {
					assert.NotContains(t, err.Error(), secret)
				}
			}
		})
	}
	files, err = os.ReadDir(".")
	require.NoError(t, err)
	assert.Empty(t, files, "no SQLite file")

	// A bare path holding "=" is not shown.
	_, err = OpenExisting(ctx, "hots=db,passwd=s3cret-pw")
	require.ErrorIs(t, err, ErrNoStore)
	assert.EqualError(t, err, "store: no store yet at "+hiddenSQLitePath)
}

func TestRedactKeywordDSN(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"host=db password=s3cret dbname=x", "host=db password=xxxxx dbname=x"},
		{"password = 's3c ret\\' x' host=db", "password = xxxxx host=db"},
		{`password=s3c\ ret host=db`, "password=xxxxx host=db"},
		{"host=db sslpassword=s3cret", "host=db sslpassword=xxxxx"},
		{"host=db password='s3c ret", "host=db password=xxxxx"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, redact(tt.dsn), tt.dsn)
	}
}
