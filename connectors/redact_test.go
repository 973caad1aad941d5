package connectors

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestRedact(t *testing.T) {
	got := Redact("token s3cr3t refused for jane.doe@example.com", "s3cr3t", "")
	assert.Equal(t, "token *** refused for <email>", got)
	long := Redact(strings.Repeat("x", 400))
	assert.Len(t, long, maxMessage+len("…"))
}

// A message goes into workflow histories and the store's quarantine, whose protobuf and
// PostgreSQL text refuse invalid UTF-8: a cut never splits a character, and bytes an API
// wrote in another encoding (ISO-8859-2) become U+FFFD.
func TestRedactKeepsUTF8Valid(t *testing.T) {
	tests := []struct {
		name, msg, want string
	}{
		{"cut inside an accented letter", strings.Repeat("a", maxMessage-1) + "é" + strings.Repeat("b", 10), strings.Repeat("a", maxMessage-1) + "…"},
		{"cut inside a four-byte character", strings.Repeat("a", maxMessage-2) + "🙂" + "tail", strings.Repeat("a", maxMessage-2) + "…"},
		{"Latin-2 bytes from the API", "Nem tal\xe1lhat\xf3: Kov\xe1cs \xe9s T\xe1rsa", "Nem tal\uFFFDlhat\uFFFD: Kov\uFFFDcs \uFFFDs T\uFFFDrsa"},
		{"a Latin-2 byte where the cut falls", strings.Repeat("a", maxMessage-1) + "\xe9t\xe9", strings.Repeat("a", maxMessage-1) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.msg)
			assert.Equal(t, tc.want, got)
			assert.True(t, utf8.ValidString(got), "%q", got)
		})
	}
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
