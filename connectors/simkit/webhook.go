package simkit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
)

// SignHMAC is base64(HMAC-SHA256(body, secret)): how Automation (Webhook-Signature) and UNAS
// (X-Unas-Hmac) sign their webhooks.
func SignHMAC(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// PostWebhook POSTs a JSON webhook body with these headers in the background, once (no
// retry), and calls done with the answer's status, 0 when none came. wg, when not nil, counts
// the delivery while it runs.
func PostWebhook(client *http.Client, url string, body []byte, headers map[string]string, wg *sync.WaitGroup, done func(status int)) {
	if wg != nil {
		wg.Add(1)
	}
	go func() {
		if wg != nil {
			defer wg.Done()
		}
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			done(0)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			done(0)
			return
		}
		_ = resp.Body.Close()
		done(resp.StatusCode)
	}()
}
