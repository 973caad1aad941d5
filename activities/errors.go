package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/connectors"
)

// Error types of the application errors activities return, as workflows see them.
const (
	ErrTypeConfiguration = actions.ErrTypeConfiguration
	ErrTypeRateLimited   = actions.ErrTypeRateLimited
)

// toTemporal turns a connector failure into the error Temporal should act on, as the action
// activities do (actions.ToTemporal): a configuration error is not retried (the workflow
// pauses the connection), a rate-limited call is retried after the delay the server asked
// for, anything else with backoff — except that a whole call refused as invalid (a list or a
// batch, not one record) is a configuration problem too: retrying will not fix it.
func toTemporal(err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) && connectors.KindOf(err) == connectors.KindInvalid {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeConfiguration, nil)
	}
	return actions.ToTemporal(err)
}
