package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// incompressibleID is an id of n hex digits PostgreSQL cannot compress into an index entry.
func incompressibleID(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// Both backends refuse alike the record ids PostgreSQL cannot keep (over its index entry
// limit, a NUL, bytes that are not UTF-8), where SQLite kept them and PostgreSQL failed the
// whole page at every retry: SavePairs, SetWaits and SetNotes refuse them with ErrBadID
// (a *BadIDError naming the id), the lookups answer them absent, and the quarantine keeps
// such a record under a shortened id, found and cleared by the whole one.
func TestRecordIDsTheStoreCannotKeep(t *testing.T) {
	tests := []struct {
		name, id string
		reason   string // "" when the store keeps it
	}{
		{"longer than PostgreSQL's index entries", "x" + incompressibleID(4000), "is longer than 1024 bytes"},
		{"just over the bound", incompressibleID(MaxIDBytes + 1), "is longer than 1024 bytes"},
		{"NUL", "12\x00", "holds a NUL character"},
		{"not UTF-8", "12\xff", "is not UTF-8"},
		{"at the bound", strings.Repeat("é", MaxIDBytes/2), ""},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx, s := context.Background(), open(t, b.dsn(t))
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					conn := "c " + tt.name
					err := s.SavePairs(ctx, conn, "o", []Pair{{AID: "ok", BID: "ok"}, {AID: tt.id, BID: "b1"}, {AID: "a2", BID: tt.id}})
					n, cerr := s.CountPairs(ctx, conn, "o")
					require.NoError(t, cerr)
					if tt.reason == "" {
						require.NoError(t, err)
						assert.Equal(t, 3, n)
					} else {
						require.ErrorIs(t, err, ErrBadID)
						var bad *BadIDError
						require.ErrorAs(t, err, &bad)
						assert.Equal(t, SideA, bad.Side)
						assert.Equal(t, tt.id, bad.ID)
						assert.Contains(t, err.Error(), tt.reason)
						assert.Equal(t, 2, strings.Count(err.Error(), tt.reason), "both ids named: %v", err)
						assert.Less(t, len(err.Error()), 600, "the id is cut in the message")
						assert.Zero(t, n, "none of the page saved")
					}
					got, err := s.Pairs(ctx, conn, "o", SideA, []string{tt.id, "ok"})
					require.NoError(t, err)
					if tt.reason != "" {
						assert.NotContains(t, got, tt.id)
						require.NoError(t, s.DeletePairs(ctx, conn, "o", SideB, []string{tt.id}))
					}

					// Waits and notes.
					err = s.SetWaits(ctx, conn, "o", SideA, []string{"r", tt.id}, []Wait{{RecordID: "r", LinkObject: "p", LinkID: tt.id}})
					if tt.reason == "" {
						assert.NoError(t, err)
					} else {
						assert.ErrorIs(t, err, ErrBadID)
					}
					err = s.SetNotes(ctx, conn, "o", "stage", map[string]string{tt.id: "won", "r": "lost"})
					if tt.reason == "" {
						assert.NoError(t, err)
					} else {
						assert.ErrorIs(t, err, ErrBadID)
						assert.NoError(t, s.SetNotes(ctx, conn, "o", "stage", map[string]string{tt.id: ""}), "removing its note")
					}
					_, err = s.Notes(ctx, conn, "o", "stage", []string{tt.id, "r"})
					assert.NoError(t, err)

					// The quarantine keeps it visible.
					require.NoError(t, s.Quarantine(ctx, QuarantineEntry{Connection: conn, Object: "o", Side: SideA, RecordID: tt.id, Reason: "refused", At: t0}))
					require.NoError(t, s.Quarantine(ctx, QuarantineEntry{Connection: conn, Object: "o", Side: SideA, RecordID: tt.id, Reason: "refused again", At: t0}))
					list, err := s.ListQuarantine(ctx, conn, 0)
					require.NoError(t, err)
					require.Len(t, list, 1, "one entry per id")
					if tt.reason == "" {
						assert.Equal(t, tt.id, list[0].RecordID)
						assert.False(t, ShortenedID(list[0].RecordID))
						assert.Equal(t, "refused again", list[0].Reason)
					} else {
						assert.NotEqual(t, tt.id, list[0].RecordID)
						assert.NoError(t, CheckID(list[0].RecordID), "the id kept")
						assert.True(t, ShortenedID(list[0].RecordID), list[0].RecordID)
						assert.Contains(t, list[0].Reason, tt.reason)
						assert.Contains(t, list[0].Reason, "refused again")
					}
					key := QuarantineKey{Object: "o", Side: SideA, RecordID: tt.id}
					still, err := s.StillQuarantined(ctx, conn, []QuarantineKey{key, {Object: "o", Side: SideA, RecordID: "other"}})
					require.NoError(t, err)
					assert.Equal(t, []QuarantineKey{key}, still, "the key as given")
					require.NoError(t, s.ClearQuarantine(ctx, conn, "o", SideA, tt.id))
					n, err = s.CountQuarantine(ctx, conn)
					require.NoError(t, err)
					assert.Zero(t, n)
				})
			}
		})
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		id   string
		want string // the message's end; "" for no error
	}{
		{"12345", ""},
		{"", ""},
		{strings.Repeat("a", 2000), `id "` + strings.Repeat("a", 64) + `"… (2000 bytes) is longer than 1024 bytes`},
		{strings.Repeat("é", 600), `id "` + strings.Repeat("é", 32) + `"… (1200 bytes) is longer than 1024 bytes`},
		{"a\x00b", `id "a\x00b" (3 bytes) holds a NUL character`},
	}
	for _, tt := range tests {
		err := CheckID(tt.id)
		if tt.want == "" {
			assert.NoError(t, err)
			continue
		}
		assert.True(t, errors.Is(err, ErrBadID))
		assert.EqualError(t, err, "a record id the store cannot keep: "+tt.want)
	}
}
