package mautic

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Webhook event types ParseWebhook reports (Mautic's LeadEvents names).
const (
	EventContactDelete = "mautic.lead_post_delete"
	EventContactUpdate = "mautic.lead_post_save_update"
)

// ChangeEvents are the event types announcing a change the sync reads by itself — a contact
// created or saved, its company or its consent changed, a company saved — on which a
// delivery asks the connection's sync to run now (AnnouncedChange).
var ChangeEvents = []string{"mautic.lead_post_save_new", EventContactUpdate, "mautic.lead_company_change",
	"mautic.lead_channel_subscription_changed", "mautic.company_post_save"}

// AnnouncedChange returns the first type of ChangeEvents a delivery holds an event of, ""
// for none. The events are not read: the sync reads the records itself.
func AnnouncedChange(body []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return ""
	}
	for _, typ := range ChangeEvents {
		if raw, ok := top[typ]; ok && len(raw) > 0 && string(raw) != "[]" && string(raw) != "null" {
			return typ
		}
	}
	return ""
}

// WebhookEvent is one contact event of a Mautic webhook delivery.
type WebhookEvent struct {
	Type      string    // EventContactDelete or EventContactUpdate
	ContactID string    // the contact's id
	At        time.Time // the event's timestamp (UTC); zero when absent or unreadable
}

// ParseWebhook reads a delivery {"<event type>":[{"id"?, "contact":{"id",...}, "timestamp"}],
// ...} and returns its mautic.lead_post_delete and mautic.lead_post_save_update events ordered
// by time (delete events read "id" first, since a deleted contact's own id may be null).
// Other event types, and events without a contact id, are ignored; a body that is not such a JSON object is an error.
func ParseWebhook(body []byte) ([]WebhookEvent, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("mautic webhook: %w", err)
	}
	if top == nil {
		return nil, fmt.Errorf("mautic webhook: body is not a JSON object")
	}
	var out []WebhookEvent
	for _, typ := range []string{EventContactDelete, EventContactUpdate} {
		raw, ok := top[typ]
		if !ok {
			continue
		}
		var items []struct {
			ID      *flexID `json:"id"`
			Contact *struct {
				ID *flexID `json:"id"`
			} `json:"contact"`
			Timestamp string `json:"timestamp"`
		}
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("mautic webhook: %s: %w", typ, err)
		}
		for _, it := range items {
			ev := WebhookEvent{Type: typ}
			if it.ID != nil && *it.ID != "" {
				ev.ContactID = string(*it.ID)
			} else if it.Contact != nil && it.Contact.ID != nil {
				ev.ContactID = string(*it.Contact.ID)
			}
			if ev.ContactID == "" {
				continue // nothing to act on
			}
			ts := it.Timestamp
			ev.At = parseDate(&ts)
			out = append(out, ev)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}
