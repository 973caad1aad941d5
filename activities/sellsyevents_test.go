package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/connectors"
)

// RouteSellsyEvent retries every failure of a Sellsy event's routing — a configuration error
// too, as credentials may be fixed within the day — after the delay a rate limit asks for,
// except what would be refused again: a read Sellsy refuses as invalid, a start Temporal
// refuses as an invalid argument. A worker without the receiver's routing says so, retried
// (another worker of the queue may route it).
func TestRouteSellsyEventClassifiesFailures(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		unset        bool
		typ          string
		nonRetryable bool
		delay        time.Duration
	}{
		{name: "routed", err: nil},
		{name: "Sellsy down", err: &connectors.Error{Kind: connectors.KindRetryable, System: "sellsy", Status: 503, Message: "unavailable"}, typ: "Retryable"},
		{name: "credentials refused", err: &connectors.Error{Kind: connectors.KindConfig, System: "sellsy", Status: 401, Message: "the client id or secret was refused"}, typ: ErrTypeConfiguration},
		{name: "quota spent", err: &connectors.Error{Kind: connectors.KindRateLimited, System: "sellsy", Status: 429, RetryAfter: 30 * time.Second, Message: "quota"},
			typ: ErrTypeRateLimited, delay: 30 * time.Second},
		{name: "read refused as invalid", err: &connectors.Error{Kind: connectors.KindInvalid, System: "sellsy", Status: 400, Message: "bad id"}, typ: "InvalidRecord", nonRetryable: true},
		{name: "workflow id too long", err: serviceerror.NewInvalidArgument("WorkflowId length exceeds limit."), typ: "InvalidRecord", nonRetryable: true},
		{name: "Temporal unavailable", err: serviceerror.NewUnavailable("frontend down"), typ: "Retryable"},
		{name: "no routing on this worker", unset: true, typ: ErrTypeConfiguration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Activities{SellsyEvents: func(context.Context, SellsyEvent) error { return tt.err }}
			if tt.unset {
				a.SellsyEvents = nil
			}
			err := a.RouteSellsyEvent(context.Background(), SellsyEvent{Connection: "shop", Object: "company", Event: "updated", ID: "5"})
			if tt.typ == "" {
				require.NoError(t, err)
				return
			}
			var app *temporal.ApplicationError
			require.True(t, errors.As(err, &app), "%v", err)
			assert.Equal(t, tt.typ, app.Type())
			assert.Equal(t, tt.nonRetryable, app.NonRetryable())
			assert.Equal(t, tt.delay, app.NextRetryDelay())
		})
	}
}
