package activities

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// companiesBehindSA sends Sellsy companies down only at SA = yes, and imports none of
// either side's existing records.
const companiesBehindSA = `  - name: company
    match: {a: siret, b: siret}
    filter: {a: {cf.SA: true}, b: {kind: moral}}
    initial: {from_a: false, from_b: false, match: true}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
`

// setSA sets a Sellsy company's SA field.
func (h *altiorPair) setSA(company string, sa bool) {
	h.t.Helper()
	res, err := h.sellsy.Update(h.ctx, connectors.ObjectCompany, []connectors.Record{{ID: company, Fields: map[string]any{"cf.SA": sa}}})
	require.NoError(h.t, err)
	require.NoError(h.t, res[0].Err)
}

// markInStretches runs a ModeMark pass of a side one page a stretch, as InitialImport chains
// stretches, and returns how many it took.
func (h *altiorPair) markInStretches(object, side string) int {
	h.t.Helper()
	res := PassResult{}
	for n := 1; n < 100; n++ {
		v, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "sa", Object: object, Side: side, Mode: ModeMark,
			Position: res.Position, Since: res.Since, PassStart: res.PassStart, PageSize: 1, Stretch: time.Nanosecond})
		require.NoError(h.t, err)
		require.NoError(h.t, v.Get(&res))
		if res.Done {
			return n
		}
	}
	h.t.Fatal("the mark never ended")
	return 0
}

// "Import existing Sellsy records: no" with the SA gate: the records at SA = yes when the
// import marked Sellsy stay there, even once edited; a record at SA = no then, switched to
// yes afterwards, goes down at the next cycle (the gate is the user's per-record opt-in).
func TestSwitchedToYesAfterTheMarkGoesDown(t *testing.T) {
	tests := []struct {
		name        string
		yesAtMark   bool // the company was at SA = yes when the import marked Sellsy
		oldMark     bool // the mark kept no ids (made before marks kept them)
		wantCreated int
	}{
		{name: "at no when marked, switched to yes", wantCreated: 1},
		{name: "at yes when marked, edited", yesAtMark: true, wantCreated: 0},
		// A mark without ids keeps its rule: what was created before it stays.
		{name: "a mark without ids, switched to yes", oldMark: true, wantCreated: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newAltiorPair(t, companiesBehindSA)
			company := h.firstCompany()
			// Other companies, one at yes, so that the mark reads several pages and holds
			// some ids in every case.
			for i, sa := range []bool{true, false} {
				h.create(h.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": fmt.Sprint("Autre ", i), "type": "prospect", "siret": fmt.Sprint("1234567890001", i), "cf.SA": sa}})
			}
			if tt.yesAtMark {
				h.setSA(company, true)
			}
			time.Sleep(1100 * time.Millisecond) // creation times are compared to the second
			assert.Greater(t, h.markInStretches("company", "a"), 2, "one page a stretch")
			h.pass("company", "b", ModeMark)
			if tt.oldMark {
				require.NoError(t, h.st.SetCursor(h.ctx, "sa", markIDsKey("company"), store.SideA, ""))
			}
			before := h.sb.Altior.Count("tiers")

			if tt.yesAtMark {
				res, err := h.sellsy.Update(h.ctx, connectors.ObjectCompany, []connectors.Record{{ID: company, Fields: map[string]any{"name": "Renommée"}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			} else {
				h.setSA(company, true)
			}
			c := h.pass("company", "a", ModeIncremental)
			assert.Equal(t, tt.wantCreated, c.CreatedB, "%+v", c)
			assert.Equal(t, before+tt.wantCreated, h.sb.Altior.Count("tiers"))
			again := h.pass("company", "a", ModeIncremental)
			assert.Zero(t, again.CreatedB, "%+v", again)
		})
	}
}

// A company created at SA = yes after the mark goes down, even if the mark's listing, still
// running, saw it: it was not there when the import began.
func TestCreatedAtYesWhileTheMarkListsGoesDown(t *testing.T) {
	h := newAltiorPair(t, companiesBehindSA)
	start := time.Now().UTC()
	time.Sleep(1100 * time.Millisecond)
	id := h.create(h.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Nouvelle", "type": "prospect", "siret": "98765432100012", "cf.SA": true}})
	v, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "sa", Object: "company", Side: "a", Mode: ModeMark, CycleStart: start})
	require.NoError(t, err)
	var res PassResult
	require.NoError(t, v.Get(&res))
	require.True(t, res.Done)
	m, err := loadMark(h.ctx, h.st, "sa", "company", store.SideA, true)
	require.NoError(t, err)
	held, err := m.holds(h.ctx, connectors.Record{ID: id}) // no creation time: the list decides
	require.NoError(t, err)
	require.True(t, held, "the mark saw it at yes")

	c := h.pass("company", "a", ModeIncremental)
	assert.Equal(t, 1, c.CreatedB, "%+v", c)
}

// A mark's ids are kept compactly, in shards a pass reads one at a time.
func TestMarkIDsAreKeptCompactly(t *testing.T) {
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = strconv.Itoa(40_000_000 + 3*i)
	}
	enc := encodeIDs(ids)
	assert.Less(t, len(enc), 4*len(ids), "under 4 bytes an id")
	got, err := decodeIDs(enc)
	require.NoError(t, err)
	assert.Equal(t, ids, got)
	none, err := decodeIDs(encodeIDs(nil))
	require.NoError(t, err)
	assert.Empty(t, none)

	counts := map[int]int{}
	for _, id := range ids {
		counts[shardOf(id, 25)]++
	}
	assert.Len(t, counts, 25)
	for s, n := range counts {
		assert.InDelta(t, len(ids)/25, n, float64(len(ids))/25/4, fmt.Sprintf("shard %d", s))
	}
}

// The ids a mark kept under the SA gate count only while the gate is in the file: once it is
// taken out, every record passes, and a company that existed before the mark (at SA = no
// then, so not in the list) stays in Sellsy as on a side that never had a gate, rather than
// going down at its next edit against "import existing Sellsy records: no".
func TestMarkIDsLapseWithTheGate(t *testing.T) {
	const companiesNoGate = `  - name: company
    match: {a: siret, b: siret}
    filter: {b: {kind: moral}}
    initial: {from_a: false, from_b: false, match: true}
    fields: [{a: name, b: name}, {a: siret, b: siret}, {a: type, b: relation}]
`
	h := newAltiorPair(t, companiesNoGate)
	company := h.firstCompany() // existed before the mark, at SA = no then
	time.Sleep(1100 * time.Millisecond)
	// The mark made while the file had the gate: its list holds another company only.
	at := time.Now().UTC().Format(time.RFC3339Nano)
	require.NoError(t, h.st.SetCursor(h.ctx, "sa", markKey("company"), store.SideA, at))
	require.NoError(t, h.st.SetCursor(h.ctx, "sa", markShardKey("company", 0), store.SideA, encodeIDs([]string{"999999"})))
	require.NoError(t, h.st.SetCursor(h.ctx, "sa", markIDsKey("company"), store.SideA, "ids 1 1"))
	require.NoError(t, h.st.SetCursor(h.ctx, "sa", "company", store.SideA, at))
	h.pass("company", "b", ModeMark)
	before := h.sb.Altior.Count("tiers")
	res, err := h.sellsy.Update(h.ctx, connectors.ObjectCompany, []connectors.Record{{ID: company, Fields: map[string]any{"name": "Renommée"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	c := h.pass("company", "a", ModeIncremental)
	assert.Zero(t, c.CreatedB, "%+v", c)
	assert.Equal(t, before, h.sb.Altior.Count("tiers"))
}
