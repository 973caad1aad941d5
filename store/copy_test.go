package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fillForCopy writes into st a little of everything a worker keeps: more pairs than one batch
// of the copy (a snapshot holding a NUL and accents), cursors, a quarantined record, quota
// uses, a link wait and notes.
func fillForCopy(t *testing.T, st Store, pairs int) {
	t.Helper()
	ctx := context.Background()
	var ps []Pair
	for i := range pairs {
		ps = append(ps, Pair{AID: fmt.Sprintf("a%05d", i), BID: fmt.Sprintf("b%05d", i),
			Snapshot: map[string]any{"email": fmt.Sprintf("p%d@acme.test", i), "note": "Société\u0000 n°" + fmt.Sprint(i)}, SyncedAt: t0.Add(time.Duration(i) * time.Second)})
	}
	require.NoError(t, st.SavePairs(ctx, "shop", "contact", ps))
	require.NoError(t, st.SavePairs(ctx, "shop", "company", []Pair{{AID: "c1", BID: "m1", Snapshot: map[string]any{"name": "ACME"}, SyncedAt: t0}}))
	require.NoError(t, st.SetCursor(ctx, "shop", "contact", SideA, "2026-11-25T10:00:00Z"))
	require.NoError(t, st.SetCursor(ctx, "shop", "contact", SideB, "offset:42"))
	require.NoError(t, st.Quarantine(ctx, QuarantineEntry{Connection: "shop", Object: "contact", Side: SideB, RecordID: "77",
		Reason: "email: not an e-mail address", Record: []byte(`{"email":"nope"}`), At: t0}))
	_, err := st.TakeQuota(ctx, []QuotaClaim{{Key: "unas shop/getOrder", Limit: 30}}, time.Hour, time.Now())
	require.NoError(t, err)
	require.NoError(t, st.SetWaits(ctx, "shop", "contact", SideA, []string{"a00001"}, []Wait{{RecordID: "a00001", LinkObject: "company", LinkID: "c9"}}))
	require.NoError(t, st.SetNotes(ctx, "shop", "order", "status", map[string]string{"250001": "Shipped"}))
}

// dumpAll reads every row of every copied table, sorted, for comparing two stores.
func dumpAll(t *testing.T, st Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range copiedTables {
		var rows []string
		require.NoError(t, st.(tableSource).dumpTable(context.Background(), tb, func(row []any) error {
			rows = append(rows, fmt.Sprintf("%q", row))
			return nil
		}))
		slices.Sort(rows)
		out[tb.name] = rows
	}
	return out
}

// A store copies into an empty one of either backend row for row — SQLite to PostgreSQL, the
// move to several workers, and every other way — and the copy reads as the original through
// the store's own methods; a second copy into it is refused, naming what it holds.
func TestCopy(t *testing.T) {
	const pairs = 2500 // past one batch (copyBatch)
	for _, from := range backends {
		for _, to := range backends {
			t.Run(from.name+" to "+to.name, func(t *testing.T) {
				ctx := context.Background()
				srcDSN := from.dsn(t)
				worker, err := Open(ctx, srcDSN)
				require.NoError(t, err)
				fillForCopy(t, worker, pairs)
				require.NoError(t, worker.Close()) // the worker stopped
				src, err := OpenToCopy(ctx, srcDSN)
				require.NoError(t, err)
				t.Cleanup(func() { _ = src.Close() })
				dst := open(t, to.dsn(t))

				copied, err := Copy(ctx, src, dst)
				require.NoError(t, err)
				assert.Equal(t, fmt.Sprintf("%d pairs, 2 cursors, 1 quarantine, 1 quota uses, 1 link waits, 1 record notes", pairs+1), copied.String())
				assert.Equal(t, dumpAll(t, src), dumpAll(t, dst), "every row of every table")

				got, err := dst.Pairs(ctx, "shop", "contact", SideB, []string{"b00007"})
				require.NoError(t, err)
				assert.Equal(t, Pair{AID: "a00007", BID: "b00007", Snapshot: map[string]any{"email": "p7@acme.test", "note": "Société\u0000 n°7"}, SyncedAt: t0.Add(7 * time.Second).Truncate(time.Microsecond)}, got["b00007"])
				cursor, ok, err := dst.Cursor(ctx, "shop", "contact", SideB)
				require.NoError(t, err)
				assert.True(t, ok)
				assert.Equal(t, "offset:42", cursor)
				q, err := dst.ListQuarantine(ctx, "shop", 10)
				require.NoError(t, err)
				require.Len(t, q, 1)
				assert.Equal(t, "email: not an e-mail address", q[0].Reason)
				used, err := dst.QuotaUsed(ctx, "unas shop/getOrder", time.Hour, time.Now())
				require.NoError(t, err)
				assert.Equal(t, 1, used, "the hour's UNAS calls still count")
				notes, err := dst.Notes(ctx, "shop", "order", "status", []string{"250001"})
				require.NoError(t, err)
				assert.Equal(t, map[string]string{"250001": "Shipped"}, notes)

				_, err = Copy(ctx, src, dst)
				require.ErrorIs(t, err, ErrNotEmpty)
				assert.Contains(t, err.Error(), fmt.Sprintf("it holds %d pairs, 2 cursors, 1 quarantine, 1 quota uses, 1 link waits, 1 record notes", pairs+1))
			})
		}
	}
}

// failingSource is a source whose pairs fail after some rows, as a dropped connection would.
type failingSource struct {
	Store
	after int
}

func (f failingSource) dumpTable(ctx context.Context, t table, each func(row []any) error) error {
	n := 0
	return f.Store.(tableSource).dumpTable(ctx, t, func(row []any) error {
		if n++; t.name == "pairs" && n > f.after {
			return errors.New("connection reset by peer")
		}
		return each(row)
	})
}

// A copy that fails half-way leaves the destination empty — one transaction — so that it can
// be run again, instead of refused as a store in use.
func TestCopyThatFailsLeavesTheDestinationEmpty(t *testing.T) {
	for _, to := range backends {
		t.Run(to.name, func(t *testing.T) {
			ctx := context.Background()
			src := open(t, "sqlite:"+filepath.Join(t.TempDir(), "src.db"))
			fillForCopy(t, src, 1500)
			dst := open(t, to.dsn(t))
			_, err := Copy(ctx, failingSource{Store: src, after: 1200}, dst)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "connection reset by peer")
			for _, tb := range copiedTables {
				n, err := dst.(tableDestination).countRows(ctx, tb)
				require.NoError(t, err)
				assert.Zero(t, n, tb.name)
			}
			copied, err := Copy(ctx, src, dst)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(copied.String(), "1501 pairs"), copied.String())
		})
	}
}

// The source of a copy must exist, and a SQLite one must not be in a worker's hands.
func TestOpenToCopy(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "crmsync.db")
	_, err := OpenToCopy(ctx, dsn)
	require.ErrorIs(t, err, ErrNoStore)
	worker, err := Open(ctx, dsn)
	require.NoError(t, err)
	_, err = OpenToCopy(ctx, dsn)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a worker uses this SQLite store")
	assert.Contains(t, err.Error(), "stop it before copying")
	require.NoError(t, worker.Close())
	src, err := OpenToCopy(ctx, dsn)
	require.NoError(t, err)
	require.NoError(t, src.Close())
}

// BenchmarkCopy copies a store of 50,000 pairs (one worker's SQLite file of a 50,000-contact
// connection) into an empty store of each backend, and reports the pairs copied a second.
func BenchmarkCopy(b *testing.B) {
	const pairs = 50000
	ctx := context.Background()
	srcDSN := "sqlite:" + filepath.Join(b.TempDir(), "src.db")
	worker, err := Open(ctx, srcDSN)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < pairs; i += benchPage {
		if err := worker.SavePairs(ctx, "bench", "contact", benchPairs(fmt.Sprintf("p%d-", i), benchPage)); err != nil {
			b.Fatal(err)
		}
	}
	require.NoError(b, worker.Close())
	src, err := OpenToCopy(ctx, srcDSN)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = src.Close() })
	for _, to := range backends {
		b.Run("sqlite to "+to.name, func(b *testing.B) {
			var spent time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dst := open(b, to.dsn(b))
				b.StartTimer()
				start := time.Now()
				if _, err := Copy(ctx, src, dst); err != nil {
					b.Fatal(err)
				}
				spent += time.Since(start)
			}
			b.ReportMetric(float64(b.N*pairs)/spent.Seconds(), "pairs/s")
		})
	}
}
