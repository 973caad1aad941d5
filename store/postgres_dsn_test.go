package store

import (
	"context"
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
