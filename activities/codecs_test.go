package activities

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
)

// The worker checks a mapping against both systems' descriptions before it writes, whatever
// `crmsync validate --live` said of an earlier version of the file: a refused mapping is a
// configuration error (the workflow pauses with its message) and nothing is written.
func TestCodecsCheckTheMappingBeforeWriting(t *testing.T) {
	contacts := func(extra string) string {
		return `
  - name: contact
    match: {a: email, b: email}
    fields:
      - {a: email, b: email}
      - {a: first_name, b: firstname}
      - {a: last_name, b: lastname}
` + extra
	}
	tests := []struct {
		name   string
		fields string
		want   []string // parts of the configuration error; none: the pass runs
	}{
		{name: "amount field to Automation only", fields: "      - {a: cf.BUDGET, b: points, direction: a_to_b}\n"},
		{name: "amount field mapped both ways", fields: "      - {a: cf.BUDGET, b: points}\n", want: []string{
			"TestCodecsCheckTheMappingBeforeWriting/amount_field_mapped_both_ways.yaml: objects[0].fields[3]: sellsy field cf.BUDGET (amount) cannot map to mautic field points (number) in direction both: amount fields sync only from Sellsy to Automation: set direction: a_to_b",
			"crmsync validate --live",
		}},
		{name: "amount field to a list", fields: "      - {a: cf.BUDGET, b: country, direction: a_to_b}\n", want: []string{
			"objects[0].fields[3]: sellsy field cf.BUDGET (amount) cannot map to mautic field country (country): allowed: number, text",
		}},
		{name: "a field Sellsy does not describe", fields: "      - {a: cf.NOPE, b: points}\n", want: []string{
			`objects[0].fields[3].a: sellsy contact has no field "cf.NOPE" (fields: `,
		}},
		{name: "a field Automation does not describe", fields: "      - {a: position, b: job_title}\n", want: []string{
			`objects[0].fields[3].b: mautic contact has no field "job_title" (fields: `,
		}},
		{name: "no custom field", fields: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessObjects(t, "both", contacts(tt.fields))
			h.sb.Sellsy.AddCustomField(sellsysim.CustomField{Code: "BUDGET", Type: "amount", Related: []string{"contact"}})
			sellsyBefore, mauticBefore := h.sb.Sellsy.Count("contacts"), h.sb.Mautic.Count("contacts")
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			for _, side := range []string{"a", "b"} {
				_, err := ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "t", Object: "contact", Side: side, Mode: ModeImport, PageSize: 50})
				if tt.want == nil {
					require.NoError(t, err, side)
					continue
				}
				require.Error(t, err, side)
				var appErr *temporal.ApplicationError
				require.True(t, errors.As(err, &appErr), "%v", err)
				assert.Equal(t, ErrTypeConfiguration, appErr.Type(), "a configuration error pauses the connection")
				for _, w := range tt.want {
					assert.Contains(t, err.Error(), w, side)
				}
				assert.Equal(t, sellsyBefore, h.sb.Sellsy.Count("contacts"), "nothing written to Sellsy")
				assert.Equal(t, mauticBefore, h.sb.Mautic.Count("contacts"), "nothing written to Automation")
			}
			if tt.want == nil {
				assert.Greater(t, h.sb.Mautic.Count("contacts"), mauticBefore, "the pass ran and created contacts")
			}
		})
	}
}

// A side that receives records must get every field its system requires.
func TestCodecsRefuseUnmappedRequiredFields(t *testing.T) {
	h := newHarnessObjects(t, "both", `
  - name: contact
    match: {a: email, b: email}
    fields:
      - {a: email, b: email}
      - {a: first_name, b: firstname}
`)
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	before := h.sb.Sellsy.Count("contacts")
	_, err := ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "t", Object: "contact", Side: "b", Mode: ModeImport, PageSize: 50})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "TestCodecsRefuseUnmappedRequiredFields.yaml: objects[0] (contact): sellsy contact requires fields that are not mapped: last_name"), err.Error())
	assert.Equal(t, before, h.sb.Sellsy.Count("contacts"))
}
