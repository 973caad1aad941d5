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

// UNAS writes some texts bare and unescaped: a tag-like part of one ("Kovács <Kft> Anna") was
// read by the non-strict decoder as an element, closed at </Name>, and the name came as
// "Kovács" without an error. Such a text is read whole; one whose tag-like part cannot be
// told from the order's own XML makes that order alone unreadable (named in Page.Unreadable,
// an invalid record read by id), never truncated.
func TestBareTextWithTagLikeParts(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		text string
		bad  bool // the order is unreadable
	}{
		{name: "an unclosed tag inside", text: "Kovács <Kft> Anna"},
		{name: "an unclosed tag first", text: "<Kft> Anna"},
		{name: "an unclosed tag last", text: "Kovács Anna <Kft>"},
		{name: "a stray end tag", text: "Kovács </Kft> Anna"},
		{name: "a closed pair", text: "A <b>bold</b> B"},
		{name: "nested pairs and an unclosed tag", text: "<p>A <b><i>x</i></b><br> B</p>"},
		{name: "a pair around it", text: "<b>Kovács Anna</b>"},
		{name: "an empty tag", text: "A <br/> B"},
		{name: "two unclosed tags", text: "<A> <B> C"},
		{name: "with a stray <", text: "A < B <Kft> C"},
		{name: "with a raw &", text: "Kovács & <Kft> Anna"},
		{name: "no tag", text: "Kovács Anna"},
		{name: "named as an element of the order", text: "Kovács <Name> Anna", bad: true},
		{name: "a pair named as an element of the order", text: "A <Email>x</Email> B", bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, sim.Options{BareTexts: true, Limits: map[string]int{sim.LimitGetOrder: 100}})
			e.s.SeedOrders(0, 3, t0.Add(-time.Hour))
			o := e.s.Dump()[1]
			e.s.EditOrder(o.Key, func(o *sim.Order) { o.Customer.Contact.Name = sim.Text(tc.text) })
			id := OrderID(o.Key, o.Created.In(e.s.Location()))

			page, err := e.c.List(ctx, ObjectOrder, connectors.ListQuery{})
			require.NoError(t, err)
			got, err := e.c.Get(ctx, ObjectOrder, []string{id})
			if tc.bad {
				require.Len(t, page.Records, 2, "the others are read")
				require.Len(t, page.Unreadable, 1)
				assert.Equal(t, id, page.Unreadable[0].ID)
				assert.Contains(t, page.Unreadable[0].Reason, "Customer/Contact/Name")
				assert.Contains(t, page.Unreadable[0].Reason, "tag-like part")
				assert.NotContains(t, page.Unreadable[0].Reason, "Kovács")
				assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err), "%v", err)
				return
			}
			require.Len(t, page.Records, 3)
			assert.Empty(t, page.Unreadable)
			r := page.Records[2]
			require.Equal(t, id, r.ID)
			assert.Equal(t, tc.text, r.Fields["customer_name"], "read in full")
			assert.Equal(t, o.Customer.Email, sim.Text(r.Fields["customer_email"].(string)))
			assert.NotNil(t, r.Fields["total"], "read past the text")
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tc.text, got[0].Fields["customer_name"])

			custs, err := e.c.List(ctx, ObjectCustomer, connectors.ListQuery{})
			require.NoError(t, err)
			found := false
			for _, c := range custs.Records {
				if c.ID == string(o.Customer.Email) {
					found = true
					assert.Equal(t, tc.text, c.Fields["name"])
				}
			}
			assert.True(t, found, "the customer is listed")
		})
	}
}

// tagLike on raw blocks: the offsets of the "<" of the tag-like parts, and refusal where one
// could be the order's own XML.
func TestTagLike(t *testing.T) {
	cases := []struct {
		name string
		xml  string
		want []string // the tags read as text
		ok   bool
	}{
		{name: "clean", xml: "<Order><Key>1</Key><Name><![CDATA[A <b> B]]></Name></Order>", ok: true},
		{name: "an item's plus statuses", ok: true,
			xml: "<Order><Status>Beérkezett</Status><Items><Item><Name>x</Name><PlusStatuses><Status><Id>1</Id><Name>Packed</Name><Value>yes</Value></Status></PlusStatuses></Item></Items></Order>"},
		{name: "unclosed", xml: "<Order><Name>A <Kft> B</Name></Order>", want: []string{"<Kft>"}, ok: true},
		{name: "stray end", xml: "<Order><Name>A </b> B</Name></Order>", want: []string{"</b>"}, ok: true},
		{name: "mixed pair", xml: "<Order><Name>A <b>x</b> B</Name></Order>", want: []string{"<b>", "</b>"}, ok: true},
		{name: "mixed pair first", xml: "<Order><Name><b>x</b> B</Name></Order>", want: []string{"<b>", "</b>"}, ok: true},
		{name: "a pair holding a text read", xml: "<Order><Name><b>x</b></Name></Order>", want: []string{"<b>", "</b>"}, ok: true},
		{name: "a pair holding a text not read", xml: "<Order><Comment><b>x</b></Comment></Order>", ok: true},
		{name: "empty tag", xml: "<Order><Name>A <br/> B</Name></Order>", want: []string{"<br/>"}, ok: true},
		{name: "nested pairs", xml: "<Order><Name>A <b><i>x</i></b></Name></Order>", want: []string{"<b>", "<i>", "</i>", "</b>"}, ok: true},
		{name: "an unclosed tag holding a pair", xml: "<Order><Name>A <br> <b>x</b></Name></Order>", want: []string{"<br>", "<b>", "</b>"}, ok: true},
		{name: "a pair holding one named as the order's", xml: "<Order><Name>A <b><Key>x</Key></b></Name></Order>", ok: false},
		{name: "an unclosed element holding elements", xml: "<Order><Customer><Contact><Name>A</Name></Customer></Order>", ok: false},
		{name: "named as the order's", xml: "<Order><Name>A <Key> B</Name></Order>", ok: false},
		{name: "cut off", xml: "<Order><Name>A</Name>", ok: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at, _, ok := tagLike([]byte(tc.xml))
			require.Equal(t, tc.ok, ok)
			var tags []string
			for _, i := range at {
				j := i
				for tc.xml[j] != '>' {
					j++
				}
				tags = append(tags, tc.xml[i:j+1])
			}
			assert.Equal(t, tc.want, tags)
		})
	}
}
