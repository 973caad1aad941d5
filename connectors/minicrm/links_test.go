package minicrm

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A card cannot be created without its Person (a sync holds it back until the Person is
// paired); its Business, and a contact's links, are optional.
func TestRequiredLinks(t *testing.T) {
	tests := []struct {
		object string
		want   []string
	}{
		{object: "card:Orders", want: []string{ObjectPerson}},
		{object: "card:Webshop", want: []string{ObjectPerson}},
		{object: ObjectPerson},
		{object: ObjectBusiness},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			assert.Equal(t, tt.want, (&Client{}).RequiredLinks(tt.object))
		})
	}
}
