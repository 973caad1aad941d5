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
	"strconv"
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

// DecodedStrict is Decoded refusing, as InvalidRecord naming it, a field the input type does
// not have (DecodeInputStrict).
func DecodedStrict[In, Out any](fn func(context.Context, In) (Out, error)) func(context.Context, json.RawMessage) (Out, error) {
	return func(ctx context.Context, raw json.RawMessage) (Out, error) {
		var in In
		if err := DecodeInputStrict(raw, &in); err != nil {
			var zero Out
			return zero, err
		}
		return fn(ctx, in)
	}
}

// DecodeInputStrict is DecodeInput refusing a field the type does not have, naming it and,
// when one of the type's fields is near (the API's own name "step" for "step_id", "birthdate"
// for "birth_date"), that one: ignored, a misnamed field made an update a no-op reporting
// success.
func DecodeInputStrict(raw []byte, in any) error {
	if err := DecodeInput(raw, in); err != nil {
		return err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	probe := reflect.New(reflect.TypeOf(in).Elem()).Interface()
	err := dec.Decode(probe)
	name, unknown := strings.CutPrefix(fmt.Sprint(err), "json: unknown field ")
	if err == nil || !unknown {
		return nil // DecodeInput took it: any other failure is not this check's
	}
	name, _ = strconv.Unquote(name)
	fields := jsonFields(reflect.TypeOf(in).Elem())
	known := slices.ContainsFunc(fields, func(f string) bool { return strings.EqualFold(f, name) })
	if known || !slices.Contains(topLevelKeys(raw), name) {
		return Invalid(fmt.Sprintf("input has a field %q its type does not have (in a nested object)", name))
	}
	if near := nearField(name, fields); near != "" {
		return Invalid(fmt.Sprintf("input field %q is not one this activity takes: did you mean %q?", name, near))
	}
	return Invalid(fmt.Sprintf("input field %q is not one this activity takes (it takes %s)", name, strings.Join(fields, ", ")))
}

// topLevelKeys are the keys of raw's object.
func topLevelKeys(raw []byte) []string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return slices.Collect(maps.Keys(m))
}

// jsonFields are the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	if t.Kind() != reflect.Struct {
		return nil
	}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// nearField is the field of fields that name most likely meant: the same letters but for
// case, "_", "-" and spaces, or those with an "_id" ("step": "step_id") or "_ids" ("contacts":
// "contact_ids") after them, or name with an "s" more or less ("filter": "filters"); "" when
// none.
func nearField(name string, fields []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	n := norm(name)
	single := strings.TrimSuffix(n, "s")
	for _, f := range fields {
		switch norm(f) {
		case n, n + "id", single + "ids", n + "s", single:
			return f
		}
	}
	return ""
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
