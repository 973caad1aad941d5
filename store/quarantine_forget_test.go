package store

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The entries of an object removed from a connection stay (a retry leaves them for the user
// to see): QuarantineByObject counts a connection's entries per object, and ForgetQuarantine
// drops one object's entries, both sides and shortened ids included, and no other object's
// or connection's, saying how many it dropped.
func TestForgetQuarantineDropsOneObjectsEntries(t *testing.T) {
	long := strings.Repeat("x", MaxIDBytes+1) // kept shortened
	entries := []QuarantineEntry{
		{Connection: "c", Object: "deal", Side: SideA, RecordID: "1"},
		{Connection: "c", Object: "deal", Side: SideB, RecordID: "2"},
		{Connection: "c", Object: "deal", Side: SideA, RecordID: long},
		{Connection: "c", Object: "contact", Side: SideB, RecordID: "1"},
		{Connection: "other", Object: "deal", Side: SideA, RecordID: "1"},
	}
	tests := []struct {
		name        string
		connection  string
		object      string
		wantDropped int
		wantLeft    map[string]int // the connection's entries per object, after
	}{
		{"an object's entries", "c", "deal", 3, map[string]int{"contact": 1}},
		{"an object with none", "c", "company", 0, map[string]int{"deal": 3, "contact": 1}},
		{"another connection's", "other", "deal", 1, map[string]int{}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx, s := context.Background(), open(t, b.dsn(t))
					for _, e := range entries {
						e.Reason, e.At = "refused", t0
						require.NoError(t, s.Quarantine(ctx, e))
					}
					before, err := s.QuarantineByObject(ctx, "c")
					require.NoError(t, err)
					assert.Equal(t, map[string]int{"deal": 3, "contact": 1}, before)

					dropped, err := s.ForgetQuarantine(ctx, tt.connection, tt.object)
					require.NoError(t, err)
					assert.Equal(t, tt.wantDropped, dropped)
					left, err := s.QuarantineByObject(ctx, tt.connection)
					require.NoError(t, err)
					assert.Equal(t, tt.wantLeft, left)
					if tt.connection != "other" {
						n, err := s.CountQuarantine(ctx, "other")
						require.NoError(t, err)
						assert.Equal(t, 1, n, "another connection's entries stay")
					}
				})
			}
		})
	}
}
