package connectors

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// VerifyHMAC reports whether signature is base64(HMAC-SHA256(body, secret)), the scheme of
// Mautic's Webhook-Signature and UNAS's X-Unas-Hmac. body must be the raw request body. An
// empty secret or signature never verifies.
func VerifyHMAC(body []byte, signature, secret string) bool {
	signature = strings.TrimSpace(signature)
	if secret == "" || signature == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
