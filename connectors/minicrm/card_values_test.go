package minicrm

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// A card's list and object values are read as a contact's are: a list (Tags) as a []string,
// nil when empty, and an object (a File field's {"Url","Name"}) as its JSON text, never as Go's
// print of them ("[VIP Partner]", "[]", "map[…]"). Written back, the list stays a list of its
// tags (not one tag "[VIP Partner]") and the file stays the file.
func TestCardListAndObjectValues(t *testing.T) {
	s, cl, _ := setup(t, 0)
	s.AddField("Orders", "Tags", "Array")
	s.AddField("Orders", "File1208", "File")
	ctx := context.Background()
	ids := create(t, cl, "card:Orders",
		connectors.Record{Fields: map[string]any{"Name": "A", "Tags": []string{"VIP", "Partner"}, "File1208": "https://files.example.com/docs/f.pdf"}},
		connectors.Record{Fields: map[string]any{"Name": "B"}})
	const file = `{"Name":"f.pdf","Url":"https://files.example.com/docs/f.pdf"}`

	fields, err := cl.Describe(ctx, "card:Orders")
	require.NoError(t, err)
	tags := slices.IndexFunc(fields, func(f connectors.Field) bool { return f.Name == "Tags" })
	require.GreaterOrEqual(t, tags, 0, "Tags is described")
	assert.Equal(t, "multiselect", fields[tags].Type)

	page, err := cl.List(ctx, "card:Orders", connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 2)
	byID := map[string]connectors.Record{}
	for _, r := range page.Records {
		byID[r.ID] = r
	}
	a, b := byID[ids[0]], byID[ids[1]]
	assert.Equal(t, []string{"VIP", "Partner"}, a.Fields["Tags"])
	assert.Equal(t, file, a.Fields["File1208"])
	assert.Nil(t, b.Fields["Tags"], "no tags: [] is none")
	assert.Nil(t, b.Fields["File1208"])

	// Written back as read, the values are unchanged in MiniCRM.
	res, err := cl.Update(ctx, "card:Orders", []connectors.Record{{ID: a.ID, Fields: map[string]any{
		"Tags": a.Fields["Tags"], "File1208": a.Fields["File1208"]}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	got, err := cl.Get(ctx, "card:Orders", []string{a.ID})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, []string{"VIP", "Partner"}, got[0].Fields["Tags"])
	assert.Equal(t, file, got[0].Fields["File1208"])
	stored := 0
	for _, p := range s.Dump("Orders") {
		if str(p["Id"]) == a.ID {
			stored++
			assert.Equal(t, []string{"VIP", "Partner"}, p["Tags"], "two tags, not one \"[VIP Partner]\"")
			assert.Equal(t, map[string]any{"Url": "https://files.example.com/docs/f.pdf", "Name": "f.pdf"}, p["File1208"])
		}
	}
	assert.Equal(t, 1, stored)
}

// A list's entries that are objects are read as JSON text too.
func TestListEntriesThatAreObjects(t *testing.T) {
	got := listValue([]any{map[string]any{"Id": 1}, "VIP", []any{"a"}}, nil)
	assert.Equal(t, []string{`{"Id":1}`, "VIP", `["a"]`}, got)
}
