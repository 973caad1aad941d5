package minicrm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/connectors"
)

// A card's events are its module's statuses: EventOrder lists them by label, AddEvent moves
// the card (by label or id); an unknown status is the record's fault, named.
func TestCardStatusesAsEvents(t *testing.T) {
	s, cl, _ := setup(t, 0)
	ctx := context.Background()
	events, err := cl.EventOrder(ctx, "card:Orders")
	require.NoError(t, err)
	assert.Equal(t, []string{"New", "In progress", "Shipped", "Closed", "Cancelled"}, events)

	id := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{"Name": "UNAS 1001", "UserId": "101"}})[0]
	status := func() string {
		for _, c := range s.Dump("Orders") {
			if str(c["Id"]) == id {
				return str(c["StatusId"])
			}
		}
		return ""
	}
	tests := []struct {
		name, event, want string
	}{
		{"by label", "Shipped", "2003"},
		{"the same again", "Shipped", "2003"},
		{"back, by id", "2002", "2002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, cl.AddEvent(ctx, "card:Orders", id, tt.event))
			assert.Equal(t, tt.want, status())
		})
	}
	err = cl.AddEvent(ctx, "card:Orders", id, "Lost")
	require.Error(t, err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(err))
	assert.Equal(t, "2002", status(), "a refused status leaves the card where it was")
}

// MiniCRM counts a sliding minute: the limiter keeps one request a minute under the quota,
// with no burst beyond a request.
func TestLimiterStaysUnderTheSlidingMinute(t *testing.T) {
	tests := []struct {
		perMinute float64
		want      rate.Limit
	}{
		{0, rate.Limit(59.0 / 60)}, // MiniCRM's 60
		{60, rate.Limit(59.0 / 60)},
		{120, rate.Limit(119.0 / 60)},
		{1, rate.Limit(1.0 / 60)},
	}
	for _, tt := range tests {
		l := NewLimiter(tt.perMinute)
		assert.InDelta(t, float64(tt.want), float64(l.Limit()), 1e-9, "%v a minute", tt.perMinute)
		assert.Equal(t, 1, l.Burst(), "%v a minute", tt.perMinute)
	}
}
