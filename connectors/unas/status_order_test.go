package unas

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors/unas/sim"
)

// The order pipeline's stages are the shop's statuses in the order its admin arranges them
// (getOrderStatus's Order), not in the order of the answer (by Id, a status added later
// coming last wherever it is placed): PipelineSync moves a card along them in that order,
// forward or back, and a status map bound in the module's order is checked against it.
// Statuses without an Order keep their place in the answer, after the others.
func TestOrderPipelineFollowsTheStatusOrder(t *testing.T) {
	tests := []struct {
		name     string
		statuses []sim.OrderStatus
		want     []string
	}{
		{name: "a status added later, placed second",
			statuses: []sim.OrderStatus{{ID: 1, Name: "Beérkezett", Type: "open_normal", Order: 1}, {ID: 2, Name: "Teljesítve", Type: "close_ok", Order: 3},
				{ID: 3, Name: "Törölve", Type: "close_fault", Order: 4}, {ID: 4, Name: "Csomagolás alatt", Type: "open_normal", Order: 2}},
			want: []string{"Beérkezett", "Csomagolás alatt", "Teljesítve", "Törölve"}},
		{name: "no order written",
			statuses: []sim.OrderStatus{{ID: 2, Name: "Teljesítve", Type: "close_ok"}, {ID: 1, Name: "Beérkezett", Type: "open_normal"}},
			want:     []string{"Teljesítve", "Beérkezett"}},
		{name: "some without",
			statuses: []sim.OrderStatus{{ID: 9, Name: "Egyéb", Type: "open_prepare"}, {ID: 2, Name: "Teljesítve", Type: "close_ok", Order: 2},
				{ID: 1, Name: "Beérkezett", Type: "open_normal", Order: 1}},
			want: []string{"Beérkezett", "Teljesítve", "Egyéb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, sim.Options{Statuses: tt.statuses})
			_, stages, err := e.c.Pipeline(context.Background(), OrderPipeline)
			require.NoError(t, err)
			var got []string
			for _, st := range stages {
				got = append(got, st.ID)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
