package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/internal/testenv"
)

// testPostgresURL is the server every machine here runs; CRMSYNC_TEST_POSTGRES overrides it.
func testPostgresURL() string { return testenv.PostgresURL() }

type backend struct {
	name string
	// dsn returns the DSN of a fresh, empty database dropped when the test ends.
	dsn func(tb testing.TB) string
}

var backends = []backend{
	{"sqlite", func(tb testing.TB) string { return "sqlite:" + filepath.Join(tb.TempDir(), "crmsync.db") }},
	{"postgres", postgresDSN},
}

// postgresDSN is a fresh database of the test's own, dropped when it ends.
func postgresDSN(tb testing.TB) string { return testenv.PostgresDSN(tb) }

func open(tb testing.TB, dsn string) Store {
	tb.Helper()
	st, err := Open(context.Background(), dsn)
	require.NoError(tb, err)
	tb.Cleanup(func() { st.Close() })
	return st
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	return out
}

func TestStore(t *testing.T) {
	const conn, obj = "sellsy-mautic", "contact"
	tests := []struct {
		name string
		run  func(t *testing.T, st Store, dsn string)
	}{
		{"upsert and re-pair conflicts", func(t *testing.T, st Store, _ string) {
			ctx := context.Background()
			require.NoError(t, st.SavePairs(ctx, conn, obj, []Pair{
				{AID: "a1", BID: "b1", Snapshot: map[string]any{"email": "x@example.com"}, SyncedAt: t0},
				{AID: "a2", BID: "b2", SyncedAt: t0},
				{AID: "a3", BID: "b3", SyncedAt: t0},
			}))
			// Same pair again: updated in place.
			require.NoError(t, st.SavePairs(ctx, conn, obj, []Pair{{AID: "a1", BID: "b1", Snapshot: map[string]any{"email": "y@example.com"}, SyncedAt: t0.Add(time.Hour)}}))
			// a2 paired with a new b: b2 is free again. b3 paired with a new a: a3 is free again.
			require.NoError(t, st.SavePairs(ctx, conn, obj, []Pair{
				{AID: "a2", BID: "b9", SyncedAt: t0},
				{AID: "a9", BID: "b3", SyncedAt: t0},
			}))
			// Both ids already paired elsewhere (a1-b1 and a9-b3): both old pairs go.
			require.NoError(t, st.SavePairs(ctx, conn, obj, []Pair{{AID: "a1", BID: "b3", SyncedAt: t0}}))
			// Within one batch the later pair wins.
			require.NoError(t, st.SavePairs(ctx, conn, obj, []Pair{
				{AID: "a5", BID: "b5", SyncedAt: t0},
				{AID: "a5", BID: "b6", SyncedAt: t0},
				{AID: "a7", BID: "b6", SyncedAt: t0},
			}))
			all, err := st.ListPairs(ctx, conn, obj, "", 0)
			require.NoError(t, err)
			got := map[string]string{}
			for _, p := range all {
				got[p.AID] = p.BID
			}
			assert.Equal(t, map[string]string{"a1": "b3", "a2": "b9", "a7": "b6"}, got)
			n, err := st.CountPairs(ctx, conn, obj)
			require.NoError(t, err)
			assert.Equal(t, 3, n)
			// Other connections and objects are untouched namespaces.
			n, err = st.CountPairs(ctx, conn, "company")
			require.NoError(t, err)
			assert.Zero(t, n)

			err = st.SavePairs(ctx, conn, obj, []Pair{{AID: "a1"}})
			require.ErrorContains(t, err, "store: save pairs for sellsy-mautic/contact: ")
			require.NoError(t, st.SavePairs(ctx, conn, obj, nil))
		}},
		{"lookup by each side with more than 500 ids", func(t *testing.T, st Store, _ string) {
			ctx := context.Background()
			as, bs := ids("a", 1203), ids("b", 1203)
			pairs := make([]Pair, len(as))
			for i := range as {
				pairs[i] = Pair{AID: as[i], BID: bs[i], Snapshot: map[string]any{"n": float64(i)}, SyncedAt: t0}
			}
			require.NoError(t, st.SavePairs(ctx, conn, obj, pairs))

			query := append(append([]string{}, as[:1100]...), "a-missing", "", as[0])
			got, err := st.Pairs(ctx, conn, obj, SideA, query)
			require.NoError(t, err)
			require.Len(t, got, 1100)
			assert.Equal(t, bs[777], got[as[777]].BID)
			assert.Equal(t, float64(777), got[as[777]].Snapshot["n"])

			got, err = st.Pairs(ctx, conn, obj, SideB, append(bs[100:], "b-missing"))
			require.NoError(t, err)
			require.Len(t, got, 1103)
			assert.Equal(t, as[1202], got[bs[1202]].AID)
			_, ok := got[bs[99]]
			assert.False(t, ok)

			got, err = st.Pairs(ctx, conn, obj, SideA, nil)
			require.NoError(t, err)
			assert.Empty(t, got)
			_, err = st.Pairs(ctx, conn, obj, Side("c"), as[:1])
			assert.ErrorContains(t, err, `invalid side "c"`)

			require.NoError(t, st.DeletePairs(ctx, conn, obj, SideB, bs[:600]))
			require.NoError(t, st.DeletePairs(ctx, conn, obj, SideA, as[1200:]))
			n, err := st.CountPairs(ctx, conn, obj)
			require.NoError(t, err)
			assert.Equal(t, 600, n)

			// Paging by a_id.
			var seen []string
			after := ""
			for {
				page, err := st.ListPairs(ctx, conn, obj, after, 250)
				require.NoError(t, err)
				if len(page) == 0 {
					break
				}
				for _, p := range page {
					seen = append(seen, p.AID)
				}
				after = page[len(page)-1].AID
			}
			assert.Equal(t, as[600:1200], seen)
		}},
		{"snapshot round-trip", func(t *testing.T, st Store, _ string) {
			ctx := context.Background()
			at := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("CET", 3600))
			snap := map[string]any{
				"s": "Élodie «quoted» \"x\"", "f": 12.5, "i": float64(42), "t": true, "ff": false,
				"list": []any{"x", "y"}, "strs": []string{"p", "q"}, "nil": nil, "empty": "",
			}
			require.NoError(t, st.SavePairs(ctx, conn, obj, []Pair{
				{AID: "a1", BID: "b1", Snapshot: snap, SyncedAt: at},
				{AID: "a2", BID: "b2"},
			}))
			got, err := st.Pairs(ctx, conn, obj, SideA, []string{"a1", "a2"})
			require.NoError(t, err)
			want := map[string]any{
				"s": "Élodie «quoted» \"x\"", "f": 12.5, "i": float64(42), "t": true, "ff": false,
				"list": []any{"x", "y"}, "strs": []any{"p", "q"}, "nil": nil, "empty": "",
			}
			assert.Equal(t, want, got["a1"].Snapshot)
			assert.Equal(t, at.UTC().Truncate(time.Microsecond), got["a1"].SyncedAt)
			assert.Equal(t, time.UTC, got["a1"].SyncedAt.Location())
			assert.Nil(t, got["a2"].Snapshot)
			assert.True(t, got["a2"].SyncedAt.IsZero())

			err = st.SavePairs(ctx, conn, obj, []Pair{{AID: "a3", BID: "b3", Snapshot: map[string]any{"bad": make(chan int)}}})
			assert.ErrorContains(t, err, "encode snapshot")
		}},
		{"cursors and reset", func(t *testing.T, st Store, _ string) {
			ctx := context.Background()
			_, ok, err := st.Cursor(ctx, conn, obj, SideA)
			require.NoError(t, err)
			assert.False(t, ok)
			for _, o := range []string{"contact", "company", "opportunity"} {
				require.NoError(t, st.SetCursor(ctx, conn, o, SideA, o+"-a1"))
				require.NoError(t, st.SetCursor(ctx, conn, o, SideA, o+"-a2"))
				require.NoError(t, st.SetCursor(ctx, conn, o, SideB, o+"-b"))
			}
			require.NoError(t, st.SetCursor(ctx, "other", "contact", SideA, "keep"))
			v, ok, err := st.Cursor(ctx, conn, "company", SideA)
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "company-a2", v)
			v, _, _ = st.Cursor(ctx, conn, "company", SideB)
			assert.Equal(t, "company-b", v)

			require.NoError(t, st.ResetCursors(ctx, conn, []string{"contact", "company"}))
			for _, o := range []string{"contact", "company"} {
				for _, s := range []Side{SideA, SideB} {
					_, ok, err := st.Cursor(ctx, conn, o, s)
					require.NoError(t, err)
					assert.False(t, ok, "%s %s", o, s)
				}
			}
			_, ok, _ = st.Cursor(ctx, conn, "opportunity", SideB)
			assert.True(t, ok)

			require.NoError(t, st.ResetCursors(ctx, conn, nil))
			_, ok, _ = st.Cursor(ctx, conn, "opportunity", SideB)
			assert.False(t, ok)
			v, ok, _ = st.Cursor(ctx, "other", "contact", SideA)
			assert.True(t, ok)
			assert.Equal(t, "keep", v)

			assert.ErrorContains(t, st.SetCursor(ctx, conn, obj, Side(""), "x"), "invalid side")
		}},
		{"quarantine", func(t *testing.T, st Store, _ string) {
			ctx := context.Background()
			e := func(id string, at time.Time, reason string) QuarantineEntry {
				return QuarantineEntry{Connection: conn, Object: obj, Side: SideB, RecordID: id, Reason: reason,
					Record: json.RawMessage(`{"id":"` + id + `","fields":{"email":"bad"}}`), At: at}
			}
			require.NoError(t, st.Quarantine(ctx, e("r1", t0, "first")))
			require.NoError(t, st.Quarantine(ctx, e("r2", t0.Add(time.Minute), "second")))
			require.NoError(t, st.Quarantine(ctx, e("r3", t0.Add(2*time.Minute), "third")))
			// Same record again: replaced, now the newest.
			require.NoError(t, st.Quarantine(ctx, e("r1", t0.Add(3*time.Minute), "first again")))
			// Same record id on the other side: a separate entry.
			other := e("r1", t0.Add(-time.Hour), "side a")
			other.Side, other.Record = SideA, nil
			require.NoError(t, st.Quarantine(ctx, other))
			require.NoError(t, st.Quarantine(ctx, QuarantineEntry{Connection: "other", Object: obj, Side: SideA, RecordID: "z", At: t0}))

			n, err := st.CountQuarantine(ctx, conn)
			require.NoError(t, err)
			assert.Equal(t, 4, n)
			list, err := st.ListQuarantine(ctx, conn, 10)
			require.NoError(t, err)
			require.Len(t, list, 4)
			var reasons []string
			for _, q := range list {
				reasons = append(reasons, q.Reason)
			}
			assert.Equal(t, []string{"first again", "third", "second", "side a"}, reasons)
			assert.Equal(t, QuarantineEntry{Connection: conn, Object: obj, Side: SideB, RecordID: "r1", Reason: "first again",
				Record: list[0].Record, At: t0.Add(3 * time.Minute).Truncate(time.Microsecond)}, list[0])
			assert.JSONEq(t, `{"id":"r1","fields":{"email":"bad"}}`, string(list[0].Record))
			assert.Nil(t, list[3].Record)

			list, err = st.ListQuarantine(ctx, conn, 2)
			require.NoError(t, err)
			assert.Len(t, list, 2)

			// Paged by key, entries quarantined before a time: r1 of side b came again later.
			var keys []QuarantineKey
			for after := (QuarantineKey{}); ; {
				page, err := st.QuarantinedBefore(ctx, conn, t0.Add(150*time.Second), after, 2)
				require.NoError(t, err)
				if len(page) == 0 {
					break
				}
				keys = append(keys, page...)
				after = page[len(page)-1]
			}
			assert.Equal(t, []QuarantineKey{{obj, SideA, "r1"}, {obj, SideB, "r2"}, {obj, SideB, "r3"}}, keys)

			require.NoError(t, st.ClearQuarantine(ctx, conn, obj, SideB, "r1"))
			require.NoError(t, st.ClearQuarantine(ctx, conn, obj, SideB, "never-there"))
			still, err := st.StillQuarantined(ctx, conn, []QuarantineKey{{obj, SideB, "r1"}, {obj, SideA, "r1"}, {obj, SideB, "r3"}, {"company", SideA, "r1"}})
			require.NoError(t, err)
			assert.ElementsMatch(t, []QuarantineKey{{obj, SideA, "r1"}, {obj, SideB, "r3"}}, still)
			still, err = st.StillQuarantined(ctx, "another", []QuarantineKey{{obj, SideA, "r1"}})
			require.NoError(t, err)
			assert.Empty(t, still)
			many := []QuarantineKey{{obj, SideA, "r1"}} // past one statement's placeholders
			for i := range 400 {
				many = append(many, QuarantineKey{obj, SideB, fmt.Sprint("none-", i)})
			}
			many = append(many, QuarantineKey{obj, SideB, "r3"})
			still, err = st.StillQuarantined(ctx, conn, many)
			require.NoError(t, err)
			assert.ElementsMatch(t, []QuarantineKey{{obj, SideA, "r1"}, {obj, SideB, "r3"}}, still)
			n, _ = st.CountQuarantine(ctx, conn)
			assert.Equal(t, 3, n)
			_, ok := func() (bool, bool) {
				l, _ := st.ListQuarantine(ctx, conn, 0)
				for _, q := range l {
					if q.Side == SideB && q.RecordID == "r1" {
						return true, true
					}
				}
				return false, false
			}()
			assert.False(t, ok)

			bad := e("r9", t0, "x")
			bad.Record = json.RawMessage(`{not json`)
			assert.ErrorContains(t, st.Quarantine(ctx, bad), "store: quarantine sellsy-mautic/contact record r9: record is not valid JSON")
		}},
		{"values PostgreSQL's jsonb and text refuse", func(t *testing.T, st Store, conn string) {
			ctx := context.Background()
			// A NUL in a field (a pasted export), bytes that are not UTF-8 in a refusal.
			snap := map[string]any{"note": "x\x00y"}
			require.NoError(t, st.SavePairs(ctx, conn, "contact", []Pair{{AID: "a1", BID: "b1", Snapshot: snap, SyncedAt: t0}}))
			got, err := st.Pairs(ctx, conn, "contact", SideA, []string{"a1"})
			require.NoError(t, err)
			assert.Equal(t, snap, got["a1"].Snapshot, "kept as it is: the merge compares it with the record")

			rec, err := json.Marshal(map[string]any{"note": "x\x00y"})
			require.NoError(t, err)
			require.NoError(t, st.Quarantine(ctx, QuarantineEntry{Connection: conn, Object: "contact", Side: SideA, RecordID: "a1",
				Reason: "refused: \"x\x00y\" \xff", Record: json.RawMessage("{\"note\": \"x\xffy\"}"), At: t0}))
			require.NoError(t, st.Quarantine(ctx, QuarantineEntry{Connection: conn, Object: "contact", Side: SideA, RecordID: "a2", Reason: "r", Record: rec, At: t0}))
			list, err := st.ListQuarantine(ctx, conn, 0)
			require.NoError(t, err)
			require.Len(t, list, 2)
			byID := map[string]QuarantineEntry{list[0].RecordID: list[0], list[1].RecordID: list[1]}
			assert.Equal(t, "refused: \"x\uFFFDy\" \uFFFD", byID["a1"].Reason)
			assert.JSONEq(t, `{"note": "x\uFFFDy"}`, string(byID["a1"].Record))
			assert.JSONEq(t, string(rec), string(byID["a2"].Record))
		}},
		{"concurrent SavePairs", func(t *testing.T, st Store, _ string) {
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, 8*20*3)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for page := range 20 {
						pairs := make([]Pair, 50)
						for i := range pairs {
							id := fmt.Sprintf("g%d-p%d-%d", g, page, i)
							pairs[i] = Pair{AID: "a" + id, BID: "b" + id, Snapshot: map[string]any{"g": float64(g)}, SyncedAt: t0}
						}
						errs <- st.SavePairs(ctx, conn, obj, pairs)
						// Readers in between, as activities do.
						if _, err := st.Pairs(ctx, conn, obj, SideB, []string{"b" + fmt.Sprintf("g%d-p%d-0", g, page)}); err != nil {
							errs <- err
						}
						// And one shared record re-paired by everyone.
						errs <- st.SavePairs(ctx, conn, obj, []Pair{{AID: "shared", BID: fmt.Sprintf("b-shared-%d", g), SyncedAt: t0}})
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			n, err := st.CountPairs(ctx, conn, obj)
			require.NoError(t, err)
			assert.Equal(t, 8*20*50+1, n)
		}},
		{"reopen keeps data", func(t *testing.T, st Store, dsn string) {
			ctx := context.Background()
			require.NoError(t, st.SavePairs(ctx, conn, obj, []Pair{{AID: "a1", BID: "b1", SyncedAt: t0}}))
			require.NoError(t, st.SetCursor(ctx, conn, obj, SideA, "c1"))
			require.NoError(t, st.Quarantine(ctx, QuarantineEntry{Connection: conn, Object: obj, Side: SideA, RecordID: "r", Reason: "x", At: t0}))
			require.NoError(t, st.Close())

			st2 := open(t, dsn) // migrations run again: idempotent
			got, err := st2.Pairs(ctx, conn, obj, SideB, []string{"b1"})
			require.NoError(t, err)
			assert.Equal(t, "a1", got["b1"].AID)
			v, ok, err := st2.Cursor(ctx, conn, obj, SideA)
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "c1", v)
			n, err := st2.CountQuarantine(ctx, conn)
			require.NoError(t, err)
			assert.Equal(t, 1, n)
		}},
		{"notes per record", func(t *testing.T, st Store, _ string) {
			ctx := context.Background()
			require.NoError(t, st.SetNotes(ctx, conn, obj, "reached", map[string]string{"o1": "12", "o2": "14"}))
			require.NoError(t, st.SetNotes(ctx, conn, obj, "other", map[string]string{"o1": "x"}))
			got, err := st.Notes(ctx, conn, obj, "reached", []string{"o1", "o2", "o3", "o1"})
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"o1": "12", "o2": "14"}, got)
			require.NoError(t, st.SetNotes(ctx, conn, obj, "reached", map[string]string{"o1": "", "o2": "13"}))
			got, err = st.Notes(ctx, conn, obj, "reached", []string{"o1", "o2"})
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"o2": "13"}, got, "an empty value removes the note")
			got, err = st.Notes(ctx, conn, obj, "other", []string{"o1"})
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"o1": "x"}, got, "kinds are apart")
		}},
		{"records waiting for a link", func(t *testing.T, st Store, _ string) {
			ctx := context.Background()
			ready := func(side Side) []string {
				got, err := st.ReadyWaits(ctx, conn, obj, side, 0)
				require.NoError(t, err)
				return got
			}
			// Contacts c1 and c2 of side a wait for companies k1 and k2; c3 for k1 and a deal.
			require.NoError(t, st.SetWaits(ctx, conn, obj, SideA, []string{"c1", "c2", "c3", "c4"}, []Wait{
				{RecordID: "c1", LinkObject: "company", LinkID: "k1"},
				{RecordID: "c2", LinkObject: "company", LinkID: "k2"},
				{RecordID: "c3", LinkObject: "company", LinkID: "k1"},
				{RecordID: "c3", LinkObject: "deal", LinkID: "d1"},
			}))
			assert.Empty(t, ready(SideA), "nothing they wait for is paired")
			require.NoError(t, st.SavePairs(ctx, conn, "company", []Pair{{AID: "k1", BID: "x1", SyncedAt: t0}}))
			assert.Equal(t, []string{"c1", "c3"}, ready(SideA), "k1 is paired on side a")
			assert.Empty(t, ready(SideB), "side b has its own waits")
			got, err := st.ReadyWaits(ctx, conn, obj, SideA, 1)
			require.NoError(t, err)
			assert.Equal(t, []string{"c1"}, got, "the limit holds")

			// c1 went across; c3 now waits only for the deal.
			require.NoError(t, st.SetWaits(ctx, conn, obj, SideA, []string{"c1", "c3"}, []Wait{{RecordID: "c3", LinkObject: "deal", LinkID: "d1"}}))
			assert.Empty(t, ready(SideA))
			require.NoError(t, st.SavePairs(ctx, conn, "company", []Pair{{AID: "k2", BID: "x2", SyncedAt: t0}}))
			assert.Equal(t, []string{"c2"}, ready(SideA))
			// The same record set again replaces its waits instead of adding to them.
			require.NoError(t, st.SetWaits(ctx, conn, obj, SideA, []string{"c2"}, []Wait{{RecordID: "c2", LinkObject: "company", LinkID: "k9"}}))
			assert.Empty(t, ready(SideA))

			// A record listed twice keeps its later wait per object.
			require.NoError(t, st.SetWaits(ctx, conn, obj, SideA, []string{"c4", "c4"}, []Wait{
				{RecordID: "c4", LinkObject: "company", LinkID: "k9"},
				{RecordID: "c4", LinkObject: "company", LinkID: "k1"},
			}))
			assert.Equal(t, []string{"c4"}, ready(SideA))

			err = st.SetWaits(ctx, conn, obj, SideA, []string{"c1"}, []Wait{{RecordID: "c2", LinkObject: "company", LinkID: "k1"}})
			require.ErrorContains(t, err, `wait of record "c2", which is not among the records set`)
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					dsn := b.dsn(t)
					st := open(t, dsn)
					tt.run(t, st, dsn)
				})
			}
		})
	}
}

func TestOpenBadDSN(t *testing.T) {
	ctx := context.Background()
	cases := []struct{ dsn, want string }{
		{"", "store: empty DSN"},
		{"   ", "store: empty DSN"},
		{"mysql://root@localhost/x", `store: unsupported DSN scheme "mysql"`},
		{"sqlite:", "store: sqlite DSN has no file path"},
		{"sqlite:" + filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), "store: open sqlite "},
		{"sqlite:" + filepath.Join(t.TempDir(), "x.db") + "?%zz", "bad query"},
		{"postgres://crmsync:s3cret-pw@127.0.0.1:1/crmsync?connect_timeout=2", "store: open postgres postgres://crmsync:xxxxx@127.0.0.1:1/crmsync"},
		{"postgres://u@127.0.0.1:1/x?pool_max_conns=zero", `pool_max_conns: "zero" is not a whole number`},
		{"postgres://crmsync@127.0.0.1:1/crmsync?password=s3cret-pw&connect_timeout=2", "password=xxxxx"},
		{"postgres://crmsync@127.0.0.1:1/crmsync?sslpassword=s3cret-pw&connect_timeout=2", "sslpassword=xxxxx"},
	}
	for _, c := range cases {
		st, err := Open(ctx, c.dsn)
		if !assert.Error(t, err, c.dsn) {
			st.Close()
			continue
		}
		assert.ErrorContains(t, err, c.want, c.dsn)
		assert.NotContains(t, err.Error(), "s3cret-pw")
	}
}

func TestOpenSQLiteForms(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i, dsn := range []string{
		"sqlite:" + filepath.Join(dir, "a.db"),
		"sqlite://" + filepath.Join(dir, "b.db"),
		"file:" + filepath.Join(dir, "c.db"),
		filepath.Join(dir, "d.db"),
		"sqlite:" + filepath.Join(dir, "e.db") + "?_pragma=cache_size(-2000)",
	} {
		st, err := Open(ctx, dsn)
		require.NoError(t, err, dsn)
		require.NoError(t, st.SetCursor(ctx, "c", "o", SideA, "v"), dsn)
		require.NoError(t, st.Close())
		_, err = os.Stat(filepath.Join(dir, string(rune('a'+i))+".db"))
		assert.NoError(t, err, dsn)
	}
	// WAL is on.
	st, err := Open(ctx, "sqlite:"+filepath.Join(dir, "a.db"))
	require.NoError(t, err)
	defer st.Close()
	var mode string
	require.NoError(t, st.(*sqliteStore).db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", strings.ToLower(mode))
}

// OpenExisting opens what a worker made and never leaves a SQLite file behind.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	made := filepath.Join(dir, "made.db")
	st, err := Open(ctx, "sqlite:"+made)
	require.NoError(t, err)
	require.NoError(t, st.SetCursor(ctx, "c", "o", SideA, "v"))
	require.NoError(t, st.Close())
	missing := filepath.Join(dir, "missing.db")

	tests := []struct {
		name, dsn string
		wantErr   error
	}{
		{"a store a worker made", "sqlite:" + made, nil},
		{"with a query", "sqlite:" + made + "?_pragma=cache_size(-2000)", nil},
		{"a bare path", made, nil},
		{"no file yet", "sqlite:" + missing, ErrNoStore},
		{"no file yet, file: form", "file:" + missing, ErrNoStore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := OpenExisting(ctx, tc.dsn)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.ErrorContains(t, err, missing)
				_, statErr := os.Stat(missing)
				assert.True(t, os.IsNotExist(statErr), "no file is created")
				return
			}
			require.NoError(t, err)
			defer st.Close()
			cur, ok, err := st.Cursor(ctx, "c", "o", SideA)
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "v", cur)
		})
	}
}

func TestNormalisePairs(t *testing.T) {
	got, err := normalisePairs([]Pair{{AID: "a1", BID: "b1"}, {AID: "a2", BID: "b2"}, {AID: "a1", BID: "b2"}, {AID: "a3", BID: "b3"}})
	require.NoError(t, err)
	var s []string
	for _, p := range got {
		s = append(s, p.AID+"-"+p.BID)
	}
	sort.Strings(s)
	assert.Equal(t, []string{"a1-b2", "a3-b3"}, s)
}

const benchPage = 200

func benchPairs(prefix string, n int) []Pair {
	out := make([]Pair, n)
	for i := range out {
		id := fmt.Sprintf("%s%08d", prefix, i)
		out[i] = Pair{AID: "a" + id, BID: "b" + id, SyncedAt: t0, Snapshot: map[string]any{
			"email": id + "@example.com", "firstname": "Élodie", "lastname": "Martin", "score": 12.0,
			"tags": []any{"vip", "newsletter"}, "optin": true,
		}}
	}
	return out
}

func BenchmarkSavePairs(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := open(b, be.dsn(b))
			ctx := context.Background()
			pages := make([][]Pair, 0, b.N)
			for i := 0; i < b.N; i++ {
				pages = append(pages, benchPairs(fmt.Sprintf("p%d-", i), benchPage))
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if err := st.SavePairs(ctx, "bench", "contact", pages[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*benchPage)/time.Since(start).Seconds(), "pairs/s")
		})
	}
}

func BenchmarkPairsLookup(b *testing.B) {
	const stored = 20000
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := open(b, be.dsn(b))
			ctx := context.Background()
			all := benchPairs("x", stored)
			for i := 0; i < stored; i += 1000 {
				if err := st.SavePairs(ctx, "bench", "contact", all[i:i+1000]); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				off := (i * benchPage) % stored
				q := make([]string, benchPage)
				for j := range q {
					q[j] = all[(off+j)%stored].AID
				}
				got, err := st.Pairs(ctx, "bench", "contact", SideA, q)
				if err != nil || len(got) != benchPage {
					b.Fatal(len(got), err)
				}
			}
			b.ReportMetric(float64(b.N*benchPage)/time.Since(start).Seconds(), "pairs/s")
		})
	}
}

// SQLite syncs every commit (FULL: in WAL, NORMAL may lose the last transactions on a power
// loss), and the DSN's own pragmas win over the defaults.
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pragma := func(st Store, name string) string {
		var v string
		require.NoError(t, st.(*sqliteStore).db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v))
		return strings.ToLower(v)
	}
	tests := []struct {
		name, query string
		want        map[string]string
	}{
		{"defaults", "", map[string]string{"synchronous": "2", "busy_timeout": "10000", "journal_mode": "wal", "foreign_keys": "1"}},
		{"the DSN's own", "?_pragma=synchronous(EXTRA)&_pragma=busy_timeout(500)",
			map[string]string{"synchronous": "3", "busy_timeout": "500", "journal_mode": "wal", "foreign_keys": "1"}},
		{"written with =", "?_pragma=synchronous%3DNORMAL&_pragma=journal_mode%3DDELETE",
			map[string]string{"synchronous": "1", "busy_timeout": "10000", "journal_mode": "delete"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Open(ctx, "sqlite:"+filepath.Join(dir, fmt.Sprintf("p%d.db", i))+tt.query)
			require.NoError(t, err)
			defer st.Close()
			for name, want := range tt.want {
				assert.Equal(t, want, pragma(st, name), name)
			}
		})
	}
}

// One worker process at a time uses a SQLite store (its object lock is in the process): a
// second Open of the file is refused until the first store is closed; the CLI's
// OpenExisting is not.
func TestSQLiteOneWorker(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crmsync.db")
	first, err := Open(ctx, "sqlite:"+path)
	require.NoError(t, err)
	_, err = Open(ctx, "sqlite:"+path)
	require.EqualError(t, err, "store: another worker uses this SQLite store ("+path+"); use PostgreSQL for several workers")
	cli, err := OpenExisting(ctx, "sqlite:"+path)
	require.NoError(t, err, "the CLI reads the store a worker uses")
	require.NoError(t, cli.Close())
	require.NoError(t, first.Close())
	again, err := Open(ctx, "sqlite:"+path)
	require.NoError(t, err, "free once the first store is closed")
	require.NoError(t, again.Close())
}
