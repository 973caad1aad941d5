package sellsy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// An opportunity's amount read or written as "NaN" or "Inf" is no number: read, it is no
// amount (not a float JSON cannot carry on); written, the record is refused naming the field,
// not sent to Sellsy as "NaN".
func TestOpportunityAmountNotFinite(t *testing.T) {
	for _, v := range []string{"NaN", "Inf", "-infinity"} {
		t.Run(v, func(t *testing.T) {
			r := oppRecord(map[string]any{"id": 1.0, "amount": map[string]any{"value": v, "currency": "EUR"}}, nil)
			assert.Nil(t, r.Fields["amount"], "read")

			_, _, err := oppBody(connectors.Record{ID: "1", Fields: map[string]any{"amount": v}}, false, nil)
			require.NotNil(t, err, "written")
			assert.Contains(t, err.Error(), "amount")
			assert.Contains(t, err.Error(), "not a number")
		})
	}
}
