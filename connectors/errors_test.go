package connectors

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		status int
		want   Kind
	}{
		{429, KindRateLimited},
		{401, KindConfig},
		{403, KindConfig},
		{402, KindConfig},
		{400, KindInvalid},
		{404, KindInvalid},
		{422, KindInvalid},
		{500, KindRetryable},
		{503, KindRetryable},
		{0, KindRetryable},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			assert.Equal(t, tt.want, ClassifyStatus(tt.status))
		})
	}
}

func TestKindOfWrapped(t *testing.T) {
	err := fmt.Errorf("listing: %w", &Error{Kind: KindRateLimited, System: "sellsy", Op: "GET /contacts", Status: 429, RetryAfter: 2 * time.Second})
	assert.Equal(t, KindRateLimited, KindOf(err))
	assert.Equal(t, 2*time.Second, RetryAfterOf(err))
	assert.Equal(t, KindRetryable, KindOf(fmt.Errorf("plain")))
	assert.Contains(t, err.Error(), "sellsy GET /contacts: rate_limited (HTTP 429)")
}

func TestStatusOf(t *testing.T) {
	assert.Equal(t, 404, StatusOf(fmt.Errorf("wrapped: %w", &Error{Kind: KindInvalid, Status: 404})))
	assert.Zero(t, StatusOf(errors.New("no answer")))
}
