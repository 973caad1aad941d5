package activities

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
)

// fullStatusMap maps every status of the UNAS simulator's shop to a status of its Orders
// module.
const fullStatusMap = `{"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed", "Törölve": "Cancelled"}`

// mappedStatusID is the MiniCRM StatusId of each UNAS status under fullStatusMap.
var mappedStatusID = map[string]string{"Beérkezett": "2001", "Feldolgozás alatt": "2002", "Szállítás alatt": "2003", "Teljesítve": "2004", "Törölve": "2005"}

// A sync pass of an object a status map moves checks the map strictly before it writes, as
// PipelineSync does: an unmapped status or an unknown target would create cards in the
// module's first status, whose automations run for each. Its mistakes, each named, pause the
// connection; nothing is created or quarantined. A complete map is checked once, and the
// check is shared with PipelineSync.
func TestAPassChecksTheStatusMapFirst(t *testing.T) {
	tests := []struct {
		name      string
		run       string // "import", "incremental" or "push"
		statusMap string
		wants     []string
	}{
		{name: "import, complete", run: "import", statusMap: fullStatusMap},
		{name: "import, a status of the shop unmapped", run: "import", statusMap: strings.Replace(fullStatusMap, `, "Törölve": "Cancelled"`, "", 1),
			wants: []string{`pipelines[0] (pipeline orders).status_map: status "Törölve" of the shop is not mapped`}},
		{name: "incremental, an unknown target", run: "incremental", statusMap: strings.Replace(fullStatusMap, `"Closed"`, `"Done"`, 1),
			wants: []string{`status "Teljesítve" maps to "Done", which is not a status of the module`}},
		{name: "push, a status of the shop unmapped", run: "push", statusMap: strings.Replace(fullStatusMap, `"Beérkezett": "New", `, "", 1),
			wants: []string{`status "Beérkezett" of the shop is not mapped`}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("pm%d", i)
			acts, st, ae, sb, path := unasMiniCRMFile(t, name, "101", "", 10, unasOrderObject+unasPipeline(true, tt.statusMap))
			var err error
			switch tt.run {
			case "push":
				_, err = ae.ExecuteActivity(acts.PushOne, PushInput{Connection: name, Object: "order", Side: "a", ID: sb.UNAS.Dump()[0].Key})
			default:
				mode := ModeImport
				if tt.run == "incremental" {
					mode = ModeIncremental
				}
				_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: name, Object: "order", Side: "a", Mode: mode})
			}
			quarantined, qerr := st.CountQuarantine(context.Background(), name)
			require.NoError(t, qerr)
			assert.Zero(t, quarantined, "the map's mistake, not the orders'")
			if len(tt.wants) > 0 {
				requireConfigError(t, err, append(tt.wants, path)...)
				assert.Zero(t, sb.MiniCRM.Count("Orders"), "no card created")
				return
			}
			require.NoError(t, err)
			require.Equal(t, 10, sb.MiniCRM.Count("Orders"))
			for _, o := range sb.UNAS.Dump() {
				assert.Equal(t, mappedStatusID[string(o.Status)], fmt.Sprint(orderCard(t, sb, o.Key)["StatusId"]), "order %s (%s)", o.Key, o.Status)
			}

			// Checked once: the next pass and PipelineSync's scan ask the shop for its
			// statuses no more.
			statuses := func() int { return sb.UNAS.Kit().Counts()["POST /shop/getOrderStatus"] }
			before := statuses()
			_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: name, Object: "order", Side: "a", Mode: ModeIncremental})
			require.NoError(t, err)
			_, err = ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: name})
			require.NoError(t, err)
			assert.Equal(t, before, statuses())
		})
	}
}

// An order at a status its map does not bind to a status of the module is never created in
// the module's first status. A status added to the shop since the map was checked is the
// map's mistake: the map is checked again and the connection pauses naming it, and once it is
// mapped the order's card is created at its status. A status deleted from the shop while an
// order holds it cannot be mapped: that order is quarantined with its status named, and the
// others go.
func TestAnOrderAtAnUnmappedStatusIsNotCreated(t *testing.T) {
	t.Run("a status added to the shop since the check", func(t *testing.T) {
		acts, st, ae, sb, path := unasMiniCRMFile(t, "added", "101", "", 4, unasOrderObject+unasPipeline(true, fullStatusMap))
		_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "added", Object: "order", Side: "a", Mode: ModeImport})
		require.NoError(t, err)
		require.Equal(t, 4, sb.MiniCRM.Count("Orders"))

		time.Sleep(1100 * time.Millisecond) // UNAS's DateMod is to the second
		sb.UNAS.SeedOrders(500, 1, time.Now().Add(-time.Minute))
		sb.UNAS.AddStatus(unassim.OrderStatus{ID: 6, Name: "Visszaküldve", Type: "close_fault"})
		key := sb.UNAS.Dump()[4].Key // the newest
		sb.UNAS.SetStatus(key, "Visszaküldve")
		require.Equal(t, "Visszaküldve", statusOf(t, sb, key))
		time.Sleep(1100 * time.Millisecond) // a read tells the change apart
		_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "added", Object: "order", Side: "a", Mode: ModeIncremental})
		requireConfigError(t, err, path, `status "Visszaküldve" of the shop is not mapped`)
		assert.Equal(t, 4, sb.MiniCRM.Count("Orders"), "no card in the module's first status")
		quarantined, err := st.CountQuarantine(context.Background(), "added")
		require.NoError(t, err)
		assert.Zero(t, quarantined, "the map's mistake, not the order's")

		// The user maps the new status and resumes.
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		fixed := strings.Replace(string(raw), `"Törölve": "Cancelled"}`, `"Törölve": "Cancelled", "Visszaküldve": "Cancelled"}`, 1)
		require.NoError(t, os.WriteFile(path, []byte(fixed), 0o600))
		later := time.Now().Add(time.Minute)
		require.NoError(t, os.Chtimes(path, later, later))
		_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "added", Object: "order", Side: "a", Mode: ModeIncremental})
		require.NoError(t, err)
		assert.Equal(t, "2005", fmt.Sprint(orderCard(t, sb, key)["StatusId"]))
		assert.Equal(t, "Visszaküldve", orderCard(t, sb, key)["Text1202"])
	})

	t.Run("a status deleted from the shop", func(t *testing.T) {
		const rest = `"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed"`
		acts, st, ae, sb, _ := unasMiniCRMFile(t, "gone", "101", "", 4, unasOrderObject+unasPipeline(true, "{"+rest+"}"))
		keys := []string{sb.UNAS.Dump()[0].Key, sb.UNAS.Dump()[1].Key}
		for _, k := range keys {
			sb.UNAS.SetStatus(k, "Törölve")
		}
		sb.UNAS.RemoveStatus("Törölve") // the map need not name it; the orders keep it
		v, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "gone", Object: "order", Side: "a", Mode: ModeImport})
		require.NoError(t, err, "no pause: the status cannot be mapped")
		var r PassResult
		require.NoError(t, v.Get(&r))
		assert.Equal(t, 2, r.Counts.Quarantined, "%+v", r.Counts)
		assert.Equal(t, 2, sb.MiniCRM.Count("Orders"), "the others are created")
		for _, c := range sb.MiniCRM.Dump("Orders") {
			for _, k := range keys {
				assert.False(t, strings.HasPrefix(fmt.Sprint(c["Text1203"]), k+"@"), "no card for order %s", k)
			}
		}
		q, err := st.ListQuarantine(context.Background(), "gone", 10)
		require.NoError(t, err)
		require.Len(t, q, 2)
		for _, e := range q {
			assert.Contains(t, e.Reason, `unas status "Törölve"`)
			assert.Contains(t, e.Reason, "first status")
		}

		// Edited, they are read again by the next pass: quarantined again, without the
		// shop's statuses read again (30 an hour) to tell whether the map went wrong.
		statuses := func() int { return sb.UNAS.Kit().Counts()["POST /shop/getOrderStatus"] }
		before := statuses()
		time.Sleep(1100 * time.Millisecond) // UNAS's DateMod is to the second
		for _, k := range keys {
			sb.UNAS.EditOrder(k, func(o *unassim.Order) { o.Customer.Contact.Phone = "+36 1 234 5678" })
		}
		time.Sleep(1100 * time.Millisecond)
		v, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "gone", Object: "order", Side: "a", Mode: ModeIncremental})
		require.NoError(t, err)
		require.NoError(t, v.Get(&r))
		assert.Equal(t, 2, r.Counts.Quarantined, "%+v", r.Counts)
		assert.Equal(t, 2, sb.MiniCRM.Count("Orders"))
		assert.Equal(t, before, statuses(), "the statuses found unmappable are remembered with the check")
	})
}

// A card the sync creates at its order's status has that status recorded as propagated, with
// its UNAS Status written: PipelineSync's first scan finds it in step and writes nothing (one
// PUT per imported order, at MiniCRM's quota, and the status's automations run twice). A later
// status change moves the card once.
func TestACardCreatedAtItsStatusIsNotMovedAgain(t *testing.T) {
	ctx := context.Background()
	acts, st, ae, sb, _ := unasMiniCRMFile(t, "in", "101", "", 10, unasOrderObject+unasPipeline(true, fullStatusMap))
	v, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "in", Object: "order", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	var imported PassResult
	require.NoError(t, v.Get(&imported))
	require.Equal(t, 10, imported.Counts.CreatedB, "%+v", imported.Counts)
	for _, o := range sb.UNAS.Dump() {
		c := orderCard(t, sb, o.Key)
		assert.Equal(t, mappedStatusID[string(o.Status)], fmt.Sprint(c["StatusId"]), "order %s (%s)", o.Key, o.Status)
		assert.Equal(t, string(o.Status), c["Text1202"], "the UNAS Status, written with the card")
	}
	pairs, err := st.ListPairs(ctx, "in", "order", "", 100)
	require.NoError(t, err)
	require.Len(t, pairs, 10)
	for _, p := range pairs {
		assert.NotEmpty(t, p.Snapshot[stageKey], "pair %s: the stage created at is recorded", p.AID)
	}

	puts := func() int { return sb.MiniCRM.Kit().Counts()["PUT /Api/R3/Project/{id}"] }
	scan := func() StageResult {
		t.Helper()
		v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "in"})
		require.NoError(t, err)
		var r StageResult
		require.NoError(t, v.Get(&r))
		return r
	}
	before := puts()
	first := scan()
	assert.Equal(t, StageResult{Position: first.Position, Done: true, Checked: 10}, first, "in step: nothing moved")
	assert.Equal(t, before, puts(), "no card written")

	key := sb.UNAS.Dump()[0].Key
	was := statusOf(t, sb, key)
	to := "Törölve"
	if was == to {
		to = "Teljesítve"
	}
	steps := []struct {
		name    string
		status  string
		moved   int
		emitted int
	}{
		{name: "a status change moves the card once", status: to, moved: 1, emitted: 1},
		{name: "no change: nothing", status: "", moved: 0, emitted: 0},
		{name: "back to where it was created", status: was, moved: 1, emitted: 1},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			time.Sleep(1100 * time.Millisecond) // UNAS's DateMod is to the second
			if s.status != "" {
				sb.UNAS.SetStatus(key, s.status)
				time.Sleep(1100 * time.Millisecond)
			}
			r := scan()
			assert.Equal(t, s.moved, r.Moved, "%+v", r)
			assert.Equal(t, s.emitted, r.Emitted, "%+v", r)
			now := statusOf(t, sb, key)
			assert.Equal(t, mappedStatusID[now], fmt.Sprint(orderCard(t, sb, key)["StatusId"]))
			assert.Equal(t, now, orderCard(t, sb, key)["Text1202"])
		})
	}
}

// A Sellsy opportunity's affaire created by the sync pass holds no event (Altior records its
// events apart, not in a field set at creation): nothing is recorded for it, and the first
// scan emits each event up to its step once; the next emits nothing.
func TestAnAffaireCreatedByThePassGetsItsEventsOnce(t *testing.T) {
	h := newStageHarness(t, twoPipelines)
	opp := h.opportunity("Projet", "1", "12") // Négociation
	_, err := h.ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "st", Object: "opportunity", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	p, err := h.st.Pairs(h.ctx, "st", "opportunity", store.SideA, []string{opp})
	require.NoError(t, err)
	require.Contains(t, p, opp)
	assert.Nil(t, p[opp].Snapshot[stageKey], "no stage recorded: no event went with the create")

	r := h.propagate(opp)
	assert.Equal(t, 3, r.Emitted, "%+v", r)
	assert.Equal(t, []string{"QUALIF", "PROPOSITION", "NEGOCIATION"}, h.affaire(opp).Fields["events"])
	assert.Zero(t, h.propagate(opp).Emitted, "once each")
}

// statusOf returns the status of the UNAS order with this key.
func statusOf(t *testing.T, sb *sandbox.Sandbox, key string) string {
	t.Helper()
	for _, o := range sb.UNAS.Dump() {
		if o.Key == key {
			return string(o.Status)
		}
	}
	t.Fatalf("no order %s", key)
	return ""
}
