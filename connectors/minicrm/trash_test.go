package minicrm

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// MiniCRM deletes a card by moving it to the trash (PUT {"Deleted":1}, reference §4.3): its
// searches leave it out, and Get read it back as live, so the sync kept writing updates into
// a card in the trash. Get leaves it out, as an id that does not exist; restored
// ({"Deleted":0}), it is read again. Contacts answer Deleted too, and are read alike.
func TestGetLeavesOutRecordsInTheTrash(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		object  string
		fields  map[string]any
		path    string // of the PUT that moves it to the trash
		deleted string // the Deleted value sent
		gone    bool
	}{
		{name: "card in the trash", object: "card:Webshop", fields: map[string]any{"Name": "Kovács"},
			path: "/Api/R3/Project/", deleted: "1", gone: true},
		{name: "card restored", object: "card:Webshop", fields: map[string]any{"Name": "Kovács"},
			path: "/Api/R3/Project/", deleted: "0"},
		{name: "card deleted with true", object: "card:Webshop", fields: map[string]any{"Name": "Kovács"},
			path: "/Api/R3/Project/", deleted: "true", gone: true},
		{name: "business in the trash", object: "business", fields: map[string]any{"Name": "Kovács Kft"},
			path: "/Api/R3/Contact/", deleted: "1", gone: true},
		{name: "person in the trash", object: "person", fields: map[string]any{"FirstName": "Anna", "LastName": "Kovács"},
			path: "/Api/R3/Contact/", deleted: "1", gone: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, cl, _ := setup(t, 0)
			ids := create(t, cl, tc.object,
				connectors.Record{Fields: tc.fields},
				connectors.Record{Fields: tc.fields})
			got, err := cl.Get(ctx, tc.object, ids)
			require.NoError(t, err)
			require.Len(t, got, 2)

			status, body, err := cl.Call(ctx, "PUT", tc.path+ids[0], nil, []byte(`{"Deleted":`+tc.deleted+`}`))
			require.NoError(t, err, "%d %s", status, body)
			got, err = cl.Get(ctx, tc.object, ids)
			require.NoError(t, err)
			var read []string
			for _, r := range got {
				read = append(read, r.ID)
			}
			if tc.gone {
				assert.Equal(t, []string{ids[1]}, read, "the one in the trash is left out")
			} else {
				assert.Equal(t, ids, read)
			}
			page, err := cl.List(ctx, tc.object, connectors.ListQuery{})
			require.NoError(t, err)
			assert.Len(t, page.Records, len(read), "Get agrees with the search")
		})
	}
}

// Deleted comes as a number in newer answers and as a string in older ones.
func TestTrashed(t *testing.T) {
	cases := []struct {
		raw  string
		want bool
	}{
		{`{"Deleted":1}`, true},
		{`{"Deleted":"1"}`, true},
		{`{"Deleted":true}`, true},
		{`{"Deleted":0}`, false},
		{`{"Deleted":"0"}`, false},
		{`{"Deleted":false}`, false},
		{`{"Deleted":null}`, false},
		{`{}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			var raw map[string]any
			d := json.NewDecoder(strings.NewReader(tc.raw))
			d.UseNumber()
			require.NoError(t, d.Decode(&raw))
			assert.Equal(t, tc.want, trashed(raw))
		})
	}
}
