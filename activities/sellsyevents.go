package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/actions"
)

// SellsyEvent is one event of a Sellsy webhook delivery, as the receiver handed it to the
// record's SellsyEvents workflow: what the notification said, never what it is about (the
// record is read back when the event is routed).
type SellsyEvent struct {
	Connection string `json:"connection"`
	Object     string `json:"object"` // company, contact, opportunity, … (crmsync's names)
	Event      string `json:"event"`  // created, updated, deleted, …
	ID         string `json:"id"`     // as the notification wrote it
	// At is the notification's timestamp, when it had one.
	At time.Time `json:"at,omitzero"`
	// Digest is the hex SHA-256 of the notification as delivered.
	Digest string `json:"digest,omitempty"`
}

// RouteSellsyEvent reads back the record a Sellsy event names and applies the connection's
// events: routes to it (Activities.SellsyEvents, the webhook receiver's routing). Every
// failure is retried, a configuration error too (credentials being fixed, a file being
// reloaded): the delivery was answered 200, so this is the event's only chance. Only what
// would be refused again is not: a read Sellsy refuses as invalid, a start or signal Temporal
// refuses as an invalid argument (a workflow id too long, say).
func (a *Activities) RouteSellsyEvent(ctx context.Context, ev SellsyEvent) error {
	if a.SellsyEvents == nil {
		return temporal.NewApplicationError("this worker cannot route Sellsy events: it was started without the webhook receiver's routing", ErrTypeConfiguration)
	}
	err := a.SellsyEvents(ctx, ev)
	if err == nil {
		return nil
	}
	var refused *serviceerror.InvalidArgument
	if errors.As(err, &refused) {
		return temporal.NewNonRetryableApplicationError(err.Error(), actions.ErrTypeInvalidRecord, nil)
	}
	switch t := actions.ErrorType(err); t {
	case actions.ErrTypeInvalidRecord:
		return temporal.NewNonRetryableApplicationError(err.Error(), t, nil)
	case actions.ErrTypeRateLimited:
		return actions.ToTemporal(err)
	default:
		return temporal.NewApplicationError(err.Error(), t)
	}
}
