package sellsy

import (
	"context"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// A contact's company is not part of its record: it takes GET /contacts/{id}/companies, one
// call per contact. A full walk of the companies (the initial import, which reads companies
// before contacts) instead reads each company's contacts, one call per company, and notes
// whose they are; the contacts that follow take their link from the note. A contact the note
// does not know (another worker walked the companies, the note expired, the contact has no
// company) falls back to its own lookup, so the note only ever saves calls.
const (
	linkNoteTTL = 30 * time.Minute // a link older than this may have changed: look it up again
	linkNoteCap = 250_000          // 24 bytes a note (about 10 MB with the map's overhead), whatever the account's size
)

// linkNote is a contact's company and when it was noted (unix seconds), kept as numbers:
// Sellsy ids are integers, and strings would triple the note's size.
type linkNote struct {
	company int64
	at      int64
}

// linkNotes maps contact ids to the company a walk of the companies found them in. Each note
// is used once: the contact's read takes it.
type linkNotes struct {
	mu sync.Mutex
	m  map[int64]linkNote
	// swept is when a full note last looked for expired notes (unix seconds): at most once a
	// minute, since a sweep reads every note and, on an account of more contacts than the cap,
	// one per note would make the walk quadratic.
	swept  int64
	sweeps int // how many sweeps ran (tests)
}

// note records that contact belongs to company unless a lower-id company already claimed it:
// a contact of several companies links to its first, as its own lookup says, whichever of a
// page's companies (walked in parallel) notes first. Ids that are not Sellsy ids (ParseID)
// are not noted.
func (n *linkNotes) note(contact, company string, now time.Time) {
	ctn, ok1 := ParseID(contact)
	con, ok2 := ParseID(company)
	if !ok1 || !ok2 {
		return
	}
	ct, co := int64(ctn), int64(con)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[int64]linkNote{}
	}
	if old, ok := n.m[ct]; ok && fresh(old, now) && old.company <= co {
		return
	}
	if len(n.m) >= linkNoteCap {
		if now.Unix()-n.swept < 60 {
			return // full: this contact looks its company up itself
		}
		n.swept = now.Unix()
		n.sweepLocked(now)
		if len(n.m) >= linkNoteCap {
			return
		}
	}
	n.m[ct] = linkNote{company: co, at: now.Unix()}
}

// take returns and forgets the company noted for contact.
func (n *linkNotes) take(contact string, now time.Time) (string, bool) {
	id, ok := ParseID(contact)
	if !ok {
		return "", false
	}
	ct := int64(id)
	n.mu.Lock()
	defer n.mu.Unlock()
	e, ok := n.m[ct]
	if !ok {
		return "", false
	}
	delete(n.m, ct)
	return strconv.FormatInt(e.company, 10), fresh(e, now)
}

func fresh(e linkNote, now time.Time) bool {
	return now.Sub(time.Unix(e.at, 0)) < linkNoteTTL
}

func (n *linkNotes) sweepLocked(now time.Time) {
	n.sweeps++
	for k, e := range n.m {
		if !fresh(e, now) {
			delete(n.m, k)
		}
	}
}

// noteCompanyContacts reads the contacts of each company (ids only, 100 a page) and notes
// their link. Failures are ignored: the contacts then look their company up themselves.
func (c *Client) noteCompanyContacts(ctx context.Context, companyIDs []string) {
	forEach(ctx, len(companyIDs), func(ctx context.Context, i int) error {
		query := url.Values{"limit": {"100"}, "order": {"id"}, "direction": {"asc"}, "field[]": {"id"}}
		for {
			var body listBody
			if _, err := c.do(ctx, call{method: "GET", path: "/companies/" + companyIDs[i] + "/contacts", op: "GET /companies/{id}/contacts", query: query}, &body); err != nil {
				return nil
			}
			now := time.Now()
			for _, m := range body.Data {
				c.links.note(idString(m["id"]), companyIDs[i], now)
			}
			next, _ := body.Pagination.Offset.(string)
			if len(body.Data) < 100 || next == "" || next == query.Get("offset") {
				return nil
			}
			query.Set("offset", next)
		}
	})
}

// companyFromNote returns a contact's noted company.
func (c *Client) companyFromNote(contact string) (string, bool) {
	if !c.cfg.ContactLinks {
		return "", false
	}
	return c.links.take(contact, time.Now())
}
