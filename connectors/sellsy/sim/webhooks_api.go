package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Webhook management (reference §1.12; spec v2.128.0 paths /webhooks…, schemas
// WebhookCreateItem, WebhookEditItem, WebhookReadItem, WebhookFilters, WebhookEventsList):
// GET|POST /v2/webhooks, POST /v2/webhooks/search, GET|PUT|DELETE /v2/webhooks/{id},
// GET /v2/webhooks/events. Lists are paginated like every V2 list (limit, offset,
// direction). A registered, enabled http webhook receives the events its configuration lists
// ("client.created", "opportunity.updated", …), in addition to the endpoint SetWebhook sets
// for tests. Slack webhooks (type slack, default_channel required, a channel per event) are
// stored and listed but never delivered to.

type webhookConfig struct {
	ID        string  `json:"id"`
	IsEnabled bool    `json:"is_enabled"`
	Channel   *string `json:"channel,omitempty"` // slack only
}

type registeredHook struct {
	ID             int             `json:"id"`
	Type           string          `json:"type"`
	IsEnabled      bool            `json:"is_enabled"`
	Endpoint       string          `json:"endpoint"`
	DefaultChannel *string         `json:"default_channel,omitempty"` // slack only
	Created        string          `json:"created"`
	Updated        string          `json:"updated"`
	LastSucceeded  *string         `json:"last_succeeded"`
	LastFailed     *string         `json:"last_failed"`
	NbFailures     int             `json:"nb_failures"`
	Configuration  []webhookConfig `json:"configuration"`
}

// webhookEvents is the catalogue of GET /v2/webhooks/events. The reference lists
// task.created and task.deleted; the calendar-event and comment entities, and updated on the
// agenda objects, are the simulator's own names for what its agenda handlers emit.
var webhookEvents = func() []map[string]any {
	var out []map[string]any
	for _, e := range []struct{ id, description string }{
		{"client", "Clients"}, {"contact", "Contacts"}, {"individual", "Individuals"}, {"opportunity", "Opportunities"},
		{"task", "Tasks"}, {"calendar-event", "Calendar events"}, {"comment", "Comments"},
	} {
		out = append(out, map[string]any{"id": e.id, "description": e.description,
			"events": map[string]string{"created": "Creation", "updated": "Update", "deleted": "Deletion"}, "parent": nil})
	}
	return out
}()

func knownEvent(id string) bool {
	for _, e := range webhookEvents {
		for ev := range e["events"].(map[string]string) {
			if e["id"].(string)+"."+ev == id {
				return true
			}
		}
	}
	return false
}

func (s *Server) webhookRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v2/webhooks", s.api(s.listHooks))
	mux.HandleFunc("POST /v2/webhooks", s.api(s.createHook))
	mux.HandleFunc("POST /v2/webhooks/search", s.api(s.listHooks))
	mux.HandleFunc("GET /v2/webhooks/events", s.api(func(w http.ResponseWriter, r *http.Request) {
		simkit.WriteJSON(w, http.StatusOK, webhookEvents)
	}))
	mux.HandleFunc("GET /v2/webhooks/{id}", s.api(s.getHook))
	mux.HandleFunc("PUT /v2/webhooks/{id}", s.api(s.updateHook))
	mux.HandleFunc("DELETE /v2/webhooks/{id}", s.api(s.deleteHook))
}

// listHooks serves GET /v2/webhooks and POST /v2/webhooks/search (WebhookFilters: type,
// is_enabled, endpoint, all exact), one page at a time in id order.
func (s *Server) listHooks(w http.ResponseWriter, r *http.Request) {
	p, bad := parsePage(r.URL.Query())
	var f struct {
		Filters *struct {
			Type      *string `json:"type"`
			IsEnabled *bool   `json:"is_enabled"`
			Endpoint  *string `json:"endpoint"`
		} `json:"filters"`
	}
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			invalid(w, map[string]string{"body": "JSON invalide"})
			return
		}
		if f.Filters == nil {
			bad = map[string]string{"filters": msgMissing}
		}
	}
	if bad != nil {
		invalid(w, bad)
		return
	}
	s.hookMu.Lock()
	hooks := slices.Clone(s.hooks)
	s.hookMu.Unlock()
	ids := make([]int, len(hooks))
	for i, h := range hooks {
		ids[i] = h.ID
	}
	keep := func(i int) bool {
		h := hooks[i]
		if f.Filters == nil {
			return true
		}
		return (f.Filters.Type == nil || *f.Filters.Type == h.Type) && (f.Filters.IsEnabled == nil || *f.Filters.IsEnabled == h.IsEnabled) &&
			(f.Filters.Endpoint == nil || *f.Filters.Endpoint == h.Endpoint)
	}
	sel, total, offset := p.paginate(ids, keep)
	out := make([]registeredHook, 0, len(sel))
	for _, id := range sel {
		out = append(out, hooks[slices.IndexFunc(hooks, func(h registeredHook) bool { return h.ID == id })])
	}
	respondPage(w, p, out, total, offset)
}

type hookIn struct {
	Type           *string          `json:"type"`
	Endpoint       *string          `json:"endpoint"`
	IsEnabled      *bool            `json:"is_enabled"`
	DefaultChannel *string          `json:"default_channel"`
	Configuration  *[]webhookConfig `json:"configuration"`
}

// check validates a WebhookCreateItem (create) or WebhookEditItem of a webhook of type typ.
func (in hookIn) check(create bool, typ string) map[string]string {
	bad := map[string]string{}
	if create {
		switch {
		case in.Type == nil:
			bad["type"] = msgMissing
		case *in.Type != "http" && *in.Type != "slack":
			bad["type"] = "Cette valeur doit être l'un des choix proposés."
		default:
			typ = *in.Type
		}
	}
	if typ == "slack" && (in.DefaultChannel != nil || create) && (in.DefaultChannel == nil || *in.DefaultChannel == "") {
		bad["default_channel"] = "Cette valeur ne doit pas être vide pour un webhook slack."
	}
	if in.Endpoint != nil || create {
		if in.Endpoint == nil {
			bad["endpoint"] = "Cette valeur ne doit pas être vide."
		} else if u, err := url.Parse(*in.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad["endpoint"] = "Cette valeur n'est pas une URL valide."
		}
	}
	if in.Configuration != nil {
		for _, c := range *in.Configuration {
			if !knownEvent(c.ID) {
				bad["configuration"] = "Événement inconnu: " + c.ID
			}
		}
	}
	return bad
}

func (s *Server) createHook(w http.ResponseWriter, r *http.Request) {
	var in hookIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		invalid(w, map[string]string{"body": "JSON invalide"})
		return
	}
	if bad := in.check(true, ""); len(bad) > 0 {
		invalid(w, bad)
		return
	}
	now := s.now().Format(time.RFC3339)
	s.hookMu.Lock()
	s.hookSeq++
	h := registeredHook{ID: s.hookSeq, Type: *in.Type, IsEnabled: true, Endpoint: *in.Endpoint, Created: now, Updated: now, Configuration: []webhookConfig{}}
	in.apply(&h)
	s.hooks = append(s.hooks, h)
	s.ensureDelivery()
	s.hookMu.Unlock()
	simkit.WriteJSON(w, http.StatusCreated, h)
}

// apply writes the given fields into h (a slack webhook keeps its channels, an http one has
// none).
func (in hookIn) apply(h *registeredHook) {
	if in.Endpoint != nil {
		h.Endpoint = *in.Endpoint
	}
	if in.IsEnabled != nil {
		h.IsEnabled = *in.IsEnabled
	}
	if in.DefaultChannel != nil && h.Type == "slack" {
		h.DefaultChannel = in.DefaultChannel
	}
	if in.Configuration != nil {
		h.Configuration = slices.Clone(*in.Configuration)
		if h.Configuration == nil {
			h.Configuration = []webhookConfig{}
		}
		for i := range h.Configuration {
			if h.Type != "slack" {
				h.Configuration[i].Channel = nil
			}
		}
	}
}

func (s *Server) hookIndex(r *http.Request) int {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		return -1
	}
	return slices.IndexFunc(s.hooks, func(h registeredHook) bool { return h.ID == id })
}

func (s *Server) getHook(w http.ResponseWriter, r *http.Request) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	i := s.hookIndex(r)
	if i < 0 {
		notFound(w)
		return
	}
	simkit.WriteJSON(w, http.StatusOK, s.hooks[i])
}

func (s *Server) updateHook(w http.ResponseWriter, r *http.Request) {
	var in hookIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		invalid(w, map[string]string{"body": "JSON invalide"})
		return
	}
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	i := s.hookIndex(r)
	if i < 0 {
		notFound(w)
		return
	}
	h := &s.hooks[i]
	if bad := in.check(false, h.Type); len(bad) > 0 {
		invalid(w, bad)
		return
	}
	in.apply(h)
	h.Updated = s.now().Format(time.RFC3339)
	simkit.WriteJSON(w, http.StatusOK, *h)
}

func (s *Server) deleteHook(w http.ResponseWriter, r *http.Request) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	i := s.hookIndex(r)
	if i < 0 {
		notFound(w)
		return
	}
	s.hooks = slices.Delete(s.hooks, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

// ensureDelivery starts the delivery goroutine; hookMu is held.
func (s *Server) ensureDelivery() {
	if s.hookCh == nil {
		s.hookCh = make(chan hookMsg, 4096)
		go s.deliver(s.hookCh)
	}
}

// registeredTargets returns the endpoints of the enabled webhooks subscribed to an event;
// hookMu is held.
func (s *Server) registeredTargets(event string) []string {
	var out []string
	for _, h := range s.hooks {
		if !h.IsEnabled || h.Type != "http" {
			continue
		}
		for _, c := range h.Configuration {
			if c.ID == event && c.IsEnabled {
				out = append(out, h.Endpoint)
			}
		}
	}
	return out
}
