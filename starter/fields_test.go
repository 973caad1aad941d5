package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/sandbox"
)

// sellsyMauticFull writes the full Sellsy ⇄ Automation example, its URLs the sandbox's, with
// its credentials set, and returns its path.
func sellsyMauticFull(t *testing.T) string {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{SellsyClientID: "id", SellsyClientSecret: "secret", SellsyRequestsPerSecond: -1, MauticUsername: "u", MauticPassword: "p"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	for k, v := range map[string]string{"SELLSY_CLIENT_ID": "id", "SELLSY_CLIENT_SECRET": "secret", "MAUTIC_USERNAME": "u", "MAUTIC_PASSWORD": "p",
		"MAUTIC_WEBHOOK_SECRET": "w", "MAUTIC_PUSH_TOKEN": "t"} {
		t.Setenv(k, v)
	}
	data, err := os.ReadFile("../config/examples/sellsy-mautic-full.yaml")
	require.NoError(t, err)
	text := strings.NewReplacer("http://127.0.0.1:18081", sb.SellsyURL, "http://127.0.0.1:18082", sb.MauticURL).Replace(string(data))
	path := filepath.Join(t.TempDir(), "sellsy-mautic-full.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// `crmsync fields` is the plugin's mapping screen: each side's fields, custom ones included,
// with their types, options and what the file maps them to.
func TestFieldsListsBothSidesWithTheMapping(t *testing.T) {
	path := sellsyMauticFull(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"fields", path, "contact"}, &out))
	text := out.String()
	row := func(field string) string {
		t.Helper()
		m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(field) + `  .*$`).FindString(text)
		require.NotEmpty(t, m, "no row for %s in:\n%s", field, text)
		return m
	}
	assert.Contains(t, text, "contact: sellsy contact (side a)")
	assert.Contains(t, text, "contact: mautic contact (side b)")
	assert.NotContains(t, text, "company:", "only the object asked for")

	assert.Contains(t, row("email"), "⇄ email; match")
	assert.Contains(t, row("last_name"), "required")
	assert.Contains(t, row("cf.cf_amount"), "→ cf_number", "amount goes to Automation only")
	assert.Contains(t, row("position"), "← position", "position comes from Automation only")
	assert.Contains(t, row("cf_number"), "← cf.cf_amount")
	assert.Regexp(t, `select .*⇄ cf\.cf_select .*\[`, row("cf_select"), "a select shows its options")
	assert.Contains(t, row("cf_textarea"), "⇄ cf.cf_rich")
}

func TestFieldsErrors(t *testing.T) {
	path := sellsyMauticFull(t)
	tests := []struct {
		name string
		args []string
		file func() string // a file written for the row, or ""
		want string
	}{
		{name: "an object the connection lacks", args: []string{"fields", path, "contcat"},
			want: `fields: "contcat" is not an object of connection sellsy-mautic-full (` + path + `) (did you mean contact?): its objects are company, contact`},
		{name: "no file and no connection files", args: []string{"fields", "nope.yaml"}, want: `fields: "nope.yaml" is no file, and no connection file read here`},
		{name: "nothing", args: []string{"fields"}, want: "fields: a connection file or name, and optionally an object, expected"},
		{name: "a mapped field the system lacks", file: func() string {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			bad := filepath.Join(t.TempDir(), "bad.yaml")
			require.NoError(t, os.WriteFile(bad, bytes.Replace(data, []byte("{a: cf.cf_date, b: cf_date}"), []byte("{a: cf.cf_dat, b: cf_date}"), 1), 0o600))
			return bad
		}, want: "sellsy contact (side a) has no field cf.cf_dat, which the file names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != nil {
				args = []string{"fields", tt.file(), "contact"}
			}
			t.Setenv("CRMSYNC_CONNECTIONS", filepath.Join(t.TempDir(), "none"))
			err := run(context.Background(), args, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// A connection is found by its name in CRMSYNC_CONNECTIONS, as the other commands find it.
func TestFieldsByConnectionName(t *testing.T) {
	path := sellsyMauticFull(t)
	t.Setenv("CRMSYNC_CONNECTIONS", path)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"fields", "sellsy-mautic-full"}, &out))
	assert.Contains(t, out.String(), "company: sellsy company (side a)")
	assert.Contains(t, out.String(), "contact: mautic contact (side b)")
}

// A side whose connector cannot be opened (here a credential left empty) is named once, with
// the file, as the connector's error already names them: not "FILE: side a: FILE: a: …".
func TestFieldsNamesTheFileOnceWhenASideCannotOpen(t *testing.T) {
	path := sellsyMauticFull(t)
	t.Setenv("SELLSY_CLIENT_SECRET", "")
	err := run(context.Background(), []string{"fields", path, "contact"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), path), "the file named once: %v", err)
	assert.Contains(t, err.Error(), "fields: "+path+": a: environment variable SELLSY_CLIENT_SECRET")
}

// The fields PipelineSync reads (side A's pipeline and stage) and writes (side B's targets)
// are marked as the pipeline's.
func TestFieldsShowThePipelines(t *testing.T) {
	sb, text := unasMiniCRMExample(t)
	path := filepath.Join(t.TempDir(), "unas-minicrm.yaml")
	require.NoError(t, os.WriteFile(path, []byte(unasMiniCRMURLs(sb, text)), 0o600))
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"fields", path, "order"}, &out))
	rows := out.String()
	assert.Regexp(t, `(?m)^  pipeline  .*pipelines\[0\] pipeline`, rows)
	assert.Regexp(t, `(?m)^  status  .*pipelines\[0\] stage`, rows)
	assert.Regexp(t, `(?m)^  Text1202  .*← pipelines\[0\] stage name`, rows, "the UNAS Status field")
}

// A field an object's filter reads is marked as the filter's, with its values, on the side the
// filter belongs to only (Automation's companies have no "type": taken for side B's, it would
// be a mapped field the system lacks).
func TestFieldsShowTheFilter(t *testing.T) {
	path := sellsyMauticFull(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"fields", path, "company"}, &out))
	assert.Regexp(t, `(?m)^  type  .*filter \[prospect client\]`, out.String())
}
