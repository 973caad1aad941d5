package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Decoded returns fn as the activity function to register: one that takes its input as
// JSON and decodes it itself. An input that does not fit the type — an id sent as "12", a
// workflow in another SDK sending numbers as text — then fails as InvalidRecord naming the
// field, not retried; decoded by the SDK, it failed before the activity ran with a retryable
// error, retried forever. Callers see no difference otherwise: the payload is JSON either way,
// and Go workflows still pass the typed input.
func Decoded[In, Out any](fn func(context.Context, In) (Out, error)) func(context.Context, json.RawMessage) (Out, error) {
	return func(ctx context.Context, raw json.RawMessage) (Out, error) {
		var in In
		if err := DecodeInput(raw, &in); err != nil {
			var zero Out
			return zero, err
		}
		return fn(ctx, in)
	}
}

// DecodeInput decodes an activity's JSON input into in (a pointer); no input, or null,
// leaves it zero. A failure is the InvalidRecord error naming the field and what it must be.
// Fields the type does not know are ignored, as the SDK's decoding does.
func DecodeInput(raw []byte, in any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	err := json.Unmarshal(raw, in)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		return Invalid(fmt.Sprintf("input is not JSON (%v)", err))
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return Invalid(fmt.Sprintf("input must be %s, not %s", expected(typeErr.Type), jsonKind(typeErr.Value)))
	case errors.As(err, &typeErr):
		return Invalid(fmt.Sprintf("input field %q must be %s, not %s", typeErr.Field, expected(typeErr.Type), jsonKind(typeErr.Value)))
	}
	// A type's own decoding (a time) does not say where it failed: the first top-level field
	// that fails alone is named.
	reason := "does not decode"
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		reason = `must be an RFC 3339 time ("2026-01-31T00:00:00Z")`
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) == nil {
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
			probe := reflect.New(reflect.TypeOf(in).Elem()).Interface()
			if json.Unmarshal(one, probe) != nil {
				return Invalid(fmt.Sprintf("input field %q %s", k, reason))
			}
		}
	}
	return Invalid("input " + reason)
}

// expected says in words what a Go type takes in JSON.
func expected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return expected(t.Elem())
	}
	return "a " + t.String()
}

// jsonKind names the kind of JSON value json reported ("string", "number 1.5", "array"):
// a number with its value, as it is no whole number; no other value.
func jsonKind(v string) string {
	kind, rest, _ := strings.Cut(v, " ")
	switch kind {
	case "number":
		if rest != "" {
			return "the number " + rest
		}
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a " + kind
}
