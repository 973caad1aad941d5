package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExampleLoads(t *testing.T) {
	c, err := Load("examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	assert.Equal(t, "sellsy-mautic", c.Name)
	assert.Equal(t, 15*time.Minute, c.Schedule.Interval.Std())
	assert.Equal(t, []string{"company", "contact"}, c.ObjectNames())
	contact, ok := c.Object("contact")
	require.True(t, ok)
	assert.Equal(t, "contact", contact.AObject, "a_object defaults to the name")
	assert.Equal(t, Both, contact.Fields[0].Direction, "fields inherit the connection direction")
	company, _ := c.Object("company")
	assert.Equal(t, AToB, company.Fields[4].Direction)
}

func TestObjectOrderFollowsLinks(t *testing.T) {
	c := &Connection{Objects: []Object{{Name: "contact", Links: []string{"company"}}, {Name: "company"}}}
	assert.Equal(t, []string{"company", "contact"}, c.ObjectNames())
}

func TestValidationMessages(t *testing.T) {
	base := `name: demo
a: {system: sellsy, credentials: {client_id: SELLSY_ID, client_secret: SELLSY_SECRET}}
b: {system: mautic, credentials: {username: M_USER, password: M_PASS}}
objects:
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}]
`
	tests := []struct {
		name    string
		yaml    string
		wantErr []string
	}{
		{"valid", base, nil},
		{"bad name", replace(base, "name: demo", "name: Demo Conn"), []string{"conn.yaml: name: \"Demo Conn\" must be lower-case"}},
		{"unknown system", replace(base, "system: mautic", "system: hubspot"), []string{"b.system: \"hubspot\" is not a supported system"}},
		{"secret value instead of env name", replace(base, "client_secret: SELLSY_SECRET", "client_secret: s3cr3t-value"), []string{"a.credentials.client_secret: must be the NAME of an environment variable"}},
		{"missing credential", replace(base, ", password: M_PASS", ""), []string{"b.credentials.password: missing"}},
		{"bad direction", replace(base, "{a: email, b: email}]", "{a: email, b: email, direction: left}]"), []string{"objects[0].fields[0].direction: \"left\" is not one of both, a_to_b, b_to_a"}},
		{"no match", replace(base, "    match: {a: email, b: email}\n", ""), []string{"objects[0].match: both a and b are needed"}},
		{"unknown link", replace(base, "    fields:", "    links: [company]\n    fields:"), []string{"objects[0].links: \"company\" is not an object of this connection"}},
		{"unknown key", replace(base, "name: demo", "name: demo\nintervall: 5m"), []string{"conn.yaml: line 2: field intervall not found"}},
		{"bad duration", base + "schedule: {interval: soon}\n", []string{"\"soon\" is not a duration"}},
		{"too short interval", base + "schedule: {interval: 1s}\n", []string{"schedule.interval: 1s is too short"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("conn.yaml", []byte(tt.yaml))
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestLoadAllReportsEveryFileAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), good, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.yaml"), good, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.yml"), []byte("name: [broken"), 0o600))
	conns, err := LoadAll(dir)
	require.Error(t, err)
	assert.Len(t, conns, 1)
	assert.Contains(t, err.Error(), "b.yaml: name: \"sellsy-mautic\" is already used by")
	assert.Contains(t, err.Error(), "c.yml")
}

func TestSecretFromEnvironment(t *testing.T) {
	s := System{System: "mautic", Credentials: map[string]string{"password": "CRMSYNC_TEST_PW"}}
	_, err := s.Secret("password")
	assert.ErrorContains(t, err, "environment variable CRMSYNC_TEST_PW (credentials.password of mautic) is empty")
	t.Setenv("CRMSYNC_TEST_PW", "pw")
	v, err := s.Secret("password")
	require.NoError(t, err)
	assert.Equal(t, "pw", v)
}

func replace(s, old, new string) string {
	out := ""
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return out
}
