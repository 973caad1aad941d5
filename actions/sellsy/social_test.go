package sellsyactions

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/actions/actiontest"
)

// socialURL sends URLs as given, adds https:// to one written without its scheme (even when
// its query holds a URL), makes a Twitter handle its profile's URL, and refuses an e-mail
// address, a user-info part and any other value starting with "@" rather than send them as
// https://ada@example.com or https://@acme.inc.
func TestSocialURL(t *testing.T) {
	tests := []struct {
		field, in, want string // want "": refused
	}{
		{"linkedin", "https://linkedin.com/in/ada", "https://linkedin.com/in/ada"},
		{"linkedin", "linkedin.com/in/ada", "https://linkedin.com/in/ada"},
		{"facebook", "http://fb.com/acme", "http://fb.com/acme"},
		{"facebook", "fb.com/acme?ref=https://x.y", "https://fb.com/acme?ref=https://x.y"},
		{"facebook", "fb.com?ref=https://x.y", "https://fb.com?ref=https://x.y"},
		{"facebook", "https://fb.com/acme?ref=https://x.y", "https://fb.com/acme?ref=https://x.y"},
		{"twitter", "@ada", "https://twitter.com/ada"},
		{"twitter", "ada_L", "https://twitter.com/ada_L"},
		{"twitter", "twitter.com/ada", "https://twitter.com/ada"},
		{"viadeo", "  ", ""},

		{"linkedin", "ada@example.com", ""},
		{"linkedin", "https://ada@example.com", ""},
		{"linkedin", "https://ada:pw@linkedin.com/in/ada", ""},
		{"facebook", "@acme.inc", ""},
		{"twitter", "@ada.lovelace", ""},
		{"twitter", "@ada_lovelace_1234", ""}, // 16 characters: no handle
		{"twitter", "@", ""},
		{"linkedin", "ada", ""},
		{"facebook", "ftp://fb.com/acme", ""},
		{"facebook", "fb.com/acme page", ""},
	}
	for _, tc := range tests {
		t.Run(tc.field+" "+tc.in, func(t *testing.T) {
			got, err := socialURL(tc.field, tc.in)
			if tc.want == "" && tc.in != "  " {
				ae := actiontest.AppErr(t, err)
				assert.Equal(t, ErrTypeInvalidRecord, ae.Type())
				assert.Contains(t, ae.Error(), tc.field)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
