package connectors

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAnchors(t *testing.T) {
	id := func(s string) string { return s }
	page := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		name    string
		anchors []string
		want    int
		found   bool
	}{
		{"none moved", []string{"c", "d", "e"}, 5, true},
		{"the last one left", []string{"c", "d", "x"}, 4, true},
		{"read again from the overlap", []string{"a", "b"}, 2, true},
		{"the last present wins", []string{"d", "b"}, 4, true},
		{"none there", []string{"x", "y"}, 0, false},
		{"no anchors", nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, found := ResumeAfter(page, tc.anchors, id)
			assert.Equal(t, tc.want, i)
			assert.Equal(t, tc.found, found)
		})
	}
	assert.Equal(t, []string{"c", "d", "e"}, LastIDs(page, 3, id))
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, LastIDs(page, 9, id))

	for _, anchors := range [][]string{nil, {"12@2026-01-01 10:00:00"}, {"a:b", "c\td", "e"}} {
		field := EncodeAnchors(anchors)
		assert.NotContains(t, field, ":", "a cursor field of its own")
		got, err := DecodeAnchors(field)
		require.NoError(t, err)
		assert.Equal(t, anchors, got)
	}
	_, err := DecodeAnchors("not base64!")
	assert.Error(t, err)
}
