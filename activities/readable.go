package activities

import (
	"context"

	"github.com/crmsync/crmsync/connectors"
)

// getReadable reads records by id as Get does, telling apart those the system gives in a shape
// that cannot be synced (Get refuses them as invalid: a UNAS order without a customer e-mail):
// they come back as unreadable, with the reason, and the others are read one by one rather
// than lost with them. Any other failure is the call's.
func getReadable(ctx context.Context, c connectors.Connector, object string, ids []string) ([]connectors.Record, []connectors.Unreadable, error) {
	recs, err := c.Get(ctx, object, ids)
	if err == nil || connectors.KindOf(err) != connectors.KindInvalid {
		return recs, nil, err
	}
	recs = nil
	var bad []connectors.Unreadable
	for _, id := range ids {
		r, err := c.Get(ctx, object, []string{id})
		switch {
		case err == nil:
			recs = append(recs, r...)
		case connectors.KindOf(err) == connectors.KindInvalid:
			bad = append(bad, connectors.Unreadable{ID: id, Reason: err.Error()})
		default:
			return nil, nil, err
		}
	}
	return recs, bad, nil
}
