package sim

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Webhook events the simulator sends (Mautic's LeadEvents names).
const (
	EventContactDelete = "mautic.lead_post_delete"
	EventContactUpdate = "mautic.lead_post_save_update"
)

// SetWebhook sets the URL contact events are POSTed to and the secret they are signed with;
// an empty url turns webhooks off.
func (s *Server) SetWebhook(url, secret string) {
	s.whMu.Lock()
	s.whURL, s.whSecret = url, secret
	s.whMu.Unlock()
}

// WebhookDeliveries returns how many webhook POSTs got a 2xx answer and how many failed.
func (s *Server) WebhookDeliveries() (delivered, failed int) {
	return int(s.whOK.Load()), int(s.whFailed.Load())
}

// WaitWebhooks blocks until every delivery started so far has finished.
func (s *Server) WaitWebhooks() { s.whWG.Wait() }

func (s *Server) webhookOn() bool {
	s.whMu.Lock()
	defer s.whMu.Unlock()
	return s.whURL != ""
}

// emitUpdate sends mautic.lead_post_save_update for an edited contact.
func (s *Server) emitUpdate(st *store, rc *rec) {
	if st != s.contacts || !s.webhookOn() {
		return
	}
	s.emit(EventContactUpdate, map[string]any{"contact": st.shape(rc), "timestamp": s.now().In(s.opts.Location).Format(dateLayout)})
}

// emitDelete sends mautic.lead_post_delete for a contact about to be removed.
func (s *Server) emitDelete(st *store, rc *rec) {
	if st != s.contacts || !s.webhookOn() {
		return
	}
	s.emit(EventContactDelete, map[string]any{"id": rc.id, "contact": st.shape(rc), "timestamp": s.now().In(s.opts.Location).Format(dateLayout)})
}

// emit POSTs {"<event>":[item]} to the webhook URL in the background (Mautic's immediate
// queue mode), signed with Webhook-Signature: base64(HMAC-SHA256(body, secret)). Best effort:
// no retry.
func (s *Server) emit(event string, item map[string]any) {
	s.whMu.Lock()
	url, secret := s.whURL, s.whSecret
	s.whMu.Unlock()
	if url == "" {
		return
	}
	body, err := json.Marshal(map[string]any{event: []any{item}})
	if err != nil {
		s.whFailed.Add(1)
		return
	}
	headers := map[string]string{"X-Origin-Base-URL": "http://mautic.sim", "Webhook-Signature": simkit.SignHMAC(body, secret)}
	simkit.PostWebhook(webhookClient, url, body, headers, &s.whWG, func(status int) {
		if status >= 200 && status < 300 {
			s.whOK.Add(1)
		} else {
			s.whFailed.Add(1)
		}
	})
}

var webhookClient = &http.Client{Timeout: 10 * time.Second}

// adminWebhook serves POST /_sim/webhook {url, secret} (sets the webhook) and GET /_sim/webhook
// ({url, delivered, failed}; the secret is not shown).
func (s *Server) adminWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var body struct {
			URL    string `json:"url"`
			Secret string `json:"secret"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "webhook: body must be {url, secret}", http.StatusBadRequest)
			return
		}
		s.SetWebhook(body.URL, body.Secret)
	}
	s.whMu.Lock()
	url := s.whURL
	s.whMu.Unlock()
	ok, failed := s.WebhookDeliveries()
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"url": url, "delivered": ok, "failed": failed})
}
