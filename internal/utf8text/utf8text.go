// Package utf8text keeps texts that leave the process — workflow histories (protobuf), the
// store (PostgreSQL text), logs — valid UTF-8, whatever bytes an API answered with.
package utf8text

import (
	"strings"
	"unicode/utf8"
)

// Valid returns s with each run of bytes that is not UTF-8 replaced by U+FFFD.
func Valid(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Cut returns s cut to at most n bytes, at the start of a character.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
