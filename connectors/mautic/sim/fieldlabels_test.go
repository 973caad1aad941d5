package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A field created through the fields API keeps what its properties say: the label of each
// option apart from its value (the value is what records hold, the label what Automation's
// screens show: seed 000's "the value in the right part of the selection field"), and a
// boolean's yes and no labels.
func TestFieldsKeepTheirOptionLabels(t *testing.T) {
	tests := []struct {
		name       string
		body       map[string]any
		properties map[string]any // as GET /api/fields/contact shows them
		write      map[string]any // a value records may hold
		refused    map[string]any // a label, which records may not hold
	}{
		{name: "select with labels",
			body: map[string]any{"label": "Tier", "alias": "tier", "type": "select",
				"properties": map[string]any{"list": []map[string]string{{"label": "Tier 1", "value": "t1"}, {"label": "Tier 2", "value": "t2"}}}},
			properties: map[string]any{"list": []any{map[string]any{"label": "Tier 1", "value": "t1"}, map[string]any{"label": "Tier 2", "value": "t2"}}},
			write:      map[string]any{"tier": "t2"}, refused: map[string]any{"tier": "Tier 2"}},
		{name: "multiselect with labels",
			body: map[string]any{"label": "Staff", "alias": "staff", "type": "multiselect",
				"properties": map[string]any{"list": []map[string]string{{"label": "Ann Lee", "value": "12"}, {"label": "Bob Roy", "value": "34"}}}},
			properties: map[string]any{"list": []any{map[string]any{"label": "Ann Lee", "value": "12"}, map[string]any{"label": "Bob Roy", "value": "34"}}},
			write:      map[string]any{"staff": []string{"12", "34"}}, refused: map[string]any{"staff": []string{"Ann Lee"}}},
		{name: "options without labels",
			body:       map[string]any{"label": "Size", "alias": "size", "type": "select", "properties": map[string]any{"list": []string{"S", "M"}}},
			properties: map[string]any{"list": []any{map[string]any{"label": "S", "value": "S"}, map[string]any{"label": "M", "value": "M"}}},
			write:      map[string]any{"size": "M"}, refused: map[string]any{"size": "L"}},
		{name: "boolean with its labels",
			body:       map[string]any{"label": "Opt In", "alias": "opt_in", "type": "boolean", "properties": map[string]any{"no": "Non", "yes": "Oui"}},
			properties: map[string]any{"no": "Non", "yes": "Oui"},
			write:      map[string]any{"opt_in": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts, _ := start(t, Options{})
			s.SeedPeople(0, 1)
			status, out, raw := call(t, ts, "POST", "/api/fields/contact/new", tt.body)
			require.Equal(t, 201, status, string(raw))
			assert.Equal(t, tt.properties, out["field"].(map[string]any)["properties"])
			_, out, _ = call(t, ts, "GET", "/api/fields/contact", nil)
			var got map[string]any
			for _, x := range out["fields"].([]any) {
				if m := x.(map[string]any); m["alias"] == tt.body["alias"] {
					got = m
				}
			}
			require.NotNil(t, got)
			assert.Equal(t, tt.properties, got["properties"])
			status, _, raw = call(t, ts, "PATCH", "/api/contacts/1/edit", tt.write)
			assert.Equal(t, 200, status, string(raw))
			if tt.refused != nil {
				status, _, _ = call(t, ts, "PATCH", "/api/contacts/1/edit", tt.refused)
				assert.Equal(t, 400, status, "an option's label is not its value")
			}
		})
	}
}
