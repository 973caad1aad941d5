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

// A text holding "]]>" inside its CDATA ("Kovács ]]> Kft", which UNAS does not split) no
// longer makes the whole answer unreadable, a configuration error pausing the connection and
// losing the page's 500 orders: the order is read, its text whole.
func TestCDATAHoldingItsEnd(t *testing.T) {
	e := start(t, sim.Options{UnsplitCDATA: true})
	e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
	key := e.s.Dump()[1].Key
	e.s.EditOrder(key, func(o *sim.Order) { o.Customer.Contact.Name = "Kovács ]]> Kft" })

	page, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 3)
	assert.Empty(t, page.Unreadable)
	got := page.Records[2]
	assert.Equal(t, key, got.Fields["key"])
	assert.Equal(t, "Kovács ]]> Kft", got.Fields["customer_name"])
}

// A "<" that UNAS writes unescaped in a text outside CDATA: one that opens no tag ("A < B")
// is read as text; one that cannot be told from a tag ("A <B Kft") makes that order alone
// unreadable. A listing names it in Page.Unreadable by its record id (read from its text),
// with where its XML is malformed and never its text, and reads the others; read by id it is
// an invalid record (quarantined); a lookup leaves it out; the listing of customers names its
// customer, whom no other order gives.
func TestAnOrderThatCannotBeReadFailsAlone(t *testing.T) {
	e := start(t, sim.Options{BareTexts: true, Limits: map[string]int{sim.LimitGetOrder: 100}})
	e.s.SeedOrders(0, 4, t0.Add(-time.Hour))
	orders := e.s.Dump()
	fixable, bad := orders[1], orders[2]
	e.s.EditOrder(fixable.Key, func(o *sim.Order) { o.Customer.Contact.Name = "A < B Kft" })
	e.s.EditOrder(bad.Key, func(o *sim.Order) { o.Customer.Contact.Name = "Kovács <Kft" })
	var logs bytes.Buffer
	c, err := New(Config{BaseURL: e.ts.URL + "/shop", APIKey: "key-123", Now: e.clk.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	ctx := context.Background()
	id := OrderID(bad.Key, bad.Created.In(e.s.Location()))

	page, err := c.List(ctx, ObjectOrder, connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 3, "the others are read")
	names := map[string]any{}
	for _, r := range page.Records {
		assert.NotEqual(t, id, r.ID)
		names[r.Fields["key"].(string)] = r.Fields["customer_name"]
	}
	assert.Equal(t, "A < B Kft", names[fixable.Key])
	require.Len(t, page.Unreadable, 1)
	u := page.Unreadable[0]
	assert.Equal(t, id, u.ID)
	assert.Contains(t, u.Reason, "order "+bad.Key+" placed ")
	assert.Contains(t, u.Reason, "its XML is malformed in Customer/Contact/Name")
	assert.Contains(t, u.Reason, "correct it in UNAS")
	assert.NotContains(t, u.Reason, "Kovács")
	assert.Contains(t, logs.String(), "order_key="+bad.Key)

	customers, err := c.List(ctx, ObjectCustomer, connectors.ListQuery{})
	require.NoError(t, err)
	assert.Len(t, customers.Records, 3)
	require.Len(t, customers.Unreadable, 1)
	email := string(bad.Customer.Email)
	assert.Equal(t, email, customers.Unreadable[0].ID)
	assert.Contains(t, customers.Unreadable[0].Reason, "order "+bad.Key)

	got, err := c.Get(ctx, ObjectOrder, []string{id})
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err), "%v", err)
	assert.ErrorContains(t, err, u.Reason)
	assert.Empty(t, got)
	_, err = c.Get(ctx, ObjectCustomer, []string{email})
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err), "%v", err)
	assert.ErrorContains(t, err, "Customer/Contact/Name")

	found, err := c.FindByKey(ctx, ObjectOrder, "key", []string{bad.Key, fixable.Key})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, fixable.Key, found[0].Fields["key"])
}

// An answer declared in ISO-8859-2 (or Windows-1250), as a Hungarian shop may write it, is
// read with its accents: it was a configuration error for the whole page. An encoding that is
// not read still fails the answer, naming it.
func TestAnswersInLatin2(t *testing.T) {
	for _, enc := range []string{"ISO-8859-2", "Windows-1250"} {
		t.Run(enc, func(t *testing.T) {
			e := start(t, sim.Options{Encoding: enc})
			e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
			key := e.s.Dump()[0].Key
			e.s.EditOrder(key, func(o *sim.Order) { o.Customer.Contact.Name = "Kőrösi Űrsula" })
			page, err := e.c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err)
			require.Len(t, page.Records, 3)
			got := page.Records[2]
			assert.Equal(t, key, got.Fields["key"])
			assert.Equal(t, "Kőrösi Űrsula", got.Fields["customer_name"])
			assert.Contains(t, got.Fields["items"].([]string)[0], "Tölgy könyvespolc")
			statuses, err := e.c.Statuses(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "Beérkezett", statuses[0].Name)
		})
	}

	c := rawShop(t, `<?xml version="1.0" encoding="EBCDIC" ?><Orders><Order><Key>1</Key></Order></Orders>`, "")
	_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.ErrorContains(t, err, `"EBCDIC"`)
}

// An answer whose orders cannot all be cut apart (an order without a readable Key) still
// fails whole, as a configuration error naming the call: none is skipped unnamed.
func TestAnOrderWithoutAKeyFailsTheAnswer(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8" ?>`
	c := rawShop(t, head+`<Orders>`+rawOrder("1", "u", "Kovács", "")+`<Order><Customer><Contact><Name>A <B</Name></Contact></Customer></Order></Orders>`, "")
	_, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.ErrorContains(t, err, "without a readable Key")
}
