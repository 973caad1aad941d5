package connectors

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Mautic's Webhook-Signature and UNAS's X-Unas-Hmac: base64(HMAC-SHA256(body, secret)).
func TestVerifyHMAC(t *testing.T) {
	body := []byte(`{"mautic.lead_post_delete":[{"id":7,"contact":{"id":7},"timestamp":"2026-03-01T10:00:00+00:00"}]}`)
	good := simkit.SignHMAC(body, "s3")
	cases := []struct {
		name      string
		body      []byte
		sig, secr string
		want      bool
	}{
		{"valid", body, good, "s3", true},
		{"valid with spaces around the header", body, " " + good + " ", "s3", true},
		{"tampered body", append([]byte(nil), append(body[:len(body)-2:len(body)-2], []byte(`8]}`)...)...), good, "s3", false},
		{"wrong secret", body, good, "s4", false},
		{"empty secret", body, simkit.SignHMAC(body, ""), "", false},
		{"empty signature", body, "", "s3", false},
		{"not base64", body, "%%%", "s3", false},
		{"hex instead of base64", body, "deadbeef", "s3", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, VerifyHMAC(c.body, c.sig, c.secr))
		})
	}
}
