package sellsy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// An amount custom field's value carries its own currency: an update keeps the currency of
// the record's value (read with one GET of the record), and only a value not set yet, or a
// new record's, takes the definition's (EUR here).
func TestAmountKeepsItsCurrency(t *testing.T) {
	tests := []struct {
		name   string
		object string // connector object; the sim's store is object+"s"
		stored any    // the record's value before the write (nil: none)
		create bool
		write  any
		want   map[string]any
		gets   int // GETs of the record the write costs
	}{
		{"contact in USD, its value written back", connectors.ObjectContact,
			map[string]any{"amount": "100.00", "currency": "USD"}, false, nil,
			map[string]any{"amount": "100", "currency": "USD"}, 1},
		{"company in GBP, a new amount", connectors.ObjectCompany,
			map[string]any{"amount": "100.00", "currency": "GBP"}, false, 250.5,
			map[string]any{"amount": "250.5", "currency": "GBP"}, 1},
		{"contact without a value: the definition's currency", connectors.ObjectContact,
			nil, false, 42.0, map[string]any{"amount": "42", "currency": "EUR"}, 1},
		{"new contact: the definition's currency, nothing read", connectors.ObjectContact,
			nil, true, 42.0, map[string]any{"amount": "42", "currency": "EUR"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, sim.Options{}, false)
			f.sim.SeedPeople(0, 1)
			store := tt.object
			if store == connectors.ObjectCompany {
				store = "companies"
			} else {
				store += "s"
			}
			rec := connectors.Record{Fields: map[string]any{"cf.cf_amount": tt.write}}
			if !tt.create {
				rec.ID = dumpIDs(f.sim.Dump(store))[0]
				if tt.stored != nil {
					raw, err := json.Marshal([]map[string]any{{"id": 107, "value": tt.stored}})
					require.NoError(t, err)
					_, _, err = f.c.Call(ctx, "PUT", "/"+store+"/"+rec.ID+"/custom-fields", nil, raw)
					require.NoError(t, err)
				}
				if tt.write == nil { // the value as read
					recs, err := f.c.Get(ctx, tt.object, []string{rec.ID})
					require.NoError(t, err)
					rec.Fields["cf.cf_amount"] = recs[0].Fields["cf.cf_amount"]
				}
			} else {
				rec.Fields["last_name"] = "New"
			}
			before := f.sim.Kit().Counts()["GET /v2/"+store+"/{id}"]
			var res []connectors.Result
			var err error
			if tt.create {
				res, err = f.c.Create(ctx, tt.object, []connectors.Record{rec})
			} else {
				res, err = f.c.Update(ctx, tt.object, []connectors.Record{rec})
			}
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			assert.Equal(t, tt.gets, f.sim.Kit().Counts()["GET /v2/"+store+"/{id}"]-before)
			got, _ := cfDump(t, f.sim, store, res[0].ID)["cf_amount"].(map[string]any)
			require.NotNil(t, got)
			assert.Equal(t, tt.want["currency"], got["currency"])
			assert.Contains(t, []string{tt.want["amount"].(string), tt.want["amount"].(string) + ".00"}, got["amount"])
		})
	}
}
