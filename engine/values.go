// Package engine holds crmsync's sync logic as pure functions: comparing values across
// systems, the per-field three-way merge against the last-synced snapshot, direction and
// conflict rules, and the identity keys records are matched on. It does no I/O.
package engine

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Canon returns the canonical form of a field value, the form snapshots keep and comparisons
// use: nil for every kind of empty, trimmed strings, float64 numbers, bools, and sorted
// string lists. Values read back from a JSON snapshot ([]any, json numbers) canonicalise to
// the same form as the values they were made from.
func Canon(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return nil
		}
		return s
	case float64:
		return x
	case float32:
		return float64(x)
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case bool:
		return x
	case []string:
		return canonList(x)
	case []any:
		list := make([]string, 0, len(x))
		for _, e := range x {
			if e == nil {
				continue
			}
			list = append(list, fmt.Sprint(e))
		}
		return canonList(list)
	default:
		return fmt.Sprint(x)
	}
}

func canonList(in []string) any {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Strings(out)
	// A value twice is the value once: a many-to-one value map gives ["Y", "Y"] where the
	// other side keeps one "Y", which would look like a change there at every pass.
	return slices.Compact(out)
}

// Equal reports whether two values are the same once canonical. A number and a string
// holding the same number are equal, since APIs write numbers both ways (Sellsy's numeric
// custom fields are strings, Mautic's are numbers): the string is read as a number field
// reads text (asNumber: "1234.50", "1 234,5"), so that a number a system gives back in its
// own format is the number written, not a change to write again at every pass. Two strings
// compare as texts: "1234.5" and "1234.50" differ, a number field's values being numbers
// once converted (Codec).
func Equal(a, b any) bool {
	a, b = Canon(a), Canon(b)
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case float64:
			f, ok := asNumber(x)
			return ok && sameNumber(f, y)
		}
		return false
	case float64:
		switch y := b.(type) {
		case float64:
			return sameNumber(x, y)
		case string:
			f, ok := asNumber(y)
			return ok && sameNumber(x, f)
		}
		return false
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []string:
		y, ok := b.([]string)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return false
}

func sameNumber(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// IsEmpty reports whether a value is empty once canonical.
func IsEmpty(v any) bool { return Canon(v) == nil }

// MatchKey returns the normalised identity key of a value: e-mails and names compare without
// case and surrounding space; numbers written in groups (a SIRET "123 456 789 00012", a
// phone) without the spaces. "" means the record has no key.
func MatchKey(v any) string {
	s, ok := Canon(v).(string)
	if !ok {
		if f, isNum := Canon(v).(float64); isNum {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return ""
	}
	words := strings.Fields(s)
	if digits := strings.Join(words, ""); allDigits(digits) {
		return digits
	}
	// Composed (NFC): an accent typed as a letter and a combining mark (text copied from a
	// PDF) is the same key as the one typed on a keyboard.
	return norm.NFC.String(strings.ToLower(strings.Join(words, " ")))
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
