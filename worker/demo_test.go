package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// make demo runs on the dev server it starts on 127.0.0.1:7233, a store in its own folder
// and the default task queue, whatever the shell holds: a CRMSYNC_* or TEMPORAL_* variable
// left exported for production (its Temporal, its store) must not point the demo's worker,
// its crmsync commands or the Temporal CLI's terminations at production, where a connection
// of the same name (deploy/connections' sellsy-mautic) would have its workflows terminated
// and its records written by the demo. The test runs the script's setup (everything before
// it starts a program) in such a shell and reads the environment it leaves.
func TestDemoIgnoresTheShellsSettings(t *testing.T) {
	script, err := filepath.Abs(filepath.Join(repoRoot, "scripts", "demo.sh"))
	require.NoError(t, err)
	raw, err := os.ReadFile(script)
	require.NoError(t, err)
	setup, _, found := strings.Cut(string(raw), "\npids=()\n")
	require.True(t, found, "demo.sh sets its environment up before `pids=()`")

	demoDir := t.TempDir()
	tests := []struct {
		name, inherited, want string // want "": unset
	}{
		{"CRMSYNC_TEMPORAL_ADDRESS", "temporal.prod:7233", "127.0.0.1:7233"},
		{"CRMSYNC_NAMESPACE", "prod", "default"},
		{"CRMSYNC_TASK_QUEUE", "prod", "crmsync"},
		{"CRMSYNC_STORE_DSN", "postgres://crmsync@db.prod/crmsync", ""},
		{"CRMSYNC_DATA_DIR", "/var/lib/crmsync", demoDir},
		{"CRMSYNC_SELLSY_CONNECTION", "prod-shop", ""},
		{"CRMSYNC_MAX_CONCURRENT_ACTIVITIES", "64", ""},
		{"CRMSYNC_STOP_TIMEOUT", "2m", ""},
		{"CRMSYNC_WEBHOOK_ADDR", ":8090", ""},
		{"CRMSYNC_METRICS_ADDR", ":9090", ""},
		{"CRMSYNC_DEBUG_ADDR", ":6060", ""},
		{"CRMSYNC_TEMPORAL_TLS", "true", ""},
		{"CRMSYNC_TEMPORAL_TLS_CA", "/etc/prod/ca.pem", ""},
		{"CRMSYNC_TEMPORAL_TLS_CERT", "/etc/prod/client.pem", ""},
		{"CRMSYNC_TEMPORAL_TLS_KEY", "/etc/prod/client-key.pem", ""},
		{"CRMSYNC_TEMPORAL_TLS_SERVER_NAME", "temporal.prod", ""},
		{"CRMSYNC_TEMPORAL_API_KEY", "prod-key", ""},
		{"TEMPORAL_ADDRESS", "temporal.prod:7233", "127.0.0.1:7233"},
		{"TEMPORAL_NAMESPACE", "prod", "default"},
	}
	cmd := exec.Command("bash", "-c", setup+"\nenv -0\n", script)
	cmd.Env = append(os.Environ(), "DEMO_DIR="+demoDir)
	for _, tt := range tests {
		cmd.Env = append(cmd.Env, tt.name+"="+tt.inherited)
	}
	out, err := cmd.Output()
	require.NoError(t, err)
	env := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, set := env[tt.name]
			if tt.want == "" {
				assert.False(t, set, "%s=%q is left to the demo's programs", tt.name, v)
				return
			}
			assert.Equal(t, tt.want, v)
		})
	}
	// Every setting the worker reads is among those checked.
	for _, name := range settingNames() {
		found := name == "CRMSYNC_CONNECTIONS"
		for _, tt := range tests {
			found = found || tt.name == name
		}
		assert.True(t, found, "%s: what does make demo do with it?", name)
	}
	assert.Contains(t, env["CRMSYNC_CONNECTIONS"], "config/examples/sellsy-mautic.yaml")
}

// make demo waits for its sandbox and worker to say they serve, and stops with the reason when
// one exits first (a port in use, a setting refused), instead of saying the demo runs and
// waiting for ever on an import no worker of its own runs. The test runs demo.sh's function.
func TestDemoStopsWhenAProgramDoesNotStart(t *testing.T) {
	fn := demoFunctions(t, "port_open", "await", "started")
	tests := []struct {
		name    string
		program string // the program started in the background, its output in the log
		ok      bool
		want    string
	}{
		{"serves", `echo "crmsync worker started"; exec sleep 30`, true, ""},
		{"says so late", `sleep 1; echo "crmsync worker started"; exec sleep 30`, true, ""},
		{"exits as it starts", `echo 'CRMSYNC_WEBHOOK_ADDR="127.0.0.1:18090": cannot serve the webhook receiver there: address already in use'; exit 1`, false,
			`cannot serve the webhook receiver there: address already in use`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awaitInDemo(t, fn, "worker.log", tt.program, `started "$pid" "$log" 'crmsync worker started'`, tt.ok, tt.want)
		})
	}
}

// make demo waits for the Temporal dev server it starts to answer, and stops with the
// server's last words when it exits first (no temporal binary, a port in use, a locked
// database), rather than waiting a minute and pointing at the logs.
func TestDemoStopsWhenTemporalDoesNotStart(t *testing.T) {
	fn := demoFunctions(t, "port_open", "await", "listening")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	open := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	tests := []struct {
		name    string
		program string
		port    string
		ok      bool
		want    string
	}{
		{"answers", `exec sleep 30`, open, true, ""},
		{"exits as it starts", `echo 'Error: unable to start server: listen tcp 127.0.0.1:8233: bind: address already in use'; exit 1`, "1", false,
			"bind: address already in use"},
		{"is not there", `exec /nonexistent/temporal server start-dev`, "1", false, "/nonexistent/temporal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awaitInDemo(t, fn, "temporal.log", tt.program, `listening "$pid" "$log" `+tt.port, tt.ok, "temporal stopped as it started", tt.want)
		})
	}
}

// On Ctrl-C or a failure, make demo ends what it started and what those started in turn: an
// example's import runs in a subshell, whose crmsync command, left behind, went on waiting
// on the dev server after the demo had ended. The test starts, as the script does, a shell
// that starts a program of its own, then runs the script's cleanup.
func TestDemoCleanupEndsWhatItsProgramsStarted(t *testing.T) {
	fn := demoFunctions(t, "cleanup", "spawn")
	dir := t.TempDir()
	grandchild := filepath.Join(dir, "grandchild.pid")
	body := "set -euo pipefail\npids=()\n" + fn + "trap cleanup INT TERM EXIT\n" +
		"spawn sh -c 'sleep 300 & echo $! >\"$1\"; wait' sh " + grandchild + " >/dev/null 2>&1\n" + // as the demo's logs: a survivor holds no pipe of the test's

		"until [ -s " + grandchild + " ]; do sleep 0.05; done\nfalse\n" // a failure, as set -e ends the script
	out, err := exec.Command("bash", "-c", body).CombinedOutput()
	require.Error(t, err, string(out))
	raw, err := os.ReadFile(grandchild)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) }) // only if the assertion below fails
	assert.Eventually(t, func() bool { return !running(pid) }, 5*time.Second, 20*time.Millisecond,
		"the program a spawned shell started (pid %d) outlived the demo", pid)
}

// running reports whether pid is a live process (a zombie awaiting its reaper is not).
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(after, "Z")
}

// demoFunctions returns the definitions of demo.sh's named shell functions.
func demoFunctions(t *testing.T, names ...string) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "demo.sh"))
	require.NoError(t, err)
	var b strings.Builder
	for _, name := range names {
		// A one-line definition, or the lines up to the first closing brace at the start of one.
		fn := regexp.MustCompile(`(?ms)^` + regexp.QuoteMeta(name) + `\(\) \{[^\n]*\}\n|^` + regexp.QuoteMeta(name) + `\(\) \{\n.*?^\}\n`).Find(script)
		require.NotNil(t, fn, "demo.sh defines %s()", name)
		b.Write(fn)
	}
	return b.String()
}

// make demo reuses a Temporal server already on :7233 only when it is a dev server (SQLite):
// docker-compose publishes its Temporal there too, whose worker runs deploy/connections'
// sellsy-mautic on the same task queue, so the demo would terminate that connection's
// workflows and the production worker would take the demo's tasks. The test gives the
// script's check a Temporal CLI answering as each kind of server would.
func TestDemoReusesOnlyADevServer(t *testing.T) {
	fn := demoFunctions(t, "dev_server")
	tests := []struct {
		name   string
		answer string // the fake CLI's script
		reuse  bool
	}{
		{"dev server", `echo '{"serverVersion": "1.29.1", "persistenceStore": "sqlite", "visibilityStore": "sqlite"}'`, true},
		{"docker-compose", `echo '{"serverVersion": "1.29.1", "persistenceStore": "postgres12", "visibilityStore": "postgres12"}'`, false},
		{"not Temporal", `echo 'Error: failed reaching server: context deadline exceeded' >&2; exit 1`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cli := filepath.Join(t.TempDir(), "temporal")
			require.NoError(t, os.WriteFile(cli, []byte("#!/bin/sh\n[ \"$1 $2 $3\" = 'operator cluster describe' ] || exit 2\n"+tt.answer+"\n"), 0o755))
			cmd := exec.Command("bash", "-c", "set -euo pipefail\nTEMPORAL="+shellQuote(cli)+"\n"+fn+"if dev_server 127.0.0.1:7233; then echo REUSE; else echo REFUSE; fi\n")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, string(out))
			if tt.reuse {
				assert.Contains(t, string(out), "REUSE")
			} else {
				assert.Contains(t, string(out), "REFUSE")
			}
		})
	}
}

// awaitInDemo runs program in the background, its output in a log named logName, then wait, a
// call of demo.sh's functions fn given the program as "$pid" and its log as "$log". ok says
// whether wait is to return; if not, the shell stops with an error saying each of wants.
func awaitInDemo(t *testing.T, fn, logName, program, wait string, ok bool, wants ...string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), logName)
	cmd := exec.Command("bash", "-c", "set -euo pipefail\n"+fn+"log="+shellQuote(log)+"\nbash -c "+shellQuote(program)+" >\"$log\" 2>&1 &\npid=$!\n"+wait+"\nkill \"$pid\" 2>/dev/null || true; echo RETURNED\n")
	out, err := cmd.CombinedOutput()
	if ok {
		require.NoError(t, err, string(out))
		assert.Contains(t, string(out), "RETURNED")
		return
	}
	require.Error(t, err, string(out))
	assert.NotContains(t, string(out), "RETURNED")
	for _, want := range wants {
		assert.Contains(t, string(out), want)
	}
}

// shellQuote quotes s for bash.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// A second make demo while one runs stops before it changes anything: it used to delete the
// running demo's store and its dev server's history, then find the sandbox's ports taken. The
// check covers every port the demo serves on, and comes before the first deletion.
func TestDemoRefusesWhileItsPortsAreInUse(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "demo.sh"))
	require.NoError(t, err)
	script := string(raw)
	ports := regexp.MustCompile(`DEMO_PORTS=\(([0-9 ]+)\)`).FindStringSubmatch(script)
	require.NotNil(t, ports, "demo.sh lists its ports in DEMO_PORTS")
	for _, served := range regexp.MustCompile(`127\.0\.0\.1:(1[89]0[0-9]{2})`).FindAllStringSubmatch(script, -1) {
		assert.Contains(t, strings.Fields(ports[1]), served[1], "port %s, served by the demo, is checked", served[1])
	}
	check := strings.Index(script, `ports_in_use "${DEMO_PORTS[@]}"`)
	require.Positive(t, check)
	for _, rm := range []string{`rm -f "$DEMO_DIR"/crmsync.db*`, `rm -f "$DEMO_DIR"/temporal.db*`} {
		at := strings.Index(script, rm)
		require.Positive(t, at, rm)
		assert.Greater(t, at, check, "%s comes after the ports are checked", rm)
	}

	fn := demoFunctions(t, "port_open", "ports_in_use")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	taken := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	freePort := strconv.Itoa(free.Addr().(*net.TCPAddr).Port)
	require.NoError(t, free.Close())
	tests := []struct {
		name  string
		ports []string
		want  string
	}{
		{"all free", []string{freePort}, ""},
		{"one taken", []string{freePort, taken}, taken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command("bash", "-c", fn+"ports_in_use "+strings.Join(tt.ports, " ")).Output()
			require.NoError(t, err)
			assert.Equal(t, tt.want, strings.TrimSpace(string(out)))
		})
	}
}
