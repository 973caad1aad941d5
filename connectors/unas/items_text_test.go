package unas

import (
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An order's items come as a list (items) and as one text (items_text, the lines joined by
// "; "), for a text field of the other side: a list is written to no text field, and an item's
// name may hold a comma. An order without items has neither.
func TestOrderItemsAsOneText(t *testing.T) {
	c, err := New(Config{BaseURL: "http://unas.invalid/shop", APIKey: "key-123"})
	require.NoError(t, err)
	tests := []struct {
		name     string
		items    string
		wantList any
		wantText any
	}{
		{"two items", `<Items><Item><Sku>TB-1</Sku><Name>Polc, tölgy</Name><Quantity>2</Quantity><PriceGross>45990</PriceGross></Item>` +
			`<Item><Name>Bögre</Name><Quantity>1</Quantity></Item></Items>`,
			[]string{"2 × Polc, tölgy (TB-1) @ 45990", "1 × Bögre"}, "2 × Polc, tölgy (TB-1) @ 45990; 1 × Bögre"},
		{"none", ``, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o xOrder
			require.NoError(t, xml.Unmarshal([]byte(`<Order><Key>K-1</Key><Date>2026.03.01 10:00:00</Date>`+tt.items+`</Order>`), &o))
			r := c.orderRecord(o)
			assert.Equal(t, tt.wantList, r.Fields["items"])
			assert.Equal(t, tt.wantText, r.Fields["items_text"])
		})
	}
}
