package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validate --live reads every credential the worker reads at start, the optional ones
// (webhook_secret…) too, and names every variable that cannot be read, of both sides at once:
// the worker, which reads them all (config.CheckSecrets), would otherwise refuse to start a
// connection validate --live passed.
func TestValidateLiveReadsEveryCredential(t *testing.T) {
	sb := startSandbox(t)
	const contacts = "  - {name: contact, match: {a: email, b: email}, fields: [{a: email, b: email}, {a: last_name, b: lastname}]}\n"
	tests := []struct {
		name  string
		env   map[string]string // set for the test ("" empties a variable)
		hook  bool              // side b names webhook_secret: VT_HOOK
		wants []string
	}{
		{name: "every credential set", env: map[string]string{"VT_HOOK": "hook-secret"}, hook: true},
		{name: "no optional credential named"},
		{name: "an optional credential unset", env: map[string]string{"VT_HOOK": ""}, hook: true, wants: []string{
			`connection "live": b.credentials.webhook_secret: environment variable VT_HOOK (credentials.webhook_secret of mautic) is empty, and VT_HOOK_FILE names no file`,
		}},
		{name: "a credential of each side unset", env: map[string]string{"VT_SELLSY_ID": "", "VT_MAUTIC_PASS": ""}, wants: []string{
			`connection "live": a.credentials.client_id: environment variable VT_SELLSY_ID (credentials.client_id of sellsy) is empty`,
			`connection "live": b.credentials.password: environment variable VT_MAUTIC_PASS (credentials.password of mautic) is empty`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			t.Setenv("VT_HOOK_FILE", "")
			c := liveConnection(t, sb, false, contacts)
			if tt.hook {
				c.B.Credentials["webhook_secret"] = "VT_HOOK" // as the file would name it
			}
			err := checkLive(context.Background(), c)
			if len(tt.wants) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.wants {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// An object's name that validates can be named by resync --objects; one it could not name
// (a comma, a space at either end) is refused by validate.
func TestValidateObjectNamesResyncCanName(t *testing.T) {
	example, err := os.ReadFile("../config/examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	tests := []struct {
		name, object, wantErr string
	}{
		{name: "a comma", object: `"company, main"`,
			wantErr: `objects[0].name: "company, main": an object's name has no comma and no space at either end, so that crmsync resync --objects, which takes a comma-separated list, can name it`},
		{name: "a leading space", object: `" company"`, wantErr: `objects[0].name: " company": an object's name has no comma and no space at either end`},
		{name: "a space inside", object: `"main company"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(string(example), "- name: company\n", "- name: "+tt.object+"\n    a_object: company\n    b_object: company\n", 1)
			doc = strings.Replace(doc, "links: [company]", "links: ["+tt.object+"]", 1)
			file := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(file, []byte(doc), 0o600))
			err := run(context.Background(), []string{"validate", file}, &bytes.Buffer{})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), file+": "+tt.wantErr)
				return
			}
			require.NoError(t, err)
			s := settings{Connections: file}
			c, err := findConnection(s, "sellsy-mautic")
			require.NoError(t, err)
			objects, err := resyncObjects(s, "sellsy-mautic", c.Objects[0].Name+",contact")
			require.NoError(t, err)
			assert.Equal(t, []string{c.Objects[0].Name, "contact"}, objects)
		})
	}
}
