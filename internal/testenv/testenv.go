// Package testenv starts what end-to-end tests and benchmarks run against: a real Temporal
// dev server (the CLI binary, never downloaded), and the worker built from source as its own
// process so that a test can kill it.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// TB is what both tests and benchmarks offer.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	TempDir() string
	Failed() bool
}

// TemporalCLI finds the Temporal CLI: $TEMPORAL_CLI, then PATH, then $(go env GOPATH)/bin.
// `make test` installs it there when missing.
func TemporalCLI(t TB) string {
	t.Helper()
	if p := os.Getenv("TEMPORAL_CLI"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "temporal")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("the Temporal CLI is not installed: run `make temporal-cli` (or `make test`, which installs it)")
	return ""
}

// DevServer starts a Temporal dev server on a free port with one task-queue partition (see
// DESIGN.md, "Running it"), and extraArgs, and stops it when the test ends.
func DevServer(t TB, extraArgs ...string) *testsuite.DevServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  TemporalCLI(t),
		ClientOptions: &client.Options{Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))},
		LogLevel:      "error",
		ExtraArgs: append([]string{
			"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
			"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
		}, extraArgs...),
		Stdout: os.Stderr,
		Stderr: os.Stderr,
	})
	if err != nil {
		t.Fatalf("dev server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// WorkerBinary builds the worker once per test binary and returns its path.
func WorkerBinary(t TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "crmsync-worker-")
		if buildErr != nil {
			return
		}
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "crmsync-worker"), "./worker")
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ./worker: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		t.Fatalf("%v", buildErr)
	}
	return filepath.Join(buildDir, "crmsync-worker")
}

// Worker is a running worker process.
type Worker struct {
	Cmd *exec.Cmd
	Log *bytes.Buffer
	mu  sync.Mutex
	// exited is closed once the process has exited (and Cmd.Wait returned).
	exited chan struct{}
}

// workerStarted is what the worker logs once it serves its task queue.
const workerStarted = "crmsync worker started"

// StartWorker runs the worker binary with env added to this process's environment.
func StartWorker(t TB, env []string) *Worker {
	t.Helper()
	w := &Worker{Log: &bytes.Buffer{}}
	w.Cmd = exec.Command(WorkerBinary(t))
	w.Cmd.Env = append(os.Environ(), env...)
	w.Cmd.Stdout = &lockedWriter{w: w.Log, mu: &w.mu}
	w.Cmd.Stderr = w.Cmd.Stdout
	if err := w.Cmd.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	w.exited = make(chan struct{})
	go func() { _ = w.Cmd.Wait(); close(w.exited) }()
	t.Cleanup(func() {
		w.Kill()
		if t.Failed() { // what the worker saw is what explains a failure
			t.Logf("worker output (last 40 lines):\n%s", lastLines(w.Output(), 40))
		}
	})
	// A worker that stops at once (a connection file it refuses) fails the test now, not
	// after the test has waited minutes for work nobody does.
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(w.Output(), workerStarted) {
		select {
		case <-w.exited:
			t.Fatalf("the worker exited as it started:\n%s", lastLines(w.Output(), 40))
		case <-deadline:
			t.Fatalf("the worker did not start within 2 minutes:\n%s", lastLines(w.Output(), 40))
		case <-time.After(20 * time.Millisecond):
		}
	}
	return w
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Kill stops the worker at once (SIGKILL), as a crash would.
func (w *Worker) Kill() {
	select {
	case <-w.exited:
	default:
		_ = w.Cmd.Process.Kill()
		<-w.exited
	}
}

// Stop asks the worker to stop (SIGTERM), as a deploy or `docker compose stop` does, waits
// for it to exit and returns how long that took.
func (w *Worker) Stop(t TB) time.Duration {
	t.Helper()
	began := time.Now()
	if err := w.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("stop worker: %v", err)
	}
	<-w.exited
	return time.Since(began)
}

// Output returns what the worker has logged so far.
func (w *Worker) Output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Log.String()
}

// ListenAddr waits for the worker to log that one of its servers ("metrics", "webhook
// receiver") listens, and returns the address — the port the system chose when the worker
// was given port 0, so that no test races another process for a port it picked free.
func (w *Worker) ListenAddr(t TB, server string) string {
	t.Helper()
	line := regexp.MustCompile(`msg="` + regexp.QuoteMeta(server) + ` listening" addr=(\S+)`)
	var addr string
	Eventually(t, 30*time.Second, 20*time.Millisecond, server+" listening", func() bool {
		if m := line.FindStringSubmatch(w.Output()); m != nil {
			addr = m[1]
			return true
		}
		return false
	})
	return addr
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Eventually polls cond every interval until it returns true or timeout passes.
func Eventually(t TB, timeout, interval time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}

var _ testing.TB = (*testing.T)(nil)

// Scrape returns what the worker's metrics endpoint at addr serves.
func Scrape(t TB, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	return string(body)
}
