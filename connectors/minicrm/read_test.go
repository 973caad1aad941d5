package minicrm

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// MiniCRM is PHP: an enum with no options comes as [] (and one keyed 0..n-1 as a list), not
// as an object. The schema is read all the same: an empty list is no options.
func TestSchemaWithPHPLists(t *testing.T) {
	tests := []struct {
		name         string
		userID       any
		statusID     any
		wantUsers    []User
		wantStatuses []Status
	}{
		{name: "empty lists", userID: []any{}, statusID: []any{}},
		{name: "objects", userID: map[string]any{"101": "Ana Popescu"}, statusID: map[string]any{"2001": "New", "2002": "Won"},
			wantUsers: []User{{ID: "101", Name: "Ana Popescu"}}, wantStatuses: []Status{{ID: "2001", Name: "New"}, {ID: "2002", Name: "Won"}}},
		{name: "lists keyed 0..n-1", userID: []any{"Admin"}, statusID: []any{"New", "Won"},
			wantUsers: []User{{ID: "0", Name: "Admin"}}, wantStatuses: []Status{{ID: "0", Name: "New"}, {ID: "1", Name: "Won"}}},
		{name: "not enums", userID: "Int", statusID: "Int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			answer := func(v any) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(v) }
			}
			mux.Handle("GET /Api/R3/Category", answer(map[string]any{"20": map[string]any{"Name": "Orders", "Type": "Generic"}}))
			mux.Handle("GET /Api/R3/Schema/Project/20", answer(map[string]any{"Name": "Text(512)", "UserId": tt.userID, "StatusId": tt.statusID, "Enum1": []any{}}))
			mux.Handle("GET /Api/R3/Schema/Person", answer(map[string]any{"Email": "Email", "Enum2": []any{}}))
			ts := serve(t, mux)
			cl, err := New(Config{BaseURL: ts.URL, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000})
			require.NoError(t, err)
			ctx := context.Background()

			mods, err := cl.Modules(ctx)
			require.NoError(t, err)
			require.Len(t, mods, 1)
			assert.Equal(t, tt.wantUsers, mods[0].Users)
			assert.Equal(t, tt.wantStatuses, mods[0].Statuses)
			users, err := cl.Users(ctx)
			require.NoError(t, err)
			assert.Equal(t, tt.wantUsers, users)
			events, err := cl.EventOrder(ctx, "card:Orders")
			require.NoError(t, err)
			assert.Len(t, events, len(tt.wantStatuses))
			fields, err := cl.Describe(ctx, "person")
			require.NoError(t, err)
			assert.Contains(t, fields, connectors.Field{Name: "Enum2", Label: "Enum2", Type: "select"})
		})
	}
}

// A card is found by a custom field whatever the case of the value looked up (lookups ask in
// lower case): a retried create finds the card it made instead of making it twice.
func TestFindCardIgnoresCase(t *testing.T) {
	_, cl, _ := setup(t, 0)
	ctx := context.Background()
	id := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{"Name": "EMAG-1001", "Text1203": "EMAG-1001@20260301100000"}})[0]
	tests := []struct {
		field, value string
		want         []string
	}{
		{field: "Text1203", value: "EMAG-1001@20260301100000", want: []string{id}},
		{field: "Text1203", value: "emag-1001@20260301100000", want: []string{id}},
		{field: "Text1203", value: "Emag-1001@20260301100000", want: []string{id}},
		{field: "Name", value: "emag-1001", want: []string{id}},
		{field: "Text1203", value: "emag-1002@20260301100000"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			got, err := cl.FindByKey(ctx, "card:Orders", tt.field, []string{tt.value})
			require.NoError(t, err)
			var ids []string
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			assert.Equal(t, tt.want, ids)
		})
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		have any
		want string
		ok   bool
	}{
		{have: "EMAG-1001", want: "emag-1001", ok: true},
		{have: " Anna.Kiss@Example.com ", want: "anna.kiss@example.com", ok: true},
		{have: 1001.0, want: "1001", ok: true},
		{have: "EMAG-1001", want: "emag-1002"},
		{have: nil, want: "x"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.ok, matches(tt.have, tt.want), "%v vs %q", tt.have, tt.want)
	}
}
