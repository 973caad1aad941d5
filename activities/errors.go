package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/connectors"
)

// Error types of the application errors activities return, as workflows see them.
const (
	ErrTypeConfiguration = "ConfigurationError"
	ErrTypeRateLimited   = "RateLimited"
)

// toTemporal turns a connector failure into the error Temporal should act on: a
// configuration error is not retried (the workflow pauses the connection), a rate-limited
// call is retried after the delay the server asked for, anything else is retried with
// backoff. Messages come from connectors, which keep values and secrets out of them.
func toTemporal(err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err
	}
	switch connectors.KindOf(err) {
	case connectors.KindConfig, connectors.KindInvalid:
		// A whole call refused as invalid (a list or a batch, not one record) is a
		// configuration problem too: retrying will not fix it.
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeConfiguration, nil)
	case connectors.KindRateLimited:
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeRateLimited, temporal.ApplicationErrorOptions{
			NextRetryDelay: connectors.RetryAfterOf(err),
		})
	}
	return temporal.NewApplicationError(err.Error(), "Retryable")
}
