package minicrm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// An empty owner (a card's UserId mapped from an empty value, or cleared) is never sent:
// MiniCRM takes it as an unknown user and gives the card to a random one. A new card gets
// the connection's owner, an updated one keeps its own.
func TestEmptyOwnerNeverSent(t *testing.T) {
	for _, empty := range []any{nil, "", " "} {
		t.Run("UserId "+connectors.Text(empty), func(t *testing.T) {
			ctx := context.Background()
			_, plain, _ := setup(t, 0)
			cl, err := New(Config{BaseURL: plain.base, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000, Owner: "103"})
			require.NoError(t, err)
			owner := func(id string) any {
				t.Helper()
				got, err := cl.Get(ctx, "card:Orders", []string{id})
				require.NoError(t, err)
				require.Len(t, got, 1)
				return got[0].Fields["UserId"]
			}

			created := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{"Name": "new", "UserId": empty}})[0]
			assert.Equal(t, "103", owner(created), "a new card gets the connection's owner")

			card := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{"Name": "existing", "UserId": "102"}})[0]
			for range 5 { // a random owner would show within a few tries
				res, err := cl.Update(ctx, "card:Orders", []connectors.Record{{ID: card, Fields: map[string]any{"Name": "renamed", "UserId": empty}}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
				assert.Equal(t, "102", owner(card), "an updated card keeps its owner")
			}
		})
	}
}
