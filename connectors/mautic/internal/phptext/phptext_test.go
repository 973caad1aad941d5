package phptext

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// SpecialChars is PHP's FILTER_SANITIZE_SPECIAL_CHARS.
func TestSpecialChars(t *testing.T) {
	in := "O'Brien \"&\" <b>\n\t\r\x01 é ü 日本 ; # \x7f"
	want := "O&#39;Brien &#34;&#38;&#34; &#60;b&#62;&#10;&#9;&#13;&#1; é ü 日本 ; # \x7f"
	assert.Equal(t, want, SpecialChars(in))
	assert.Equal(t, "plain", SpecialChars("plain"))
	assert.Equal(t, "", SpecialChars(""))
}
