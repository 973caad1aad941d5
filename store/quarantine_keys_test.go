package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// StillQuarantined answers each quarantined key once, however often it is given — also when
// its repeats fall in different chunks of SQLite's queries.
func TestStillQuarantinedAnswersEachKeyOnce(t *testing.T) {
	key := func(id string) QuarantineKey { return QuarantineKey{Object: "o", Side: SideA, RecordID: id} }
	many := make([]QuarantineKey, 0, 2*sqliteChunk)
	for i := range sqliteChunk {
		many = append(many, key(fmt.Sprint(i%3)))
	}
	tests := []struct {
		name string
		keys []QuarantineKey
		want []QuarantineKey
	}{
		{"a key given twice", []QuarantineKey{key("1"), key("1")}, []QuarantineKey{key("1")}},
		{"repeats among absent keys", []QuarantineKey{key("1"), key("9"), key("2"), key("9"), key("1")}, []QuarantineKey{key("1"), key("2")}},
		{"repeats across chunks", many, []QuarantineKey{key("1"), key("2")}},
		{"none given", nil, nil},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx, s := context.Background(), open(t, b.dsn(t))
			for _, id := range []string{"1", "2"} {
				require.NoError(t, s.Quarantine(ctx, QuarantineEntry{Connection: "c", Object: "o", Side: SideA, RecordID: id, Reason: "x", At: t0}))
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, err := s.StillQuarantined(ctx, "c", tt.keys)
					require.NoError(t, err)
					assert.ElementsMatch(t, tt.want, got)
				})
			}
		})
	}
}
