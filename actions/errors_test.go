package actions

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/connectors"
)

func TestAnswer(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"JSON as it came", `{"total": "1"}`, `{"total": "1"}`},
		{"XML as a string", "<Orders></Orders>\n", `"\u003cOrders\u003e\u003c/Orders\u003e"`},
		{"empty", "  ", "null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := Answer(201, []byte(tc.raw))
			assert.Equal(t, 201, out.Status)
			assert.Equal(t, tc.want, string(out.Body))
		})
	}
}

func TestToTemporal(t *testing.T) {
	tests := []struct {
		kind         connectors.Kind
		wantType     string
		nonRetryable bool
	}{
		{connectors.KindInvalid, ErrTypeInvalidRecord, true},
		{connectors.KindConfig, ErrTypeConfiguration, true},
		{connectors.KindRateLimited, ErrTypeRateLimited, false},
		{connectors.KindRetryable, ErrTypeRetryable, false},
	}
	for _, tc := range tests {
		t.Run(tc.wantType, func(t *testing.T) {
			err := ToTemporal(&connectors.Error{Kind: tc.kind, System: "mautic", Op: "GET /contacts", Message: "m", RetryAfter: 3 * time.Second})
			var ae *temporal.ApplicationError
			require.True(t, errors.As(err, &ae))
			assert.Equal(t, tc.wantType, ae.Type())
			assert.Equal(t, tc.nonRetryable, ae.NonRetryable())
			if tc.kind == connectors.KindRateLimited {
				assert.Equal(t, 3*time.Second, ae.NextRetryDelay())
			}
		})
	}
	assert.NoError(t, ToTemporal(nil))
}
