package connectors

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Text writes a value decoded from JSON as text: a number whole as the API sent it (an id
// 38476512, not fmt's 3.8476512e+07), anything else as fmt prints it.
func Text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	}
	return fmt.Sprint(v)
}

// JSONKind names the kind of a JSON value for a message: "an object", "an array",
// "a string", "true or false", "null" or "a number"; ifEmpty when b holds only space.
func JSONKind(b []byte, ifEmpty string) string {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return ifEmpty
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	return "a number"
}

// IsEmptyJSONArray reports whether b is [] (space allowed), PHP's JSON for any empty array,
// list or map.
func IsEmptyJSONArray(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) >= 2 && t[0] == '[' && t[len(t)-1] == ']' && len(bytes.TrimSpace(t[1:len(t)-1])) == 0
}

// ParseNumber reads a number written as text. Unlike strconv.ParseFloat it refuses "NaN" and
// "Inf" (in any case): no system stores them as numbers, JSON cannot carry them to the other
// side or into a quarantine entry, and NaN is not equal to itself, so a field holding one
// would be written again at every pass. Such a text stays text where a caller keeps it.
func ParseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return 0, errors.New("not a finite number: " + strconv.Quote(s))
	}
	return f, err
}
