package unas

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

// A repeat buyer's customer record comes from the order they placed last, not the one
// modified last: a status change or an edit of an older order must not bring back the name
// and phone of then. Same placement time: the higher id. The record's UpdatedAt is the latest
// change of any of their orders.
func TestCustomerFromTheOrderPlacedLast(t *testing.T) {
	tests := []struct {
		name       string
		placed     [2]time.Duration // before t0: the older order, the newer
		edit       int              // which order the back office edits last (0: the older)
		wantFrom   int              // which order the customer comes from
		wantEdited bool
	}{
		{name: "the older order edited last", placed: [2]time.Duration{48 * time.Hour, 24 * time.Hour}, edit: 0, wantFrom: 1},
		{name: "the newer order edited last", placed: [2]time.Duration{48 * time.Hour, 24 * time.Hour}, edit: 1, wantFrom: 1, wantEdited: true},
		{name: "placed at once: the higher id", placed: [2]time.Duration{time.Hour, time.Hour}, edit: 0, wantFrom: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
			var keys [2]string
			for i, ago := range tt.placed {
				e.s.SeedOrders(7, 1, t0.Add(-ago)) // person 7 orders twice
				keys[i] = e.s.Dump()[i].Key
			}
			e.clk.Advance(time.Minute)
			e.s.EditOrder(keys[tt.edit], func(o *sim.Order) {
				o.Customer.Contact.Name, o.Customer.Contact.Phone = "Régi Név", "+36 1 000 0000"
			})
			var from sim.Order
			for _, o := range e.s.Dump() {
				if o.Key == keys[tt.wantFrom] {
					from = o
				}
			}
			wantName := string(from.Customer.Contact.Name)
			if tt.wantEdited {
				assert.Equal(t, "Régi Név", wantName)
			}
			wantID := OrderID(from.Key, from.Created.In(e.s.Location()))

			listed, err := e.c.List(context.Background(), ObjectCustomer, connectors.ListQuery{})
			require.NoError(t, err)
			found, err := e.c.FindByKey(context.Background(), ObjectCustomer, "email", []string{string(from.Customer.Email)})
			require.NoError(t, err)
			for how, recs := range map[string][]connectors.Record{"listed": listed.Records, "looked up": found} {
				require.Len(t, recs, 1, how)
				c := recs[0]
				assert.Equal(t, wantName, c.Fields["name"], how)
				assert.Equal(t, string(from.Customer.Contact.Phone), c.Fields["phone"], how)
				assert.Equal(t, wantID, c.Fields["last_order"], how)
				assert.True(t, c.UpdatedAt.Equal(e.clk.Now()), "%s: UpdatedAt %s is the edit's time", how, c.UpdatedAt)
			}
		})
	}
}

// An order whose placement date cannot be read is not dropped: it comes with what can be read,
// under its bare key and without order_ref (so a connection matching on it quarantines it),
// and the client logs its key.
func TestOrderWithAnUnreadableDate(t *testing.T) {
	e := start(t, sim.Options{})
	e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
	bad := e.s.Dump()[1]
	e.s.EditOrder(bad.Key, func(o *sim.Order) { o.Date = "2026.02.30 25:61:00" })
	var logs bytes.Buffer
	c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)

	page, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 3, "no order is dropped")
	byKey, err := c.FindByKey(context.Background(), ObjectOrder, "key", []string{bad.Key})
	require.NoError(t, err)
	require.Len(t, byKey, 1)
	for _, r := range []connectors.Record{page.Records[2], byKey[0]} {
		assert.Equal(t, bad.Key, r.ID)
		assert.Equal(t, bad.Key, r.Fields["key"])
		assert.Nil(t, r.Fields["order_ref"], "nothing to match it on")
		assert.Nil(t, r.Fields["date"])
		assert.Equal(t, string(bad.Status), r.Fields["status"])
		assert.Equal(t, string(bad.Customer.Email), r.Fields["customer_email"])
		assert.True(t, r.UpdatedAt.Equal(e.clk.Now()), "DateMod is read")
	}
	assert.Contains(t, logs.String(), "order_key="+bad.Key)
	assert.Contains(t, logs.String(), `date="2026.02.30 25:61:00"`)
}

// UNAS has three customer types: a private person, a company, and an organisation without a
// tax number (a condominium, an association). Both organisations' orders are a company's:
// the order and its customer carry the invoice name as the company, and the tax number when
// there is one.
func TestCustomerTypes(t *testing.T) {
	tests := []struct {
		customerType string
		taxNumber    string
		wantCompany  bool
		wantTax      any
	}{
		{customerType: "private", wantCompany: false},
		{customerType: "company", taxNumber: "12345678-2-42", wantCompany: true, wantTax: "12345678-2-42"},
		{customerType: "other_customer_without_tax_number", wantCompany: true},
		{customerType: " other_customer_without_tax_number ", wantCompany: true},
	}
	for _, tt := range tests {
		t.Run(tt.customerType, func(t *testing.T) {
			e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
			e.s.SeedOrders(1, 1, t0.Add(-time.Hour))
			key := e.s.Dump()[0].Key
			const org = "Petőfi utca 3. Társasház"
			e.s.EditOrder(key, func(o *sim.Order) {
				o.Customer.Addresses.Invoice.CustomerType = sim.Text(tt.customerType)
				o.Customer.Addresses.Invoice.Name = org
				o.Customer.Addresses.Invoice.TaxNumber = sim.Text(tt.taxNumber)
			})
			var wantName any
			if tt.wantCompany {
				wantName = org
			}
			orders, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, orders.Records, 1)
			assert.Equal(t, tt.wantCompany, orders.Records[0].Fields["is_company"], "order")
			assert.Equal(t, wantName, orders.Records[0].Fields["company_name"], "order")

			customers, err := e.c.List(context.Background(), ObjectCustomer, connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, customers.Records, 1)
			f := customers.Records[0].Fields
			assert.Equal(t, tt.wantCompany, f["is_company"], "customer")
			assert.Equal(t, wantName, f["company"], "customer")
			assert.Equal(t, tt.wantTax, f["tax_number"], "customer")
		})
	}
}

// The customer is matched on e-mail: an order without one would be a card without a contact.
// A listing leaves it out of its records and names it in Page.Unreadable, by its record id,
// with a reason that names the order and what to do (the sync quarantines it); its customer
// is no record. Read by id (Get: a quarantine retry, a push) it is refused the same way, as an
// invalid-record error with the listing's reason, neither delivered (a card without a contact,
// and its quarantine cleared) nor left out (it would look deleted). Found by key it comes as
// it is, for matching; the client logs it.
func TestOrderWithoutEmail(t *testing.T) {
	tests := []struct {
		name  string
		email string
	}{
		{name: "no e-mail", email: ""},
		{name: "only spaces", email: "  "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
			e.s.SeedOrders(1, 3, t0.Add(-time.Hour))
			bad := e.s.Dump()[1]
			e.s.EditOrder(bad.Key, func(o *sim.Order) { o.Customer.Email, o.Customer.Username = sim.Text(tt.email), "" })
			var logs bytes.Buffer
			c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			require.NoError(t, err)
			id := OrderID(bad.Key, bad.Created.In(e.s.Location()))

			orders, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err)
			assert.Len(t, orders.Records, 2, "the others are read")
			for _, r := range orders.Records {
				assert.NotEqual(t, id, r.ID, "an order without e-mail among the records")
			}
			require.Len(t, orders.Unreadable, 1)
			assert.Equal(t, id, orders.Unreadable[0].ID)
			assert.Contains(t, orders.Unreadable[0].Reason, "order "+bad.Key)
			assert.Contains(t, orders.Unreadable[0].Reason, "no customer e-mail")
			assert.Zero(t, orders.Filtered)

			customers, err := c.List(context.Background(), ObjectCustomer, connectors.ListQuery{})
			require.NoError(t, err)
			assert.Len(t, customers.Records, 2)
			assert.Empty(t, customers.Unreadable, "the order is named once, as an order")

			good := e.s.Dump()[0]
			for name, ids := range map[string][]string{
				"by record id":        {id},
				"by bare key":         {bad.Key},
				"after a good order":  {OrderID(good.Key, good.Created.In(e.s.Location())), id},
				"before a good order": {id, OrderID(good.Key, good.Created.In(e.s.Location()))},
			} {
				got, err := c.Get(context.Background(), ObjectOrder, ids)
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err), "%s: %v", name, err)
				assert.ErrorContains(t, err, orders.Unreadable[0].Reason, name)
				assert.Empty(t, got, name)
			}

			found, err := c.FindByKey(context.Background(), ObjectOrder, "key", []string{bad.Key})
			require.NoError(t, err)
			require.Len(t, found, 1, "found by key for matching")
			assert.Nil(t, found[0].Fields["customer_email"])
			assert.Empty(t, found[0].Links)
			assert.Contains(t, logs.String(), "order_key="+bad.Key)
		})
	}
}

// A status the shop owner typed with decomposed accents (macOS: "e" + U+0301) is read
// composed (NFC), in the order field's options and in the orders that hold it, so that it is
// the name of a status map, which config.ParseStatusMap composes too.
func TestStatusNamesAreComposed(t *testing.T) {
	decomposed := "Bee\u0301rkezett"
	e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100},
		Statuses: []sim.OrderStatus{{ID: 1, Name: sim.Text(decomposed), Type: "open_normal"}, {ID: 4, Name: "Teljesítve", Type: "close_ok"}}})
	e.s.SeedOrders(1, 1, t0.Add(-time.Hour))
	e.s.SetStatus(e.s.Dump()[0].Key, decomposed)
	ctx := context.Background()
	fields, err := e.c.Describe(ctx, ObjectOrder)
	require.NoError(t, err)
	var options []string
	for _, f := range fields {
		if f.Name == "status" {
			for _, o := range f.Options {
				options = append(options, o.Value)
			}
		}
	}
	assert.Equal(t, []string{"Beérkezett", "Teljesítve"}, options)
	page, err := e.c.List(ctx, ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	assert.Equal(t, "Beérkezett", page.Records[0].Fields["status"])
	assert.Equal(t, "Beérkezett", page.Records[0].Fields["status_name"])
}
