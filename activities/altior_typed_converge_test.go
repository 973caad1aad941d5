package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
)

// A tiers with two main numbers (PRINCIPALE) keeps both through the sync: Sellsy gets the
// first; a new number written in Sellsy replaces that first one only; cleared in Sellsy, the
// first goes and the second, now the tiers's main number, comes up to Sellsy; and the
// connection settles, nothing written again and again.
func TestExampleTiersWithTwoNumbersOfOneType(t *testing.T) {
	x := startExampleAltior(t)
	status, body, err := x.altior.(*altior.Client).Call(x.ctx, "POST", "/api/v1/tiers", nil, []byte(`{"kind":"moral","relation":"client","name":"Standard et ligne directe","siret":"55512345600018",`+
		`"phones":[{"type":"PRINCIPALE","value":"04 78 00 00 01"},{"type":"PRINCIPALE","value":"04 78 00 00 02"}]}`))
	require.NoError(t, err)
	require.Equal(t, 201, status, string(body))
	x.round(ModeImport, nil)
	var company, tiers string
	for _, d := range x.sb.Altior.Dump("tiers") {
		if d["siret"] == "55512345600018" {
			tiers = d["id"].(string)
		}
	}
	pairs, err := x.st.Pairs(x.ctx, x.name, "company", "b", []string{tiers})
	require.NoError(t, err)
	require.Contains(t, pairs, tiers)
	company = pairs[tiers].AID
	assert.Equal(t, "04 78 00 00 01", x.get(x.sellsy, connectors.ObjectCompany, company).Fields["phone_number"])
	phones := func() []any {
		for _, d := range x.sb.Altior.Dump("tiers") {
			if d["id"] == tiers {
				return d["phones"].([]any)
			}
		}
		return nil
	}

	time.Sleep(1100 * time.Millisecond)
	x.update(x.sellsy, connectors.ObjectCompany, company, map[string]any{"phone_number": "04 78 00 00 09"})
	x.round(ModeIncremental, nil)
	assert.Equal(t, []any{typed("PRINCIPALE", "04 78 00 00 09"), typed("PRINCIPALE", "04 78 00 00 02")}, phones())

	time.Sleep(1100 * time.Millisecond)
	x.update(x.sellsy, connectors.ObjectCompany, company, map[string]any{"phone_number": nil})
	x.round(ModeIncremental, nil)
	x.round(ModeIncremental, nil)
	assert.Equal(t, []any{typed("PRINCIPALE", "04 78 00 00 02")}, phones())
	assert.Equal(t, "04 78 00 00 02", x.get(x.sellsy, connectors.ObjectCompany, company).Fields["phone_number"])
	x.settled(ModeIncremental, "after the number was cleared")
}

func typed(typ, value string) any { return map[string]any{"type": typ, "value": value} }
