package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/crmsync/crmsync/connectors"
)

// A record names its link under the pair's object on its side, or under the pair itself,
// which wins ("" for none: a private UNAS order links to no Business).
func TestLinkOf(t *testing.T) {
	tests := []struct {
		name  string
		links map[string]string
		pair  string
		key   string
		want  string
	}{
		{"under the object", map[string]string{"customer": "a@x.hu"}, "business", "customer", "a@x.hu"},
		{"under the pair", map[string]string{"customer": "a@x.hu", "business": "a@x.hu"}, "business", "customer", "a@x.hu"},
		{"none for the pair", map[string]string{"customer": "a@x.hu", "business": ""}, "business", "customer", ""},
		{"pair and object alike", map[string]string{"company": "12"}, "company", "company", "12"},
		{"no link", nil, "company", "company", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, linkOf(connectors.Record{Links: tt.links}, tt.pair, tt.key))
		})
	}
}
