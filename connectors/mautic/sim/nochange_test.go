package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Mautic sets dateModified on a save only when the record changed (CommonModel::setTimestamps:
// no changes, no new date): an edit, or a create merged into a record, that gives every value
// it already has leaves it, and the record stays out of a listing of what changed since.
func TestEditChangingNothingKeepsDateModified(t *testing.T) {
	tests := []struct {
		name, method, path string
		body               any
		moved              bool // dateModified of contact 1 moves
	}{
		{name: "PATCH of the same value", method: "PATCH", path: "/api/contacts/1/edit", body: map[string]any{"position": "CEO"}},
		{name: "PATCH of the same value and e-mail", method: "PATCH", path: "/api/contacts/1/edit",
			body: map[string]any{"position": "CEO", "email": "person000000@example.com"}},
		{name: "PATCH of a new value", method: "PATCH", path: "/api/contacts/1/edit", body: map[string]any{"position": "CFO"}, moved: true},
		{name: "batch edit of the same value", method: "PATCH", path: "/api/contacts/batch/edit", body: []map[string]any{{"id": 1, "position": "CEO"}}},
		{name: "create merged into it with its values", method: "POST", path: "/api/contacts/new",
			body: map[string]any{"email": "person000000@example.com", "position": "CEO"}},
		{name: "create merged into it with a new value", method: "POST", path: "/api/contacts/batch/new",
			body: []map[string]any{{"email": "person000000@example.com", "position": "CTO"}}, moved: true},
		{name: "its company given again", method: "PATCH", path: "/api/contacts/1/edit", body: map[string]any{"companies": []int{1}}},
		{name: "another company given", method: "PATCH", path: "/api/contacts/1/edit", body: map[string]any{"companies": []int{2}}, moved: true},
		{name: "PUT of every value it has", method: "PUT", path: "/api/contacts/1/edit"}, // body: the contact's values
		{name: "e-mail in another case", method: "PATCH", path: "/api/contacts/1/edit", body: map[string]any{"email": "Person000000@example.com"}, moved: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts, clk := start(t, Options{})
			s.SeedPeople(0, 6) // contacts 1..6; companies 1 and 2
			status, _, raw := call(t, ts, "PATCH", "/api/contacts/1/edit", map[string]any{"position": "CEO"})
			require.Equal(t, 200, status, string(raw))
			before := s.Dump("contacts")[0]
			if tt.method == "PUT" { // give the PUT every value the contact has
				all := before["fields"].(map[string]any)["all"].(map[string]any)
				body := map[string]any{}
				for k, v := range all {
					if k != "id" && v != nil {
						body[k] = v
					}
				}
				tt.body = body
			}
			clk.Advance(time.Hour)
			status, _, raw = call(t, ts, tt.method, tt.path, tt.body)
			require.Less(t, status, 300, string(raw))
			after := s.Dump("contacts")[0]
			require.Equal(t, before["id"], after["id"])
			if tt.moved {
				assert.NotEqual(t, before["dateModified"], after["dateModified"])
			} else {
				assert.Equal(t, before["dateModified"], after["dateModified"])
			}
		})
	}
}
