package minicrm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
