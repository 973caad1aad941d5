package sellsy

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// Numeric, amount and numeric-with-unit values are decimal strings in Sellsy: one a float64
// gives back exactly reads as a float64, one with more digits than a float64 holds reads as
// its decimal string, and an update of the value as read writes it back unchanged.
func TestNumericCustomFieldsKeepTheirDigits(t *testing.T) {
	tests := []struct {
		name  string
		field string // connector field; the sim's code is the part after "cf."
		id    int
		wire  func(n string) any // the value as Sellsy holds it
		got   func(v any) string // the number Sellsy holds after the round trip
		value string
		read  any // the value read
	}{
		{"numeric, 20 digits", "cf.cf_num", 106, func(n string) any { return n }, func(v any) string { return v.(string) },
			"12345678901234567890", "12345678901234567890"},
		{"numeric, decimals beyond a float64", "cf.cf_num", 106, func(n string) any { return n }, func(v any) string { return v.(string) },
			"1234567890.123456789", "1234567890.123456789"},
		{"numeric, exact in a float64", "cf.cf_num", 106, func(n string) any { return n }, func(v any) string { return v.(string) },
			"15.2", 15.2},
		{"amount, 20 digits", "cf.cf_amount", 107,
			func(n string) any { return map[string]any{"amount": n, "currency": "EUR"} },
			func(v any) string { return v.(map[string]any)["amount"].(string) },
			"98765432109876543210.12", "98765432109876543210.12"},
		{"numeric-with-unit, 20 digits", "cf.cf_unit", 108,
			func(n string) any { return map[string]any{"number": n, "unit_id": 6} },
			func(v any) string { return v.(map[string]any)["number"].(string) },
			"12345678901234567890", "12345678901234567890"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 1)
			id := dumpIDs(f.sim.Dump("contacts"))[0]
			body := []map[string]any{{"id": tt.id, "value": tt.wire(tt.value)}}
			raw, err := json.Marshal(body)
			require.NoError(t, err)
			_, _, err = f.c.Call(ctx, "PUT", "/contacts/"+id+"/custom-fields", nil, raw)
			require.NoError(t, err)

			recs, err := f.c.Get(ctx, connectors.ObjectContact, []string{id})
			require.NoError(t, err)
			require.Len(t, recs, 1)
			assert.Equal(t, tt.read, recs[0].Fields[tt.field])

			res, err := f.c.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id,
				Fields: map[string]any{tt.field: recs[0].Fields[tt.field]}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			got := tt.got(cfDump(t, f.sim, "contacts", id)[tt.field[len("cf."):]])
			want, _ := strconv.ParseFloat(tt.value, 64)
			if s, ok := tt.read.(string); ok {
				assert.Equal(t, s, got, "every digit written back")
			} else {
				n, err := strconv.ParseFloat(got, 64)
				require.NoError(t, err)
				assert.Equal(t, want, n)
			}
		})
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"15.2", 15.2},
		{" 15.20 ", 15.2},
		{"0.1", 0.1},
		{"-3", -3.0},
		{"1e21", 1e21},
		{"9007199254740993", "9007199254740993"}, // 2^53+1: no float64
		{"12345678901234567890", "12345678901234567890"},
		{"0.12345678901234567890", "0.12345678901234567890"},
		{"abc", nil},
		{"", nil},
		{"NaN", nil}, // no number: JSON cannot carry it on, and NaN is unequal to itself
		{"-Inf", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, decimal(tt.in))
		})
	}
}
