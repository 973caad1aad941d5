package store

import (
	"context"
	"errors"
	"sort"
	"time"
)

// QuotaClaim is one use of a rationed resource: Key names it (never a secret: it is stored),
// Limit is how many uses its window allows.
type QuotaClaim struct {
	Key   string
	Limit int
}

// Quotas count the uses of rationed resources over a rolling window — the calls a UNAS shop
// allows an hour, say — in the store, so that every worker process sharing it shares them.
type Quotas interface {
	// TakeQuota records one use of every claim's key at now, all or none: when a key already
	// had its limit of uses in the window before now, nothing is recorded and wait says how
	// long until that key allows one more.
	TakeQuota(ctx context.Context, claims []QuotaClaim, window time.Duration, now time.Time) (wait time.Duration, err error)
	// QuotaUsed returns how many uses of key the window before now holds.
	QuotaUsed(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// checkClaims refuses empty keys and sorts the claims by key, so that transactions lock keys
// in one order.
func checkClaims(claims []QuotaClaim) ([]QuotaClaim, error) {
	out := append([]QuotaClaim(nil), claims...)
	for _, c := range out {
		if c.Key == "" {
			return nil, errors.New("store: quota claim without a key")
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// quotaCutoffs are, in Unix microseconds, the start of the window before now (a use at or
// before cutoff is not counted) and, one more window earlier, the end of the uses deleted:
// the processes sharing a store do not share a clock, and one whose clock is fast must not
// delete the uses the others still count (up to a window's difference between clocks).
func quotaCutoffs(now time.Time, window time.Duration) (cutoff, expired int64) {
	return now.Add(-window).UnixMicro(), now.Add(-2 * window).UnixMicro()
}

// quotaWait is how long until a key with used uses, the oldest at oldest, allows one more.
func quotaWait(used, limit int, oldest, now time.Time, window time.Duration) (time.Duration, bool) {
	if used < limit {
		return 0, false
	}
	return max(oldest.Add(window).Sub(now), time.Microsecond), true
}
