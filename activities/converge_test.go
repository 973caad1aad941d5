package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Once imported, reading everything again finds every record unchanged, from either side:
// the targets of a one-way field whose source is empty (the SIRET of companies that came
// from Automation) are not mistaken for changes at each full read. Every record read is
// counted once.
func TestFullReadsAfterTheImportFindNothingToDo(t *testing.T) {
	h := newHarnessObjects(t, "both", `
  - name: company
    match: {a: name, b: companyname}
    fields:
      - {a: name, b: companyname}
      - {a: email, b: companyemail}
      - {a: phone_number, b: companyphone}
      - {a: website, b: companywebsite}
      - {a: siret, b: siret, direction: a_to_b}
  - name: contact
    match: {a: email, b: email}
    links: [company]
    fields:
      - {a: email, b: email}
      - {a: last_name, b: lastname}
`)
	accounted := func(c Counts) int {
		return c.Unchanged + c.CreatedA + c.CreatedB + c.UpdatedA + c.UpdatedB + c.Quarantined + c.Missing + c.Filtered
	}
	for _, o := range []string{"company", "contact"} {
		for _, side := range []string{"a", "b"} {
			c := h.pass(o, side, ModeImport)
			assert.Equal(t, c.Read, accounted(c), "import %s side %s: every record counted once: %+v", o, side, c)
		}
	}
	for _, o := range []string{"company", "contact"} {
		for _, side := range []string{"a", "b"} {
			other := h.sb.Sellsy.Kit()
			if side == "a" {
				other = h.sb.Mautic.Kit()
			}
			other.ResetCounts()
			c := h.pass(o, side, ModeImport)
			assert.Positive(t, c.Read)
			assert.Equal(t, c.Read, c.Unchanged, "full read of %s side %s: %+v", o, side, c)
			// Unchanged against the snapshot: the other side is not even read.
			assert.Zero(t, other.Total(), "full read of %s side %s read the other side: %v", o, side, other.Counts())
		}
	}
}
