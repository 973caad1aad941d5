// Package actions holds what the action activities of every system share (actions/sellsy,
// actions/records): the classes of the errors they return to the workflows that call them, and
// the answer of an any-call.
package actions

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/connectors"
)

// Error types of the application errors action activities return.
const (
	ErrTypeInvalidRecord = "InvalidRecord"      // the system refused the input; not retried
	ErrTypeRateLimited   = "RateLimited"        // the quota is spent; retried after NextRetryDelay
	ErrTypeConfiguration = "ConfigurationError" // credentials, rights or plan; not retried
	ErrTypeRetryable     = "Retryable"          // network, 5xx; retried with backoff
	// ErrTypeUnconfirmed is a write sent with no answer saying whether it was applied: it is
	// not sent again. A record's result in a <P>.Create (a create that cannot be looked up),
	// the error of an any-call that writes (Sellsy.Call's POST, Sellsy.CallV1's methods
	// other than get…, <P>.Call's POST or creating PUT); not retried.
	ErrTypeUnconfirmed = "Unconfirmed"
)

// ErrorType is the class of a connector failure, one of the ErrType constants.
func ErrorType(err error) string {
	switch connectors.KindOf(err) {
	case connectors.KindInvalid:
		return ErrTypeInvalidRecord
	case connectors.KindConfig:
		return ErrTypeConfiguration
	case connectors.KindRateLimited:
		return ErrTypeRateLimited
	}
	return ErrTypeRetryable
}

// ToTemporal turns a connector failure into the application error Temporal acts on: invalid
// input and configuration errors are not retried, a rate-limited call is retried after the
// delay the system asked for, anything else with backoff. Messages come from connectors,
// which keep values and secrets out of them.
func ToTemporal(err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err
	}
	switch t := ErrorType(err); t {
	case ErrTypeInvalidRecord, ErrTypeConfiguration:
		return temporal.NewNonRetryableApplicationError(err.Error(), t, nil)
	case ErrTypeRateLimited:
		return temporal.NewApplicationErrorWithOptions(err.Error(), t, temporal.ApplicationErrorOptions{
			NextRetryDelay: connectors.RetryAfterOf(err),
		})
	}
	return temporal.NewApplicationError(err.Error(), ErrTypeRetryable)
}

// Invalid is the error of an input refused before any call: not retried.
func Invalid(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalidRecord, nil)
}

// Unconfirmed is the error of a write that may or may not have been applied: not retried,
// since sending it again could apply it twice.
func Unconfirmed(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeUnconfirmed, nil)
}

// Configuration is the error of a worker that cannot serve the call: not retried.
func Configuration(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeConfiguration, nil)
}

// CallOutput is the answer of an any-call activity: its HTTP status and its body — JSON as it
// came, another answer (UNAS's XML, a text) as a JSON string, null when empty.
//
//	{"status": 200, "body": {"data": [...], "pagination": {...}}}
type CallOutput struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// Answer is the CallOutput of a call that answered status and raw, with every value of hide
// replaced by "[redacted]" (as written, JSON-escaped or URL-escaped): an any-call's answer
// lands in the caller's workflow history, and some answers echo the connections' own secrets
// (Sellsy's webhooks list their URL and its token, Automation's hooks their secret).
func Answer(status int, raw []byte, hide ...string) CallOutput {
	raw = hideSecrets(raw, hide)
	out := CallOutput{Status: status, Body: json.RawMessage("null")}
	switch trimmed := strings.TrimSpace(string(raw)); {
	case trimmed == "":
	case json.Valid(raw):
		out.Body = raw
	default:
		out.Body, _ = json.Marshal(trimmed)
	}
	return out
}

// minHidden is the length under which a value is not hidden: replacing "1" or "abc" in an
// answer would garble it, and such values are no secrets.
const minHidden = 6

func hideSecrets(raw []byte, hide []string) []byte {
	s := string(raw)
	for _, h := range hide {
		if len(h) < minHidden {
			continue
		}
		forms := []string{h, strings.ReplaceAll(h, "/", `\/`), url.QueryEscape(h), url.PathEscape(h)}
		if j, err := json.Marshal(h); err == nil {
			forms = append(forms, strings.Trim(string(j), `"`))
		}
		for _, f := range forms {
			s = strings.ReplaceAll(s, f, "[redacted]")
		}
	}
	return []byte(s)
}
