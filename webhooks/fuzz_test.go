package webhooks

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/config"
)

// Whatever a delivery carries, the receiver answers it without panicking: a correctly signed
// Automation delivery, a Sellsy notification on the right token, a push, a UNAS call. Every
// answer is a status the sender understands, never a server error caused by the data.
func FuzzDeliveries(f *testing.F) {
	f.Add(deleteDelivery, "application/json")
	f.Add(notif("updated", "opportunity", "77"), "application/x-www-form-urlencoded")
	f.Add(`notif={"eventType":"opportunity.step","relatedid":"x"}`, "application/x-www-form-urlencoded")
	f.Add(`{"contact_id": 12}`, "application/json")
	f.Add(`contact_id=12`, "application/x-www-form-urlencoded")
	f.Add(`{"mautic.lead_post_delete":[{"id":"17"}]}`, "application/json")
	conn := shopConnection(f)
	f.Fuzz(func(t *testing.T, body, contentType string) {
		h := New(&fakeTemporal{}, "crmsync", []*config.Connection{conn}, slog.New(slog.DiscardHandler)).Handler()
		for _, d := range []struct {
			path   string
			header map[string]string
		}{
			{"/webhooks/shop/mautic", map[string]string{"Webhook-Signature": sign(body, "whsec-123")}},
			{"/webhooks/shop/sellsy/sel-789", nil},
			{"/push/shop/tok-456", nil},
			{"/webhooks/shop/unas", nil},
		} {
			req := httptest.NewRequest(http.MethodPost, d.path, bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", contentType)
			for k, v := range d.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Less(t, rec.Code, 500, "%s answered %d: %s", d.path, rec.Code, rec.Body.String())
		}
	})
}
