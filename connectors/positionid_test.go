package connectors

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A record read without an id is named by its page and its place there, for the quarantine.
func TestPositionID(t *testing.T) {
	assert.Equal(t, "(no id: #2 of the first page)", PositionID("", 2))
	assert.Equal(t, "(no id: #3 of the page after cursor 6)", PositionID("6", 3))
}
