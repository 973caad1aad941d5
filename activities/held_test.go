package activities

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// absentField reads its records as unable to hold one field (Record.Absent), while absent is
// set: Sellsy's consent, unknown when an answer lacks the subscriptions list.
type absentField struct {
	connectors.Connector
	field  string
	absent bool
}

func (c *absentField) mark(recs []connectors.Record) []connectors.Record {
	if !c.absent {
		return recs
	}
	for i := range recs {
		fields := make(map[string]any, len(recs[i].Fields))
		for k, v := range recs[i].Fields {
			if k != c.field {
				fields[k] = v
			}
		}
		recs[i].Fields, recs[i].Absent = fields, append(slices.Clone(recs[i].Absent), c.field)
	}
	return recs
}

func (c *absentField) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	p, err := c.Connector.List(ctx, object, q)
	p.Records = c.mark(p.Records)
	return p, err
}

func (c *absentField) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	recs, err := c.Connector.Get(ctx, object, ids)
	return c.mark(recs), err
}

func (c *absentField) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	recs, err := c.Connector.FindByKey(ctx, object, field, values)
	return c.mark(recs), err
}

// A field one record could not hold at its first sync is marked held in the pair's snapshot
// (engine's heldKey): the value is the other side's, never synced. Once both records hold the
// field and it syncs, the pair is saved without the marker. Kept (were it named "@…", the keys
// a pass carries over), the field would be taken as never synced at every pass after.
func TestHeldMarkerGoesOnceBothSidesHoldTheField(t *testing.T) {
	const person = 12 // in Sellsy and Automation
	h := newHarness(t, "both")
	sellsy := &absentField{Connector: h.sellsy, field: "position", absent: true}
	h.acts.Conns.use("t", sellsy, h.mautic)
	h.cycle(ModeImport)

	id := h.person(h.sellsy, person).ID
	snapshot := func() map[string]any {
		pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{id})
		require.NoError(t, err)
		pair, ok := pairs[id]
		require.True(t, ok, "person %d is paired", person)
		return pair.Snapshot
	}
	held := func(snap map[string]any) []string {
		var keys []string
		for k := range snap {
			if strings.Contains(k, "held:") {
				keys = append(keys, k)
			}
		}
		return keys
	}
	require.NotEmpty(t, held(snapshot()), "the position Sellsy could not hold is marked held: %v", snapshot())

	sellsy.absent = false
	h.edit(h.sellsy, person, map[string]any{"position": "Chief Tester"})
	c := h.pass("contact", "a", ModeImport)
	require.Positive(t, c.UpdatedB, "Sellsy's position reaches Automation: %+v", c)
	got := snapshot()
	assert.Equal(t, "Chief Tester", got[config.Field{A: "position", B: "position"}.Key()], "synced")
	assert.Empty(t, held(got), "no marker left once both hold the field: %v", got)
}
