package activities

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The UNAS → MiniCRM example carries an order's total, currency and items to its card: the
// items as one text ("2 × Name (SKU) @ price; …"), since a list is written to no text field.
func TestOrderCardsCarryTotalCurrencyAndItems(t *testing.T) {
	r := startExample(t, "unas-minicrm")
	r.round(ModeImport, nil)
	cards := r.sb.MiniCRM.Dump("Orders")
	require.NotEmpty(t, cards)
	for _, c := range cards {
		items, _ := c["Text1208"].(string)
		assert.Contains(t, items, " × ", "card %v", c["Name"])
		assert.Contains(t, items, " @ ", "card %v", c["Name"])
		assert.NotEmpty(t, c["Text1209"], "card %v: its currency", c["Name"])
		assert.NotEmpty(t, c["Float1210"], "card %v: its total", c["Name"])
		if strings.Count(items, " × ") > 1 {
			assert.Contains(t, items, "; ", "card %v: one item after the other", c["Name"])
		}
	}
}
