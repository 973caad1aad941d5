package unas

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/crmsync/crmsync/connectors"
)

// wire types of getOrder; encoding/xml reads CDATA sections as plain text.

type xAddress struct {
	Name         string `xml:"Name"`
	ZIP          string `xml:"ZIP"`
	City         string `xml:"City"`
	Street       string `xml:"Street"`
	Country      string `xml:"Country"`
	CountryCode  string `xml:"CountryCode"`
	TaxNumber    string `xml:"TaxNumber"`
	EUTaxNumber  string `xml:"EUTaxNumber"`
	CustomerType string `xml:"CustomerType"`
}

type xOrder struct {
	Key      string `xml:"Key"`
	ID       string `xml:"Id"`
	Date     string `xml:"Date"`
	DateMod  string `xml:"DateMod"`
	Customer struct {
		ID      string `xml:"Id"`
		Email   string `xml:"Email"`
		Contact struct {
			Name   string `xml:"Name"`
			Phone  string `xml:"Phone"`
			Mobile string `xml:"Mobile"`
		} `xml:"Contact"`
		Invoice  xAddress `xml:"Addresses>Invoice"`
		Shipping xAddress `xml:"Addresses>Shipping"`
	} `xml:"Customer"`
	Currency string `xml:"Currency"`
	Status   string `xml:"Status"`
	StatusID string `xml:"StatusID"`
	Payment  struct {
		Name   string `xml:"Name"`
		Type   string `xml:"Type"`
		Status string `xml:"Status"`
	} `xml:"Payment"`
	Invoice struct {
		Status string `xml:"Status"`
		Number string `xml:"Number"`
		URL    string `xml:"Url"`
	} `xml:"Invoice"`
	SumPriceGross string `xml:"SumPriceGross"`
	// Bad, when set, says why the order cannot be read (decodeOrders): it holds only its Key,
	// Date and DateMod, read from its text.
	Bad   *xBad `xml:"-"`
	Items []struct {
		ID         string `xml:"Id"`
		Sku        string `xml:"Sku"`
		Name       string `xml:"Name"`
		Quantity   string `xml:"Quantity"`
		Unit       string `xml:"Unit"`
		PriceGross string `xml:"PriceGross"`
	} `xml:"Items>Item"`
}

type xOrders struct {
	XMLName xml.Name `xml:"Orders"`
	Orders  []xOrder `xml:"Order"`
}

// Field names of "order".
var orderFields = []connectors.Field{
	{Name: "key", Label: "Order key", Type: "string", ReadOnly: true},
	// pipeline is always OrderPipeline: the shop's order statuses are the one pipeline its
	// orders move along (PipelineSync's stage is "status").
	{Name: "pipeline", Label: "Pipeline (always \"orders\")", Type: "string", ReadOnly: true},
	{Name: "status", Label: "Status (name)", Type: "string", ReadOnly: true},
	// order_ref identifies the order for good (its key and placement time): UNAS reuses the
	// keys of deleted orders, so a card matched on the key alone could be the old order's.
	{Name: "order_ref", Label: "Order reference (key@placed)", Type: "string", ReadOnly: true},
	// status_name repeats status, so that one connection can map the status name twice (to a
	// status field through a status map, and as text).
	{Name: "status_name", Label: "Status name (text)", Type: "string", ReadOnly: true},
	{Name: "status_id", Label: "Status id", Type: "string", ReadOnly: true},
	// UNAS writes its date-times without a zone, in shop time (time_zone): they are given in
	// RFC 3339 with the shop's offset, so that whoever reads them knows the instant (read
	// without a zone, they would be taken for UTC, an hour or two off).
	{Name: "date", Label: "Placed (RFC 3339, shop time with its UTC offset)", Type: "datetime", ReadOnly: true},
	{Name: "date_mod", Label: "Modified (RFC 3339, shop time with its UTC offset)", Type: "datetime", ReadOnly: true},
	{Name: "customer_email", Label: "Customer e-mail", Type: "email", ReadOnly: true},
	{Name: "customer_name", Label: "Customer name", Type: "string", ReadOnly: true},
	{Name: "company_name", Label: "Company (invoice name of a company's or an organisation's order)", Type: "string", ReadOnly: true},
	{Name: "is_company", Label: "Company order (a company or an organisation without a tax number)", Type: "bool", ReadOnly: true},
	{Name: "total", Label: "Total gross", Type: "number", ReadOnly: true},
	{Name: "currency", Label: "Currency", Type: "string", ReadOnly: true},
	{Name: "invoice_url", Label: "Invoice PDF URL", Type: "url", ReadOnly: true},
	{Name: "invoice_number", Label: "Invoice number", Type: "string", ReadOnly: true},
	{Name: "payment_name", Label: "Payment method", Type: "string", ReadOnly: true},
	{Name: "payment_status", Label: "Payment status", Type: "string", ReadOnly: true},
	{Name: "items", Label: "Items (\"2 × Name (SKU) @ price\")", Type: "multiselect", ReadOnly: true},
	// The items as one text, for a text field of the other side (a MiniCRM card's): a list
	// is written to no text field, and an item's name may hold a comma.
	{Name: "items_text", Label: "Items, as one text (\"2 × Name (SKU) @ price; …\")", Type: "string", ReadOnly: true},
}

// Field names of "customer".
var customerFields = []connectors.Field{
	{Name: "email", Label: "E-mail", Type: "email", ReadOnly: true},
	{Name: "name", Label: "Name", Type: "string", ReadOnly: true},
	{Name: "company", Label: "Company (invoice name of a company's or an organisation's order)", Type: "string", ReadOnly: true},
	{Name: "is_company", Label: "Company customer (a company or an organisation without a tax number)", Type: "bool", ReadOnly: true},
	{Name: "tax_number", Label: "Tax number", Type: "string", ReadOnly: true},
	{Name: "phone", Label: "Phone", Type: "string", ReadOnly: true},
	{Name: "mobile", Label: "Mobile", Type: "string", ReadOnly: true},
	{Name: "invoice_address", Label: "Invoice address", Type: "string", ReadOnly: true},
	{Name: "shipping_address", Label: "Shipping address", Type: "string", ReadOnly: true},
	{Name: "last_order", Label: "Record id of the newest order", Type: "string", ReadOnly: true},
}

// Describe lists the fields of "order" or "customer".
func (c *Client) Describe(ctx context.Context, object string) ([]connectors.Field, error) {
	switch object {
	case ObjectOrder:
		fields := append([]connectors.Field(nil), orderFields...)
		// The status lists the shop's statuses, so that a status map can be checked.
		statuses, err := c.Statuses(ctx)
		if err != nil {
			return nil, err
		}
		for i := range fields {
			if fields[i].Name == "status" {
				for _, st := range statuses {
					fields[i].Options = append(fields[i].Options, connectors.Option{Value: st.Name, Label: st.Name})
				}
			}
		}
		return fields, nil
	case ObjectCustomer, ObjectCompany:
		return append([]connectors.Field(nil), customerFields...), nil
	}
	return nil, objectErr("describe", object)
}

// OrderID is the record id of an order: its key and its placement time, since UNAS reuses
// the keys of deleted orders.
func OrderID(key string, placed time.Time) string {
	return key + "@" + placed.Format("20060102150405")
}

// SplitOrderID returns the key and placement time (shop time, as digits) of an order id.
func SplitOrderID(id string) (key, placed string, ok bool) {
	i := strings.LastIndexByte(id, '@')
	if i <= 0 || len(id)-i-1 != 14 {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

func nilIfEmpty(s string) any {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return s
}

// num reads an amount: as UNAS writes it ("12700.5"), or written the Hungarian way, a
// decimal comma and the thousands grouped by spaces or dots ("12 700,50", "1.234.567,89").
// A text that is none of these is nil (the caller logs it).
func num(s string) any {
	s = strings.TrimSpace(s)
	if f, err := connectors.ParseNumber(s); err == nil {
		return f
	}
	if !amount.MatchString(s) {
		return nil
	}
	f, err := connectors.ParseNumber(ungroup.Replace(s))
	if err != nil {
		return nil
	}
	return f
}

// amount is a number written with a decimal comma, or with its thousands grouped by one
// kind of separator: a space, a no-break space, a narrow no-break space, or dots (several,
// or before a decimal comma: one dot alone, "1.234", is read by ParseNumber as a decimal
// point, as UNAS writes it).
var amount = regexp.MustCompile(`^-?(?:\d+|\d{1,3}(?:[ \x{00a0}\x{202f}]\d{3})+|\d{1,3}(?:\.\d{3})+)(?:,\d+)?$`)

// ungroup writes an amount that matches amount the way ParseNumber reads it: without its
// thousands separators, and with a decimal point for its decimal comma (amount allows one).
var ungroup = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", ".", "", ",", ".")

func address(a xAddress) any {
	var parts []string
	for _, p := range []string{a.Street, strings.TrimSpace(a.ZIP + " " + a.City), a.Country} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return nilIfEmpty(strings.Join(parts, ", "))
}

// placed reads when an order was placed (zero, with the error, when its Date cannot be read).
func (c *Client) placed(o xOrder) (time.Time, error) {
	return time.ParseInLocation(dateLayout, strings.TrimSpace(o.Date), c.loc)
}

// placedVersion orders orders by when they were placed, then by id, as text (Record.Version):
// an unreadable date is the earliest.
func (c *Client) placedVersion(o xOrder) string {
	placed, _ := c.placed(o)
	return placed.UTC().Format("2006-01-02T15:04:05Z") + "#" + fmt.Sprintf("%020s", strings.TrimSpace(o.ID))
}

// modified reads when an order last changed: its DateMod, else its Date, else zero.
func (c *Client) modified(o xOrder) time.Time {
	if mod, err := time.ParseInLocation(dateLayout, strings.TrimSpace(o.DateMod), c.loc); err == nil {
		return mod
	}
	placed, _ := c.placed(o)
	return placed
}

// orderRecord maps an order. One whose Date cannot be read is still returned, with what can
// be read: its id is its bare key and it has no order_ref or date, so that a connection
// matching orders on order_ref quarantines it ("has no order_ref") rather than lose it; a
// record carries no error of its own, so the date is also logged with the key.
func (c *Client) orderRecord(o xOrder) connectors.Record {
	key := strings.TrimSpace(o.Key)
	placed, err := c.placed(o)
	if err != nil {
		c.log.Warn("unas: an order's placement date cannot be read: it has no order_ref, and a connection matching orders on it quarantines it",
			"order_key", key, "date", o.Date)
	}
	mod := c.modified(o)
	status := nilIfEmpty(statusName(o.Status))
	email := customerEmail(o)
	inv := o.Customer.Invoice
	isCompany := organisation(inv)
	var company any
	if isCompany {
		company = nilIfEmpty(inv.Name)
	}
	items := itemLines(o)
	total := num(o.SumPriceGross)
	if total == nil && strings.TrimSpace(o.SumPriceGross) != "" {
		c.log.Warn("unas: an order's total cannot be read as a number: its total is left empty",
			"order_key", key, "sum_price_gross", o.SumPriceGross)
	}
	r := connectors.Record{
		ID:        rawOrderID(o, c.loc),
		UpdatedAt: mod.UTC(),
		Fields: map[string]any{
			"key":            key,
			"pipeline":       OrderPipeline,
			"order_ref":      OrderID(key, placed),
			"status":         status,
			"status_name":    status,
			"status_id":      nilIfEmpty(o.StatusID),
			"date":           placed.In(c.loc).Format(time.RFC3339),
			"date_mod":       mod.In(c.loc).Format(time.RFC3339),
			"customer_email": nilIfEmpty(email),
			"customer_name":  nilIfEmpty(o.Customer.Contact.Name),
			"company_name":   company,
			"is_company":     isCompany,
			"total":          total,
			"currency":       nilIfEmpty(o.Currency),
			"invoice_url":    nilIfEmpty(o.Invoice.URL),
			"invoice_number": nilIfEmpty(o.Invoice.Number),
			"payment_name":   nilIfEmpty(o.Payment.Name),
			"payment_status": nilIfEmpty(o.Payment.Status),
			"items":          items,
			"items_text":     strings.Join(items, "; "),
		},
	}
	if len(items) == 0 {
		r.Fields["items"], r.Fields["items_text"] = nil, nil
	}
	if err != nil {
		r.Fields["order_ref"], r.Fields["date"] = nil, nil
		if mod.IsZero() {
			r.Fields["date_mod"] = nil
		}
	}
	if email != "" {
		r.Links = customerLinks(email, companyOf(inv)) // a company's order: on its Business too
	}
	return r
}

// organisation reports whether an invoice address is an organisation's: of UNAS's three
// customer types, a company and an organisation without a tax number (a condominium, an
// association: other_customer_without_tax_number), not a private person. Either is a
// company's order, with a Business; the tax number is empty for the second.
func organisation(inv xAddress) bool {
	switch strings.TrimSpace(inv.CustomerType) {
	case "company", "other_customer_without_tax_number":
		return true
	}
	return false
}

// itemLines renders an order's items as "2 × Name (SKU) @ price".
func itemLines(o xOrder) []string {
	var items []string
	for _, it := range o.Items {
		s := fmt.Sprintf("%s × %s", strings.TrimSpace(it.Quantity), strings.TrimSpace(it.Name))
		if sku := strings.TrimSpace(it.Sku); sku != "" {
			s += " (" + sku + ")"
		}
		if p := strings.TrimSpace(it.PriceGross); p != "" {
			s += " @ " + p
		}
		items = append(items, s)
	}
	return items
}

// customerRecord maps the webshop data of an order's customer (its e-mail is not empty);
// updated is the latest change of any of the customer's orders.
func (c *Client) customerRecord(o xOrder, updated time.Time) connectors.Record {
	email := customerEmail(o)
	inv := o.Customer.Invoice
	isCompany := organisation(inv)
	var company, tax any
	if isCompany {
		company, tax = nilIfEmpty(inv.Name), nilIfEmpty(inv.TaxNumber)
	}
	return connectors.Record{
		ID:        email,
		UpdatedAt: updated,
		// Built from the order placed last among those read: a later read holding only an
		// older order (its status changed) is older content, and the sync leaves it out.
		Version: c.placedVersion(o),
		// A customer is the person that connections pair with MiniCRM contacts: it links to
		// itself under "customer", the key orders link to it with, and to its company.
		Links: customerLinks(email, companyOf(inv)),
		Fields: map[string]any{
			"email":            email,
			"name":             nilIfEmpty(o.Customer.Contact.Name),
			"company":          company,
			"is_company":       isCompany,
			"tax_number":       tax,
			"phone":            nilIfEmpty(o.Customer.Contact.Phone),
			"mobile":           nilIfEmpty(o.Customer.Contact.Mobile),
			"invoice_address":  address(inv),
			"shipping_address": address(o.Customer.Shipping),
			"last_order":       rawOrderID(o, c.loc),
		},
	}
}

// getOrders runs one getOrder call with the given parameters (already XML-escaped values).
func (c *Client) getOrders(ctx context.Context, params [][2]string) ([]xOrder, error) {
	var b strings.Builder
	b.WriteString("<Params>")
	for _, p := range params {
		fmt.Fprintf(&b, "<%s>%s</%s>", p[0], escape(p[1]), p[0])
	}
	b.WriteString("</Params>")
	var orders []xOrder
	err := c.callWith(ctx, "getOrder", b.String(), asked(params), func(raw []byte) (err error) {
		orders, err = decodeOrders(raw)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, o := range orders {
		if o.Bad != nil {
			c.log.Warn("unas: an order of an answer cannot be read: the others are read, and a listing has it quarantined",
				"order_key", strings.TrimSpace(o.Key), "reason", o.Bad.Reason)
		}
	}
	return orders, nil
}

// asked describes getOrder's parameters for an error message: the window (unix seconds, and
// UTC) and offset of a listing, an order's key; never an e-mail address.
func asked(params [][2]string) string {
	var parts []string
	for _, p := range params {
		v := p[1]
		switch p[0] {
		case "Email":
			v = "(an address)"
		case "TimeStart", "TimeEnd", "TimeModStart", "TimeModEnd":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				v += " = " + time.Unix(n, 0).UTC().Format(time.RFC3339)
			}
		}
		parts = append(parts, p[0]+" "+v)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// A listing's cursor: the window (from .. to, unix seconds; from -1: from the first order),
// the offset of the next order in it, keep (the listing's own Since: a listing that adopted an
// earlier read's wider window leaves out the orders modified before it), the last orders read
// (anchors: record id and DateMod; a cursor's plain record ids, from before, are found
// nowhere, and the page before is read whole), and placed, the TimeStart its pages ask for
// (-1: none).
type cursor struct {
	start, from, to, keep int64
	anchors               []string
	placed                int64
}

func (k cursor) String() string {
	return fmt.Sprintf("%d:%d:%d:%d:%s:%d", k.start, k.from, k.to, k.keep, connectors.EncodeAnchors(k.anchors), k.placed)
}

// parseCursor reads a cursor; the shorter forms of earlier versions ("start:from:to",
// "start:from:to:anchors", "start:from:to:keep:anchors") keep what their window says, and
// their pages ask for no TimeStart, as their first ones did (their offsets count the orders
// placed before the start date).
func parseCursor(s string) (cursor, bool) {
	p := strings.Split(s, ":")
	if len(p) < 3 || len(p) > 6 {
		return cursor{}, false
	}
	k := cursor{placed: -1}
	var err [5]error
	k.start, err[0] = strconv.ParseInt(p[0], 10, 64)
	k.from, err[1] = strconv.ParseInt(p[1], 10, 64)
	k.to, err[2] = strconv.ParseInt(p[2], 10, 64)
	k.keep = k.from
	anchors := ""
	switch len(p) {
	case 4:
		anchors = p[3]
	case 5, 6:
		k.keep, err[3] = strconv.ParseInt(p[3], 10, 64)
		anchors = p[4]
	}
	if len(p) == 6 {
		k.placed, err[4] = strconv.ParseInt(p[5], 10, 64)
	}
	var aerr error
	k.anchors, aerr = connectors.DecodeAnchors(anchors)
	if errors.Join(append(err[:], aerr)...) != nil || k.start < 0 || k.placed < -1 {
		return cursor{}, false
	}
	return k, true
}

// Paging within a window: an order modified while a listing runs leaves the window (its
// DateMod passes the window's end) and every order after it moves one place towards the
// start, so a page read at the plain offset would skip one. Each page after the first asks
// for pageOverlap orders before the offset and resumes after the last order already read
// (the cursor's anchors); a shift larger than that reads a whole page earlier. Orders read
// twice are harmless (the merge finds them unchanged); skipped ones would be lost.
const (
	pageOverlap = 50
	anchorCount = 3
)

// List returns one page of 500 orders (or of the customers of 500 orders) modified since
// q.Since, oldest modification first. q.Limit is ignored: every page spends one multi-order
// getOrder call, so it asks for the most.
func (c *Client) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	if object != ObjectOrder && !customerKind(object) {
		return connectors.Page{}, objectErr("list", object)
	}
	k := cursor{from: -1, placed: c.placedFrom()}
	began := c.now()
	if q.Cursor != "" {
		var ok bool
		if k, ok = parseCursor(q.Cursor); !ok {
			return connectors.Page{}, cfgErr("list", "unas: unreadable cursor")
		}
	} else {
		if !q.Since.IsZero() {
			k.from = q.Since.Unix()
		}
		if from, ok := c.startFrom(q.Since); ok {
			k.from = from
		}
		k.to, k.keep = began.Unix(), k.from
	}
	// A listing begun afresh reads its first page from UNAS, unless it adopts the window of a
	// read begun since q.NotBefore; its later pages (and an adopter's) may come from the cache.
	live := q.Cursor == ""
	if live && !q.NotBefore.IsZero() {
		if from, to, ok := c.window.adopt(k.from, q.NotBefore); ok {
			k.from, k.to, live = from, to, false // page through that read's window, from its pages
		}
	}
	orders, next, more, err := c.windowPage(ctx, k, began, live)
	if err != nil {
		return connectors.Page{}, err
	}
	if k.keep > k.from {
		orders = modifiedSince(orders, k.keep, c.loc)
	}
	kept := c.sinceStart(orders)
	page := c.page(object, kept)
	if object == ObjectOrder {
		page.Filtered = len(orders) - len(kept)
	}
	// The listing holds the changes up to its window's end: the next one reads from there.
	page.AsOf = time.Unix(k.to, 0).UTC()
	if page.More = more; more {
		page.Cursor = next.String()
	}
	return page, nil
}

// windowPage reads the page of the window at k (from UNAS when live, else from the cache if
// it holds it): the orders not read yet, the cursor of the next page, and whether there is
// one.
func (c *Client) windowPage(ctx context.Context, k cursor, began time.Time, live bool) (fresh []xOrder, next cursor, more bool, err error) {
	// The kept pages are those of listings asking for this client's TimeStart: a listing
	// begun before the start date was sent (its cursor asks for none) neither reads them nor
	// keeps its own, whose offsets count other orders.
	cached := k.placed == c.placedFrom()
	read := func(offset int64, live bool) ([]xOrder, error) {
		if orders, ok := c.window.page(k.from, k.to, offset); ok && !live && cached {
			return orders, nil
		}
		params := [][2]string{{"LimitNum", strconv.Itoa(PageSize)}, {"LimitStart", strconv.FormatInt(offset, 10)}}
		if k.placed >= 0 {
			params = append(params, [2]string{"TimeStart", strconv.FormatInt(k.placed, 10)})
		}
		if k.from >= 0 {
			// A second earlier: "modified after" may leave out the second itself, the one in
			// which the last listing's window ended (as placedFrom's TimeStart).
			params = append(params, [2]string{"TimeModStart", strconv.FormatInt(max(0, k.from-1), 10)})
		}
		params = append(params, [2]string{"TimeModEnd", strconv.FormatInt(k.to, 10)})
		orders, err := c.getOrders(ctx, params)
		if err == nil && cached {
			c.window.keep(k.from, k.to, offset, began, orders)
		}
		return orders, err
	}
	offset := k.start
	if len(k.anchors) > 0 {
		offset = max(0, k.start-pageOverlap)
	}
	orders, err := read(offset, live)
	if err != nil {
		return nil, k, false, err
	}
	// An anchor is an order as it was read, its id and DateMod: one modified since, which
	// moved to the window's end when its DateMod is still within it, is not where the last
	// page ended.
	id := func(o xOrder) string { return rawOrderID(o, c.loc) + "@" + strings.TrimSpace(o.DateMod) }
	fresh = orders
	if len(k.anchors) > 0 {
		i, found := resumeAfter(orders, k.anchors, k.start-offset, id)
		if !found && offset > 0 {
			// Shifted further than the overlap, or the anchors left the window: a page
			// earlier, as it is now (a kept page shows the window before the shift).
			offset = max(0, k.start-PageSize)
			if orders, err = read(offset, true); err != nil {
				return nil, k, false, err
			}
			i, _ = resumeAfter(orders, k.anchors, k.start-offset, id)
		}
		fresh = orders[i:]
	}
	next = cursor{start: offset + int64(len(orders)), from: k.from, to: k.to, keep: k.keep,
		anchors: connectors.LastIDs(orders, anchorCount, id), placed: k.placed}
	return fresh, next, len(orders) >= PageSize, nil
}

// resumeAfter returns the index in orders just after the anchors, and whether they are there:
// after the first run of anchors among the first `before` orders (those before the cursor's
// offset, where the anchors stood, or nearer the start when orders left the window). An
// anchor modified within the window after it was read (in the second the listing began, or
// with the worker's clock ahead of UNAS's) has moved to the window's end: resumed after, as
// the last anchor found, the orders between would never be listed (its DateMod, part of the
// anchor, tells it apart too).
func resumeAfter(orders []xOrder, anchors []string, before int64, id func(xOrder) string) (int, bool) {
	for i := range orders[:min(int64(len(orders)), max(0, before))] {
		if !slices.Contains(anchors, id(orders[i])) {
			continue
		}
		j := i + 1
		for j < len(orders) && slices.Contains(anchors, id(orders[j])) {
			j++
		}
		return j, true
	}
	return 0, false
}

// startFrom is where a listing asked from since begins when the connection has a start date:
// at the start date's midnight in shop time, when since is before it or no later than the
// same date's midnight UTC (what callers that know only the date ask from, an hour or two
// after the shop's midnight in Budapest: the changes of those hours would be lost).
func (c *Client) startFrom(since time.Time) (int64, bool) {
	if c.start.IsZero() {
		return 0, false
	}
	y, m, d := c.start.Date()
	utc := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if since.IsZero() || !since.After(utc) || since.Before(c.start) {
		return c.start.Unix(), true
	}
	return 0, false
}

// placedFrom is the TimeStart of the multi-order getOrder calls (unix seconds; -1: none): the
// start date's midnight in shop time, so that UNAS leaves out the orders placed before it
// rather than spend the hourly budget on them. A second earlier, since the documentation says
// "placed after" without saying whether an order placed at midnight itself is: one placed in
// that second is left out by sinceStart.
func (c *Client) placedFrom() int64 {
	if c.start.IsZero() {
		return -1
	}
	return c.start.Unix() - 1
}

// sinceStart leaves out the orders placed before the start date (in shop time): the start
// date is when the connection's orders begin, and an old order modified since is not one of
// them. getOrder's TimeStart leaves them out of the multi-order calls already; this keeps
// them out of the calls by Key, and of the pages of a listing begun before TimeStart was
// sent. An order whose date cannot be read is kept (orderRecord says so).
func (c *Client) sinceStart(orders []xOrder) []xOrder {
	if c.start.IsZero() {
		return orders
	}
	out := orders[:0:0]
	for _, o := range orders {
		placed, err := time.ParseInLocation(dateLayout, strings.TrimSpace(o.Date), c.loc)
		if err == nil && placed.Before(c.start) {
			continue
		}
		out = append(out, o)
	}
	return out
}

// rawOrderID is an order's record id, or its bare key when its date cannot be read.
func rawOrderID(o xOrder, loc *time.Location) string {
	key := strings.TrimSpace(o.Key)
	placed, err := time.ParseInLocation(dateLayout, strings.TrimSpace(o.Date), loc)
	if err != nil {
		return key
	}
	return OrderID(key, placed)
}

// page holds the orders, or their customers. An order without a customer e-mail is named in
// Unreadable instead (see withoutEmail); its customer is no record.
func (c *Client) page(object string, orders []xOrder) connectors.Page {
	var page connectors.Page
	if customerKind(object) {
		page.Records = c.customersOf(object, orders)
		if object == ObjectCustomer {
			page.Unreadable = c.unreadableCustomers(orders, page.Records)
		}
		return page
	}
	for _, o := range orders {
		if o.Bad != nil {
			page.Unreadable = append(page.Unreadable, connectors.Unreadable{ID: rawOrderID(o, c.loc), Reason: c.badReason(o)})
			continue
		}
		if reason, ok := c.withoutEmail(o); ok {
			page.Unreadable = append(page.Unreadable, connectors.Unreadable{ID: rawOrderID(o, c.loc), Reason: reason})
			continue
		}
		page.Records = append(page.Records, c.orderRecord(o))
	}
	return page
}

// badReason is why an order of an answer cannot be read (decodeOrders), naming it: where its
// XML is malformed, never its text.
func (c *Client) badReason(o xOrder) string {
	name := "order " + strings.TrimSpace(o.Key)
	if placed, err := c.placed(o); err == nil {
		name += " placed " + placed.Format(time.DateTime)
	}
	return name + ": " + o.Bad.Reason + ": correct it in UNAS (or ask UNAS support), and the order comes with that change"
}

// unreadableCustomers names, by their e-mail, the customers of the orders that cannot be read
// (their e-mail found in the order's text) that no other order of the page gives a record:
// the sync quarantines them. A customer read from another order is delivered: the order that
// cannot be read is quarantined by the order listing, and logged.
func (c *Client) unreadableCustomers(orders []xOrder, recs []connectors.Record) []connectors.Unreadable {
	read := map[string]bool{}
	for _, r := range recs {
		read[r.ID] = true
	}
	var out []connectors.Unreadable
	for _, o := range orders {
		if o.Bad == nil || o.Bad.Email == "" || read[o.Bad.Email] {
			continue
		}
		read[o.Bad.Email] = true
		out = append(out, connectors.Unreadable{ID: o.Bad.Email, Reason: "its " + c.badReason(o) + " (and the customer with it)"})
	}
	return out
}

// withoutEmail reports an order that has no customer e-mail, with the reason a listing gives
// for it, and logs it with its key. The customer is matched on e-mail: such an order would
// be a card without a contact, so a listing names it in Page.Unreadable, which the sync
// quarantines by the order's record id with the reason, rather than deliver it; once the
// e-mail is added in UNAS, the order's change brings it to the next listing. Read by id (Get)
// it is an invalid-record error with the same reason; found by key (FindByKey) it comes as it
// is, logged.
func (c *Client) withoutEmail(o xOrder) (string, bool) {
	if customerEmail(o) != "" {
		return "", false
	}
	key := strings.TrimSpace(o.Key)
	c.log.Warn("unas: an order has no customer e-mail, and customers are matched on e-mail: a listing has it quarantined",
		"order_key", key, "date", o.Date)
	name := "order " + key
	if placed, err := c.placed(o); err == nil {
		name += " placed " + placed.Format(time.DateTime)
	}
	return name + " has no customer e-mail, and customers are matched on e-mail (its card would have no contact): " +
		"add the e-mail to the order in UNAS, and the order comes with that change", true
}

// modifiedSince keeps the orders modified at or after since (unix seconds); an order whose
// DateMod cannot be read is kept.
func modifiedSince(orders []xOrder, since int64, loc *time.Location) []xOrder {
	var out []xOrder
	for _, o := range orders {
		if mod, err := time.ParseInLocation(dateLayout, strings.TrimSpace(o.DateMod), loc); err == nil && mod.Unix() < since {
			continue
		}
		out = append(out, o)
	}
	return out
}

// customerLinks links a customer to itself under customer, and under company to the company
// it orders for (its Person's Business), when company is not "".
func customerLinks(email, company string) map[string]string {
	links := map[string]string{ObjectCustomer: email}
	if company != "" {
		links[ObjectCompany] = company
	}
	return links
}

// companyOf is the record id of the company an invoice address orders for: its tax number
// without spaces and punctuation, in upper case ("12345678-2-42" and "12345678 2 42" are one
// company), or, for a company or an organisation without one, "name:" and its invoice name in
// lower case, its spaces made single. "" for a private customer, or a company that has
// neither. Its people are the buyers: a company ordering through two of them is one company.
func companyOf(inv xAddress) string {
	if !organisation(inv) {
		return ""
	}
	tax := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToUpper(r)
		}
		return -1
	}, norm.NFC.String(inv.TaxNumber))
	if tax != "" {
		return tax
	}
	if name := strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(inv.Name))), " "); name != "" {
		return "name:" + name
	}
	return ""
}

// customersOf is customers, or for ObjectCompany the companies they order for.
func (c *Client) customersOf(object string, orders []xOrder) []connectors.Record {
	if object == ObjectCompany {
		return c.companies(orders)
	}
	return c.customers(orders)
}

// companies derives one record per company (companyOf) from its order placed last among those
// read, as customers does per e-mail; its id is the company's, its e-mail and name those of
// that order's buyer. The client remembers the buyers' e-mails of each company, for Get.
func (c *Client) companies(orders []xOrder) []connectors.Record {
	buyers := map[string][]string{}
	out := c.derive(orders, func(o xOrder) string {
		email, id := customerEmail(o), companyOf(o.Customer.Invoice)
		if email == "" || id == "" {
			return ""
		}
		buyers[id] = append(buyers[id], email)
		return id
	})
	c.buyers.remember(buyers)
	return out
}

// customers derives one record per e-mail from the order placed last among those read (ties:
// the higher id), not the one modified last: a status change of an older order must not
// bring back the name, phone and address of then. Its UpdatedAt is the latest change of any.
func (c *Client) customers(orders []xOrder) []connectors.Record {
	return c.derive(orders, customerEmail)
}

// derive makes one customer record per key of the orders (key: "" leaves an order out), from
// the order of that key placed last, its UpdatedAt the latest change of any, its id the key;
// sorted by UpdatedAt, then id.
func (c *Client) derive(orders []xOrder, key func(xOrder) string) []connectors.Record {
	newest := map[string]xOrder{}
	changed := map[string]time.Time{}
	for _, o := range orders {
		k := ""
		if o.Bad == nil { // an order that cannot be read gives no customer
			k = key(o)
		}
		if k == "" {
			continue
		}
		if mod := c.modified(o).UTC(); mod.After(changed[k]) {
			changed[k] = mod
		}
		if prev, seen := newest[k]; !seen || c.placedAfter(o, prev) {
			newest[k] = o
		}
	}
	out := make([]connectors.Record, 0, len(newest))
	for k, o := range newest {
		r := c.customerRecord(o, changed[k])
		r.ID = k
		out = append(out, r)
	}
	sortRecords(out)
	return out
}

// sortRecords orders derived records by UpdatedAt, then id.
func sortRecords(out []connectors.Record) {
	sort.Slice(out, func(i, j int) bool {
		if !out[i].UpdatedAt.Equal(out[j].UpdatedAt) {
			return out[i].UpdatedAt.Before(out[j].UpdatedAt)
		}
		return out[i].ID < out[j].ID
	})
}

func customerEmail(o xOrder) string { return strings.ToLower(strings.TrimSpace(o.Customer.Email)) }

// placedAfter reports whether order a was placed after b: by Date (an unreadable one is the
// earliest), then by the higher id, then by the higher key.
func (c *Client) placedAfter(a, b xOrder) bool {
	pa, _ := c.placed(a)
	pb, _ := c.placed(b)
	if !pa.Equal(pb) {
		return pa.After(pb)
	}
	if ia, ib := strings.TrimSpace(a.ID), strings.TrimSpace(b.ID); ia != ib {
		return higher(ia, ib)
	}
	return higher(strings.TrimSpace(a.Key), strings.TrimSpace(b.Key))
}

// higher compares two ids as numbers when both are, else as text.
func higher(a, b string) bool {
	na, ea := strconv.ParseInt(a, 10, 64)
	nb, eb := strconv.ParseInt(b, 10, 64)
	if ea == nil && eb == nil {
		return na > nb
	}
	return a > b
}

// Get returns orders by record id (one getOrder by Key each, from the single-order budget;
// an id whose key now holds another order is left out) or customers by e-mail.
//
// An order without a customer e-mail is refused as a listing refuses it, not delivered: Get
// has no Page.Unreadable, so it is a KindInvalid error whose message is the listing's reason
// (naming the order's key). Delivered, a quarantine retry or a push would make it a card
// without a contact and clear its quarantine; left out, it would look deleted. The ids after
// it are not read (their records would go unused, and the single-order budget is scarce).
func (c *Client) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	switch object {
	case ObjectOrder:
		var out []connectors.Record
		for _, id := range ids {
			key, _, ok := SplitOrderID(id)
			if !ok {
				key = id // a bare key: whatever order holds it now
			}
			orders, err := c.ordersByKey(ctx, key)
			if err != nil {
				return nil, err
			}
			for _, o := range orders {
				if rawOrderID(o, c.loc) != id && ok {
					continue
				}
				if o.Bad != nil {
					return nil, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "POST getOrder", Message: c.badReason(o)}
				}
				if reason, none := c.withoutEmail(o); none {
					return nil, &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "POST getOrder",
						Message: reason, Fields: map[string]string{"customer_email": "empty"}}
				}
				out = append(out, c.orderRecord(o))
			}
		}
		return out, nil
	case ObjectCustomer:
		return c.customersByEmail(ctx, ids)
	case ObjectCompany:
		return c.companiesByID(ctx, ids)
	}
	return nil, objectErr("get", object)
}

// customersByEmail reads customers by record id (their e-mail) as FindByKey does. A customer
// none of whose orders can be read, though some were found, is refused as a listing names it
// (KindInvalid): left out, it would look deleted.
func (c *Client) customersByEmail(ctx context.Context, ids []string) ([]connectors.Record, error) {
	var out []connectors.Record
	err := c.eachEmailsOrders(ctx, ids, func(orders []xOrder) error {
		recs := c.customers(orders)
		if len(recs) == 0 {
			for _, o := range orders {
				if o.Bad != nil {
					return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "POST getOrder",
						Message: "the customer's " + c.badReason(o)}
				}
			}
		}
		out = append(out, recs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachEmailsOrders reads the orders of each e-mail of emails, once each whatever its case or
// surrounding space (ordersOf), and hands them to each.
func (c *Client) eachEmailsOrders(ctx context.Context, emails []string, each func(orders []xOrder) error) error {
	seen := map[string]bool{}
	for _, v := range emails {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		orders, err := c.ordersOf(ctx, v)
		if err != nil {
			return err
		}
		if err := each(orders); err != nil {
			return err
		}
	}
	return nil
}

// companiesByID reads companies by record id: UNAS cannot look orders up by tax number or
// invoice name, so a company is read from the orders of the buyers this client has seen
// order for it (ordersOf: a multi-order getOrder per e-mail and 500 orders), as a listing would
// make it. A company none of whose buyers the client has seen since it started is not found;
// nor is an e-mail, a company's id before companies were keyed on their tax number: such a
// pair is stale, and the company's record takes its place when it is next listed.
func (c *Client) companiesByID(ctx context.Context, ids []string) ([]connectors.Record, error) {
	wanted := map[string]bool{}
	var emails []string // of every company asked for, each read once: a buyer may order for several
	for _, id := range ids {
		wanted[id] = true
		for _, email := range c.buyers.of(id) {
			if !slices.Contains(emails, email) {
				emails = append(emails, email)
			}
		}
	}
	var orders []xOrder
	for _, email := range emails {
		os, err := c.ordersOf(ctx, email)
		if err != nil {
			return nil, err
		}
		orders = append(orders, os...)
	}
	var out []connectors.Record
	for _, r := range c.companies(orders) {
		if wanted[r.ID] {
			out = append(out, r)
		}
	}
	return out, nil
}

// maxEmailPages bounds the pages of 500 orders one customer's e-mail lookup reads (ordersOf):
// each is a multi-order getOrder call, of 30 an hour on PREMIUM.
const maxEmailPages = 10

// emailPages is the most pages ordersOf reads for one customer: maxEmailPages, and never more
// than half the hour's multi-order calls (Config.OrderListsPerHour may lower them), so that a
// customer can always be read within an hour's budget (a lookup refused by the budget half
// way is read again from its first page after the wait) and leaves some for the listings.
func (c *Client) emailPages() int {
	limit, _ := c.limit(ClassOrderList)
	return max(1, min(maxEmailPages, limit/2))
}

// ordersOf reads the orders of a customer e-mail placed since the start date. getOrder answers
// at most 500 orders a call, also when no LimitNum is given, so they are read by pages of 500
// (LimitNum, LimitStart), each a multi-order getOrder from the hourly budget, until a page
// shorter than 500. UNAS answers them by DateMod: an order modified while they are read moves
// to the end, and the orders after it one place towards the start, so each page after the
// first asks for pageOverlap orders before its offset (those read twice are kept once, as
// read last). A customer with more orders than emailPages pages hold is a KindInvalid error
// naming the customer by its UNAS customer id (never its e-mail), not a part of its orders:
// a customer built from them could be built from an old order, and FindByKey would miss some.
func (c *Client) ordersOf(ctx context.Context, email string) ([]xOrder, error) {
	filter := [][2]string{{"Email", email}}
	if from := c.placedFrom(); from >= 0 {
		filter = append(filter, [2]string{"TimeStart", strconv.FormatInt(from, 10)})
	}
	pages := c.emailPages()
	var all []xOrder
	at := map[string]int{} // record id → index in all
	offset := 0
	for page := 1; ; page++ {
		params := append([][2]string{{"LimitNum", strconv.Itoa(PageSize)}, {"LimitStart", strconv.Itoa(offset)}}, filter...)
		orders, err := c.getOrders(ctx, params)
		if err != nil {
			return nil, err
		}
		for _, o := range orders {
			id := rawOrderID(o, c.loc)
			if i, seen := at[id]; seen {
				all[i] = o
				continue
			}
			at[id] = len(all)
			all = append(all, o)
		}
		if len(orders) < PageSize {
			break
		}
		if page >= pages {
			return nil, c.tooManyOrders(all, pages)
		}
		offset += PageSize - pageOverlap
	}
	return c.sinceStart(all), nil
}

// tooManyOrders is the error of a customer whose orders fill the most pages ordersOf reads.
func (c *Client) tooManyOrders(orders []xOrder, pages int) error {
	who := "a customer"
	for _, o := range orders {
		if id := strings.TrimSpace(o.Customer.ID); id != "" && id != "0" {
			who = "the customer with UNAS customer id " + id
			break
		}
	}
	if who == "a customer" && len(orders) > 0 {
		who = "the customer of order " + strings.TrimSpace(orders[len(orders)-1].Key)
	}
	limit, pkg := c.limit(ClassOrderList)
	return &connectors.Error{Kind: connectors.KindInvalid, System: System, Op: "POST getOrder",
		Message: fmt.Sprintf("unas: %s has more than the %d orders crmsync reads for one customer (%d multi-order getOrder calls of 500, of the %d an hour on %s): "+
			"built from part of them, the customer could be built from an old order and its orders found in part; set a later start_date so that fewer of its orders are read",
			who, len(orders), pages, limit, pkg)}
}

// buyerBook remembers the buyers' e-mails of each company a client has read.
type buyerBook struct {
	mu     sync.Mutex
	emails map[string][]string // company id → e-mails, sorted
}

func (b *buyerBook) remember(buyers map[string][]string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.emails == nil {
		b.emails = map[string][]string{}
	}
	for id, emails := range buyers {
		all := append(slices.Clone(b.emails[id]), emails...)
		slices.Sort(all)
		b.emails[id] = slices.Compact(all)
	}
}

func (b *buyerBook) of(id string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.emails[id])
}

// ordersByKey reads the order under key (a getOrder by Key), unless placed before the start
// date.
func (c *Client) ordersByKey(ctx context.Context, key string) ([]xOrder, error) {
	orders, err := c.getOrders(ctx, [][2]string{{"Key", key}})
	if err != nil {
		return nil, err
	}
	var out []xOrder
	for _, o := range c.sinceStart(orders) {
		if strings.TrimSpace(o.Key) == key {
			out = append(out, o)
		}
	}
	return out, nil
}

// orderRecordsByKey is ordersByKey's orders as records, for FindByKey. An order without a
// customer e-mail comes as it is, logged: a lookup matches the other side's records to
// orders, and leaving it out would make its card look unmatched.
func (c *Client) orderRecordsByKey(ctx context.Context, key string) ([]connectors.Record, error) {
	orders, err := c.ordersByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Record, 0, len(orders))
	for _, o := range orders {
		if o.Bad != nil {
			continue // logged: a lookup has nothing to match it on
		}
		c.withoutEmail(o)
		out = append(out, c.orderRecord(o))
	}
	return out, nil
}

// FindByKey finds orders by "key" (single-order calls) or "customer_email", and customers by
// "email"; e-mail lookups are multi-order getOrder calls (Email filter), one per value and page
// of 500 orders (ordersOf), and spend the scarce multi-order budget.
func (c *Client) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	switch {
	case object == ObjectOrder && field == "key":
		var out []connectors.Record
		for _, v := range values {
			rs, err := c.orderRecordsByKey(ctx, strings.TrimSpace(v))
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
		return out, nil
	case object == ObjectOrder && field == "order_ref":
		var out []connectors.Record
		for _, v := range values {
			key, _, ok := SplitOrderID(strings.TrimSpace(v))
			if !ok {
				continue
			}
			rs, err := c.orderRecordsByKey(ctx, key)
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				if r.ID == strings.TrimSpace(v) { // a reused key is another order
					out = append(out, r)
				}
			}
		}
		return out, nil
	case (object == ObjectOrder && field == "customer_email") || (customerKind(object) && field == "email"):
		var out []connectors.Record
		err := c.eachEmailsOrders(ctx, values, func(orders []xOrder) error {
			if customerKind(object) {
				out = append(out, c.customersOf(object, orders)...)
				return nil
			}
			for _, o := range orders {
				if o.Bad == nil { // logged: a lookup has nothing to match it on
					out = append(out, c.orderRecord(o))
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, cfgErr("find", fmt.Sprintf("unas: %s cannot be looked up by %q", object, field))
}

// Gone implements connectors.GoneConfirmer. A company is read from the buyers this client has
// seen order for it since it started (companiesByID): one that Get left out may well exist,
// so only ids that cannot be a company's are confirmed gone — an e-mail, a company's id
// before companies were keyed on their tax number. Orders and customers are read at their
// own key: what Get left out of them is gone.
func (c *Client) Gone(_ context.Context, object string, ids []string) ([]string, error) {
	if object != ObjectCompany {
		return ids, nil
	}
	var gone []string
	for _, id := range ids {
		if strings.Contains(id, "@") {
			gone = append(gone, id)
		}
	}
	return gone, nil
}
