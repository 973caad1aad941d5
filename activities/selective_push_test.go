package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors/mautic/sim"
)

// The plugin's use of "send contact to Sellsy" (seed 000): Sellsy's contacts all come to
// Automation, but an Automation contact goes to Sellsy only once a form or a campaign chose it.
// The README's recipe: a filter on side b on a yes/no field the campaign sets before it calls
// the push URL. The cycles send none of the others; the push sends the chosen one at once and
// leaves an unchosen one out.
func TestOnlyChosenContactsGoToSellsy(t *testing.T) {
	h := newHarnessYAML(t, "both", "filter: {b: {send_to_sellsy: true}}")
	require.NoError(t, h.sb.Mautic.AddField("contact", sim.FieldDef{Alias: "send_to_sellsy", Label: "Send to Sellsy", Type: "boolean"}))
	h.cycle(ModeImport)
	h.cycle(ModeIncremental)
	assert.Equal(t, 20, h.sb.Sellsy.Count("contacts"), "no Automation-only contact (20–29) was sent")
	assert.Equal(t, 30, h.sb.Mautic.Count("contacts"), "Sellsy's contacts (0–9) all came down")
	assert.Equal(t, true, h.person(h.mautic, 5).Fields["send_to_sellsy"], "created with the field at yes: its changes go back up")

	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	push := func(i int) Counts {
		t.Helper()
		v, err := ae.ExecuteActivity(h.acts.PushOne, PushInput{Connection: "t", Object: "contact", Side: "b", ID: h.person(h.mautic, i).ID})
		require.NoError(t, err)
		var c Counts
		require.NoError(t, v.Get(&c))
		return c
	}
	h.edit(h.mautic, 25, map[string]any{"send_to_sellsy": true}) // the form's or campaign's action
	c := push(25)
	assert.Equal(t, 1, c.CreatedA, "%+v", c)
	assert.Equal(t, 21, h.sb.Sellsy.Count("contacts"))
	h.person(h.sellsy, 25)

	c = push(26) // not chosen
	assert.Equal(t, 1, c.Filtered, "%+v", c)
	assert.Zero(t, c.CreatedA, "%+v", c)
	assert.Equal(t, 21, h.sb.Sellsy.Count("contacts"))
}
