package actions

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

type decodeIn struct {
	ID      int               `json:"id"`
	Name    string            `json:"name"`
	Since   time.Time         `json:"since"`
	Related struct{ ID int }  `json:"related"`
	Tags    []string          `json:"tags"`
	Fields  map[string]any    `json:"fields"`
	Prob    *int              `json:"probability"`
	Query   map[string]string `json:"query"`
}

// An input that does not fit the type is refused as InvalidRecord, not retried, naming the
// field and what it must be, without its value.
func TestDecodeInput(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string // the error's message ("": decodes)
	}{
		{"fits", `{"id": 12, "name": "ACME", "since": "2026-01-31T00:00:00Z", "probability": 60}`, ""},
		{"unknown fields are ignored", `{"id": 12, "colour": "blue"}`, ""},
		{"no input", ``, ""},
		{"null", `null`, ""},
		{"a number as text", `{"id": "12"}`, `input field "id" must be a whole number, not a string`},
		{"a pointer's number as text", `{"probability": "60"}`, `input field "probability" must be a whole number, not a string`},
		{"a fraction for a whole number", `{"id": 1.5}`, `input field "id" must be a whole number, not the number 1.5`},
		{"a nested field", `{"related": {"ID": "3"}}`, `input field "related.ID" must be a whole number, not a string`},
		{"a list for text", `{"name": ["A"]}`, `input field "name" must be a string, not a list`},
		{"text for a list", `{"tags": "vip"}`, `input field "tags" must be a list, not a string`},
		{"a list for an object", `{"fields": [1]}`, `input field "fields" must be an object, not a list`},
		{"a time that is not one", `{"id": 1, "since": "yesterday"}`, `input field "since" must be an RFC 3339 time ("2026-01-31T00:00:00Z")`},
		{"not an object", `"ACME"`, `input must be an object, not a string`},
		{"not JSON", `{"id": 1`, `input is not JSON (unexpected end of JSON input)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in decodeIn
			assertDecodes(t, DecodeInput([]byte(tc.raw), &in), tc.want)
		})
	}
}

func TestDecodedCallsTheActivityWithTheTypedInput(t *testing.T) {
	fn := Decoded(func(_ context.Context, in decodeIn) (string, error) { return in.Name, nil })
	out, err := fn(context.Background(), []byte(`{"name": "ACME"}`))
	require.NoError(t, err)
	assert.Equal(t, "ACME", out)
	_, err = fn(context.Background(), []byte(`{"name": 1}`))
	assert.ErrorContains(t, err, `input field "name" must be a string, not a number`)
}

// DecodeInputStrict refuses a field the type does not have, naming it and a near field of
// the type when there is one, or listing the fields.
func TestDecodeInputStrict(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string // the error's message ("": decodes)
	}{
		{"fits", `{"id": 12, "name": "ACME", "tags": ["a"], "fields": {"anything": 1}}`, ""},
		{"no input", ``, ""},
		{"a type mistake first", `{"id": "12", "colour": "blue"}`, `input field "id" must be a whole number, not a string`},
		{"a near name: _id left out", `{"related": {"ID": 1}, "Name": "x", "tag": "a"}`, `input field "tag" is not one this activity takes: did you mean "tags"?`},
		{"another case is the field (as Go's decoding matches names)", `{"PROBABILITY": 5}`, ""},
		{"no near name", `{"colour": "blue"}`, `input field "colour" is not one this activity takes (it takes id, name, since, related, tags, fields, probability, query)`},
		{"in a nested object", `{"related": {"ID": 1, "kind": "x"}}`, `input has a field "kind" its type does not have (in a nested object)`},
		{"in a nested object, named as a field of the input", `{"name": "x", "related": {"ID": 1, "name": "y"}}`, `input has a field "name" its type does not have (in a nested object)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in decodeIn
			assertDecodes(t, DecodeInputStrict([]byte(tc.raw), &in), tc.want)
		})
	}
}

// assertDecodes checks err, a decoding's: nil when want is "", else the InvalidRecord error
// (not retried) whose message is want.
func assertDecodes(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		require.NoError(t, err)
		return
	}
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Equal(t, want, ae.Message())
}
