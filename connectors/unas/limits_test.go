package unas

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/connectors"
)

// Records read back by id go in batches a tenth of their call class's hourly limit, so a
// batch never spends the hour's budget alone.
func TestGetLimitIsATenthOfTheClassLimit(t *testing.T) {
	c := &Client{shop: &Shop{}}
	tests := []struct {
		object string
		want   int
	}{
		{ObjectOrder, 100},  // 1,000 getOrder by Key an hour on PREMIUM
		{ObjectCustomer, 3}, // 30 multi-order getOrder an hour
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			assert.Equal(t, tt.want, c.GetLimit(tt.object))
			assert.Equal(t, tt.want, connectors.GetLimit(c, tt.object, 2000))
			assert.Equal(t, 2, connectors.GetLimit(c, tt.object, 2), "never more than wanted")
		})
	}
}
