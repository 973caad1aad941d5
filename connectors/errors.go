package connectors

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a failure by what the caller should do about it.
type Kind string

const (
	// KindRetryable: a transient failure (network, 5xx); retry with backoff.
	KindRetryable Kind = "retryable"
	// KindRateLimited: the quota is spent; retry after RetryAfter.
	KindRateLimited Kind = "rate_limited"
	// KindInvalid: the record itself was refused; quarantine it, retrying will not help.
	KindInvalid Kind = "invalid_record"
	// KindConfig: credentials, rights or settings are wrong; pause until a human fixes them.
	KindConfig Kind = "configuration"
)

// Error is a classified failure of a system's API. Its message names the system, the
// operation and the reason; it never carries record values or credentials.
type Error struct {
	Kind       Kind
	System     string
	Op         string // e.g. "POST /contacts"
	Status     int    // HTTP status, 0 when there was no response
	RetryAfter time.Duration
	Message    string
	// Fields maps a refused field to the system's reason (for KindInvalid).
	Fields map[string]string
	// Panicked marks the error of a recovered panic (see Recovered): a bug in crmsync or data
	// it cannot read. Its Kind is KindConfig — retried, it would panic again; the sync pauses
	// the connection with its message — and nothing tells whether a write it interrupted was
	// made (NothingWritten is false).
	Panicked bool
	// Unsent marks the error of a record whose call the client never made (a batch that
	// stopped at an earlier record): nothing was written for it (NothingWritten).
	Unsent bool
}

func (e *Error) Error() string {
	kind := string(e.Kind)
	if e.Panicked {
		kind = "internal error" // not the operator's configuration, though it pauses as one
	}
	s := fmt.Sprintf("%s %s: %s", e.System, e.Op, kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Kind == KindRateLimited && e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// KindOf returns the kind of a classified error, or KindRetryable for any other error:
// an unknown failure is assumed transient, and the retry policy bounds it.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindRetryable
}

// StatusOf returns the HTTP status of a classified error, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// NothingWritten reports whether a call failed before the system wrote anything: it answered
// a 4xx, a 429 or a 503, refused it for its rate limit whatever the status that carries the
// refusal (Sellsy's API V1 answers E_LIMIT_REQUEST_REACHED in an HTTP 200 envelope), or the
// client held the request back (a quota spent for longer than a call waits, an input it
// would not send, a token it could not get). No answer (a timeout, a lost connection), a 500
// or a gateway's 502 or 504 may come after the write: a create that failed so may exist.
func NothingWritten(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Panicked {
		return false // a panic may have come after the write (decoding its answer)
	}
	if e.Kind == KindRateLimited || e.Unsent {
		return true // a rate limit refuses the call before it is carried out
	}
	if e.Status == 0 {
		return e.Kind == KindInvalid || e.Kind == KindConfig
	}
	return (e.Status >= 400 && e.Status < 500) || e.Status == 503
}

// RetryAfterOf returns the delay a rate-limited error asks for, or zero.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.Kind == KindRateLimited {
		return e.RetryAfter
	}
	return 0
}

// ClassifyStatus maps an HTTP status to a Kind the way every REST API here uses them.
func ClassifyStatus(status int) Kind {
	switch {
	case status == 429:
		return KindRateLimited
	case status == 401 || status == 403 || status == 402:
		return KindConfig
	case status == 400 || status == 404 || status == 409 || status == 413 || status == 422:
		return KindInvalid
	default:
		return KindRetryable
	}
}

// WithCredentialsHint ends msg, the error of refused credentials, with hint (each
// connector's Config.CredentialsHint: the variables that hold them and where the connection
// names them), so that every system's refusal reads alike. An empty hint leaves msg as it is.
func WithCredentialsHint(msg, hint string) string {
	if hint == "" {
		return msg
	}
	return msg + "; " + hint
}
