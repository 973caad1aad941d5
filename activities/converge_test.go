package activities

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/sandbox"
)

// Once imported, reading everything again finds every record unchanged, from either side:
// the targets of a one-way field whose source is empty (the SIRET of companies that came
// from Automation) are not mistaken for changes at each full read. Every record read is
// counted once.
func TestFullReadsAfterTheImportFindNothingToDo(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: 60, MauticFirst: 40, MauticContacts: 40,
		SellsyClientID: "id", SellsyClientSecret: "secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "user", MauticPassword: "password",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	t.Setenv("T_SELLSY_ID", "id")
	t.Setenv("T_SELLSY_SECRET", "secret")
	t.Setenv("T_MAUTIC_USER", "user")
	t.Setenv("T_MAUTIC_PASSWORD", "password")
	acts, st, _ := activitiesFor(t, fmt.Sprintf(`name: t
a:
  system: sellsy
  settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "1000"}
  credentials: {client_id: T_SELLSY_ID, client_secret: T_SELLSY_SECRET}
b:
  system: mautic
  settings: {base_url: %[2]s, requests_per_second: "1000"}
  credentials: {username: T_MAUTIC_USER, password: T_MAUTIC_PASSWORD}
objects:
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
`, sb.SellsyURL, sb.MauticURL))
	h := &harness{t: t, ctx: t.Context(), sb: sb, st: st, acts: acts}
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
			other := sb.Sellsy.Kit()
			if side == "a" {
				other = sb.Mautic.Kit()
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
