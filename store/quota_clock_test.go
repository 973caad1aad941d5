package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A process whose clock is ahead of the worker's (the CLI on a laptop) takes from a quota
// without erasing the worker's uses that the worker's window still holds; uses older than
// two windows are deleted all the same.
func TestTakeQuotaWithClocksApart(t *testing.T) {
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	claim := []QuotaClaim{{Key: "shop/total", Limit: 10}}
	tests := []struct {
		name  string
		ahead time.Duration // how far the other process's clock is ahead
		// the worker's next use, at 08:55 by its clock, after the other's one use
		wantWait bool
		// uses the store keeps of the key after both
		wantKept int
	}{
		{"same clock", 0, true, 10}, // the other is refused
		{"ten minutes ahead", 10 * time.Minute, true, 11},
		{"59 minutes ahead", 59 * time.Minute, true, 11},
		// Two windows ahead, the other process deletes all: no margin covers any skew.
		{"two hours ahead", 2 * time.Hour, false, 2},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx, dsn := context.Background(), b.dsn(t)
					worker := open(t, dsn)
					other, err := OpenExisting(ctx, dsn)
					require.NoError(t, err)
					defer other.Close()
					for i := range 10 { // 08:00…08:09
						wait, err := worker.TakeQuota(ctx, claim, time.Hour, start.Add(time.Duration(i)*time.Minute))
						require.NoError(t, err)
						require.Zero(t, wait)
					}
					now := start.Add(55 * time.Minute)
					_, err = other.TakeQuota(ctx, claim, time.Hour, now.Add(tt.ahead))
					require.NoError(t, err)
					wait, err := worker.TakeQuota(ctx, claim, time.Hour, now)
					require.NoError(t, err)
					if tt.wantWait {
						assert.NotZero(t, wait, "a use past the limit of the worker's hour was granted")
					} else {
						assert.Zero(t, wait)
					}
					kept, err := worker.QuotaUsed(ctx, "shop/total", 24*time.Hour, now.Add(3*time.Hour))
					require.NoError(t, err)
					assert.Equal(t, tt.wantKept, kept)
				})
			}
		})
	}
}

// Uses older than two windows go: the table does not grow with every use ever made.
func TestTakeQuotaDeletesExpiredUses(t *testing.T) {
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	claim := []QuotaClaim{{Key: "k", Limit: 5}}
	tests := []struct {
		name     string
		next     time.Duration // when the last use is taken, after three uses at start
		wantKept int           // uses of the key left
	}{
		{"within the window", 30 * time.Minute, 4},
		{"within the margin", 90 * time.Minute, 4},
		{"past the margin", 2*time.Hour + time.Minute, 1},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx, s := context.Background(), open(t, b.dsn(t))
					for range 3 {
						_, err := s.TakeQuota(ctx, claim, time.Hour, start)
						require.NoError(t, err)
					}
					wait, err := s.TakeQuota(ctx, claim, time.Hour, start.Add(tt.next))
					require.NoError(t, err)
					require.Zero(t, wait)
					kept, err := s.QuotaUsed(ctx, "k", 24*time.Hour, start.Add(tt.next))
					require.NoError(t, err)
					assert.Equal(t, tt.wantKept, kept)
				})
			}
		})
	}
}
