package activities

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	"github.com/crmsync/crmsync/sandbox"
)

// UNAS order statuses through PipelineSync in follow mode: the cards were created at their
// mapped statuses with the status names, so the first scan finds them in step and writes
// nothing; the next reads only the orders changed since (UNAS's multi-order quota is scarce);
// a status change moves its card once, even a jump.
func TestPropagateStagesFollowsUNASStatuses(t *testing.T) {
	acts, ae, sb := unasMiniCRM(t, "fw", 12, `objects:
  - name: order
    b_object: "card:Orders"
    match: {a: order_ref, b: Text1203}
    fields: [{a: order_ref, b: Text1203}, {a: key, b: Name}]
pipelines:
  - object: order
    pipeline: orders
    pipeline_field: pipeline
    stage_field: status
    follow: true
    stage_target: Text1202
    pipeline_target: none
    status_map: '{“Beérkezett”: “New”, “Feldolgozás alatt”: “In progress”, “Szállítás alatt”: “Shipped”, “Teljesítve”: “Closed”, “Törölve”: “Cancelled”}'
`)
	_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "fw", Object: "order", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	require.Equal(t, 12, sb.MiniCRM.Count("Orders"))

	scan := func() StageResult {
		t.Helper()
		var total StageResult
		in := StageInput{Connection: "fw"}
		for {
			v, err := ae.ExecuteActivity(acts.PropagateStages, in)
			require.NoError(t, err)
			var r StageResult
			require.NoError(t, v.Get(&r))
			total.Add(r)
			if r.Done {
				return total
			}
			in.Position = r.Position
		}
	}
	mapped := map[string]string{"Beérkezett": "2001", "Feldolgozás alatt": "2002", "Szállítás alatt": "2003", "Teljesítve": "2004", "Törölve": "2005"}
	cardOf := func(key string) map[string]any { return orderCard(t, sb, key) }

	puts := func() int { return sb.MiniCRM.Kit().Counts()["PUT /Api/R3/Project/{id}"] }
	before := puts()
	first := scan()
	assert.Equal(t, 12, first.Checked)
	assert.Zero(t, first.Moved, "each card created at its mapped status")
	assert.Zero(t, first.Emitted, "no status sent again")
	assert.Equal(t, before, puts(), "no card written")
	for _, o := range sb.UNAS.Dump() {
		c := cardOf(o.Key)
		assert.Equal(t, string(o.Status), c["Text1202"], "the UNAS Status field")
		assert.Equal(t, mapped[string(o.Status)], fmt.Sprint(c["StatusId"]), "order %s: %s", o.Key, o.Status)
	}

	idle := scan()
	assert.Zero(t, idle.Checked, "nothing changed: no order read")

	time.Sleep(1100 * time.Millisecond) // UNAS's DateMod is to the second
	key := sb.UNAS.Dump()[0].Key
	sb.UNAS.SetStatus(key, "Törölve")
	moved := scan()
	assert.Equal(t, 1, moved.Checked)
	assert.Equal(t, 1, moved.Moved)
	assert.Equal(t, 1, moved.Emitted, "a jump to Törölve sets Cancelled alone")
	assert.Equal(t, "2005", fmt.Sprint(cardOf(key)["StatusId"]))
	assert.Equal(t, "Törölve", cardOf(key)["Text1202"])

	// A new order scanned before the sync created its card is pending; the first scan after
	// the card exists reads it back, although the order did not change meanwhile, and finds
	// its card created at its status.
	sb.UNAS.SeedOrders(500, 1, time.Now().Add(-time.Minute))
	time.Sleep(1100 * time.Millisecond) // past the overlap: only the held cursor reads it again
	pending := scan()
	assert.Equal(t, 1, pending.Pending, "%+v", pending)
	// The scan's starting point moves on all the same: an order that is never paired (one
	// quarantined, one a filter keeps out) does not make every scan list the whole shop again
	// against UNAS's hourly budget.
	for range 2 {
		time.Sleep(2100 * time.Millisecond) // past the overlap and the shared read's window
		scan()
	}
	assert.Zero(t, scan().Checked, "the pending order is not listed again")
	_, err = ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "fw", Object: "order", Side: "a", Mode: ModeIncremental})
	require.NoError(t, err)
	require.Equal(t, 13, sb.MiniCRM.Count("Orders"))
	caught := scan()
	assert.Equal(t, 1, caught.Checked, "%+v", caught)
	assert.Zero(t, caught.Moved, "%+v", caught)
	newest := sb.UNAS.Dump()[len(sb.UNAS.Dump())-1]
	assert.Equal(t, string(newest.Status), cardOf(newest.Key)["Text1202"])
	assert.Equal(t, mapped[string(newest.Status)], fmt.Sprint(cardOf(newest.Key)["StatusId"]))
}

func TestScanPositionRoundTrip(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 123, time.UTC)
	tests := []struct {
		name string
		in   string
		want scanPosition
	}{
		{"new scan", "", scanPosition{start: now}},
		{"under way", scanPosition{object: 1, start: now.Add(-time.Hour), cursor: "500:1:2"}.String(), scanPosition{object: 1, start: now.Add(-time.Hour), cursor: "500:1:2"}},
		{"a cursor with bars", scanPosition{object: 2, start: now, cursor: "a|b"}.String(), scanPosition{object: 2, start: now, cursor: "a|b"}},
		{"written when a record was pending", fmt.Sprintf("2|%d|1|abc", now.UnixNano()), scanPosition{object: 2, start: now, cursor: "abc"}},
		{"older form", "2:abc", scanPosition{object: 2, start: now, cursor: "abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseScanPosition(tt.in, now)
			assert.Equal(t, tt.want.object, got.object)
			assert.Equal(t, tt.want.cursor, got.cursor)
			assert.True(t, tt.want.start.Equal(got.start), "%v != %v", tt.want.start, got.start)
		})
	}
}

// The passes and the status scan of one incremental cycle share one multi-order getOrder
// read (30 an hour on PREMIUM), and a change made after that read is not lost: the cursors
// restart from where the read went up to, so the next cycle reads it.
func TestCycleSharesOneUNASRead(t *testing.T) {
	acts, ae, sb := unasMiniCRM(t, "cs", 6, `objects:
  - name: customer
    b_object: person
    match: {a: email, b: Email}
    fields: [{a: name, b: LastName}, {a: email, b: Email}]
  - name: order
    b_object: "card:Orders"
    match: {a: order_ref, b: Text1203}
    fields: [{a: order_ref, b: Text1203}, {a: key, b: Name}]
pipelines:
  - object: order
    pipeline: orders
    pipeline_field: pipeline
    stage_field: status
    follow: true
    stage_target: Text1202
    pipeline_target: none
    status_map: '{"Beérkezett": "New", "Feldolgozás alatt": "In progress", "Szállítás alatt": "Shipped", "Teljesítve": "Closed", "Törölve": "Cancelled"}'
`)
	lists := func() int { return sb.UNAS.Kit().Counts()["POST /shop/getOrder"] }
	pass := func(object string, cycle time.Time) Counts {
		t.Helper()
		v, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "cs", Object: object, Side: "a", Mode: ModeIncremental, CycleStart: cycle})
		require.NoError(t, err)
		var r PassResult
		require.NoError(t, v.Get(&r))
		require.True(t, r.Done)
		return r.Counts
	}
	scan := func(start time.Time) StageResult {
		t.Helper()
		v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "cs", ScanStart: start})
		require.NoError(t, err)
		var r StageResult
		require.NoError(t, v.Get(&r))
		require.True(t, r.Done)
		return r
	}
	status := func(key string) string { return fmt.Sprint(orderCard(t, sb, key)["StatusId"]) }
	for _, object := range []string{"customer", "order"} {
		_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "cs", Object: object, Side: "a", Mode: ModeImport})
		require.NoError(t, err)
	}
	scan(time.Time{})
	require.Equal(t, 6, sb.MiniCRM.Count("Orders"))

	// Cycle 1: one read for both passes and the scan; a change made after it waits.
	cycle := time.Now()
	before := lists()
	pass("customer", cycle)
	assert.Equal(t, before+1, lists())
	key := sb.UNAS.Dump()[0].Key
	sb.UNAS.SetStatus(key, "Törölve")
	time.Sleep(2100 * time.Millisecond) // past the overlap (and the second DateMod is rounded to)
	pass("order", cycle)
	r := scan(cycle)
	assert.Equal(t, before+1, lists(), "one multi-order read for the whole cycle")
	assert.Zero(t, r.Moved, "the change came after the cycle's read")
	assert.NotEqual(t, "2005", status(key))

	// Cycle 2 reads afresh (once) and finds the change.
	cycle = time.Now()
	got := pass("order", cycle)
	assert.Positive(t, got.Read)
	r = scan(cycle)
	assert.Equal(t, before+2, lists())
	assert.Equal(t, 1, r.Moved, "%+v", r)
	assert.Equal(t, "2005", status(key))
}

// unasMiniCRM starts UNAS (with orders of people 0…orders-1) and MiniCRM, and returns the
// activities of a one-way connection name between them whose objects and pipelines follow
// in rest (YAML).
func unasMiniCRM(t *testing.T, name string, orders int, rest string) (*Activities, *testsuite.TestActivityEnvironment, *sandbox.Sandbox) {
	t.Helper()
	sb := startUNASMiniCRM(t, orders)
	acts, _, ae := activitiesFor(t, fmt.Sprintf(`name: %s
a: {system: unas, settings: {base_url: %s/shop}, credentials: {api_key: UM_UNAS_KEY}}
b: {system: minicrm, settings: {base_url: %s, owner: "101", requests_per_second: "1000"}, credentials: {system_id: UM_MINICRM_ID, api_key: UM_MINICRM_KEY}}
direction: a_to_b
schedule: {overlap: 1s}
`, name, sb.UNASURL, sb.MiniCRMURL)+rest)
	return acts, ae, sb
}

// orderCard returns the MiniCRM Orders card of the UNAS order with this key.
func orderCard(t *testing.T, sb *sandbox.Sandbox, key string) map[string]any {
	t.Helper()
	for _, c := range sb.MiniCRM.Dump("Orders") {
		if ref := fmt.Sprint(c["Text1203"]); strings.HasPrefix(ref, key+"@") {
			return c
		}
	}
	t.Fatalf("no card for order %s", key)
	return nil
}

// startUNASMiniCRM starts UNAS (with orders of people 0…orders-1) and MiniCRM, and sets the
// credentials their connection files name (UM_UNAS_KEY, UM_MINICRM_ID, UM_MINICRM_KEY).
func startUNASMiniCRM(t *testing.T, orders int) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{MauticUsername: "u", MauticPassword: "p", SellsyClientID: "i", SellsyClientSecret: "s",
		UNASAddr: "127.0.0.1:0", UNASAPIKey: "uk", UNASOrders: orders,
		MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "7", MiniCRMAPIKey: "mk", MiniCRMRequestsPerMinute: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	t.Setenv("UM_UNAS_KEY", "uk")
	t.Setenv("UM_MINICRM_ID", "7")
	t.Setenv("UM_MINICRM_KEY", "mk")
	return sb
}

// A card is created at its order's status, not in the module's first (whose automations
// would run for every card, an import of old orders included), with the status name; the
// first scan leaves it there.
func TestACardIsCreatedAtItsOrdersStatus(t *testing.T) {
	acts, ae, sb := unasMiniCRM(t, "cs", 6, unasOrderObject+unasPipeline(true,
		`{“Beérkezett”: “New”, “Feldolgozás alatt”: “In progress”, “Szállítás alatt”: “Shipped”, “Teljesítve”: “Closed”, “Törölve”: “Cancelled”}`))
	_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "cs", Object: "order", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	mapped := map[string]string{"Beérkezett": "2001", "Feldolgozás alatt": "2002", "Szállítás alatt": "2003", "Teljesítve": "2004", "Törölve": "2005"}
	statuses := map[string]bool{}
	for _, o := range sb.UNAS.Dump() {
		statuses[string(o.Status)] = true
		assert.Equal(t, mapped[string(o.Status)], fmt.Sprint(orderCard(t, sb, o.Key)["StatusId"]), "order %s (%s)", o.Key, o.Status)
	}
	require.Greater(t, len(statuses), 1, "orders at several statuses")

	v, err := ae.ExecuteActivity(acts.PropagateStages, StageInput{Connection: "cs"})
	require.NoError(t, err)
	var r StageResult
	require.NoError(t, v.Get(&r))
	for _, o := range sb.UNAS.Dump() {
		c := orderCard(t, sb, o.Key)
		assert.Equal(t, mapped[string(o.Status)], fmt.Sprint(c["StatusId"]), "still at its status")
		assert.Equal(t, string(o.Status), fmt.Sprint(c["Text1202"]), "the UNAS Status field")
	}
}

// webshopObjects pairs UNAS customers with MiniCRM Businesses and Persons and orders with
// Orders cards, as the example does.
const webshopObjects = `objects:
  - name: business
    a_object: company
    b_object: business
    match: {a: email, b: Email}
    initial: {from_b: false}
    fields: [{a: company, b: Name}, {a: email, b: Email}, {a: tax_number, b: VatNumber}]
  - name: customer
    b_object: person
    match: {a: email, b: Email}
    links: [business]
    initial: {from_b: false}
    fields: [{a: name, b: LastName}, {a: email, b: Email}, {a: phone, b: Phone}]
  - name: order
    b_object: "card:Orders"
    match: {a: order_ref, b: Text1203}
    links: [customer, business]
    initial: {from_b: false}
    fields: [{a: order_ref, b: Text1203}, {a: key, b: Name}, {a: invoice_url, b: Url1201}]
`

// A status change of a customer's older order does not bring back their data of then: the
// customer rebuilt from that order alone is older than the one synced (Record.Version).
func TestAnOlderOrdersChangeKeepsTheCustomersNewerData(t *testing.T) {
	acts, ae, sb := unasMiniCRM(t, "rp", 0, webshopObjects)
	sb.UNAS.SeedOrders(7, 1, time.Now().Add(-48*time.Hour))
	sb.UNAS.SeedOrders(7, 1, time.Now().Add(-24*time.Hour))
	older, newer := sb.UNAS.Dump()[0].Key, sb.UNAS.Dump()[1].Key
	sb.UNAS.EditOrder(newer, func(o *unassim.Order) { o.Customer.Contact.Phone = "+36 30 111 2222" })
	time.Sleep(2100 * time.Millisecond)
	run := func(mode string) {
		for _, o := range []string{"business", "customer", "order"} {
			_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "rp", Object: o, Side: "a", Mode: mode})
			require.NoError(t, err)
		}
	}
	run(ModeImport)
	phone := func() any { return sb.MiniCRM.Dump("person")[0]["Phone"] }
	require.Equal(t, "+36 30 111 2222", phone())
	time.Sleep(2100 * time.Millisecond)
	sb.UNAS.SetStatus(older, "Teljesítve")
	time.Sleep(1100 * time.Millisecond)
	run(ModeIncremental)
	assert.Equal(t, "+36 30 111 2222", phone(), "the older order's phone is not written back")
}

// An order sits on its customer's Business only when it is a company's: a private order of
// someone who once ordered for their company does not.
func TestAPrivateOrderGetsNoBusiness(t *testing.T) {
	acts, ae, sb := unasMiniCRM(t, "rb", 0, webshopObjects)
	sb.UNAS.SeedOrders(0, 1, time.Now().Add(-2*time.Hour)) // person 0: a company's order
	run := func(mode string) {
		for _, o := range []string{"business", "customer", "order"} {
			_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: "rb", Object: o, Side: "a", Mode: mode})
			require.NoError(t, err)
		}
	}
	run(ModeImport)
	require.Equal(t, 1, sb.MiniCRM.Count("business"))
	companyOrder := sb.UNAS.Dump()[0]
	assert.NotNil(t, orderCard(t, sb, companyOrder.Key)["BusinessId"], "the company's order is on its Business")
	time.Sleep(1100 * time.Millisecond)
	sb.UNAS.SeedOrders(0, 1, time.Now().Add(-time.Minute)) // the same person orders again...
	private := sb.UNAS.Dump()[1]
	sb.UNAS.EditOrder(private.Key, func(o *unassim.Order) { // ...privately
		o.Customer.Addresses.Invoice.CustomerType = "private"
		o.Customer.Addresses.Invoice.TaxNumber = ""
		o.Customer.Addresses.Invoice.Name = o.Customer.Contact.Name
	})
	time.Sleep(1100 * time.Millisecond)
	run(ModeIncremental)
	assert.Nil(t, orderCard(t, sb, private.Key)["BusinessId"], "the private order is on no Business")
	assert.NotNil(t, orderCard(t, sb, companyOrder.Key)["BusinessId"], "the company's order stays on it")
}
