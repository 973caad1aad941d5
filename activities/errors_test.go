package activities

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/connectors"
)

// toTemporal decides what Temporal does with a failure: a configuration error (or a whole
// call refused as invalid) is not retried and pauses the connection; a rate-limited call is
// retried after the delay the server gave (a UNAS ban: until its end), on the server's
// durable timer; anything else is retried with backoff.
func TestToTemporal(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		typ          string
		nonRetryable bool
		delay        time.Duration
	}{
		{"configuration", &connectors.Error{Kind: connectors.KindConfig, System: "weavy", Message: "the API MAJ right is off"}, ErrTypeConfiguration, true, 0},
		{"whole call invalid", fmt.Errorf("page: %w", &connectors.Error{Kind: connectors.KindInvalid, System: "sellsy"}), ErrTypeConfiguration, true, 0},
		{"rate limited until a ban ends", &connectors.Error{Kind: connectors.KindRateLimited, System: "unas", RetryAfter: 42 * time.Minute}, ErrTypeRateLimited, false, 42 * time.Minute},
		{"retryable", &connectors.Error{Kind: connectors.KindRetryable, System: "mautic", Status: 503}, "Retryable", false, 0},
		{"plain error", errors.New("store: disk full"), "Retryable", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, toTemporal(tt.err), &appErr)
			assert.Equal(t, tt.typ, appErr.Type())
			assert.Equal(t, tt.nonRetryable, appErr.NonRetryable())
			assert.Equal(t, tt.delay, appErr.NextRetryDelay())
		})
	}
	assert.NoError(t, toTemporal(nil))
	already := temporal.NewApplicationError("kept", "Custom")
	assert.Same(t, already, toTemporal(already))
}
