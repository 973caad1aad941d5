package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// typographicQuotes are the quotes a status map pasted from a guide or a word processor
// arrives with; they mean plain double quotes.
var typographicQuotes = strings.NewReplacer("“", `"`, "”", `"`, "„", `"`, "‟", `"`, "«", `"`, "»", `"`, "″", `"`)

// ParseStatusMap reads a status map in the integration guide's format,
// {"Unas-Status1": "MiniCRM-Status1", …}, typographic quotes accepted. A status mapped twice
// is an error naming it (JSON would silently keep the last).
func ParseStatusMap(text string) (map[string]string, error) {
	plain := typographicQuotes.Replace(strings.TrimSpace(text))
	if plain == "" {
		return nil, errors.New("the status map is empty: write it as {\"UNAS status\": \"MiniCRM status\", …}")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(plain)))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New(`the status map must be an object: {"UNAS status": "MiniCRM status", …}`)
	}
	out := map[string]string{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the status map is not valid at offset %d: %v", dec.InputOffset(), err)
		}
		key := kt.(string)
		var val any
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("the status map is not valid after %q: %v", key, err)
		}
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("status %q maps to %v: the target must be a status name in quotes", key, val)
		}
		if strings.TrimSpace(key) == "" || strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("status %q → %q: names cannot be empty", key, s)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("status %q is mapped twice", key)
		}
		out[key] = s
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("the status map is not valid at its end: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("the status map has text after its closing brace")
	}
	return out, nil
}
