package sim

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// An automatism (Automata folyamatok, VIP only in UNAS) with a webhook operation: the
// simulator POSTs a JSON event to the URL SetWebhook gives, signed as UNAS signs it, header
// X-Unas-Hmac = base64(HMAC-SHA256(body, secret)). UNAS does not document the payload; the
// simulator sends {"event", "shop_id", "order": {"key", "status"}, "time"}. UNAS retries an
// answer other than 200 five times, 5 minutes apart; the simulator delivers once.

// SetWebhook makes status changes call url, signed with secret ("" stops the calls).
func (s *Server) SetWebhook(url, secret string) {
	s.mu.Lock()
	s.hookURL, s.hookSecret = url, secret
	s.mu.Unlock()
}

// adminWebhook serves POST /_sim/webhook {"url": "...", "secret": "..."}.
func (s *Server) adminWebhook(w http.ResponseWriter, r *http.Request) {
	var b struct{ URL, Secret string }
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		http.Error(w, `webhook: body must be {"url":"http://…","secret":"…"}`, http.StatusBadRequest)
		return
	}
	s.SetWebhook(b.URL, b.Secret)
	w.WriteHeader(http.StatusNoContent)
}

// adminStatus serves POST /_sim/status {"key": "...", "status": "..."}: a status change made
// in the shop's back office.
func (s *Server) adminStatus(w http.ResponseWriter, r *http.Request) {
	var b struct{ Key, Status string }
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.Key == "" || b.Status == "" {
		http.Error(w, `status: body must be {"key":"…","status":"…"}`, http.StatusBadRequest)
		return
	}
	s.SetStatus(b.Key, b.Status)
	w.WriteHeader(http.StatusNoContent)
}

// Deliveries returns how many webhook calls were answered 200.
func (s *Server) Deliveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// emitLocked sends an order event when a webhook is set. The caller holds s.mu.
func (s *Server) emitLocked(event string, o *Order) {
	if s.hookURL == "" {
		return
	}
	body, _ := json.Marshal(map[string]any{
		"event": event, "shop_id": s.opts.ShopID, "time": s.now().In(s.loc).Format(time.DateTime),
		"order": map[string]any{"key": o.Key, "status": string(o.Status)},
	})
	headers := map[string]string{"X-Unas-Hmac": simkit.SignHMAC(body, s.hookSecret)}
	// UNAS allows a call 2 minutes and counts only a 200 as delivered.
	simkit.PostWebhook(&http.Client{Timeout: 2 * time.Minute}, s.hookURL, body, headers, nil, func(status int) {
		if status == http.StatusOK {
			s.mu.Lock()
			s.delivered++
			s.mu.Unlock()
		}
	})
}
