package minicrm

import (
	"context"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

var _ connectors.EventCatalog = (*Client)(nil)

// AddEvent implements connectors.EventEmitter for cards: the event is the status the card
// moves to (a status label or id), which starts MiniCRM's automations for that status. Moving
// a card to the status it has is not an error.
func (c *Client) AddEvent(ctx context.Context, object, id, status string) error {
	results, err := c.Update(ctx, object, []connectors.Record{{ID: id, Fields: map[string]any{"StatusId": status}}})
	if err != nil {
		return err
	}
	return results[0].Err
}

// EventOrder implements connectors.EventCatalog: the statuses of a card's module, by label,
// in the module's order.
func (c *Client) EventOrder(ctx context.Context, object string) ([]string, error) {
	fields, err := c.Describe(ctx, object)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range fields {
		if f.Name == "StatusId" {
			for _, o := range f.Options {
				out = append(out, o.Label)
			}
		}
	}
	return out, nil
}

// EventField implements connectors.EventField: a card's status is its StatusId, written by
// label or id; contacts have none.
func (c *Client) EventField(object string) string {
	if strings.HasPrefix(object, CardPrefix) {
		return "StatusId"
	}
	return ""
}
