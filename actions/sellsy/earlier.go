package sellsyactions

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// ErrTypeUncertainCreate is the error of a retried create that cannot tell whether an earlier
// attempt made the record: several records like it were created since the activity was
// scheduled. Not retried: one of them is likely the caller's, and creating another would make
// a duplicate.
const ErrTypeUncertainCreate = "UncertainCreate"

// clockSkew widens the window in which a retried create looks for the record of an earlier
// attempt: Sellsy's clock and the Temporal server's need not agree to the second.
const clockSkew = 5 * time.Minute

// lookup is how a retried create finds the record an earlier attempt may have made when its
// answer was lost (a timeout, a 5xx after the write, a worker gone): the search that narrows
// the candidates, and the fields of the create's body a candidate must carry.
type lookup struct {
	filters map[string]any
	same    []string
	// related says whether the candidates must be linked to the body's related records.
	related bool
	// created says whether the search filters on the creation time (the CRM objects do; the
	// agenda's are checked on the answer).
	created bool
}

// lookupOf returns the lookup of a create of collection (the POST path without its slash)
// with body.
func lookupOf(collection string, body map[string]any) lookup {
	l := lookup{filters: map[string]any{}}
	related := func() {
		if rel, ok := body["related"].([]Related); ok && len(rel) > 0 {
			l.filters["related_objects"] = rel
			l.related = true
		}
	}
	on := func(date any) {
		if s, ok := date.(string); ok && s != "" {
			l.filters["due_date"] = map[string]any{"start": s, "end": s}
		}
	}
	switch collection {
	case "companies":
		l.created = true
		l.filters["name"] = body["name"]
		l.same = []string{"name", "type", "email"}
	case "individuals":
		l.created = true
		l.filters["name"] = body["last_name"] // an individual's name is its last name
		l.same = []string{"last_name", "first_name", "type", "email"}
	case "contacts":
		l.created = true
		if email, ok := body["email"].(string); ok && email != "" {
			l.filters["email"] = email
		} else {
			l.filters["last_name"] = body["last_name"]
		}
		l.same = []string{"last_name", "first_name", "email"}
	case "opportunities":
		l.created = true
		l.filters["name"] = body["name"]
		l.same = []string{"name"}
	case "tasks":
		related()
		on(body["due_date"])
		l.same = []string{"title", "due_date"}
	case "calendar-events":
		related()
		on(body["datetime_start"])
		l.same = []string{"title", "datetime_start", "datetime_end"}
	case "comments":
		related()
		l.same = []string{"description", "parent_id"}
	}
	return l
}

// lookupPages bounds the pages of 100 a retried create reads looking for its record. A
// variable, for tests.
var lookupPages = 10

// findEarlier looks for the record an earlier attempt of this create may have made: one
// created since the activity was scheduled (at the time the body gives, when it back-dates
// the record) that carries the body's identifying values. It returns the record when there is
// exactly one, found false when there is none, and an UncertainCreate error when there are
// several, or when lookupPages pages did not reach the records older than the activity.
//
// The candidates are read newest first (highest id first: Sellsy's ids grow with creation,
// and its seek cursors, ["11"] for /comments, show id as the default order) until one was
// last written before the activity was scheduled: every record after it is older still. A
// comment's search has no creation filter, and a busy record has more than a page of them.
func (a *Actions) findEarlier(ctx context.Context, collection string, body map[string]any) (out RecordOutput, found bool, err error) {
	l := lookupOf(collection, body)
	since := activity.GetInfo(ctx).ScheduledTime.Add(-clockSkew)
	at, backdated := parseTime(body["created"])
	if l.created && !backdated {
		l.filters["created"] = map[string]any{"start": since.UTC().Format(time.RFC3339)}
	}
	// Newest first, by id: said explicitly, not left to Sellsy's default order, which the spec
	// does not give (the agenda's searches also take due_date).
	in := SearchInput{Order: "id", Direction: "desc"}
	query := map[string]any{"filters": l.filters}
	var hits []map[string]any
	read, done, cursor := 0, false, ""
	for page := 0; page < lookupPages && !done; page++ {
		resp, err := a.searchPage(ctx, collection, in, query, cursor, searchPageSize)
		if err != nil {
			return RecordOutput{}, false, err
		}
		recs, err := resp.records(collection)
		if err != nil {
			return RecordOutput{}, false, err
		}
		read += len(recs)
		for _, rec := range recs {
			created, ok := parseTime(rec["created"])
			switch {
			case !ok:
			case backdated && !created.Equal(at):
			case !backdated && created.Before(since):
			case l.matches(body, rec):
				hits = append(hits, rec)
			}
			// Checked after the match: a back-dated record may read as written long ago.
			if writtenBefore(rec, since) {
				done = true
				break
			}
		}
		next, more := resp.next(searchPageSize, cursor)
		done = done || !more
		cursor = next
	}
	switch {
	case done && len(hits) == 1:
		id, _ := hits[0]["id"].(float64)
		return RecordOutput{ID: int(id), Record: hits[0]}, true, nil
	case done && len(hits) == 0:
		return RecordOutput{}, false, nil
	}
	var ids []string
	for _, h := range hits {
		ids = append(ids, fmt.Sprint(h["id"]))
	}
	msg := fmt.Sprintf("sellsy: an earlier attempt of this create got no answer, and %d %s like it were created since %s (ids %s): one may be it, so none was created; check them, and call the create again if none is",
		len(hits), collection, since.UTC().Format(time.RFC3339), strings.Join(ids, ", "))
	if len(hits) < 2 {
		msg = fmt.Sprintf("sellsy: an earlier attempt of this create got no answer, and more than %d %s match its search: none was created; check them, and call the create again if none is yours",
			read, collection)
	}
	return RecordOutput{}, false, temporal.NewNonRetryableApplicationError(msg, ErrTypeUncertainCreate, nil)
}

// writtenBefore reports whether rec was last written before t, by the latest of the times
// Sellsy reads back (created, updated, updated_at): a record created before t was. Its
// creation time alone may be a back-dated one.
func writtenBefore(rec map[string]any, t time.Time) bool {
	var last time.Time
	for _, k := range []string{"created", "updated", "updated_at"} {
		if v, ok := parseTime(rec[k]); ok && v.After(last) {
			last = v
		}
	}
	return !last.IsZero() && last.Before(t)
}

// matches reports whether rec carries the values body gave to the lookup's fields.
func (l lookup) matches(body, rec map[string]any) bool {
	for _, k := range l.same {
		want, given := body[k]
		if !given {
			continue
		}
		if !sameValue(want, rec[k]) {
			return false
		}
	}
	if rel, _ := body["related"].([]Related); l.related {
		got, _ := rec["related"].([]any)
		for _, r := range rel {
			if !slices.ContainsFunc(got, func(x any) bool {
				m, _ := x.(map[string]any)
				id, _ := m["id"].(float64)
				return m["type"] == r.Type && int(id) == r.ID
			}) {
				return false
			}
		}
	}
	return true
}

// sameValue compares a value of a create's body with the one Sellsy reads back: text without
// regard to case, times as instants, numbers as numbers.
func sameValue(want, got any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		if !ok {
			return false
		}
		if wt, ok := parseTime(w); ok {
			if gt, ok := parseTime(g); ok {
				return wt.Equal(gt)
			}
		}
		return strings.EqualFold(strings.TrimSpace(w), strings.TrimSpace(g))
	case int:
		g, ok := got.(float64)
		return ok && int(g) == w
	}
	return fmt.Sprint(want) == fmt.Sprint(got)
}

// parseTime reads an RFC 3339 time, as Sellsy writes them.
func parseTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || len(s) < len("2006-01-02T15:04:05") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}
