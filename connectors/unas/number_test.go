package unas

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An order total is read as UNAS writes it, or written the Hungarian way — a decimal comma,
// the thousands grouped by spaces (a no-break space, as a formatter writes them) or dots —
// rather than dropped: the card's total would be empty without a word. "NaN" or "Inf" is no
// number: read as one, it would be a float JSON cannot carry to MiniCRM or into a quarantine
// entry. A text that is no number at all is none.
func TestNum(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{" 12500.5 ", 12500.5},
		{"NaN", nil},
		{"inf", nil},
		{"", nil},
		{"12700.50", 12700.5},
		{"12700,50", 12700.5},
		{"97,10", 97.1},
		{"12 700", 12700.0},
		{"12\u00a0700,50", 12700.5},
		{"1\u202f234\u202f567,8", 1234567.8},
		{"1.234.567,89", 1234567.89},
		{"-1 490,00", -1490.0},
		{"1,2,3", nil},
		{"12,700.50", nil}, // two separators of the other convention: not guessed
		{"12 70", nil},     // not groups of three
		{"abc", nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, num(tt.in), "%q", tt.in)
	}
}

// A total that cannot be read is left empty, and the client logs it with the order's key: a
// record carries no error of its own. An empty total is no news and is not logged.
func TestOrderTotalNotReadIsLogged(t *testing.T) {
	var logs bytes.Buffer
	c, err := New(Config{BaseURL: "http://unas.invalid/shop", APIKey: "key-123",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)

	r := c.orderRecord(xOrder{Key: "K-1", Date: "2026.03.01 10:00:00", SumPriceGross: "12,700.50"})
	assert.Nil(t, r.Fields["total"])
	assert.Contains(t, logs.String(), "order_key=K-1")
	assert.Contains(t, logs.String(), `sum_price_gross=12,700.50`)

	logs.Reset()
	r = c.orderRecord(xOrder{Key: "K-2", Date: "2026.03.01 10:00:00", SumPriceGross: " "})
	assert.Nil(t, r.Fields["total"])
	assert.Empty(t, logs.String())
}
