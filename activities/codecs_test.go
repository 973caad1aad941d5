package activities

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
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
			"objects[0].fields[3]: sellsy field cf.BUDGET (amount) cannot map to mautic field country (country): allowed for a Sellsy custom field: number",
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

// describing is a connector that only describes its fields, and counts how often.
type describing struct {
	connectors.Connector
	system string
	fields []connectors.Field
	calls  int
}

func (d *describing) System() string { return d.system }

func (d *describing) Describe(context.Context, string) ([]connectors.Field, error) {
	d.calls++
	return d.fields, nil
}

// Codecs serve only the object they were built from: a stretch that began before its file was
// read again (it holds the old object) builds its own and leaves the cache alone, so a pass on
// the new file never merges with the old mapping (position still coming back to Sellsy).
func TestCodecsCacheFollowsTheConnectionFile(t *testing.T) {
	const file = `name: cc
a: {system: sellsy, credentials: {client_id: CC_ID, client_secret: CC_SECRET}}
b: {system: mautic, settings: {base_url: "http://127.0.0.1:1"}, credentials: {username: CC_USER, password: CC_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}, {a: last_name, b: lastname}, {a: position, b: position}]
`
	edited := strings.Replace(file, "{a: position, b: position}", "{a: position, b: position, direction: a_to_b}", 1)
	type call struct {
		reload    bool          // the file is edited and read again (another activity) first
		old       bool          // asked with the object as first read (a stretch begun before)
		after     time.Duration // since the start
		want      config.Direction
		described bool // built from the systems' descriptions, not the cache
	}
	tests := []struct {
		name  string
		calls []call
	}{
		{"cached", []call{
			{old: true, want: config.Both, described: true},
			{old: true, after: time.Minute, want: config.Both},
		}},
		{"built again after codecTTL", []call{
			{old: true, want: config.Both, described: true},
			{old: true, after: codecTTL, want: config.Both, described: true},
		}},
		{"old stretch after a reload, then a pass on the new file", []call{
			{old: true, want: config.Both, described: true},
			{reload: true, old: true, after: time.Minute, want: config.Both, described: true},
			{after: 2 * time.Minute, want: config.AToB, described: true},
			{after: 3 * time.Minute, want: config.AToB},
		}},
		{"old stretch between two passes on the new file", []call{
			{reload: true, want: config.AToB, described: true},
			{old: true, after: time.Minute, want: config.Both, described: true},
			{after: 2 * time.Minute, want: config.AToB},
			{old: true, after: 3 * time.Minute, want: config.Both, described: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cc.yaml")
			t0 := time.Now().Add(-time.Hour)
			require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
			require.NoError(t, os.Chtimes(path, t0, t0))
			loaded, err := config.Load(path)
			require.NoError(t, err)
			cs := NewConnections([]*config.Connection{loaded})
			a := &describing{system: "sellsy", fields: []connectors.Field{{Name: "email", Type: "email"}, {Name: "last_name", Type: "string", Required: true}, {Name: "position", Type: "string"}}}
			b := &describing{system: "mautic", fields: []connectors.Field{{Name: "email", Type: "email"}, {Name: "lastname", Type: "text"}, {Name: "position", Type: "text"}}}
			for i, c := range tt.calls {
				if c.reload {
					require.NoError(t, os.WriteFile(path, []byte(edited), 0o600))
					require.NoError(t, os.Chtimes(path, t0.Add(time.Minute), t0.Add(time.Minute)))
				}
				cur, err := cs.Config("cc")
				require.NoError(t, err)
				conn := cur
				if c.old {
					conn = loaded
				}
				obj, _ := conn.Object("contact")
				before := a.calls
				fc, err := cs.codecs(context.Background(), conn, obj, a, b, t0.Add(c.after))
				require.NoError(t, err)
				assert.Equal(t, c.described, a.calls > before, "call %d described the fields", i)
				for _, f := range fc.pair {
					if f.A == "position" {
						assert.Equal(t, c.want, f.Direction, "call %d: position's direction", i)
					}
				}
			}
		})
	}
}
