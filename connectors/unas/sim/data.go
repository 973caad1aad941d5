package sim

import (
	"encoding/xml"
	"fmt"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Text is a string written as CDATA, the way UNAS writes text values. Its characters go out
// as they are, as UNAS's do: one XML 1.0 does not allow (a U+000B pasted into a name, see
// Server.EditOrder) makes the answer ill-formed.
type Text string

// MarshalXML writes t as <Name><![CDATA[t]]></Name>.
func (t Text) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		S string `xml:",cdata"`
	}{string(t)}, start)
}

// OrderStatus is one of the shop's order statuses (getOrderStatus).
type OrderStatus struct {
	ID   int    `xml:"Id" json:"id"`
	Name Text   `xml:"Name" json:"name"`
	Type string `xml:"Type" json:"type"` // open_normal, open_prepare, close_ok, close_fault
	// Order is the status's place in the shop's list, as its admin arranges it (0: not
	// written); getOrderStatus answers the statuses as Options lists them, which need not be
	// that order (a status added later has a higher Id, wherever it is placed).
	Order int `xml:"Order,omitempty" json:"order,omitempty"`
	// InvoiceStatus is what reaching the status makes of the order's invoice: billed (it is
	// invoiced), billable, not_billable or default ("": billed when Type is close_ok).
	InvoiceStatus string `xml:"InvoiceStatus,omitempty" json:"invoice_status,omitempty"`
}

// DefaultStatuses are the statuses of a simulated shop unless Options.Statuses says otherwise:
// an order is invoiced when it ships, so the first two hold orders without an invoice yet.
var DefaultStatuses = []OrderStatus{
	{ID: 1, Name: "Beérkezett", Type: "open_normal", InvoiceStatus: "billable", Order: 1},
	{ID: 2, Name: "Feldolgozás alatt", Type: "open_normal", InvoiceStatus: "billable", Order: 2},
	{ID: 3, Name: "Szállítás alatt", Type: "open_normal", InvoiceStatus: "billed", Order: 3},
	{ID: 4, Name: "Teljesítve", Type: "close_ok", InvoiceStatus: "billed", Order: 4},
	{ID: 5, Name: "Törölve", Type: "close_fault", InvoiceStatus: "not_billable", Order: 5},
}

// billed reports whether an order reaching st is invoiced.
func (st OrderStatus) billed() bool {
	if st.InvoiceStatus == "" || st.InvoiceStatus == "default" {
		return st.Type == "close_ok"
	}
	return st.InvoiceStatus == "billed"
}

// Order is one stored order, in the shape getOrder answers (dates as time.Time here; they are
// written "YYYY.MM.DD HH:MM:SS" in shop time).
type Order struct {
	XMLName  xml.Name  `xml:"Order" json:"-"`
	Key      string    `xml:"Key" json:"key"`
	ID       int       `xml:"Id" json:"id"`
	Created  time.Time `xml:"-" json:"date"`
	Modified time.Time `xml:"-" json:"date_mod"`
	Date     string    `xml:"Date" json:"-"`
	DateMod  string    `xml:"DateMod" json:"-"`
	Lang     string    `xml:"Lang" json:"lang"`
	Customer Customer  `xml:"Customer" json:"customer"`
	Currency string    `xml:"Currency" json:"currency"`
	Type     Text      `xml:"Type" json:"type"`
	Status   Text      `xml:"Status" json:"status"`
	StatusID int       `xml:"StatusID" json:"status_id"`
	Payment  Payment   `xml:"Payment" json:"payment"`
	Invoice  Invoice   `xml:"Invoice" json:"invoice"`
	SumGross float64   `xml:"SumPriceGross" json:"sum_price_gross"`
	Items    []Item    `xml:"Items>Item" json:"items"`
}

// Customer is the customer block of an order.
type Customer struct {
	ID        int       `xml:"Id" json:"id"`
	Email     Text      `xml:"Email" json:"email"`
	Username  Text      `xml:"Username" json:"username"`
	Contact   Contact   `xml:"Contact" json:"contact"`
	Addresses Addresses `xml:"Addresses" json:"addresses"`
}

// Contact is Customer/Contact.
type Contact struct {
	Name   Text `xml:"Name" json:"name"`
	Phone  Text `xml:"Phone" json:"phone"`
	Mobile Text `xml:"Mobile" json:"mobile"`
}

// Addresses holds the invoice and shipping addresses.
type Addresses struct {
	Invoice  Address `xml:"Invoice" json:"invoice"`
	Shipping Address `xml:"Shipping" json:"shipping"`
}

// Address is an invoice or shipping address.
type Address struct {
	Name         Text `xml:"Name" json:"name"`
	ZIP          Text `xml:"ZIP" json:"zip"`
	City         Text `xml:"City" json:"city"`
	Street       Text `xml:"Street" json:"street"`
	Country      Text `xml:"Country" json:"country"`
	CountryCode  Text `xml:"CountryCode" json:"country_code"`
	TaxNumber    Text `xml:"TaxNumber,omitempty" json:"tax_number,omitempty"`
	CustomerType Text `xml:"CustomerType,omitempty" json:"customer_type,omitempty"` // private, company, other_customer_without_tax_number
}

// Payment is the payment block.
type Payment struct {
	ID     int    `xml:"Id" json:"id"`
	Name   Text   `xml:"Name" json:"name"`
	Type   string `xml:"Type" json:"type"`
	Status string `xml:"Status" json:"status"` // unpaid, paid, partly paid, overpaid
}

// Invoice is the invoice block; Url is the PDF. An order has no Number or Url until it is
// invoiced (Status 2).
type Invoice struct {
	Status     int  `xml:"Status" json:"status"`
	StatusText Text `xml:"StatusText" json:"status_text"`
	Number     Text `xml:"Number" json:"number"`
	URL        Text `xml:"Url" json:"url"`
}

// Item is one line of an order (pseudo-items such as shipping-cost included).
type Item struct {
	ID         string  `xml:"Id" json:"id"`
	Sku        Text    `xml:"Sku" json:"sku"`
	Name       Text    `xml:"Name" json:"name"`
	Unit       Text    `xml:"Unit" json:"unit"`
	Quantity   float64 `xml:"Quantity" json:"quantity"`
	PriceNet   float64 `xml:"PriceNet" json:"price_net"`
	PriceGross float64 `xml:"PriceGross" json:"price_gross"`
	Vat        string  `xml:"Vat" json:"vat"`
}

var products = []struct {
	sku, name string
	gross     float64
}{
	{"TB-001", "Tölgy könyvespolc", 45990}, {"KF-220", "Kávéfőző Deluxe", 28990}, {"LP-013", "Asztali lámpa", 8990},
	{"SZ-404", "Irodai szék", 59990}, {"PL-777", "Gyapjú pléd", 12490}, {"BG-050", "Bögre szett", 4990},
}

var hunCities = []struct{ zip, city string }{{"1052", "Budapest"}, {"4026", "Debrecen"}, {"6720", "Szeged"}, {"7621", "Pécs"}, {"9021", "Győr"}}

// newOrder builds the order of person i (a company's order when i%3 == 0).
func (s *Server) newOrder(key string, i int, created time.Time) *Order {
	s.seq++
	p := simkit.PersonAt(i)
	name := p.LastName + " " + p.FirstName
	c := hunCities[i%len(hunCities)]
	inv := Address{Name: Text(name), ZIP: Text(c.zip), City: Text(c.city), Street: Text(fmt.Sprintf("Fő utca %d.", i%120+1)),
		Country: "Magyarország", CountryCode: "hu", CustomerType: "private"}
	if i%3 == 0 {
		co := simkit.CompanyAt(p.Company)
		inv.Name = Text(co.Name + " Kft.")
		inv.TaxNumber = Text(fmt.Sprintf("%08d-2-%02d", 10000000+p.Company, 10+p.Company%30))
		inv.CustomerType = "company"
	}
	ship := inv
	ship.Name, ship.TaxNumber, ship.CustomerType = Text(name), "", ""
	st := s.opts.Statuses[(i+s.seq)%len(s.opts.Statuses)]
	o := &Order{
		Key: key, ID: 900000 + s.seq, Created: created, Modified: created, Lang: "hu", Currency: "HUF", Type: "Normál",
		Customer: Customer{ID: 10000 + i, Email: Text(p.Email), Username: Text(p.Email),
			Contact:   Contact{Name: Text(name), Phone: Text(p.Phone), Mobile: Text(p.Phone)},
			Addresses: Addresses{Invoice: inv, Shipping: ship}},
		Status: st.Name, StatusID: st.ID,
		Payment: Payment{ID: 1, Name: "Átutalás", Type: "transfer", Status: []string{"unpaid", "paid"}[i%2]},
		Invoice: Invoice{Status: 1, StatusText: "számlázható"},
	}
	s.invoice(o, st, created)
	for j := 0; j <= i%3; j++ {
		pr := products[(i+j)%len(products)]
		q := float64(1 + (i+j)%2)
		o.Items = append(o.Items, Item{ID: fmt.Sprint(1000 + (i+j)%len(products)), Sku: Text(pr.sku), Name: Text(pr.name), Unit: "db",
			Quantity: q, PriceGross: pr.gross, PriceNet: round2(pr.gross / 1.27), Vat: "27%"})
		o.SumGross += q * pr.gross
	}
	o.Items = append(o.Items, Item{ID: "shipping-cost", Sku: "shipping-cost", Name: "Szállítási költség", Unit: "db", Quantity: 1, PriceGross: 1490, PriceNet: round2(1490 / 1.27), Vat: "27%"})
	o.SumGross += 1490
	return o
}

// invoice invoices o when it reaches st, a status that bills it, at t; an invoice once issued
// stays (a cancellation brings a storno, not simulated).
func (s *Server) invoice(o *Order, st OrderStatus, t time.Time) {
	switch {
	case o.Invoice.Number != "":
	case st.billed():
		s.invoices++
		o.Invoice = Invoice{Status: 2, StatusText: "számlázva", Number: Text(fmt.Sprintf("SZ-%d-%06d", t.Year(), s.invoices)),
			URL: Text(fmt.Sprintf("https://shop.example.hu/shop_order_invoice.php?key=%s&n=%d", o.Key, s.invoices))}
	case st.InvoiceStatus == "not_billable":
		o.Invoice = Invoice{Status: 0, StatusText: "nem számlázható"}
	default:
		o.Invoice = Invoice{Status: 1, StatusText: "számlázható"}
	}
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
