package connectors

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRedact(t *testing.T) {
	got := Redact("token s3cr3t refused for jane.doe@example.com", "s3cr3t", "")
	assert.Equal(t, "token *** refused for <email>", got)
	long := Redact(strings.Repeat("x", 400))
	assert.Len(t, long, maxMessage+len("…"))
}

func TestTransportReasonHidesTheURL(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://api.example.com/contacts?email=jane@example.com", Err: errors.New("connection refused")}
	assert.Equal(t, "connection refused", TransportReason(context.Background(), err))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Equal(t, "context canceled", TransportReason(ctx, err))
	assert.Equal(t, "context canceled", Reason(ctx, errors.New("other")))
	assert.Equal(t, "other", Reason(context.Background(), errors.New("other")))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{"0", time.Second, true},
		{"Wed, 25 Nov 2026 12:01:30 GMT", 90 * time.Second, true},
		{"Wed, 25 Nov 2026 11:00:00 GMT", 0, false},
		{"", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.v, now)
		assert.Equal(t, tt.ok, ok, tt.v)
		assert.Equal(t, tt.want, got, tt.v)
	}
}
