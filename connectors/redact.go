package connectors

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/utf8text"
)

var emailLike = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+`)

// maxMessage bounds the messages connectors put in errors.
const maxMessage = 300

// Redact makes a message that came from an API or the transport fit for an error (and so for
// logs and workflow histories): e-mail addresses become <email>, each secret ***, and the
// message is cut to a bounded length, in valid UTF-8.
func Redact(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	msg = emailLike.ReplaceAllString(msg, "<email>")
	// Histories (protobuf) and the store (PostgreSQL text) refuse invalid UTF-8: an answer in
	// another encoding keeps its readable part, and the cut never splits a character.
	msg = utf8text.Valid(msg)
	if len(msg) > maxMessage {
		msg = utf8text.Cut(msg, maxMessage) + "…"
	}
	return msg
}

// Reason is the cause of a failed call: the context's error when it was cancelled, else err.
func Reason(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return ctx.Err().Error()
	}
	return err.Error()
}

// TransportReason describes a failed round trip without its URL, whose query may carry
// e-mail addresses or keys.
func TransportReason(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return ctx.Err().Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// ParseRetryAfter reads a Retry-After value, in seconds (at least one) or as an HTTP date
// after now; ok is false when it is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return max(time.Duration(n)*time.Second, time.Second), true
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now), true
	}
	return 0, false
}
