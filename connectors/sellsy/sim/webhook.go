package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Webhooks. Sellsy delivers an event as an HTTP POST, form-encoded, with one field "notif"
// holding a JSON string, and may ping the endpoint with a GET (reference §1.12). The keys
// event, relatedtype and relatedid are the documented ones; timestamp, ownertype and ownerid
// are the simulator's choice for the keys the reference marks UNCONFIRMED, left out with
// Options.WebhookWithoutTimestamp.
//
// relatedtype is "client" for companies (the event ids seen in practice are client.*),
// "contact", "individual" and "opportunity"; "task", "calendar-event" and "comment" for the
// agenda (agenda.go). A step move (PATCH …/step-rank or a PUT that changes the step) is an
// "updated" event of the opportunity.

type hookMsg struct {
	url   string
	ping  bool
	notif []byte
}

// webhookUserAgent starts with "Sellsy": the only check real receivers were seen to make.
const webhookUserAgent = "Sellsy-Webhook/2 (crmsync simulator)"

// SetWebhook sets the endpoint that receives the events ("" stops delivery) and pings it
// with a GET. Delivery is asynchronous, one event at a time in the order they happened; an
// endpoint that fails or is unreachable loses the event (no retry).
func (s *Server) SetWebhook(endpoint string) {
	s.hookMu.Lock()
	s.hookURL = endpoint
	if s.hookCh == nil && endpoint != "" {
		s.hookCh = make(chan hookMsg, 4096)
		go s.deliver(s.hookCh)
	}
	ch := s.hookCh
	s.hookMu.Unlock()
	if endpoint != "" {
		select {
		case ch <- hookMsg{url: endpoint, ping: true}:
		default:
		}
	}
}

// DropWebhooks makes the next n events get lost (not delivered), as a network or Sellsy
// outage would.
func (s *Server) DropWebhooks(n int) {
	s.hookMu.Lock()
	s.hookDrop = n
	s.hookMu.Unlock()
}

// WebhooksSent returns the number of events handed to the endpoint so far (pings excluded).
func (s *Server) WebhooksSent() int {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	return s.hookSent
}

var relatedTypes = map[string]string{
	kindCompanies: "client", kindContacts: "contact", kindIndividuals: "individual", kindOpportunities: "opportunity",
	"tasks": "task", "calendar-events": "calendar-event", "comments": "comment",
}

// emit queues an event; it never blocks (a full queue loses the event).
func (s *Server) emit(event, kind string, id int) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	rt := relatedTypes[kind]
	if rt == "" {
		rt = kind
	}
	targets := s.registeredTargets(rt + "." + event)
	if s.hookURL != "" {
		targets = append(targets, s.hookURL)
	}
	if len(targets) == 0 {
		return
	}
	if s.hookDrop > 0 {
		s.hookDrop--
		return
	}
	n := map[string]any{"event": event, "relatedtype": rt, "relatedid": strconv.Itoa(id)}
	if !s.opt.WebhookWithoutTimestamp {
		n["timestamp"], n["ownertype"], n["ownerid"] = strconv.FormatInt(s.now().Unix(), 10), "staff", "1"
	}
	notif, _ := json.Marshal(n)
	for _, t := range targets {
		select {
		case s.hookCh <- hookMsg{url: t, notif: notif}:
			s.hookSent++
		default:
		}
	}
}

func (s *Server) deliver(ch chan hookMsg) {
	client := &http.Client{Timeout: 10 * time.Second}
	for m := range ch {
		var req *http.Request
		var err error
		if m.ping {
			req, err = http.NewRequest(http.MethodGet, m.url, nil)
		} else {
			form := url.Values{"notif": {string(m.notif)}}
			req, err = http.NewRequest(http.MethodPost, m.url, strings.NewReader(form.Encode()))
			if err == nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		}
		if err != nil {
			continue
		}
		req.Header.Set("User-Agent", webhookUserAgent)
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
		}
	}
}

// webhookAdmin serves POST /_sim/webhook {"url": "..."}.
func (s *Server) webhookAdmin(w http.ResponseWriter, r *http.Request) {
	var b struct {
		URL string `json:"url"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		http.Error(w, "webhook: body must be {\"url\": \"...\"}", http.StatusBadRequest)
		return
	}
	if b.URL != "" {
		if u, err := url.Parse(b.URL); err != nil || u.Scheme == "" || u.Host == "" {
			http.Error(w, "webhook: url must be absolute", http.StatusBadRequest)
			return
		}
	}
	s.SetWebhook(b.URL)
	simkit.WriteJSON(w, http.StatusOK, map[string]string{"url": b.URL})
}
