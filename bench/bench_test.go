// Package bench measures crmsync on the whole path: a real Temporal dev server, the worker as
// its own process, and the simulated systems of the sandbox. Run it with `make bench`.
package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

const connection = "bench-sellsy-mautic"

// BenchmarkImportSellsyToMautic imports 50,000 Sellsy contacts with their 10,000 companies
// into an empty Automation, then the same at a quarter of the size, and reports records per
// second, API calls per record written, the worker's peak memory and workflow history events
// per 1,000 records. The two peaks side by side tell whether the worker's memory grows with
// the number of records.
func BenchmarkImportSellsyToMautic(b *testing.B) {
	contacts := envCount("BENCH_CONTACTS", 50000)
	peaks := map[int]float64{}
	sizes := []int{max(contacts/4, 1), contacts}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				peaks[n] = importOnce(b, n, simkit.Faults{})
			}
		})
	}
	if peaks[sizes[0]] > 0 && peaks[sizes[1]] > 0 {
		fmt.Printf("\nSellsy → Automation, worker peak RSS: %.1f MB for %d contacts, %.1f MB for %d (×%.2f for ×%.0f the records)\n",
			peaks[sizes[0]], sizes[0], peaks[sizes[1]], sizes[1], peaks[sizes[1]]/peaks[sizes[0]], float64(sizes[1])/float64(sizes[0]))
	}
}

// BenchmarkImportSellsyToMauticFlaky is the same import with both APIs answering 1% of the
// requests with a server error, as an API under load does: what in-call retries and passing
// failures keep of the speed. (429s are left out: each costs the wait the quota asks, a
// second for Sellsy's per-second window, whatever the engine; the e2e test adds them.)
func BenchmarkImportSellsyToMauticFlaky(b *testing.B) {
	contacts := envCount("BENCH_CONTACTS", 50000)
	for i := 0; i < b.N; i++ {
		_ = importOnce(b, contacts, simkit.Faults{ErrorRate: 0.01})
	}
}

// benchEnv is a dev server, the sandbox seeded with contacts Sellsy contacts, and the worker
// serving one Sellsy → Automation connection.
type benchEnv struct {
	srv *testsuite.DevServer
	sb  *sandbox.Sandbox
	w   *testenv.Worker
	tc  client.Client
}

// benchHookToken is the token of the worker's Sellsy webhook URL.
const benchHookToken = "bench-hook"

// hookURL is the worker's URL for the Sellsy webhooks of the connection.
func (e *benchEnv) hookURL(b *testing.B) string {
	return "http://" + e.w.ListenAddr(b, "webhook receiver") + "/webhooks/" + connection + "/sellsy/" + benchHookToken
}

// startBench starts everything; direction and schedule are the connection's. The connection
// routes Sellsy's contact webhooks to a sync-now of its sync; the simulator sends none until
// it is given the worker's URL (hookURL).
func startBench(b *testing.B, contacts int, direction, schedule string) *benchEnv {
	srv := testenv.DevServer(b)
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: contacts, SellsyClientID: "bench", SellsyClientSecret: "bench-secret",
		SellsyRequestsPerSecond: -1, MauticUsername: "bench", MauticPassword: "bench-password",
	})
	if err != nil {
		b.Fatalf("sandbox: %v", err)
	}
	b.Cleanup(func() { _ = sb.Close() })

	dir := b.TempDir()
	connFile := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(connFile, []byte(fmt.Sprintf(`name: %s
a:
  system: sellsy
  settings: {api_url: %s/v2, token_url: %s/oauth2/access-tokens, requests_per_second: "100000"}
  credentials: {client_id: BENCH_SELLSY_ID, client_secret: BENCH_SELLSY_SECRET, webhook_token: BENCH_SELLSY_HOOK}
b:
  system: mautic
  settings: {base_url: %s, requests_per_second: "100000"}
  credentials: {username: BENCH_MAUTIC_USER, password: BENCH_MAUTIC_PASSWORD}
direction: %s
schedule: %s
objects:
  - name: company
    match: {a: name, b: companyname}
    fields:
      - {a: name, b: companyname}
      - {a: email, b: companyemail}
      - {a: phone_number, b: companyphone}
  - name: contact
    match: {a: email, b: email}
    links: [company]
    fields:
      - {a: email, b: email}
      - {a: first_name, b: firstname}
      - {a: last_name, b: lastname}
      - {a: phone_number, b: phone}
      - {a: position, b: position}
events:
  - object: contact
    signal: {workflow_id: "{connection}/incremental-sync", name: sync-now}
`, connection, sb.SellsyURL, sb.SellsyURL, sb.MauticURL, direction, schedule)), 0o600); err != nil {
		b.Fatal(err)
	}
	w := testenv.StartWorker(b, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_DATA_DIR=" + dir,
		"BENCH_SELLSY_ID=bench", "BENCH_SELLSY_SECRET=bench-secret", "BENCH_SELLSY_HOOK=" + benchHookToken,
		"CRMSYNC_WEBHOOK_ADDR=127.0.0.1:0",
		"BENCH_MAUTIC_USER=bench", "BENCH_MAUTIC_PASSWORD=bench-password",
		"CRMSYNC_DEBUG_ADDR=" + os.Getenv("BENCH_WORKER_PPROF"), // e.g. 127.0.0.1:6060 to profile the worker
	})
	return &benchEnv{srv: srv, sb: sb, w: w, tc: srv.Client()}
}

// envCount reads a positive count from the environment variable name, def when it is unset or
// not one.
func envCount(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// runImport runs InitialImport to its end.
func (e *benchEnv) runImport(ctx context.Context, b *testing.B) workflows.Progress {
	return runImport(ctx, b, e.tc, e.w, connection)
}

// runImport runs the InitialImport of conn to its end on the worker w.
func runImport(ctx context.Context, b *testing.B, tc client.Client, w *testenv.Worker, conn string) workflows.Progress {
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ImportWorkflowID(conn), TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: conn})
	if err != nil {
		b.Fatal(err)
	}
	var p workflows.Progress
	if err := run.Get(ctx, &p); err != nil {
		b.Fatalf("import: %v\nworker:\n%s", err, w.Output())
	}
	return p
}

// importOnce runs one import of contacts Sellsy contacts and their companies with the APIs
// answering with faults, and returns the worker's peak RSS in MB.
func importOnce(b *testing.B, contacts int, faults simkit.Faults) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	e := startBench(b, contacts, "a_to_b", "{interval: 15m}")
	sb, w, tc := e.sb, e.w, e.tc
	// Peak memory is read from the kernel's high-water mark while the worker still runs.
	peak := watchPeak(w.Cmd.Process.Pid)

	sb.Sellsy.Kit().ResetCounts()
	sb.Mautic.Kit().ResetCounts()
	sb.Sellsy.Kit().SetFaults(faults)
	sb.Mautic.Kit().SetFaults(faults)
	b.ResetTimer()
	start := time.Now()
	p := e.runImport(ctx, b)
	elapsed := time.Since(start)
	b.StopTimer()
	peakKB := peak()

	t := p.Total()
	written := t.CreatedB + t.UpdatedB
	if written < contacts {
		b.Fatalf("only %d records written to Automation for %d contacts: %+v", written, contacts, t)
	}
	calls := sb.Sellsy.Kit().Total() + sb.Mautic.Kit().Total()
	events := historyEvents(ctx, b, tc, workflows.ImportWorkflowID(connection))

	records := float64(sb.Sellsy.Count("contacts") + sb.Sellsy.Count("companies"))
	b.ReportMetric(records/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(contacts)/elapsed.Seconds(), "contacts/s")
	b.ReportMetric(float64(calls)/float64(written), "calls/record")
	b.ReportMetric(float64(peakKB)/1024, "peak-MB")
	b.ReportMetric(float64(events)/(float64(written)/1000), "events/1k-records")
	fmt.Printf("\nimport of %d contacts and %d companies: %s, %.0f records/s; %d API calls (Sellsy %d, Automation %d; %d answered with an injected fault) for %d records written; worker peak RSS %.1f MB; %d history events (%.1f per 1,000 records)\n",
		contacts, sb.Sellsy.Count("companies"), elapsed.Round(time.Millisecond), records/elapsed.Seconds(),
		calls, sb.Sellsy.Kit().Total(), sb.Mautic.Kit().Total(), sb.Sellsy.Kit().Faulted()+sb.Mautic.Kit().Faulted(), written, float64(peakKB)/1024, events, float64(events)/(float64(written)/1000))
	if faults != (simkit.Faults{}) && (sb.Mautic.Count("contacts") != contacts || sb.Mautic.Count("companies") != sb.Sellsy.Count("companies")) {
		b.Fatalf("under faults, Automation holds %d contacts and %d companies for Sellsy's %d and %d", sb.Mautic.Count("contacts"), sb.Mautic.Count("companies"), contacts, sb.Sellsy.Count("companies"))
	}
	return float64(peakKB) / 1024
}

// watchPeak samples a process's peak RSS (the kernel's high-water mark) every 200 ms until
// the returned function is called; that reads it a last time and
// returns the peak in KiB.
func watchPeak(pid int) func() int64 {
	var peakKB atomic.Int64
	note := func() {
		if kb := vmHWM(pid); kb > peakKB.Load() {
			peakKB.Store(kb)
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				note()
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		note()
		return peakKB.Load()
	}
}

// vmHWM returns the peak resident set size of a process, in KiB.
func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// historyEvents adds up the events of every run of a workflow, following the
// continue-as-new chain back from the latest run.
func historyEvents(ctx context.Context, b *testing.B, tc client.Client, id string) int {
	total, runID := 0, ""
	for {
		h, err := testenv.History(ctx, tc, id, runID)
		if err != nil {
			b.Fatal(err)
		}
		total += len(h.Events)
		runID = h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if runID == "" {
			return total
		}
	}
}
