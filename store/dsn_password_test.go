package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A password holding an unencoded "/", "#" or "?" whose part before it is empty or digits
// makes Go's URL parser read "user:2024" as a host and port, the rest of the password in the
// path, query or fragment: it is never shown, by redact nor by Open's errors (the database
// down as the worker starts). A "/" does the same to pgx, which would connect to the host
// "crmsync" and name the database "Winter@…" in its errors: such a DSN is refused.
func TestPasswordMisreadAsHostIsNotShown(t *testing.T) {
	tests := []struct {
		name, dsn string
		redacted  string
		refused   bool // by pgPoolConfig; otherwise pgx reads it well
	}{
		{"digits and slash", "postgres://crmsync:2024/Winter@db.invalid:5432/crmsync", "postgres://xxxxx@db.invalid:5432/crmsync", true},
		{"slash first", "postgres://crmsync:/Winter@db.invalid:5432/crmsync", "postgres://xxxxx@db.invalid:5432/crmsync", true},
		{"no user, digits and slash", "postgres://:2024/Winter@db.invalid:5432/crmsync", "postgres://xxxxx@db.invalid:5432/crmsync", true},
		{"hash first", "postgres://crmsync:#Winter@db.invalid:5432/crmsync", "postgres://xxxxx@db.invalid:5432/crmsync", false},
		{"question mark first", "postgres://crmsync:?Winter@db.invalid:5432/crmsync", "postgres://xxxxx@db.invalid:5432/crmsync", false},
		{"digits and question mark", "postgres://crmsync:12?a=Winter@db.invalid:5432/crmsync?sslmode=disable", "postgres://xxxxx@db.invalid:5432/crmsync", false},
		{"at and slash", "postgres://crmsync:p@Winter/x@db.invalid:5432/crmsync", "postgres://xxxxx@db.invalid:5432/crmsync", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.redacted, redact(tt.dsn))
			_, err := pgPoolConfig(tt.dsn)
			if tt.refused {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "percent-encode the password")
				assert.NotContains(t, err.Error(), "Winter")
			} else {
				assert.NoError(t, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			st, err := Open(ctx, tt.dsn)
			if err == nil {
				st.Close()
			}
			require.Error(t, err)
			t.Log(err)
			assert.NotContains(t, err.Error(), "Winter")
		})
	}
}

// An "@" Go's parser leaves out of the user part where pgx does too is no password: such a
// DSN is shown and taken as before.
func TestAtSignOutsideThePasswordIsShown(t *testing.T) {
	tests := []struct{ name, dsn, redacted string }{
		{"in a query value", "postgres://db.invalid:5432/app?application_name=worker@host", "postgres://db.invalid:5432/app?application_name=worker@host"},
		{"in a query value, with a user", "postgres://u:s3cret@db.invalid:5432/app?application_name=worker@host", "postgres://u:xxxxx@db.invalid:5432/app?application_name=worker@host"},
		{"encoded in the database name", "postgres://u@db.invalid/a%40b", "postgres://u@db.invalid/a%40b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.redacted, redact(tt.dsn))
			_, err := pgPoolConfig(tt.dsn)
			assert.NoError(t, err)
		})
	}
}
