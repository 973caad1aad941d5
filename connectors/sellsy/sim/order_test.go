package sim

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Lists and searches are served in the order asked for, with its direction, across pages
// read with the seek cursor (pages of 2 here) and with the numeric offset; every order the
// spec allows for companies, contacts, individuals and opportunities is in the table. They
// used to be served in id order whatever the order.
func TestListOrders(t *testing.T) {
	e := newEnv(t, Options{})
	post := func(path string, body map[string]any) int {
		t.Helper()
		r := e.call("POST", path, body, false)
		require.Equal(t, 201, r.status, string(r.raw))
		return idOf(r.body)
	}
	put := func(path string, body map[string]any) {
		t.Helper()
		r := e.call("PUT", path, body, false)
		require.Equal(t, 200, r.status, string(r.raw))
	}
	// Created back-dated out of id order; names with a tie that differs only in case.
	c1 := post("/v2/companies", map[string]any{"type": "client", "name": "beta", "created": "2026-03-01T10:00:00Z"})
	c2 := post("/v2/companies", map[string]any{"type": "client", "name": "Alpha", "created": "2026-03-01T09:00:00Z"})
	c3 := post("/v2/companies", map[string]any{"type": "prospect", "name": "gamma", "created": "2026-03-01T11:00:00Z"})
	c4 := post("/v2/companies", map[string]any{"type": "client", "name": "alpha", "created": "2026-03-01T08:00:00Z"})
	k1 := post("/v2/contacts", map[string]any{"last_name": "Martin", "first_name": "Zoé", "created": "2026-03-01T10:00:00Z"})
	k2 := post("/v2/contacts", map[string]any{"last_name": "Bernard", "created": "2026-03-01T11:00:00Z"})
	k3 := post("/v2/contacts", map[string]any{"last_name": "martin", "first_name": "Anne", "created": "2026-03-01T09:00:00Z"})
	i1 := post("/v2/individuals", map[string]any{"type": "client", "last_name": "Petit", "created": "2026-03-01T09:00:00Z"})
	i2 := post("/v2/individuals", map[string]any{"type": "client", "last_name": "Durand", "created": "2026-03-01T08:00:00Z"})
	i3 := post("/v2/individuals", map[string]any{"type": "client", "last_name": "Roux", "created": "2026-03-01T10:00:00Z"})
	opp := func(step int, due any, created string) int {
		b := map[string]any{"name": "O", "pipeline": 1, "step": step, "created": created, "related": []map[string]any{{"id": c1, "type": "company"}}}
		if due != nil {
			b["due_date"] = due
		}
		return post("/v2/opportunities", b)
	}
	// Steps of pipeline 1 by rank: 11 (1), 14 (2), 12 (3), 13 (4).
	o1 := opp(12, "2026-05-01", "2026-03-01T10:00:00Z")
	o2 := opp(11, nil, "2026-03-01T11:00:00Z")
	o3 := opp(13, "2026-04-01", "2026-03-01T09:00:00Z")
	o4 := opp(14, "2026-06-01", "2026-03-01T08:00:00Z")
	// Updated later, in another order than ids.
	e.clock.Advance(time.Minute)
	put(fmt.Sprintf("/v2/companies/%d", c2), map[string]any{"note": "n"})
	put(fmt.Sprintf("/v2/individuals/%d", i1), map[string]any{"note": "n"})
	e.clock.Advance(time.Minute)
	put(fmt.Sprintf("/v2/companies/%d", c1), map[string]any{"note": "n"})

	tests := []struct {
		object, order, direction string
		ids                      []int
	}{
		{"companies", "", "", []int{c1, c2, c3, c4}},
		{"companies", "id", "desc", []int{c4, c3, c2, c1}},
		{"companies", "name", "", []int{c2, c4, c1, c3}},
		{"companies", "name", "desc", []int{c3, c1, c4, c2}},
		{"companies", "created_at", "asc", []int{c4, c2, c1, c3}},
		{"companies", "created_at", "desc", []int{c3, c1, c2, c4}},
		{"companies", "updated_at", "", []int{c3, c4, c2, c1}},
		{"contacts", "name", "", []int{k2, k3, k1}},
		{"contacts", "name", "desc", []int{k1, k3, k2}},
		{"contacts", "created_at", "", []int{k3, k1, k2}},
		{"contacts", "id", "desc", []int{k3, k2, k1}},
		{"individuals", "name", "", []int{i2, i1, i3}},
		{"individuals", "created_at", "desc", []int{i3, i1, i2}},
		{"individuals", "updated_at", "", []int{i2, i3, i1}},
		{"opportunities", "created", "", []int{o4, o3, o1, o2}},
		{"opportunities", "due_date", "", []int{o2, o3, o1, o4}}, // no due date first
		{"opportunities", "due_date", "desc", []int{o4, o1, o3, o2}},
		{"opportunities", "step_rank", "", []int{o2, o4, o1, o3}},
		{"opportunities", "id", "", []int{o1, o2, o3, o4}},
	}
	for _, tc := range tests {
		t.Run(tc.object+" "+tc.order+" "+tc.direction, func(t *testing.T) {
			q := url.Values{"limit": {"2"}}
			if tc.order != "" {
				q.Set("order", tc.order)
			}
			if tc.direction != "" {
				q.Set("direction", tc.direction)
			}
			for _, search := range []bool{true, false} {
				var got []int
				cursor := ""
				for page := 0; page < 5; page++ {
					if cursor != "" {
						q.Set("offset", cursor)
					}
					var r result
					if search {
						r = e.call("POST", "/v2/"+tc.object+"/search?"+q.Encode(), map[string]any{"filters": map[string]any{}}, true)
					} else {
						r = e.call("GET", "/v2/"+tc.object+"?"+q.Encode(), nil, true)
					}
					require.Equal(t, 200, r.status, string(r.raw))
					data := r.body["data"].([]any)
					for _, d := range data {
						got = append(got, idOf(d.(map[string]any)))
					}
					pg := r.body["pagination"].(map[string]any)
					assert.EqualValues(t, len(tc.ids), pg["total"])
					if len(data) < 2 {
						break
					}
					cursor = pg["offset"].(string)
				}
				assert.Equal(t, tc.ids, got, "search %v, seek pages", search)
				q.Del("offset")
			}
			// The numeric offset skips rows of the same order.
			q.Set("offset", "1")
			q.Set("limit", "100")
			r := e.call("GET", "/v2/"+tc.object+"?"+q.Encode(), nil, false)
			require.Equal(t, 200, r.status, string(r.raw))
			var got []int
			for _, d := range r.body["data"].([]any) {
				got = append(got, idOf(d.(map[string]any)))
			}
			assert.Equal(t, tc.ids[1:], got, "numeric offset 1")
		})
	}
}

// An order the spec does not allow for the object is refused with a 400 in Sellsy's error
// shape naming order, on its list and its search; so is a cursor made in another order.
func TestListOrderRefused(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.SeedPeople(0, 3)
	byName := e.call("GET", "/v2/companies?order=name&limit=1", nil, false)
	require.Equal(t, 200, byName.status)
	nameCursor := byName.body["pagination"].(map[string]any)["offset"].(string)
	byID := e.call("GET", "/v2/companies?limit=1", nil, false)
	idCursor := byID.body["pagination"].(map[string]any)["offset"].(string)

	tests := []struct {
		name, method, path string
		field              string
	}{
		{"companies: not an order", "GET", "/v2/companies?order=email", "order"},
		{"companies search: created is opportunities'", "POST", "/v2/companies/search?order=created", "order"},
		{"contacts: updated_at is not theirs", "POST", "/v2/contacts/search?order=updated_at", "order"},
		{"individuals: step_rank", "GET", "/v2/individuals?order=step_rank", "order"},
		{"opportunities: name", "POST", "/v2/opportunities/search?order=name", "order"},
		{"opportunities: created_at", "GET", "/v2/opportunities?order=created_at", "order"},
		{"a name cursor in id order", "GET", "/v2/companies?offset=" + url.QueryEscape(nameCursor), "offset"},
		{"an id cursor in name order", "GET", "/v2/companies?order=name&offset=" + url.QueryEscape(idCursor), "offset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == "POST" {
				body = map[string]any{"filters": map[string]any{}}
			}
			r := e.call(tc.method, tc.path, body, false)
			require.Equal(t, 400, r.status, string(r.raw))
			errObj := r.body["error"].(map[string]any)
			assert.EqualValues(t, 400, errObj["code"])
			assert.Contains(t, errObj["message"], "'"+tc.field+"'")
			assert.Contains(t, errObj["details"], tc.field)
			assert.Contains(t, errObj, "context")
		})
	}
	assert.Equal(t, 200, e.call("GET", "/v2/companies?order=updated_at", nil, true).status)
}
