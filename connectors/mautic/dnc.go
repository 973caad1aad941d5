package mautic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

// A contact's do-not-contact entries say why, per channel (doNotContact[].reason): 1 the
// contact unsubscribed, 2 the address bounced, 3 set by hand or by crmsync. A
// re-subscription made on the other side takes off only the entries crmsync may have set
// (applyDNC).

// dncChanges returns the channels whose dnc.* field a write sets, true or false.
func dncChanges(r connectors.Record) []string {
	var out []string
	for _, ch := range DNCChannels {
		if _, ok := boolOf(r.Fields[DNCPrefix+ch]); ok {
			out = append(out, ch)
		}
	}
	return out
}

// addsDNC reports whether a write sets a channel's do-not-contact (a dnc.* field true).
func addsDNC(r connectors.Record) bool {
	for _, ch := range DNCChannels {
		if set, ok := boolOf(r.Fields[DNCPrefix+ch]); ok && set {
			return true
		}
	}
	return false
}

// mergedAddsDNC reports whether a create's call (its records sent, by place) holds a record
// Automation merged into a contact with its e-mail (written, Created false) that sets a
// do-not-contact: that contact's entries are then read from the answer (see dncCurrent).
func mergedAddsDNC(records []connectors.Record, results []connectors.Result, sent []int) bool {
	for _, i := range sent {
		if results[i].Err == nil && !results[i].Created && addsDNC(records[i]) {
			return true
		}
	}
	return false
}

// reasonNum reads a do-not-contact reason, a number or a text; -1 when unreadable.
func reasonNum(v any) int {
	n, err := strconv.Atoi(strings.TrimSpace(connectors.Text(v)))
	if err != nil {
		return -1
	}
	return n
}

// channelReasons returns the reasons of the channel's entries that keep the contact from
// being contacted (reason 0, contactable, left out).
func channelReasons(entries []dncEntry, ch string) []int {
	var out []int
	for _, d := range entries {
		if d.Channel == ch {
			if n := reasonNum(d.Reason); n != 0 {
				out = append(out, n)
			}
		}
	}
	return out
}

// reasonName says what a do-not-contact reason means.
func reasonName(n int) string {
	switch n {
	case 1:
		return "unsubscribed by the contact"
	case reasonBounced:
		return "bounced"
	case ReasonManual:
		return "set by hand"
	}
	return "reason " + strconv.Itoa(n)
}

// keepDNC logs a do-not-contact left in place although the record asked for it to be taken
// off: Automation's own (a bounce, the contact's unsubscribe).
func (c *Client) keepDNC(id, ch string, reasons []int) {
	var why []string
	for _, r := range reasons {
		why = append(why, fmt.Sprintf("%s (%d)", reasonName(r), r))
	}
	c.log.Warn(fmt.Sprintf("mautic: contact %s stays do-not-contact on %s: Automation holds it as %s, not set by crmsync; it is kept, and the next read carries it back to the other side",
		id, ch, strings.Join(why, ", ")),
		"contact", id, "channel", ch, "reasons", reasons)
}

// echoedDNC reads the do-not-contact entries of the contacts a batch write answers with, by
// their place in the request (of n): none for one the answer does not show, or not readably.
func echoedDNC(raw []byte, key string, n int) map[int][]dncEntry {
	out := map[int][]dncEntry{}
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return out
	}
	items, err := aligned[json.RawMessage](top[key], n)
	if err != nil {
		return out
	}
	for i, e := range items {
		var ent struct {
			ID           flexID          `json:"id"`
			DoNotContact json.RawMessage `json:"doNotContact"`
		}
		if len(e) == 0 || json.Unmarshal(e, &ent) != nil || ent.ID == "" {
			continue
		}
		if t := strings.TrimSpace(string(ent.DoNotContact)); t == "" || t == "null" {
			continue // not shown: unknown, not none
		}
		entries := []dncEntry{}
		if phpList(ent.DoNotContact, &entries) == nil {
			out[i] = entries
		}
	}
	return out
}

// dncCurrent returns, by record index, the do-not-contact entries of the contacts written
// whose record sets one (adds it or takes it off): those of the write's answer (known), the
// others read with a contacts listing (200 a call). A contact whose entries cannot be read
// fails its Result: none of its entries is taken off or changed blind. Of a create, only the
// contacts Automation merged the record into (Created false) are asked for: they may have
// entries (a bounce an add would make manual); a contact created anew has none.
func (c *Client) dncCurrent(ctx context.Context, records []connectors.Record, results []connectors.Result, known map[int][]dncEntry, create bool) (map[int][]dncEntry, error) {
	current := map[int][]dncEntry{}
	ask := map[string][]int{} // contact id → record indexes
	var ids []string
	for i, r := range records {
		if results[i].Err != nil || results[i].ID == "" || len(dncChanges(r)) == 0 || (create && (results[i].Created || !addsDNC(r))) {
			continue
		}
		if entries, ok := known[i]; ok {
			current[i] = entries
			continue
		}
		id := results[i].ID
		if _, seen := ask[id]; !seen {
			ids = append(ids, id)
		}
		ask[id] = append(ask[id], i)
	}
	const op = "GET /contacts"
	for _, chunk := range chunks(ids, PageLimit) {
		v := url.Values{"orderBy": {"id"}, "orderByDir": {"asc"}, "start": {"0"}, "limit": {strconv.Itoa(len(chunk))}}
		encodeWhere(v, "where", []cond{{col: "id", expr: "in", val: strings.Join(chunk, ",")}})
		ents, err := c.listing(ctx, "contacts", v)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.unreadable != "" {
				continue
			}
			for _, i := range ask[string(e.ID)] {
				current[i] = e.DoNotContact
			}
		}
	}
	for _, id := range ids {
		for _, i := range ask[id] {
			if _, ok := current[i]; !ok {
				results[i].Err = &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: op,
					Message: fmt.Sprintf("contact %s: its do-not-contact entries could not be read, so none is taken off", id)}
			}
		}
	}
	return current, nil
}
