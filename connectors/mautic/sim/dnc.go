package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
)

// Do-not-contact reasons (Mautic's DoNotContact constants).
const (
	ReasonContactable  = 0
	ReasonUnsubscribed = 1
	ReasonBounced      = 2
	ReasonManual       = 3
)

// dncEntry is one do-not-contact row of a contact.
type dncEntry struct {
	id        int
	reason    int
	comments  any // string or nil
	channel   string
	channelID any // int or nil
	added     time.Time
}

// dncShape is the contact's doNotContact[] as the API serialises it.
func (s *store) dncShape(l []dncEntry) []any {
	out := make([]any, len(l))
	for i, d := range l {
		added := d.added
		out[i] = map[string]any{"id": d.id, "reason": d.reason, "comments": d.comments,
			"channel": d.channel, "channelId": d.channelID, "dateAdded": s.fmtDate(&added)}
	}
	return out
}

// contactDNC serves POST /api/contacts/{id}/dnc/{channel}/add|remove. add takes an optional
// body {reason (default 3, manual), comments, channelId} and answers {"contact":{...}};
// reason 0 (or any code but 1-3) → 400 "Invalid reason code given". remove answers
// {"recordFound":bool,"contact":{...}}. A change sets dateModified.
func (s *Server) contactDNC(st *store, w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	channel := r.PathValue("channel")
	action := r.PathValue("action")
	if action != "add" && action != "remove" {
		writeError(w, http.StatusNotFound, "Requested URL not found: "+r.URL.Path, "not_found", nil)
		return
	}
	body := map[string]any{}
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Request body is not valid JSON.", nil, nil)
		return
	}
	if t := bytes.TrimSpace(raw); len(t) > 0 {
		if err := json.Unmarshal(t, &body); err != nil {
			writeError(w, http.StatusBadRequest, "Request body is not valid JSON.", nil, nil)
			return
		}
		if body == nil {
			body = map[string]any{}
		}
	}
	reason := ReasonManual
	if raw, ok := body["reason"]; ok && raw != nil {
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(raw)))
		if err != nil || n < ReasonUnsubscribed || n > ReasonManual {
			writeError(w, http.StatusBadRequest, "Invalid reason code given", nil, nil)
			return
		}
		reason = n
	}
	var comments, channelID any
	if c, ok := body["comments"].(string); ok {
		comments = c
	}
	if c, ok := body["channelId"].(float64); ok {
		channelID = int(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := st.recs[id]
	if rc == nil {
		notFound(w)
		return
	}
	if s.locked[id] {
		accessDenied(w)
		return
	}
	idx := -1
	for i, d := range rc.dnc {
		if d.channel == channel {
			idx = i
		}
	}
	changed := false
	if action == "add" {
		if idx < 0 {
			rc.dnc = append(rc.dnc, dncEntry{id: st.nextDNC, reason: reason, comments: comments,
				channel: channel, channelID: channelID, added: s.now()})
			st.nextDNC++
			changed = true
		} else if d := &rc.dnc[idx]; d.reason != reason && d.reason != ReasonUnsubscribed {
			// DoNotContact::addDncForContact changes an entry's reason (and comments), but
			// never a contact's own unsubscribe ($allowUnsubscribeOverride false).
			d.reason, d.comments = reason, comments
			changed = true
		}
	} else if idx >= 0 {
		rc.dnc = append(rc.dnc[:idx:idx], rc.dnc[idx+1:]...)
		changed = true
	}
	if changed {
		now := s.now()
		rc.modified = &now
		rc.json.Store(nil)
		s.emitUpdate(st, rc)
	}
	out := map[string]any{st.single: st.shape(rc)}
	if action == "remove" {
		out["recordFound"] = idx >= 0
	}
	simkit.WriteJSON(w, http.StatusOK, out)
}

// applyInlineDNC applies a write body's doNotContact:[{channel, reason, comments}] (reason 0
// removes the channel's entry; the default reason is 3, manual). It reports a change.
func (s *Server) applyInlineDNC(st *store, rc *rec, body map[string]any) bool {
	list, _ := body["doNotContact"].([]any)
	if st != s.contacts || len(list) == 0 {
		return false
	}
	changed := false
	for _, raw := range list {
		m, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		channel, _ := m["channel"].(string)
		if channel == "" {
			channel = "email"
		}
		reason := ReasonManual
		if v, ok := m["reason"]; ok && v != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v))); err == nil {
				reason = n
			}
		}
		var comments any
		if c, ok := m["comments"].(string); ok {
			comments = c
		}
		idx := slices.IndexFunc(rc.dnc, func(d dncEntry) bool { return d.channel == channel })
		switch {
		case reason == ReasonContactable && idx >= 0:
			rc.dnc = slices.Delete(rc.dnc, idx, idx+1)
			changed = true
		case reason == ReasonContactable:
		case idx < 0:
			rc.dnc = append(rc.dnc, dncEntry{id: st.nextDNC, reason: reason, comments: comments, channel: channel, added: s.now()})
			st.nextDNC++
			changed = true
		case rc.dnc[idx].reason != reason || rc.dnc[idx].comments != comments:
			rc.dnc[idx].reason, rc.dnc[idx].comments = reason, comments
			changed = true
		}
	}
	if changed {
		rc.json.Store(nil)
	}
	return changed
}
