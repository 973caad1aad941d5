package sellsyactions

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/internal/heartbeat"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

const (
	// MaxSearchLimit is the most records one search activity returns. Beyond it, page with
	// the returned next_cursor.
	MaxSearchLimit = 10_000
	// DefaultSearchLimit is the limit of a search that sets none (Sellsy's own default).
	DefaultSearchLimit = 25
	// DefaultMaxResultBytes bounds the JSON of the records one search returns (1 MiB).
	DefaultMaxResultBytes = 1 << 20
	// searchPageSize is Sellsy's largest page (query parameter limit ≤ 100).
	searchPageSize = 100
)

// SearchInput is a search request. Limit is the total number of records the activity returns
// (the seed's "maximum number … during one execution cycle"): the activity reads as many
// pages of at most 100 as that takes, and returns them all with the cursor to continue.
//
//	{"type": "client", "filters": {"name": "ACME"}, "order": "id", "direction": "desc", "limit": 250, "cursor": ""}
//
// Order is one Sellsy allows for the object, else the search is refused as InvalidRecord
// naming order: companies and individuals name, id, created_at or updated_at; contacts id,
// name or created_at; opportunities id, created, step_rank or due_date. "" is id.
//
// Filters are the V2 filters of the object, passed to Sellsy as they are (it refuses a name
// it does not have), for example "email", "created": {"start": "…", "end": "…"},
// "companies": [1], "pipeline": [1], "step": [11]. The filter on the last update has a
// different name on each object, and opportunities have none:
//
//	companies    "updated_at": {"start", "end"}  (CompaniesSearchCompaniesRequest)
//	individuals  "updated_at": {"start", "end"}  (IndividualsSearchResultsRequest)
//	contacts     "updated": {"start", "end"}     (ContactFilters)
//	opportunities none: "created", "updated_status" (the status's last change) or "due_date"
//	             (OpportunityFilters)
//
// Sellsy's V2 has no filter on a company's business sector (business_segment), the seed's
// "Business Sector": CompaniesSearchCompaniesRequest (spec v2.128.0) filters on created,
// updated_at, name, email, type, is_archived, contacts, siret, id, country_code, postal_code
// and favourite_filter only. Search without it and keep the records whose
// business_segment.id is the one wanted.
//
// Cursor is NextCursor of a previous search.
//
// A big limit makes a big result, kept whole in the calling workflow's history: rather than
// one search of thousands, call it with a few hundred at a time and the returned next_cursor.
type SearchInput struct {
	// Type restricts company and individual searches to client, prospect or supplier
	// (refused elsewhere, as is a filters.type that differs).
	Type      string         `json:"type,omitempty"`
	Filters   map[string]any `json:"filters,omitempty"`
	Order     string         `json:"order,omitempty"`     // per object, see below
	Direction string         `json:"direction,omitempty"` // asc (default) | desc
	Limit     int            `json:"limit,omitempty"`     // 1..10000 records in all, default 25
	Cursor    string         `json:"cursor,omitempty"`
}

// SearchOutput is the records found, at most Limit, in order.
//
//	{"records": [{"id": 12, "name": "ACME"}], "total": 400, "next_cursor": "WyIxMiJd"}
//
// NextCursor is empty when the last record was read; otherwise pass it as the next search's
// cursor. Truncated says the search stopped before Limit because the records reached the
// worker's byte bound (about 1 MB); NextCursor then continues where it stopped.
type SearchOutput struct {
	Records    []map[string]any `json:"records"`
	Total      int              `json:"total"`                 // records matching the filters, all pages
	NextCursor string           `json:"next_cursor,omitempty"` // empty after the last record
	Truncated  bool             `json:"truncated,omitempty"`
}

// searchProgress is what a search heartbeats after each page, so that a retried attempt
// resumes after the last page read instead of reading everything again.
type searchProgress struct {
	Records []map[string]any `json:"records"`
	Bytes   int              `json:"bytes"`
	Total   int              `json:"total"`
	Cursor  string           `json:"cursor"` // Sellsy's seek offset after the last page read
	More    bool             `json:"more"`   // false: the last page (or the byte bound) was reached
	Cut     bool             `json:"cut"`    // the byte bound stopped it
}

func (a *Actions) maxResultBytes() int {
	if a.MaxResultBytes > 0 {
		return a.MaxResultBytes
	}
	return DefaultMaxResultBytes
}

// searchOrders are the orders Sellsy's spec allows on each object's search (its order
// query parameter's enum); "" is Sellsy's default, id.
var searchOrders = map[string][]string{
	"companies":     {"name", "id", "created_at", "updated_at"},
	"contacts":      {"id", "name", "created_at"},
	"individuals":   {"name", "id", "created_at", "updated_at"},
	"opportunities": {"id", "created", "step_rank", "due_date"},
}

// checkSearch refuses what Sellsy would refuse, before any call, naming the field.
func checkSearch(obj string, in SearchInput) (limit int, err error) {
	limit = in.Limit
	if in.Type != "" && obj != "companies" && obj != "individuals" {
		return 0, invalid(fmt.Sprintf("type %q: only companies and individuals have a type, %s have none (leave type out)", in.Type, obj))
	}
	switch {
	case limit == 0:
		limit = DefaultSearchLimit
	case limit < 0:
		return 0, invalid(fmt.Sprintf("limit %d must be between 1 and %d", in.Limit, MaxSearchLimit))
	case limit > MaxSearchLimit:
		return 0, invalid(fmt.Sprintf("limit %d is above %d, the most one search returns: search with a smaller limit and continue with the returned next_cursor", in.Limit, MaxSearchLimit))
	}
	if orders := searchOrders[obj]; in.Order != "" && !slices.Contains(orders, in.Order) {
		return 0, invalid(fmt.Sprintf("order %q must be one of %s (the orders Sellsy allows on %s)", in.Order, strings.Join(orders, ", "), obj))
	}
	switch in.Direction {
	case "", "asc", "desc":
	default:
		return 0, invalid(fmt.Sprintf("direction %q must be asc or desc", in.Direction))
	}
	// A number would switch Sellsy to its numeric pagination, which this paging cannot follow.
	if _, err := strconv.Atoi(in.Cursor); err == nil {
		return 0, invalid(fmt.Sprintf("cursor %q must be the next_cursor of a previous search, not a number", in.Cursor))
	}
	return limit, nil
}

// searchAnswer is a page of a V2 search.
type searchAnswer struct {
	Data       []json.RawMessage `json:"data"`
	Pagination struct {
		Total  int `json:"total"`
		Offset any `json:"offset"`
	} `json:"pagination"`
}

// records decodes the page's records.
func (r searchAnswer) records(obj string) ([]map[string]any, error) {
	out := make([]map[string]any, len(r.Data))
	for i, raw := range r.Data {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, temporal.NewApplicationError(fmt.Sprintf("sellsy: %s search: record %d of the page is not a JSON object", obj, i), ErrTypeRetryable)
		}
	}
	return out, nil
}

// next returns the cursor of the page after this one, read at cursor with size records
// asked for, and whether there is one. Sellsy's stop rule only: a short page is the last, and
// so is a cursor that does not move or is empty. The total is no end: records already read
// that leave the result while the search pages (deleted, converted) lower it, and records
// still to come would be lost; a full last page costs one empty page instead.
func (r searchAnswer) next(size int, cursor string) (string, bool) {
	cur, _ := r.Pagination.Offset.(string)
	return cur, len(r.Data) == size && cur != "" && cur != cursor
}

// searchPage reads up to size records of obj's search after cursor ("": from the first).
func (a *Actions) searchPage(ctx context.Context, obj string, in SearchInput, body map[string]any, cursor string, size int) (searchAnswer, error) {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(size))
	if in.Order != "" {
		q.Set("order", in.Order)
	}
	if in.Direction != "" {
		q.Set("direction", in.Direction)
	}
	if cursor != "" {
		q.Set("offset", cursor)
	}
	var resp searchAnswer
	err := a.json(ctx, http.MethodPost, "/"+obj+"/search", q, body, &resp)
	return resp, err
}

// search reads pages of obj's search, 100 at most each, until limit records, the last page or
// the byte bound, heartbeating its progress after each page.
func (a *Actions) search(ctx context.Context, obj string, in SearchInput, extra map[string]any) (SearchOutput, error) {
	limit, err := checkSearch(obj, in)
	if err != nil {
		return SearchOutput{}, err
	}
	filters := map[string]any{}
	for k, v := range in.Filters {
		filters[k] = v
	}
	for k, v := range extra {
		filters[k] = v
	}
	body := map[string]any{"filters": filters}

	p := searchProgress{Records: []map[string]any{}, Cursor: in.Cursor, More: true}
	if activity.HasHeartbeatDetails(ctx) {
		var hb searchProgress
		// Undecodable details (another version's) only cost reading again from the start.
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && hb.Records != nil {
			p = hb
		}
	}
	budget := a.maxResultBytes()
	// A page may wait out a spent Sellsy minute window inside its call, longer than the
	// heartbeat timeout: the keep-alive heartbeats the progress committed before it meanwhile.
	alive := heartbeat.Start(ctx, p, heartbeat.Options{Every: a.heartbeatEvery, Beat: a.heartbeat})
	defer alive.Stop()
	for p.More && len(p.Records) < limit {
		size := min(searchPageSize, limit-len(p.Records))
		resp, err := a.searchPage(ctx, obj, in, body, p.Cursor, size)
		if err != nil {
			return SearchOutput{}, err
		}
		bytes := 0
		for _, raw := range resp.Data {
			bytes += len(raw)
		}
		// A page that would cross the bound is left for the next search, unless it is the
		// first: a single page is always returned.
		if len(p.Records) > 0 && p.Bytes+bytes > budget {
			p.More, p.Cut = false, true
			break
		}
		recs, err := resp.records(obj)
		if err != nil {
			return SearchOutput{}, err
		}
		p.Records = append(p.Records, recs...)
		p.Bytes += bytes
		p.Total = resp.Pagination.Total
		cur, more := resp.next(size, p.Cursor)
		p.More = more
		if p.More {
			p.Cursor = cur
		}
		if p.More && len(p.Records) >= limit && in.Cursor == "" && p.Total > 0 && len(p.Records) >= p.Total {
			// The limit falls where the total says the records end: one record more, asked
			// for, tells whether next_cursor leads anywhere (it usually does not).
			peek, err := a.searchPage(ctx, obj, in, body, p.Cursor, 1)
			if err != nil {
				return SearchOutput{}, err
			}
			p.More = len(peek.Data) > 0
		}
		if p.Bytes >= budget && p.More && len(p.Records) < limit {
			p.More, p.Cut = false, true
		}
		alive.Commit(ctx, p)
	}
	out := SearchOutput{Records: p.Records, Total: p.Total, Truncated: p.Cut}
	if p.More || p.Cut {
		out.NextCursor = p.Cursor
	}
	return out, nil
}
