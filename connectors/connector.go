// Package connectors defines what every system crmsync talks to must offer: a Connector that
// describes, lists, finds and writes records, the Record it exchanges, and classified errors.
//
// Connectors own pagination, auth, token refresh, quotas and error classification; the engine
// and the activities above them see only records and Errors.
package connectors

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Object names shared by every connector. A system that calls them differently (Mautic's
// "leads", weavy's "customer") maps them inside its connector.
const (
	ObjectCompany = "company"
	ObjectContact = "contact"
)

// Record is one record of one system, in the system's own field names.
//
// Field values are normalised to a small set of Go types so that the engine can compare them
// across systems: string, float64, bool, []string, or nil for empty.
type Record struct {
	ID        string         `json:"id"`
	Fields    map[string]any `json:"fields"`
	UpdatedAt time.Time      `json:"updated_at"`
	// CreatedAt is when the record was created, where the system says so (Sellsy, Altior): it
	// tells records that existed before a connection's initial import from new ones, even
	// once they are edited. Zero when unknown.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// Links holds references to records of other objects in the same system, keyed by object
	// name: Links["company"] is the id of the contact's company in this system. A key present
	// with "" says the read knows the record has no such link (Sellsy and Automation contacts
	// without a company); an absent key says nothing (not read, or not resolved), and is never
	// taken as none.
	Links map[string]string `json:"links,omitempty"`
	// Version, when set, says how recent the record's content is, comparable as text: a record
	// a system derives from other records (a UNAS customer, from the order placed last among
	// those read) may be read again from an older source, and a read older than the one last
	// synced is not merged (it would bring back the data of then).
	Version string `json:"version,omitempty"`
	// Absent names the fields of the object that this record cannot hold: an object a system
	// keeps in two tables (weavy's contacts and entrants) describes the fields of both, and a
	// record of one lacks the other's. Their value is unknown, never empty: the merge leaves
	// them alone on both sides, and a write to them is dropped.
	Absent []string `json:"absent,omitempty"`
}

// Field describes one field of an object, as the system's API describes it.
type Field struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
	ReadOnly bool   `json:"read_only"`
	// CreateOnly marks a field the API sets when the record is created and never changes
	// afterwards (Sellsy's company type): once a pair exists it can only be a source.
	CreateOnly bool     `json:"create_only,omitempty"`
	Options    []Option `json:"options,omitempty"`
	// Scale, when set, is how many decimals a number field keeps: the system reads its values
	// back at that precision (Automation casts a number field without a scale to a whole
	// number), so values are compared and written at it. nil: no known precision.
	Scale *int `json:"scale,omitempty"`
	// AppliesTo, when set, names the kinds of record the field applies to (a Sellsy custom
	// field's related objects: client, prospect, supplier, contact…); a record of another kind
	// holds no value of it. nil: every record of the object.
	AppliesTo []string `json:"applies_to,omitempty"`
}

// Option is one allowed value of a list field (select, multiselect).
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// ListQuery selects one page of records.
type ListQuery struct {
	// Since keeps records changed at or after this time; zero lists every record.
	Since time.Time
	// Cursor continues a listing where the previous page stopped; "" starts it.
	Cursor string
	// Limit is the page size wanted; the connector caps it at what the API allows.
	Limit int
	// NotBefore, when set (the start of the caller's cycle), lets a connector whose API
	// rations reads answer the first page from a read it made at or after this moment instead
	// of calling again; the page's AsOf then says how far that read went. Zero asks for a
	// fresh read.
	NotBefore time.Time
}

// Page is one page of a listing.
type Page struct {
	Records []Record
	// Cursor resumes the listing after this page. It is opaque, small and never holds
	// personal data, so it may be heartbeated and kept in workflow history.
	Cursor string
	// More is false on the last page.
	More bool
	// Filtered counts the records the listing read but left out by the connection's own
	// rules (UNAS orders placed before the start date): they are reported as filtered.
	Filtered int
	// AsOf, when set, is the moment the listing's changes go up to (an answer from an earlier
	// read, see ListQuery.NotBefore): the caller's next listing starts from it rather than
	// from when this one began, so the changes made in between are read then.
	AsOf time.Time
	// Unreadable lists the records of the page the system answered in a shape that cannot be
	// read (their values unknown): the sync quarantines each by its id with the reason, so
	// that none is missed without a trace, and the others of the page go on.
	Unreadable []Unreadable
}

// Unreadable names a record a listing could not read, and why (never its values).
type Unreadable struct {
	ID     string
	Reason string
}

// PositionID names, in Page.Unreadable, a record a listing read without an id of its own: by
// the cursor of its page ("" for the first page) and its place in the page (1 for the
// first). It is no id of the system: the quarantine shows it so that the record is not
// missed without a trace, and the reason should say how to find it there. A retry of the
// quarantine, which reads records back by id, finds none by that name and clears the entry as
// gone; the record comes back to a listing once it is changed.
func PositionID(cursor string, at int) string {
	if cursor == "" {
		return fmt.Sprintf("(no id: #%d of the first page)", at)
	}
	return fmt.Sprintf("(no id: #%d of the page after cursor %s)", at, cursor)
}

// Result is the outcome of writing one record. Results are aligned with the input.
type Result struct {
	ID      string // id of the record in the system (new id for a create)
	Created bool   // a create made a new record (false when the system merged into an existing one)
	Err     error  // a per-record *Error, usually KindInvalid; nil on success
}

// Connector exposes one system. Methods return a *Error (or wrap one) on failure.
type Connector interface {
	// System names the system ("sellsy", "mautic").
	System() string
	// Describe lists the fields of an object, custom fields included.
	Describe(ctx context.Context, object string) ([]Field, error)
	// List returns one page of records changed since q.Since.
	List(ctx context.Context, object string, q ListQuery) (Page, error)
	// Get returns the records with these ids; ids that do not exist are left out.
	Get(ctx context.Context, object string, ids []string) ([]Record, error)
	// FindByKey returns the records whose field equals one of values (e-mail comparisons
	// ignore case).
	FindByKey(ctx context.Context, object, field string, values []string) ([]Record, error)
	// Create creates records and returns one Result per record, in order. The error is for a
	// failure of the whole call; a bad record fails only its own Result.
	Create(ctx context.Context, object string, records []Record) ([]Result, error)
	// Update changes the given fields (and links) of existing records, identified by ID.
	Update(ctx context.Context, object string, records []Record) ([]Result, error)
	// Delete deletes records by id.
	Delete(ctx context.Context, object string, ids []string) ([]Result, error)
}

// GoneConfirmer is a connector that tells a deleted record from one its lookups leave out for
// another reason (a role that hides it, a lookup answered wrongly): Gone asks for each record
// at its own address and returns the ids the system answers do not exist (404). A record the
// credentials may not see is a configuration error naming it, never a deletion. Deletions are
// propagated only for the ids it returns.
type GoneConfirmer interface {
	Gone(ctx context.Context, object string, ids []string) ([]string, error)
}

// Unlinker is a connector that can take a link off a record: an Update whose Links holds
// link = "" (present, empty) removes the link of object's record to link's (Sellsy and
// Automation contacts: their company). CanUnlink says for which. A removal read on the other
// side is propagated only to a system that says it can; elsewhere the link is left as it is.
type Unlinker interface {
	CanUnlink(object, link string) bool
}

// LinkWas is the key under which an Update that takes a link off (Links[link] = "") names
// the record the link went to when the removal was read: a system that can tell removes the
// link only while it still goes there (a user may have moved it since, which is newer).
func LinkWas(link string) string { return link + "@was" }

// Superseder is a connector with two kinds of record for one object, one preferred to the
// other when both hold the same person (weavy: a contact over an entrant, which its rule
// creates only when no contact has the e-mail). Supersedes says whether record newID takes the
// pair of record oldID: the pair moves to it, and the old one is reported.
type Superseder interface {
	Supersedes(object, newID, oldID string) bool
}

// GetLimiter is a connector whose Get spends a scarce budget (UNAS: a call per order out of
// 1,000 an hour, a multi-order call per customer out of 30): GetLimit says how many ids of
// object are worth reading back by id at a time, so that records set aside and read back
// later (link waits, pending stages, quarantine retries) go a few at a time, each batch done,
// instead of one batch too big for the budget failing whole, again and again.
type GetLimiter interface {
	GetLimit(object string) int
}

// GetLimit returns the most ids of object c reads back by id at a time: want, or less where c
// is a GetLimiter.
func GetLimit(c Connector, object string, want int) int {
	if l, ok := c.(GetLimiter); ok {
		if n := l.GetLimit(object); n > 0 && n < want {
			return n
		}
	}
	return want
}

// ConfirmGone implements GoneConfirmer's rule over get, which asks for one record at its own
// address (nil error: it exists): a 404 is a deletion, a 403 the configuration error hidden
// describes, and any other failure stops the check. Ids that are not the system's
// (notID) have no record: gone.
func ConfirmGone(ids []string, notID func(id string) bool, get func(id string) error, hidden func(id string) error) ([]string, error) {
	var gone []string
	for _, id := range ids {
		if notID(id) {
			gone = append(gone, id)
			continue
		}
		switch err := get(id); {
		case err == nil:
		case StatusOf(err) == http.StatusNotFound:
			gone = append(gone, id)
		case StatusOf(err) == http.StatusForbidden:
			return gone, hidden(id)
		default:
			return gone, err
		}
	}
	return gone, nil
}

// CheckResults holds a write to its contract, one Result per record sent, in order: an
// answer with another count (a connector's bug) is an error of the whole call, KindConfig —
// retried, it would come back the same — rather than records taken as written that were not,
// or written that are left out. err, the call's own, goes first.
func CheckResults(system, op string, sent int, results []Result, err error) ([]Result, error) {
	if err != nil || len(results) == sent {
		return results, err
	}
	return results, &Error{Kind: KindConfig, System: system, Op: op,
		Message: fmt.Sprintf("answered %d results for %d records sent: a fault of crmsync's %s connector, nothing of it is taken as written", len(results), sent, system)}
}
