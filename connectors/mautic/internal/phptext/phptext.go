// Package phptext writes text as Mautic's PHP does, for the connector and its simulator alike.
package phptext

import (
	"strconv"
	"strings"
)

// SpecialChars encodes s as PHP's filter_var(s, FILTER_SANITIZE_SPECIAL_CHARS) does, the
// form Mautic stores a text in: ' " < > & and every byte below 32 become numeric entities;
// the rest, letters beyond ASCII included, are kept.
func SpecialChars(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"' || c == '<' || c == '>' || c == '&' || c < 32:
			b.WriteString("&#")
			b.WriteString(strconv.Itoa(int(c)))
			b.WriteByte(';')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
