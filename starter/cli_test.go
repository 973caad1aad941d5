package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

func TestArgumentErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage: crmsync COMMAND"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"start"}, "say what to start"},
		{[]string{"start", "import"}, "one connection name expected, got 0"},
		{[]string{"pause", "a", "b"}, "one connection name expected, got 2"},
		{[]string{"validate"}, "validate: CRMSYNC_CONNECTIONS: "}, // CRMSYNC_CONNECTIONS=./nowhere below
		{[]string{"validate", "testdata/missing.yaml"}, "testdata/missing.yaml"},
		{[]string{"resync", "c", "--since", "yesterday"}, "yesterday"},
		// A load error names where the files were looked for.
		{[]string{"call", "automation", "GET", "/api/contacts"}, "connection files (CRMSYNC_CONNECTIONS=./nowhere): "},
		{[]string{"sellsy", "call", "GET", "/companies"}, "connection files (CRMSYNC_CONNECTIONS=./nowhere): "},
		{[]string{"resync", "c", "--objects", "contact"}, "resync: --objects is checked against the connection file: no connection file read here (CRMSYNC_CONNECTIONS=./nowhere: "},
		// Flags after the files, as in the other commands.
		{[]string{"validate", "testdata/missing.yaml", "--live", "--frob"}, "validate: flag provided but not defined: -frob"},
	}
	t.Setenv("CRMSYNC_CONNECTIONS", "./nowhere")
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// resync --objects is checked against the connection file before anything is sent: the
// worker's refusal of an unknown object was only in its log.
func TestResyncChecksObjects(t *testing.T) {
	t.Setenv("CRMSYNC_CONNECTIONS", "../config/examples/sellsy-mautic.yaml")
	t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", "127.0.0.1:1") // nothing may be sent
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"resync", "sellsy-mautic", "--objects", "contcat"}, `--objects: "contcat" is not an object of connection sellsy-mautic (../config/examples/sellsy-mautic.yaml) (did you mean contact?): its objects are company, contact`},
		{[]string{"resync", "--objects", "company,contcat", "sellsy-mautic"}, `"contcat" is not an object`},
		{[]string{"resync", "sellsy-mautic", "--objects", " , "}, "--objects names no object: give some of company, contact"},
		{[]string{"resync", "sellsy-mautc", "--objects", "contact"}, `resync: no connection named "sellsy-mautc" in CRMSYNC_CONNECTIONS=../config/examples/sellsy-mautic.yaml (did you mean sellsy-mautic?) (connections: sellsy-mautic)`},
		// Known objects pass the check and go on to the server (unreachable here).
		{[]string{"resync", "sellsy-mautic", "--objects", "contact, company"}, "127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	objects, err := resyncObjects(settings{Connections: "../config/examples/sellsy-mautic.yaml"}, "sellsy-mautic", " contact,company,contact")
	require.NoError(t, err)
	assert.Equal(t, []string{"contact", "company"}, objects)
}

// -h asks for the usage: it is printed and the command succeeds; validate reads its flags
// after the files too.
func TestHelpAndFlagsAnywhere(t *testing.T) {
	t.Setenv("CRMSYNC_CONNECTIONS", "../config/examples/sellsy-mautic.yaml")
	t.Setenv("CRMSYNC_TEMPORAL_ADDRESS", "127.0.0.1:1") // nothing may be sent
	t.Setenv("CRMSYNC_SELLSY_CONNECTION", "")
	for _, v := range []string{"SELLSY_CLIENT_ID", "SELLSY_CLIENT_ID_FILE"} {
		t.Setenv(v, "")
	}
	tests := []struct {
		args    []string
		wantOut string
		wantErr string
	}{
		{[]string{"validate", "-h"}, "usage: crmsync validate [--live] [FILE|FOLDER...]", ""},
		{[]string{"validate", "--help"}, "Flags may come before or after the files.", ""},
		{[]string{"call", "-h"}, "usage: crmsync call", ""},
		{[]string{"call", "automation", "GET", "/api/contacts", "--help"}, `"--" ends them`, ""},
		{[]string{"sellsy", "call", "-h"}, "usage: crmsync sellsy call", ""},
		{[]string{"sellsy", "-h"}, "crmsync sellsy webhooks [--connection NAME]", ""},
		{[]string{"sellsy", "webhooks", "list", "-h"}, "usage: crmsync sellsy call", ""},
		{[]string{"start", "-h"}, "usage: crmsync start import|sync|pipelines CONNECTION [--wait] [--dry-run]", ""},
		{[]string{"start", "import", "c", "-h"}, "--dry-run    import only", ""},
		{[]string{"start", "sync", "c", "-h"}, "--no-import  sync only: start without an initial import", ""},
		{[]string{"status", "-h"}, "--json  the at-a-glance line(s) as JSON", ""},
		{[]string{"status", "c", "--help"}, "usage: crmsync status [CONNECTION] [--json]", ""},
		{[]string{"pause", "-h"}, "usage: crmsync pause CONNECTION [flags]\n  -reason string", ""},
		{[]string{"sync-now", "-h"}, "usage: crmsync sync-now CONNECTION", ""},
		{[]string{"help"}, "usage: crmsync COMMAND", ""},
		// watch ends when the import completes (the README's table), and status CONN reads a
		// UNAS side's api_key.
		{[]string{"help"}, "watch CONNECTION [--interval 1s]     live progress; ends when the import completes", ""},
		{[]string{"help"}, "status CONNECTION (a UNAS side's api_key)", ""},
		// A mistaken flag comes with the usage.
		{[]string{"pause", "c", "--frob"}, "", "pause: flag provided but not defined: -frob\nusage: crmsync pause CONNECTION"},
		{[]string{"status", "c", "--frob"}, "", "status: flag provided but not defined: -frob\nusage: crmsync status"},
		{[]string{"status", "a", "b"}, "", "status: one connection name expected, got 2"},
		// Flags after the arguments reach the command: here it looks for the named connection.
		{[]string{"call", "automation", "GET", "/api/contacts", "--connection", "weavy-mautic"}, "", `no connection named "weavy-mautic"`},
		{[]string{"sellsy", "call", "GET", "/staffs", "--connection", "nope"}, "", `no connection named "nope"`},
		{[]string{"sellsy", "webhooks", "list", "--connection", "nope"}, "", `no connection named "nope"`},
		// ... and before the word (call, webhooks) too.
		{[]string{"sellsy", "--connection", "nope", "call", "GET", "/staffs"}, "", `no connection named "nope"`},
		{[]string{"sellsy", "--connection=nope", "webhooks", "list"}, "", `no connection named "nope"`},
		{[]string{"sellsy", "--v1", "--connection", "nope", "call", "Staffs.getList"}, "", `no connection named "nope"`},
		// "--" ends the flags: a BODY may then start with '-'; without it, it is a flag.
		{[]string{"call", "automation", "POST", "/api/x", "-1"}, "", "flag provided but not defined: -1"},
		{[]string{"call", "--connection", "nope", "--", "automation", "POST", "/api/x", "-1"}, "", `no connection named "nope"`},
		// status reads --json after the name too: it goes on to the server (unreachable here).
		{[]string{"status", "c", "--json"}, "", "temporal at 127.0.0.1:1"},
		{[]string{"status", "--json", "c"}, "", "temporal at 127.0.0.1:1"},
		// A server that does not answer is named with the variable that sets its address.
		{[]string{"pause", "c"}, "", "temporal at 127.0.0.1:1 (CRMSYNC_TEMPORAL_ADDRESS) does not answer: "},
		// --live after the file is a flag, not a file: the live check runs (and needs the
		// credentials).
		{[]string{"validate", "../config/examples/sellsy-mautic.yaml", "--live"}, "", "environment variable SELLSY_CLIENT_ID (credentials.client_id of sellsy) is empty"},
		{[]string{"validate", "../config/examples/sellsy-mautic.yaml", "--", "--live"}, "", "--live: no such file"},
		{[]string{"validate", "../config/examples/sellsy-mautic.yaml"}, `connection "sellsy-mautic" is valid`, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if tt.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			}
			assert.Contains(t, out.String(), tt.wantOut)
		})
	}
}

// Every command the README's table documents is in the usage the command prints.
func TestUsageListsTheREADMECommands(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	rows := regexp.MustCompile("(?m)^\\| `crmsync ([a-z-]+)(?: ([a-z-]+))?").FindAllStringSubmatch(string(readme), -1)
	require.GreaterOrEqual(t, len(rows), 15, "the README's command table")
	for _, m := range rows {
		command := m[1]
		if command == "sellsy" {
			command += " " + m[2]
		}
		assert.Contains(t, usage, "\n  "+command+" ", "crmsync %s", command)
	}
}

// A command's line in the usage is the synopsis its -h prints (for those that spell their
// flags out), so that the two do not drift apart (validate's FOLDER).
func TestUsageLinesAreTheCommandsSynopses(t *testing.T) {
	for _, cmd := range commands {
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), []string{cmd, "-h"}, &out), cmd)
		synopsis, ok := strings.CutPrefix(strings.SplitN(out.String(), "\n", 2)[0], "usage: crmsync ")
		require.True(t, ok, "%s -h: %s", cmd, out.String())
		if !strings.Contains(synopsis, "[flags]") {
			assert.Regexp(t, `(?m)^  `+regexp.QuoteMeta(synopsis)+`( |$)`, usage, cmd)
		}
	}
}

func TestValidateNamesFileFieldAndReason(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: x\na: {system: sellsy}\nb: {system: mautic}\ndirection: sideways\nobjects: []\n"), 0o600))
	var out bytes.Buffer
	err := run(context.Background(), []string{"validate", "../config/examples/sellsy-mautic.yaml", bad}, &out)
	require.Error(t, err)
	assert.Contains(t, out.String(), `connection "sellsy-mautic" is valid`)
	assert.NotContains(t, out.String(), "checked against both systems", "offline, the file alone is checked")
	assert.Contains(t, err.Error(), bad+": direction")

	// Without files: the worker's connections (CRMSYNC_CONNECTIONS), names unique among them.
	dup := filepath.Join(dir, "dup.yaml")
	good, err := os.ReadFile("../config/examples/sellsy-mautic.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dup, good, 0o600))
	t.Setenv("CRMSYNC_CONNECTIONS", "../config/examples/sellsy-mautic.yaml,"+dir)
	out.Reset()
	err = run(context.Background(), []string{"validate"}, &out)
	require.Error(t, err)
	assert.Contains(t, out.String(), `../config/examples/sellsy-mautic.yaml: connection "sellsy-mautic" is valid`)
	assert.Contains(t, err.Error(), bad+": direction")
	assert.Contains(t, err.Error(), dup+`: name: "sellsy-mautic" is already used by ../config/examples/sellsy-mautic.yaml`)

	t.Setenv("CRMSYNC_CONNECTIONS", t.TempDir())
	err = run(context.Background(), []string{"validate"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no connection file in")
}

// A file named twice (a glob and its own name) is checked once: its name is not "already used"
// by itself, as the worker's folder listing reads it once too.
func TestValidateAFileNamedTwice(t *testing.T) {
	const file = "../config/examples/sellsy-mautic.yaml"
	abs, err := filepath.Abs(file)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"validate", file, abs, "./" + file}, &out))
	assert.Equal(t, 1, strings.Count(out.String(), "is valid"), out.String())
}

// TestCommandsAgainstAServer drives a connection with the CLI alone: validate --live, start
// import --wait, start sync, status, pause, resume, resync, sync-now, watch and quarantine,
// against a dev server, the sandbox and the worker process.
func TestCommandsAgainstAServer(t *testing.T) {
	srv := testenv.DevServer(t)
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: 100, MauticFirst: 80, MauticContacts: 40,
		SellsyClientID: "cli", SellsyClientSecret: "cli-secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "cli", MauticPassword: "cli-password",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	dir := t.TempDir()
	connFile := filepath.Join(dir, "cli.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(fmt.Sprintf(`name: cli
a:
  system: sellsy
  settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "500"}
  credentials: {client_id: CLI_SELLSY_ID, client_secret: CLI_SELLSY_SECRET}
b:
  system: mautic
  settings: {base_url: %[2]s, requests_per_second: "500"}
  credentials: {username: CLI_MAUTIC_USER, password: CLI_MAUTIC_PASSWORD}
objects:
  - name: company
    match: {a: name, b: companyname}
    fields: [{a: name, b: companyname}]
  - name: contact
    match: {a: email, b: email}
    links: [company]
    fields: [{a: email, b: email}, {a: last_name, b: lastname}, {a: position, b: position}]
`, sb.SellsyURL, sb.MauticURL)), 0o600))
	env := map[string]string{
		"CRMSYNC_METRICS_ADDR":     "127.0.0.1:0",
		"CRMSYNC_TEMPORAL_ADDRESS": srv.FrontendHostPort(),
		"CRMSYNC_CONNECTIONS":      connFile,
		"CRMSYNC_DATA_DIR":         dir,
		"CLI_SELLSY_ID":            "cli", "CLI_SELLSY_SECRET": "cli-secret",
		"CLI_MAUTIC_USER": "cli", "CLI_MAUTIC_PASSWORD": "cli-password",
	}
	var workerEnv []string
	for k, v := range env {
		t.Setenv(k, v)
		workerEnv = append(workerEnv, k+"="+v)
	}
	worker := testenv.StartWorker(t, workerEnv)
	metricsAddr := worker.ListenAddr(t, "metrics")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	crmsync := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		require.NoError(t, run(ctx, args, &out), "crmsync %s", strings.Join(args, " "))
		return out.String()
	}
	// answered runs a status command while the worker runs: on a loaded machine its progress
	// query may outlast the command's 5 s, which status reports as no worker answering; it is
	// asked again then, for up to a minute.
	answered := func(args ...string) string {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			out := crmsync(args...)
			if !strings.Contains(out, errNoAnswer.Error()) || time.Now().After(deadline) {
				return out
			}
		}
	}

	assert.Regexp(t, `connection "cli" is valid \(.*\), checked against both systems`, crmsync("validate", "--live", connFile))

	// A dry run first: what the import would do, and nothing written.
	plan := crmsync("start", "import", "cli", "--dry-run")
	assert.Contains(t, plan, "started cli/import-dry-run")
	assert.Contains(t, plan, "InitialImport (dry run): nothing was written; the import would:")
	assert.Regexp(t, `(?m)^\s*company\s+28\s+8\s+4\s+16\s+0\s+0\s+0\s+0\s*$`, plan, "companies 16–19 matched (on each side), 0–15 to Automation, 20–23 to Sellsy")
	assert.Regexp(t, `(?m)^\s*contact\s+140\s+40\s+20\s+80\s+0\s+0\s+0\s+0\s*$`, plan, "people 80–99 matched (on each side), 0–79 to Automation, 100–119 to Sellsy")
	assert.Equal(t, 40, sb.Mautic.Count("contacts"), "nothing written")
	assert.Equal(t, 100, sb.Sellsy.Count("contacts"), "nothing written")
	// A dry run left running (its command interrupted; here one no worker serves) does not
	// block the next: that one replaces it, and reads the file as it is now.
	hc0, err := client.Dial(client.Options{HostPort: srv.FrontendHostPort()})
	require.NoError(t, err)
	_, err = hc0.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ImportDryRunWorkflowID("cli"), TaskQueue: "no-worker"},
		"InitialImport", workflows.ImportInput{Connection: "cli", DryRun: true})
	require.NoError(t, err)
	hc0.Close()
	assert.Regexp(t, `(?m)^\s*contact\s+140\s+40\s+20\s+80\s+0\s+0\s+0\s+0\s*$`, crmsync("start", "import", "cli", "--dry-run"), "the plan, from a new dry run")
	err = run(ctx, []string{"start", "sync", "cli", "--dry-run"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--dry-run is for the import only")

	out := crmsync("start", "import", "cli", "--wait")
	assert.Contains(t, out, "started cli/initial-import")
	assert.Contains(t, out, "InitialImport: done")
	assert.Equal(t, 120, sb.Mautic.Count("contacts"), "people 0–119 on Automation")
	assert.Equal(t, 120, sb.Sellsy.Count("contacts"), "people 0–119 on Sellsy")

	assert.Contains(t, crmsync("start", "sync", "cli"), "started cli/incremental-sync")
	err = run(ctx, []string{"start", "sync", "cli"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already running")

	// progress queries the sync's progress. A worker too busy to answer within the query's
	// 5 s is asked again, for up to a minute: a missing answer is no progress to compare
	// with (no cycle yet, no objects).
	progress := func() workflows.Progress {
		t.Helper()
		c, _, err := dial()
		require.NoError(t, err)
		defer c.Close()
		deadline := time.Now().Add(time.Minute)
		for {
			p, _, err := progressOf(ctx, c, workflows.SyncWorkflowID("cli"))
			if errors.Is(err, errNoAnswer) && time.Now().Before(deadline) {
				continue
			}
			require.NoError(t, err)
			return p
		}
	}
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the first cycle", func() bool { return progress().Cycles == 1 })

	assert.Contains(t, crmsync("pause", "cli", "--reason", "month-end closing"), "pause sent to cli/incremental-sync")
	testenv.Eventually(t, 30*time.Second, 100*time.Millisecond, "the pause", func() bool { return progress().Phase == workflows.PhasePaused })
	status := answered("status", "cli")
	assert.Contains(t, status, "IncrementalSync: paused")
	assert.Contains(t, status, "paused: month-end closing")
	assert.Regexp(t, `contact\s+\d+`, status)
	// A pause holds pushes and quarantine retries too.
	for _, args := range [][]string{{"push", "cli", "--id", "1"}, {"quarantine", "cli", "--retry"}} {
		err := run(ctx, args, &bytes.Buffer{})
		require.Error(t, err, "%v", args)
		assert.Contains(t, err.Error(), "connection cli is paused")
	}
	// and the worker's gauge, read from visibility, says so. The worker reads it at most every
	// 15 s (each read given up after 4 s): a minute leaves room for a read that came a moment
	// before visibility had the pause and one a busy server did not answer in time.
	testenv.Eventually(t, time.Minute, 500*time.Millisecond, "crmsync_paused", func() bool {
		return strings.Contains(testenv.Scrape(t, metricsAddr), `crmsync_paused{connection="cli",workflow="IncrementalSync"} 1`)
	})
	// status without a name: a line per connection, with what needs attention.
	assert.Regexp(t, `(?m)^cli\s+done\s+paused\s+1\s+\d\d:\d\d:\d\d\s+—\s+—\s+0\s+paused: month-end closing$`, answered("status"))
	// and the same for scripts.
	var overview overviewJSON
	require.NoError(t, json.Unmarshal([]byte(answered("status", "--json")), &overview))
	assert.Equal(t, "crmsync", overview.TaskQueue)
	assert.Equal(t, 1, overview.Workers)
	require.Len(t, overview.Connections, 1)
	o := overview.Connections[0]
	assert.Equal(t, "cli", o.Connection)
	assert.Equal(t, workflows.PhaseDone, o.Import)
	assert.Equal(t, workflows.PhasePaused, o.Sync)
	assert.Empty(t, o.Pipelines, "no PipelineSync")
	require.NotNil(t, o.Cycles)
	assert.Equal(t, 1, *o.Cycles)
	assert.False(t, o.LastCycleAt.IsZero())
	assert.True(t, o.NextCycleAt.IsZero(), "none while paused")
	require.NotNil(t, o.Quarantined)
	assert.Zero(t, *o.Quarantined)
	assert.Equal(t, []string{"paused: month-end closing"}, o.Attention)
	// and for one connection, that object alone, --json before or after the name.
	for _, args := range [][]string{{"status", "cli", "--json"}, {"status", "--json", "cli"}} {
		var one overviewJSON
		require.NoError(t, json.Unmarshal([]byte(answered(args...)), &one), "%v", args)
		assert.Equal(t, overviewJSON{TaskQueue: "crmsync", Workers: 1, Connections: []connectionOverview{o}}, one, "%v", args)
	}
	err = run(ctx, []string{"status", "nope", "--json"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `status: no workflow for connection "nope"`)
	// A misspelt name finds no workflow: the error names the connections of the files.
	for _, args := range [][]string{{"pause", "clii"}, {"resume", "clii"}, {"sync-now", "clii"}, {"resync", "clii"},
		{"status", "clii"}, {"status", "clii", "--json"}, {"watch", "clii"}, {"quarantine", "clii"}} {
		err := run(ctx, args, &bytes.Buffer{})
		require.Error(t, err, "%v", args)
		assert.Contains(t, err.Error(), `no connection named "clii" in CRMSYNC_CONNECTIONS=`+connFile+` (did you mean cli?) (connections: cli)`, "%v", args)
		assert.NotContains(t, err.Error(), "start one", "%v", args)
	}
	assert.NotContains(t, answered("status"), "No worker", "the worker polls")
	t.Setenv("CRMSYNC_TASK_QUEUE", "nobody-polls")
	// The connection's workflows run on the workers' task queue: that is the one to set.
	otherQueue := `Workflows of connection cli run on the task queue "crmsync", not on "nobody-polls", this command's (CRMSYNC_TASK_QUEUE), which no worker polls: set CRMSYNC_TASK_QUEUE=crmsync, the workflows' task queue, as the workers have it (1 worker polls "crmsync").`
	assert.Contains(t, crmsync("status"), otherQueue)
	assert.Contains(t, crmsync("status", "cli"), otherQueue)
	t.Setenv("CRMSYNC_TASK_QUEUE", "crmsync")
	// A file that no longer loads is reported; the others are shown all the same.
	broken := filepath.Join(dir, "broken.yaml")
	require.NoError(t, os.WriteFile(broken, []byte("name: [broken"), 0o600))
	t.Setenv("CRMSYNC_CONNECTIONS", connFile+","+broken)
	var partial bytes.Buffer
	err = run(ctx, []string{"status"}, &partial)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "broken.yaml")
	assert.Regexp(t, `(?m)^cli\s+done\s+paused`, partial.String())
	t.Setenv("CRMSYNC_CONNECTIONS", connFile)

	// --allow-deletes tells the sync first that the held deletions may go, then resumes.
	assert.Contains(t, crmsync("resume", "cli", "--allow-deletes"), "allow-deletes sent to "+workflows.SyncWorkflowID("cli"))
	testenv.Eventually(t, 30*time.Second, 100*time.Millisecond, "the resume", func() bool { return progress().Phase != workflows.PhasePaused })
	hc, err := client.Dial(client.Options{HostPort: srv.FrontendHostPort()})
	require.NoError(t, err)
	var signals []string
	for it := hc.GetWorkflowHistory(ctx, workflows.SyncWorkflowID("cli"), "", false, 0); it.HasNext(); {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			signals = append(signals, a.GetSignalName())
		}
	}
	hc.Close()
	assert.Equal(t, []string{workflows.SignalPause, workflows.SignalAllowDeletes, workflows.SignalResume}, signals[len(signals)-3:], "allow-deletes before the resume: %v", signals)
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the resumed cycle", func() bool { return progress().Phase == workflows.PhaseWaiting })

	// Automation answers 429 to everything, asking for 10 s: more than a call waits itself
	// (connectors.Retry), so each attempt fails at once and the activity spends nearly all its
	// time waiting to retry. Status says which activity waits, why, and until when — while it
	// waits, not during an attempt: each check below waits for what it shows.
	sb.Mautic.Kit().SetFaults(simkit.Faults{RateLimitRate: 1, RetryAfterS: 10})
	crmsync("sync-now", "cli")
	eventuallyMatches := func(what string, timeout time.Duration, pattern string, get func() string) string {
		t.Helper()
		re := regexp.MustCompile(pattern)
		deadline := time.Now().Add(timeout)
		for {
			out := get()
			if re.MatchString(out) {
				return out
			}
			if time.Now().After(deadline) {
				require.Regexp(t, re, out, "waited %s for %s", timeout, what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	eventuallyMatches("a retry shown by status", time.Minute,
		`retrying SyncPass \(attempt \d+\): .*\[RateLimited\]; next attempt at \d\d:\d\d:\d\d`,
		func() string { return crmsync("status", "cli") })
	eventuallyMatches("the retry in the status of every connection", 30*time.Second,
		`(?m)^cli\s+done\s+syncing\s+.*retrying SyncPass \(RateLimited\) until \d\d:\d\d:\d\d$`,
		func() string { return crmsync("status") })
	// and the worker's metrics count the stretches the quota held back.
	metrics := eventuallyMatches("the held-back stretches counted", 30*time.Second,
		`crmsync_pass_failures_total\{[^}]*class="RateLimited"[^}]*connection="cli"[^}]*\} [1-9]`,
		func() string { return testenv.Scrape(t, metricsAddr) })
	assert.Contains(t, metrics, "# TYPE crmsync_pass_failures_total counter")
	// and the 429s Automation answered, by system and status.
	assert.Regexp(t, `crmsync_api_requests_total\{[^}]*status="429"[^}]*system="mautic"[^}]*\} [1-9]`, metrics)
	// watch says so too (run a few seconds at a time until it has shown the wait).
	eventuallyMatches("watch to show the wait", 30*time.Second, `waiting to retry \(RateLimited\) until \d\d:\d\d:\d\d`, func() string {
		hctx, hcancel := context.WithTimeout(ctx, 2500*time.Millisecond)
		defer hcancel()
		var held bytes.Buffer
		err := run(hctx, []string{"watch", "cli", "--interval", "200ms"}, &held)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		return held.String()
	})
	sb.Mautic.Kit().SetFaults(simkit.Faults{})
	testenv.Eventually(t, time.Minute, 200*time.Millisecond, "the retry to succeed", func() bool {
		return progress().Phase == workflows.PhaseWaiting && !strings.Contains(crmsync("status", "cli"), "retrying")
	})

	// An edit on Automation reaches Sellsy on sync-now.
	m, err := mautic.New(mautic.Config{BaseURL: sb.MauticURL, Username: "cli", Password: "cli-password"})
	require.NoError(t, err)
	recs, err := m.FindByKey(ctx, connectors.ObjectContact, "email", []string{"person000090@example.com"})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	_, err = m.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: recs[0].ID, Fields: map[string]any{"position": "Trésorier"}}})
	require.NoError(t, err)
	before := progress().Cycles
	assert.Contains(t, crmsync("sync-now", "cli"), "sync-now sent")
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the sync-now cycle", func() bool {
		p := progress()
		return p.Cycles > before && p.Phase == workflows.PhaseWaiting
	})
	found := false
	for _, c := range sb.Sellsy.Dump("contacts") {
		if c["email"] == "person000090@example.com" {
			found = true
			assert.Equal(t, "Trésorier", c["position"])
		}
	}
	assert.True(t, found)

	// resync reads every contact again: the next cycle reads them all and writes nothing.
	before = progress().Cycles
	readBefore := progress().Objects[1].Counts.Read
	assert.Contains(t, crmsync("resync", "cli", "--objects", "contact"), "resync sent")
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the resync cycle", func() bool {
		p := progress()
		return p.Cycles > before && p.Phase == workflows.PhaseWaiting
	})
	assert.GreaterOrEqual(t, progress().Objects[1].Counts.Read-readBefore, 240, "every contact of both sides read again")

	// watch draws the bar (run a few seconds at a time until a query was answered in them).
	eventuallyMatches("watch to draw the bar", time.Minute, `cli/incremental-sync \[████`, func() string {
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		defer wcancel()
		var wout bytes.Buffer
		err := run(wctx, []string{"watch", "cli", "--interval", "200ms"}, &wout)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		return wout.String()
	})

	assert.Contains(t, crmsync("quarantine", "cli"), "no record of cli is in quarantine")

	// A contact without e-mail is refused; once it has one, quarantine --retry syncs it
	// without waiting for it to change again.
	bad, err := m.Create(ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"lastname": "Sans-Adresse"}}})
	require.NoError(t, err)
	require.NoError(t, bad[0].Err)
	before = progress().Cycles
	crmsync("sync-now", "cli")
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the cycle that refuses it", func() bool {
		p := progress()
		return p.Cycles > before && p.Phase == workflows.PhaseWaiting
	})
	assert.Regexp(t, `contact side b record `+bad[0].ID+`: .*has no email`, crmsync("quarantine", "cli"))
	_, err = m.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: bad[0].ID, Fields: map[string]any{"email": "fixed@example.com"}}})
	require.NoError(t, err)
	sellsyBefore := sb.Sellsy.Count("contacts")
	retried := crmsync("quarantine", "cli", "--retry")
	assert.Contains(t, retried, "retried 1 records of cli: 1 synced and out of quarantine, 0 refused again, 0 no longer on their system")
	assert.Contains(t, retried, "no record of cli is in quarantine")
	assert.Equal(t, sellsyBefore+1, sb.Sellsy.Count("contacts"))

	// push sends one new Automation contact to Sellsy now, found by e-mail or by id.
	res, err := m.Create(ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": "pushed@example.com", "lastname": "Poussé"}},
		{Fields: map[string]any{"email": "pushed2@example.com", "lastname": "Envoyé"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	sellsyBefore = sb.Sellsy.Count("contacts")
	assert.Contains(t, crmsync("push", "cli", "--email", "pushed@example.com"), "created 1")
	assert.Contains(t, crmsync("push", "cli", "--id", res[1].ID), "created 1")
	assert.Equal(t, sellsyBefore+2, sb.Sellsy.Count("contacts"))
	err = run(ctx, []string{"push", "cli", "--email", "nobody@example.com"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `mautic has no contact whose email (the match key of object contact on side b) is "nobody@example.com"`)
	// A record that is not there fails the push with the reason first, not Temporal's wrapping.
	err = run(ctx, []string{"push", "cli", "--id", "999999"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "push: cli/push/contact/b-999999 failed: mautic has no contact with id 999999 [NotFound]")

	// With no worker left, status answers all the same, from what the workflows last
	// published (the quarantine count the sync published included), and says why it knows
	// no more.
	worker.Kill()
	began := time.Now()
	after := crmsync("status")
	assert.Less(t, time.Since(began), 20*time.Second)
	assert.Regexp(t, `(?m)^cli\s+done\s+waiting\s+—\s+—\s+—\s+—\s+\d+\s+no worker answered \(is crmsync-worker running, on the same task queue\?\)$`, after)
	assert.Contains(t, after, "With no worker answering, QUARANTINED is the count each workflow last published")
	assert.Contains(t, crmsync("status", "cli"), "cli/incremental-sync\nquery cli/incremental-sync: no worker answered")

	// sync-now reaches the pipeline scan too (a run that no worker serves here: the signal is
	// in its history all the same).
	tc, err := client.Dial(client.Options{HostPort: srv.FrontendHostPort()})
	require.NoError(t, err)
	defer tc.Close()
	pipe, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.PipelineWorkflowID("cli"), TaskQueue: "no-worker"}, "PipelineSync", workflows.PipelineInput{Connection: "cli"})
	require.NoError(t, err)
	assert.Contains(t, crmsync("sync-now", "cli"), "sync-now sent to "+workflows.PipelineWorkflowID("cli"))
	signalled := false
	for it := tc.GetWorkflowHistory(ctx, pipe.GetID(), pipe.GetRunID(), false, 0); it.HasNext(); {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == workflows.SignalSyncNow {
			signalled = true
		}
	}
	assert.True(t, signalled, "the pipeline workflow received sync-now")
	require.NoError(t, tc.TerminateWorkflow(ctx, pipe.GetID(), "", "tested"))
}
