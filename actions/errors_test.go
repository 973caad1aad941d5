package actions

import (
	"encoding/json"
	"errors"
	"strings"
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

// An answer that echoes a connection's secret (a webhook URL with its token, a hook's secret)
// does not carry it into the caller's workflow history, whichever way the API wrote it.
func TestAnswerHidesSecrets(t *testing.T) {
	const token = "tok/sec+ret 123"
	raw := `{"data":[{"endpoint":"https://w.example/webhooks/shop/sellsy/tok/sec+ret 123"},` +
		`{"endpoint":"https:\/\/w.example\/hooks\/tok\/sec+ret 123"},` +
		`{"endpoint":"https://w.example/?t=tok%2Fsec%2Bret+123"},{"endpoint":"https://w.example/tok%2Fsec+ret%20123"}],"id":"123"}`
	out := Answer(200, []byte(raw), token, "123")
	assert.NotContains(t, string(out.Body), "sec+ret")
	assert.NotContains(t, string(out.Body), "sec%2Bret")
	assert.Equal(t, 4, strings.Count(string(out.Body), "[redacted]"), string(out.Body))
	assert.Contains(t, string(out.Body), `"id":"123"`, "a value too short to be a secret is left alone")
	assert.True(t, json.Valid(out.Body))
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
