package activities

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	"github.com/crmsync/crmsync/store"
)

// A card needs its contact: an order whose customer MiniCRM refused gets no card without a
// Person. It waits (counted as filtered, not quarantined: the customer is, with MiniCRM's
// reason) and goes, on its customer's Person, once the customer is corrected in UNAS and
// synced. An older order of a customer whose name was refused does not change when the newer
// one is corrected: it goes because the store noted that it waited for that customer. The
// customer's Webshop card waits for its Person the same way.
func TestAnOrderWaitsForItsRefusedCustomer(t *testing.T) {
	tests := []struct {
		name     string
		bad, fix func(o *unassim.Order)
		reason   string // in the customer's quarantine reason
		held     int    // orders held back at the import
		ready    int    // orders waiting for the customer, ready once it is paired
		webshop  int    // Webshop cards at the import
		stale    int    // quarantine entries left once corrected, until a retry finds them gone
	}{
		{name: "name too long",
			bad:    func(o *unassim.Order) { o.Customer.Contact.Name = unassim.Text(strings.Repeat("Á", 5000)) },
			fix:    func(o *unassim.Order) { o.Customer.Contact.Name = "Short Name" },
			reason: "LastName", held: 2, ready: 2, webshop: 0, stale: 0},
		// The customer is another one (customers are their e-mails): the older order, on the
		// old address, has its card at once; the newer one goes because it changed. The
		// customer "not an email" is no more, which the quarantine learns at a retry.
		{name: "not an e-mail",
			bad:    func(o *unassim.Order) { o.Customer.Email = "not an email" },
			fix:    func(o *unassim.Order) { o.Customer.Email = "fixed@example.com" },
			reason: "Email", held: 1, ready: 0, webshop: 1, stale: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			conn := fmt.Sprintf("rc%d", i)
			acts, ae, sb := unasMiniCRM(t, conn, 0, webshopObjects+webshopCards)
			sb.UNAS.SeedOrders(7, 1, time.Now().Add(-48*time.Hour))
			sb.UNAS.SeedOrders(7, 1, time.Now().Add(-24*time.Hour))
			older, newer := sb.UNAS.Dump()[0].Key, sb.UNAS.Dump()[1].Key
			sb.UNAS.EditOrder(newer, tt.bad)
			time.Sleep(1100 * time.Millisecond) // past the edit's second
			run := func(mode string) Counts {
				var orders Counts
				for _, o := range []string{"business", "customer", "webshop", "order"} {
					v, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: conn, Object: o, Side: "a", Mode: mode})
					require.NoError(t, err)
					var r PassResult
					require.NoError(t, v.Get(&r))
					orders = r.Counts
				}
				return orders
			}

			c := run(ModeImport)
			assert.Equal(t, tt.held, c.Filtered, "held back for their customer: %+v", c)
			assert.Zero(t, c.Quarantined, "waiting, not quarantined: %+v", c)
			assert.Len(t, sb.MiniCRM.Dump("Orders"), 2-tt.held, "no card without a contact")
			assert.Len(t, sb.MiniCRM.Dump("Webshop"), tt.webshop)
			for _, module := range []string{"Orders", "Webshop"} {
				for _, card := range sb.MiniCRM.Dump(module) {
					assert.NotNil(t, card["ContactId"], "%s card %v", module, card["Name"])
				}
			}
			q, err := acts.Store.ListQuarantine(ctx, conn, 0)
			require.NoError(t, err)
			require.Len(t, q, 1, "the customer alone: %+v", q)
			assert.Equal(t, "customer", q[0].Object)
			assert.Contains(t, q[0].Reason, tt.reason)

			sb.UNAS.EditOrder(newer, tt.fix)
			time.Sleep(1100 * time.Millisecond)
			for _, o := range []string{"business", "customer", "webshop"} {
				_, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: conn, Object: o, Side: "a", Mode: ModeIncremental})
				require.NoError(t, err)
			}
			ready, err := acts.Store.ReadyWaits(ctx, conn, "order", store.SideA, 0)
			require.NoError(t, err)
			assert.Len(t, ready, tt.ready, "%v", ready)

			v, err := ae.ExecuteActivity(acts.SyncPass, PassInput{Connection: conn, Object: "order", Side: "a", Mode: ModeIncremental})
			require.NoError(t, err)
			var r PassResult
			require.NoError(t, v.Get(&r))
			// A refused name: the older order did not change, and goes as a waiting one.
			assert.Equal(t, tt.held, r.Counts.CreatedB, "%+v", r.Counts)
			q, err = acts.Store.ListQuarantine(ctx, conn, 0)
			require.NoError(t, err)
			assert.Len(t, q, tt.stale, "%+v", q)
			_, err = ae.ExecuteActivity(acts.RetryQuarantined, RetryInput{Connection: conn})
			require.NoError(t, err)
			q, err = acts.Store.ListQuarantine(ctx, conn, 0)
			require.NoError(t, err)
			assert.Empty(t, q, "the customer corrected, nothing is left to look at")
			person := map[string]string{}
			for _, p := range sb.MiniCRM.Dump("person") {
				person[strings.ToLower(fmt.Sprint(p["Email"]))] = fmt.Sprint(p["Id"])
			}
			webshop := sb.MiniCRM.Dump("Webshop")
			assert.Len(t, webshop, tt.webshop+1)
			for _, w := range webshop {
				assert.Equal(t, person[fmt.Sprint(w["Text1303"])], fmt.Sprint(w["ContactId"]), "the Webshop card of %v", w["Text1303"])
			}
			for _, o := range sb.UNAS.Dump() {
				if o.Key != older && o.Key != newer {
					continue
				}
				email := strings.ToLower(string(o.Customer.Email))
				require.Contains(t, person, email)
				assert.Equal(t, person[email], fmt.Sprint(orderCard(t, sb, o.Key)["ContactId"]), "order %s is on its customer's Person", o.Key)
			}
		})
	}
}

// webshopCards gives each customer a card in the Webshop module, as the example does.
const webshopCards = `  - name: webshop
    a_object: customer
    b_object: "card:Webshop"
    match: {a: email, b: Text1303}
    links: [customer]
    initial: {from_b: false}
    fields: [{a: name, b: Name}, {a: email, b: Text1303}]
`
