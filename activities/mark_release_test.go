package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// "Import existing Sellsy records: no": a company at SA = yes when the import began stays on
// its side. Switched to no, then to yes again, it has opted in after the mark: it goes down.
func TestSwitchedOffThenOnAgainAfterTheMarkGoesDown(t *testing.T) {
	h := newAltiorPair(t, companiesBehindSA)
	company := h.firstCompany()
	h.setSA(company, true)
	time.Sleep(1100 * time.Millisecond) // timestamps have a second's resolution
	h.pass("company", "a", ModeMark)
	h.pass("company", "b", ModeMark)
	before := h.sb.Altior.Count("tiers")

	time.Sleep(1100 * time.Millisecond)
	h.setSA(company, false)
	c := h.pass("company", "a", ModeIncremental)
	assert.Equal(t, 1, c.Filtered, "at SA = no: left out %+v", c)
	time.Sleep(1100 * time.Millisecond)
	h.setSA(company, true)
	c = h.pass("company", "a", ModeIncremental)
	assert.Equal(t, 1, c.CreatedB, "%+v", c)
	assert.Equal(t, before+1, h.sb.Altior.Count("tiers"))
}
