package minicrm

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// decodeNumbers decodes a MiniCRM answer as do does (numbers as json.Number).
func decodeNumbers(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	require.NoError(t, d.Decode(&m))
	return m
}

// A contact's values follow Schema/Person or Schema/Business as a card's follow its module
// schema: a value mapped to another CRM is never JSON text or a bare enum id.
func TestContactValuesFollowTheSchema(t *testing.T) {
	person := schemaTypes(map[string]any{"FirstName": "Text(255)", "Position": "Text(255)", "Newsletter": "Boolean",
		"Enum1221": map[string]any{"2673": "Facebook", "2675": "SEO"}, "Tags": "Array"})
	business := schemaTypes(map[string]any{"Name": "Text(512)", "EUVatNumber": "Text(64)", "Employees": "Int",
		"Tags": "Array", "Kind": map[string]any{"7": "Partner", "8": "VIP"}})
	tagOptions := schemaTypes(map[string]any{"Name": "Text(512)", "Tags": map[string]any{"7": "Partner", "8": "VIP"}})
	tests := []struct {
		name  string
		types map[string]any
		raw   string
		want  map[string]any
	}{
		{name: "tags are a list", types: business,
			raw:  `{"Id":12,"Type":"Business","Name":"Kft","Tags":["VIP","Partner"],"Employees":"","EUVatNumber":"HU12345678"}`,
			want: map[string]any{"Name": "Kft", "Tags": []string{"VIP", "Partner"}, "Employees": nil, "EUVatNumber": "HU12345678"}},
		{name: "no tags are nil", types: business, raw: `{"Id":13,"Type":"Business","Name":"Bt","Tags":[]}`,
			want: map[string]any{"Name": "Bt", "Tags": nil}},
		{name: "blank tags are left out", types: business, raw: `{"Id":14,"Type":"Business","Name":"Bt","Tags":[""," VIP "]}`,
			want: map[string]any{"Name": "Bt", "Tags": []string{"VIP"}}},
		{name: "an enum id is its label", types: business, raw: `{"Id":15,"Type":"Business","Name":"Bt","Kind":8}`,
			want: map[string]any{"Name": "Bt", "Kind": "VIP"}},
		{name: "tags given by id are labels", types: tagOptions, raw: `{"Id":15,"Type":"Business","Name":"Bt","Tags":[7,"8","New"]}`,
			want: map[string]any{"Name": "Bt", "Tags": []string{"Partner", "VIP", "New"}}},
		{name: "numbers of an Int and a text field", types: business, raw: `{"Id":16,"Type":"Business","Name":2024,"Employees":12,"EUVatNumber":12345678}`,
			want: map[string]any{"Name": "2024", "Employees": 12.0, "EUVatNumber": "12345678"}},
		{name: "boolean and enum id", types: person, raw: `{"Id":17,"Type":"Person","FirstName":"Anna","Newsletter":"1","Enum1221":2673}`,
			want: map[string]any{"FirstName": "Anna", "Newsletter": true, "Enum1221": "Facebook"}},
		{name: "boolean 0 and enum label", types: person, raw: `{"Id":18,"Type":"Person","FirstName":"Béla","Newsletter":0,"Enum1221":"SEO"}`,
			want: map[string]any{"FirstName": "Béla", "Newsletter": false, "Enum1221": "SEO"}},
		{name: "enum id as text", types: person, raw: `{"Id":19,"Type":"Person","FirstName":"Cili","Enum1221":"2675","Position":""}`,
			want: map[string]any{"FirstName": "Cili", "Enum1221": "SEO", "Position": nil}},
		{name: "fields the schema does not name", types: person, raw: `{"Id":20,"Type":"Person","FirstName":"Dóra","Deleted":0,"Name":"Dóra","Other":{"a":1}}`,
			want: map[string]any{"FirstName": "Dóra", "Deleted": 0.0, "Name": "Dóra", "Other": `{"a":1}`}},
		{name: "no schema: a list is still a list", types: nil, raw: `{"Id":21,"Type":"Person","Tags":["a"]}`,
			want: map[string]any{"Tags": []string{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := contactRecord(tt.types, decodeNumbers(t, tt.raw))
			assert.Equal(t, tt.want, r.Fields)
		})
	}
}

// Through the simulator: Tags written as a []string (or a text, or cleared), an enum written by
// label or id and a Boolean read back as they were meant; the schema is read once per type
// and cacheTTL, not once per contact.
func TestContactValuesWrittenAndRead(t *testing.T) {
	tests := []struct {
		name   string
		object string
		create map[string]any
		update map[string]any // then written to the same contact, when set
		want   map[string]any
	}{
		{name: "tags", object: "business", create: map[string]any{"Name": "Acme Kft", "Tags": []string{"VIP", "Partner"}},
			want: map[string]any{"Tags": []string{"VIP", "Partner"}}},
		{name: "tags as text", object: "business", create: map[string]any{"Name": "Beta Bt", "Tags": "VIP, Partner"},
			want: map[string]any{"Tags": []string{"VIP", "Partner"}}},
		{name: "tags cleared", object: "business", create: map[string]any{"Name": "Gamma Zrt", "Tags": []string{"VIP"}},
			update: map[string]any{"Tags": nil}, want: map[string]any{"Tags": nil}},
		{name: "no tags", object: "person", create: map[string]any{"FirstName": "Anna"},
			want: map[string]any{"Tags": nil, "Newsletter": nil, "Enum1221": nil}},
		{name: "numbers of Int and text fields", object: "business", create: map[string]any{"Name": "Delta Kft", "Employees": 12.0, "EUVatNumber": 12345678.0},
			want: map[string]any{"Employees": 12.0, "EUVatNumber": "12345678"}},
		{name: "enum by label, boolean true", object: "person", create: map[string]any{"FirstName": "Béla", "Enum1221": "SEO", "Newsletter": true, "Tags": []string{"Newsletter"}},
			want: map[string]any{"Enum1221": "SEO", "Newsletter": true, "Tags": []string{"Newsletter"}}},
		{name: "enum by id, boolean false", object: "person", create: map[string]any{"FirstName": "Cili", "Enum1221": "2673", "Newsletter": false},
			want: map[string]any{"Enum1221": "Facebook", "Newsletter": false}},
	}
	s, cl, clock := setup(t, 0)
	cl.now = clock.Now
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := create(t, cl, tt.object, connectors.Record{Fields: tt.create})[0]
			if tt.update != nil {
				res, err := cl.Update(ctx, tt.object, []connectors.Record{{ID: id, Fields: tt.update}})
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
			}
			recs, err := cl.Get(ctx, tt.object, []string{id})
			require.NoError(t, err)
			require.Len(t, recs, 1)
			for k, v := range tt.want {
				assert.Equal(t, v, recs[0].Fields[k], k)
			}
		})
	}
	counts := s.Kit().Counts()
	assert.Equal(t, 2, counts["GET /Api/R3/Schema/{type}"], "once for persons, once for businesses: %v", counts)
	_, err := cl.Describe(ctx, "person")
	require.NoError(t, err)
	assert.Equal(t, 2, s.Kit().Counts()["GET /Api/R3/Schema/{type}"], "cached")
	clock.Advance(cacheTTL)
	_, err = cl.Describe(ctx, "person")
	require.NoError(t, err)
	assert.Equal(t, 3, s.Kit().Counts()["GET /Api/R3/Schema/{type}"], "read again after cacheTTL")
}

// Describe names the contact fields' types: Tags a multiselect, an enum a select with its
// options, a Boolean a boolean.
func TestDescribeContactFieldTypes(t *testing.T) {
	_, cl, _ := setup(t, 0)
	tests := []struct {
		object, field, typ string
		options            []connectors.Option
	}{
		{object: "business", field: "Tags", typ: "multiselect"},
		{object: "business", field: "Employees", typ: "number"},
		{object: "person", field: "Tags", typ: "multiselect"},
		{object: "person", field: "Newsletter", typ: "boolean"},
		{object: "person", field: "Enum1221", typ: "select", options: []connectors.Option{{Value: "2673", Label: "Facebook"},
			{Value: "2675", Label: "SEO"}, {Value: "2677", Label: "Google Ads"}, {Value: "2774", Label: "LinkedIn"}}},
	}
	for _, tt := range tests {
		t.Run(tt.object+" "+tt.field, func(t *testing.T) {
			fields, err := cl.Describe(context.Background(), tt.object)
			require.NoError(t, err)
			var got *connectors.Field
			for i := range fields {
				if fields[i].Name == tt.field {
					got = &fields[i]
				}
			}
			require.NotNil(t, got)
			assert.Equal(t, tt.typ, got.Type)
			assert.Equal(t, tt.options, got.Options)
		})
	}
}
