package unas

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/unas/sim"
)

// A company that orders through two people is one company record, one Business in MiniCRM:
// the company object is keyed on the tax number, normalised (the two buyers may write it
// differently), its record built from the company's order placed last; the orders and the
// customers of both buyers link to it under "company". Read by its id (Get) it is found again
// from the e-mails of its buyers the client has seen; an e-mail (the id a company record had
// before) is no company's id.
func TestOneCompanyTwoBuyersIsOneCompany(t *testing.T) {
	e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
	e.s.SeedOrders(1, 2, t0.Add(-48*time.Hour)) // two people, one order each
	for i, o := range e.s.Dump() {
		e.s.EditOrder(o.Key, func(o *sim.Order) {
			o.Customer.Addresses.Invoice.Name = "ACME Kft."
			o.Customer.Addresses.Invoice.TaxNumber = []sim.Text{"12345678-2-42", " 12345678 2 42"}[i]
			o.Customer.Addresses.Invoice.CustomerType = "company"
		})
	}
	ctx := context.Background()
	newest := e.s.Dump()[1]
	page, err := e.c.List(ctx, ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 1, "one company (one tax number) is one record")
	company := page.Records[0]
	assert.Equal(t, "12345678242", company.ID)
	assert.Equal(t, "ACME Kft.", company.Fields["company"])
	assert.Equal(t, string(newest.Customer.Email), company.Fields["email"], "the data of the order placed last")

	orders, err := e.c.List(ctx, ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	customers, err := e.c.List(ctx, ObjectCustomer, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, orders.Records, 2)
	require.Len(t, customers.Records, 2, "two people, two Persons")
	for _, r := range orders.Records {
		assert.Equal(t, map[string]string{ObjectCustomer: r.Fields["customer_email"].(string), ObjectCompany: company.ID}, r.Links, r.ID)
	}
	for _, r := range customers.Records {
		assert.Equal(t, map[string]string{ObjectCustomer: r.ID, ObjectCompany: company.ID}, r.Links, r.ID)
	}

	got, err := e.c.Get(ctx, ObjectCompany, []string{company.ID, string(newest.Customer.Email)})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, company.ID, got[0].ID)
	assert.Equal(t, company.Fields, got[0].Fields)
}

// A company or an organisation without a tax number is keyed on its invoice name, lower-cased
// and its spaces made single; a private customer is no company and links to none.
func TestCompanyWithoutTaxNumberIsKeyedOnItsName(t *testing.T) {
	e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
	e.s.SeedOrders(1, 3, t0.Add(-48*time.Hour))
	for i, o := range e.s.Dump() {
		e.s.EditOrder(o.Key, func(o *sim.Order) {
			inv := &o.Customer.Addresses.Invoice
			inv.TaxNumber = ""
			inv.Name = []sim.Text{"Petőfi utca 3. Társasház", " PETŐFI utca  3. társasház", "Kiss Anna"}[i]
			inv.CustomerType = []sim.Text{"other_customer_without_tax_number", "company", "private"}[i]
		})
	}
	ctx := context.Background()
	page, err := e.c.List(ctx, ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	assert.Equal(t, "name:petőfi utca 3. társasház", page.Records[0].ID)
	orders, err := e.c.List(ctx, ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, orders.Records, 3)
	for i, r := range orders.Records {
		want := map[bool]string{true: page.Records[0].ID, false: ""}[i < 2]
		assert.Equal(t, want, r.Links[ObjectCompany], r.ID)
	}
}

// A worker that restarted has seen no buyer yet: its Get of a company finds nothing, but the
// company is not taken as deleted (a quarantine retry keeps its entry); an e-mail, the id a
// company had before companies were keyed on their tax number, is gone.
func TestCompanyNotSeenSinceARestartIsNotGone(t *testing.T) {
	e := start(t, sim.Options{Limits: map[string]int{sim.LimitGetOrder: 100}})
	e.s.SeedOrders(1, 1, t0.Add(-48*time.Hour))
	for _, o := range e.s.Dump() {
		e.s.EditOrder(o.Key, func(o *sim.Order) {
			o.Customer.Addresses.Invoice.Name = "ACME Kft."
			o.Customer.Addresses.Invoice.TaxNumber = "12345678-2-42"
			o.Customer.Addresses.Invoice.CustomerType = "company"
		})
	}
	ctx := context.Background()
	page, err := e.c.List(ctx, ObjectCompany, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	id := page.Records[0].ID
	got, err := e.c.Get(ctx, ObjectCompany, []string{id})
	require.NoError(t, err)
	require.Len(t, got, 1, "read again by the client that listed it")

	restarted, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now})
	require.NoError(t, err)
	got, err = restarted.Get(ctx, ObjectCompany, []string{id})
	require.NoError(t, err)
	require.Empty(t, got, "a restarted client has seen no buyer of it")
	gone, err := restarted.Gone(ctx, ObjectCompany, []string{id, "buyer@example.com"})
	require.NoError(t, err)
	assert.Equal(t, []string{"buyer@example.com"}, gone)
	gone, err = restarted.Gone(ctx, ObjectOrder, []string{"K1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"K1"}, gone, "an order Get left out is gone")
}
