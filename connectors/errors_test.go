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

// NothingWritten tells a call the system refused, or the client never sent, from one whose
// answer was lost after the system may have written: only the first may be sent again blind.
func TestNothingWritten(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"400", &Error{Kind: KindInvalid, Status: 400}, true},
		{"401", &Error{Kind: KindConfig, Status: 401}, true},
		{"429", &Error{Kind: KindRateLimited, Status: 429}, true},
		{"rate limit refused in a 200 envelope (Sellsy V1)", &Error{Kind: KindRateLimited, Status: 200}, true},
		{"not sent: the batch stopped before it", &Error{Kind: KindRetryable, Unsent: true}, true},
		{"503", &Error{Kind: KindRetryable, Status: 503}, true},
		{"held back by the client's quota", &Error{Kind: KindRateLimited}, true},
		{"an input the client would not send", &Error{Kind: KindInvalid}, true},
		{"no token", &Error{Kind: KindConfig}, true},
		{"500", &Error{Kind: KindRetryable, Status: 500}, false},
		{"502", &Error{Kind: KindRetryable, Status: 502}, false},
		{"504", &Error{Kind: KindRetryable, Status: 504}, false},
		{"no answer", &Error{Kind: KindRetryable}, false},
		{"not classified", errors.New("connection reset"), false},
		{"wrapped 429", fmt.Errorf("create: %w", &Error{Kind: KindRateLimited, Status: 429}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, NothingWritten(tt.err))
		})
	}
}
