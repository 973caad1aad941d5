package unas

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

const bigBuyer = "big@example.com"

// seedBuyer gives n orders, placed in key order, to one customer (UNAS customer id 777), each
// named after its place ("Buyer 1" … "Buyer n").
func seedBuyer(t *testing.T, e *env, n int) {
	t.Helper()
	e.s.SeedOrders(0, n, t0.Add(-time.Duration(n)*7*time.Minute-time.Hour))
	for i := 1; i <= n; i++ {
		e.s.EditOrder(fmt.Sprint(250000+i), func(o *sim.Order) {
			o.Customer.ID = 777
			o.Customer.Email = bigBuyer
			o.Customer.Contact.Name = sim.Text(fmt.Sprintf("Buyer %d", i))
		})
	}
}

// getOrder answers at most 500 orders a call, also by Email without LimitNum: a customer's
// orders are read by pages of 500 (LimitNum, LimitStart) until a short page, each page a
// multi-order call of the budget. Read from its first 500 orders alone, a customer with more
// was built from an old order, and FindByKey(customer_email) missed the others.
func TestCustomerOrdersAreReadByPages(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		orders int
		calls  int // multi-order getOrder calls of one lookup
	}{
		{name: "one page", orders: 3, calls: 1},
		{name: "a full page, then one of the overlap", orders: 500, calls: 2},
		{name: "one more than a page", orders: 501, calls: 2},
		{name: "two full pages, then a short one", orders: 950, calls: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{})
			seedBuyer(t, e, tc.orders)
			last := fmt.Sprintf("Buyer %d", tc.orders)

			recs, err := e.c.Get(ctx, ObjectCustomer, []string{bigBuyer})
			require.NoError(t, err)
			require.Len(t, recs, 1)
			assert.Equal(t, last, recs[0].Fields["name"], "built from the order placed last")
			assert.Equal(t, tc.calls, e.c.budget.(*Budget).Spent(ClassOrderList, e.clk.Now()), "each page spends a multi-order call")

			found, err := e.c.FindByKey(ctx, ObjectOrder, "customer_email", []string{bigBuyer})
			require.NoError(t, err)
			assert.Len(t, found, tc.orders, "every order once")
			seen := map[string]bool{}
			for _, r := range found {
				assert.False(t, seen[r.ID], "%s twice", r.ID)
				seen[r.ID] = true
			}

			custs, err := e.c.FindByKey(ctx, ObjectCustomer, "email", []string{bigBuyer})
			require.NoError(t, err)
			require.Len(t, custs, 1)
			assert.Equal(t, last, custs[0].Fields["name"])
			assert.Equal(t, 3*tc.calls, e.calls("getOrder"))
			assert.Zero(t, e.s.Bans())
		})
	}
}

// Orders modified while a customer's pages are read move to the end of UNAS's answer (it
// answers by DateMod), and the orders after them towards the start: the pages overlap, so
// none is skipped.
func TestCustomerOrdersModifiedWhileRead(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		modified int // orders of the first page modified once it is read
	}{
		{name: "none", modified: 0},
		{name: "one", modified: 1},
		{name: "twenty", modified: 20},
		{name: "fifty, the overlap", modified: 50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{})
			seedBuyer(t, e, 700)
			var once sync.Once
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(b))
				e.s.ServeHTTP(w, r)
				if strings.HasSuffix(r.URL.Path, "/getOrder") && strings.Contains(string(b), "<LimitStart>0</LimitStart>") {
					once.Do(func() {
						e.clk.Advance(time.Minute)
						for i := 1; i <= tc.modified; i++ {
							e.s.SetStatus(fmt.Sprint(250000+i*3), "Teljesítve")
						}
					})
				}
			}))
			t.Cleanup(ts.Close)
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now})
			require.NoError(t, err)
			found, err := c.FindByKey(ctx, ObjectOrder, "customer_email", []string{bigBuyer})
			require.NoError(t, err)
			ids := map[string]bool{}
			for _, r := range found {
				ids[r.ID] = true
			}
			assert.Len(t, ids, 700, "no order skipped")
			assert.Len(t, found, 700, "none twice")
			for _, r := range found {
				if r.Fields["key"] == "250003" && tc.modified > 0 {
					assert.Equal(t, "Teljesítve", r.Fields["status"], "as read last")
				}
			}
		})
	}
}

// A customer with more orders than the pages one lookup may spend is an error naming the
// customer by its UNAS customer id (never its e-mail), not a customer built from part of its
// orders; read by id, it is an invalid record (the sync quarantines it).
func TestCustomerWithTooManyOrders(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		lists  int // Config.OrderListsPerHour
		orders int
		pages  int // the pages read before giving up; 0: read whole
	}{
		// two pages hold 500 + 450 orders: a short second page ends the lookup
		{name: "within the pages", lists: 4, orders: 949, pages: 0},
		{name: "two full pages (4 calls an hour)", lists: 4, orders: 950, pages: 2},
		{name: "one full page (a call an hour)", lists: 1, orders: 500, pages: 1},
		{name: "three full pages (6 calls an hour)", lists: 6, orders: 1400, pages: 3},
	}
	reads := []struct {
		name string
		read func(c *Client) error
	}{
		{"customer by id", func(c *Client) error {
			_, err := c.Get(ctx, ObjectCustomer, []string{bigBuyer})
			return err
		}},
		{"orders by customer e-mail", func(c *Client) error {
			_, err := c.FindByKey(ctx, ObjectOrder, "customer_email", []string{bigBuyer})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
			seedBuyer(t, e, tc.orders)
			c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, OrderListsPerHour: tc.lists})
			require.NoError(t, err)
			for _, rd := range reads {
				before := e.calls("getOrder")
				err := rd.read(c)
				if tc.pages == 0 {
					require.NoError(t, err, rd.name)
					continue
				}
				require.Error(t, err, rd.name)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err), "%s: %v", rd.name, err)
				assert.Contains(t, err.Error(), "the customer with UNAS customer id 777 has more than the")
				assert.Contains(t, err.Error(), "start_date")
				assert.NotContains(t, err.Error(), bigBuyer)
				assert.Equal(t, tc.pages, e.calls("getOrder")-before, rd.name)
				e.clk.Advance(CountedFor) // the budget again
			}
			assert.Zero(t, e.s.Bans())
		})
	}
}

// The pages one customer's lookup may read: ten at most, and never more than half the hour's
// multi-order calls, so that a customer can be read within an hour's budget.
func TestEmailPages(t *testing.T) {
	cases := []struct {
		name  string
		pkg   string
		lists int // Config.OrderListsPerHour
		want  int
	}{
		{name: "PREMIUM (30 an hour)", pkg: "PREMIUM", want: maxEmailPages},
		{name: "VIP (90 an hour)", pkg: "VIP", want: maxEmailPages},
		{name: "lowered to 12 an hour", pkg: "PREMIUM", lists: 12, want: 6},
		{name: "lowered to 3 an hour", pkg: "VIP", lists: 3, want: 1},
		{name: "lowered to 1 an hour", pkg: "PREMIUM", lists: 1, want: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{Package: tc.pkg})
			c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now, OrderListsPerHour: tc.lists})
			require.NoError(t, err)
			_, err = c.Statuses(context.Background()) // the login names the package
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.emailPages())
		})
	}
}
