package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmsync/crmsync/connectors/simkit"
	weavysim "github.com/crmsync/crmsync/connectors/weavy/sim"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

const weavyConnection = "bench-weavy-mautic"

// BenchmarkImportWeavyToMautic imports 20,000 weavy contacts (BENCH_WEAVY_CONTACTS) with
// their customers (one per 5 contacts) and one entrant per 10 contacts into an empty
// Automation, then the same at a quarter of the size, and reports what the Sellsy import
// does: records per second, API calls per record written, the worker's peak memory and
// history events per 1,000 records. The two peaks side by side tell whether the worker's
// memory grows with the number of records.
func BenchmarkImportWeavyToMautic(b *testing.B) {
	contacts := envCount("BENCH_WEAVY_CONTACTS", 20000)
	peaks := map[int]float64{}
	sizes := []int{max(contacts/4, 1), contacts}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				peaks[n] = weavyImportOnce(b, n)
			}
		})
	}
	if peaks[sizes[0]] > 0 && peaks[sizes[1]] > 0 {
		fmt.Printf("\nweavy → Automation, worker peak RSS: %.1f MB for %d contacts, %.1f MB for %d (×%.2f for ×%.0f the records)\n",
			peaks[sizes[0]], sizes[0], peaks[sizes[1]], sizes[1], peaks[sizes[1]]/peaks[sizes[0]], float64(sizes[1])/float64(sizes[0]))
	}
}

// weavyImportOnce runs one import of contacts weavy contacts (people 0…), their customers and
// contacts/10 entrants (the people after them) and returns the worker's peak RSS in MB.
func weavyImportOnce(b *testing.B, contacts int) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	b.StopTimer()
	entrants := contacts / 10
	srv := testenv.DevServer(b)
	sb, err := sandbox.Start(sandbox.Options{
		SellsyClientID: "unused", SellsyClientSecret: "unused",
		MauticUsername: "bench", MauticPassword: "bench-password",
		WeavyAddr: "127.0.0.1:0", WeavyFirst: 0, WeavyContacts: contacts, WeavyEntrantsFirst: contacts, WeavyEntrants: entrants,
		WeavyUsername: "bench", WeavyPassword: "bench-password", WeavyProject: "crm",
	})
	if err != nil {
		b.Fatalf("sandbox: %v", err)
	}
	b.Cleanup(func() { _ = sb.Close() })
	customers := sb.Weavy.Count(weavysim.Customer)

	// config/examples/weavy-mautic.yaml, its client quotas raised so that the simulators bound
	// the import. Both ways, as there: unlike the Sellsy bench (a_to_b), the import then also
	// reads Automation (side B) back, the records it has just created included.
	dir := b.TempDir()
	connFile := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(connFile, []byte(fmt.Sprintf(`name: %s
a:
  system: weavy
  settings: {base_url: %s, project: crm, requests_per_second: "100000"}
  credentials: {username: BENCH_WEAVY_USER, password: BENCH_WEAVY_PASSWORD}
b:
  system: mautic
  settings: {base_url: %s, requests_per_second: "100000"}
  credentials: {username: BENCH_MAUTIC_USER, password: BENCH_MAUTIC_PASSWORD}
direction: both
schedule: {interval: 15m}
objects:
  - name: company
    match: {a: name, b: companyname}
    fields:
      - {a: name, b: companyname}
      - {a: siretNumber, b: siret}
      - {a: phoneNumber, b: companyphone}
      - {a: email, b: companyemail}
  - name: contact
    match: {a: email, b: email}
    links: [company]
    fields:
      - {a: email, b: email}
      - {a: lastName, b: lastname}
      - {a: firstName, b: firstname}
      - {a: phoneNumber, b: phone}
      - {a: description, b: position, direction: b_to_a}
      - {a: cf_segment, b: cf_text, direction: a_to_b}
      - {a: bouncedEmailDetected, b: bounced_at, direction: b_to_a}
`, weavyConnection, sb.WeavyURL, sb.MauticURL)), 0o600); err != nil {
		b.Fatal(err)
	}
	w := testenv.StartWorker(b, []string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_DATA_DIR=" + dir,
		"BENCH_WEAVY_USER=bench", "BENCH_WEAVY_PASSWORD=bench-password",
		"BENCH_MAUTIC_USER=bench", "BENCH_MAUTIC_PASSWORD=bench-password",
		"CRMSYNC_DEBUG_ADDR=" + os.Getenv("BENCH_WORKER_PPROF"), // e.g. 127.0.0.1:6060 to profile the worker
	})
	tc := srv.Client()
	peak := watchPeak(w.Cmd.Process.Pid)

	sb.Weavy.Kit().ResetCounts()
	sb.Mautic.Kit().ResetCounts()
	b.StartTimer()
	start := time.Now()
	p := runImport(ctx, b, tc, w, weavyConnection)
	elapsed := time.Since(start)
	b.StopTimer()
	peakKB := peak()

	t := p.Total()
	written := t.CreatedB + t.UpdatedB
	records := contacts + entrants + customers
	checkWeavyArrived(b, sb, contacts, entrants, customers)
	calls := sb.Weavy.Kit().Total() + sb.Mautic.Kit().Total()
	events := historyEvents(ctx, b, tc, workflows.ImportWorkflowID(weavyConnection))

	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(calls)/float64(written), "calls/record")
	b.ReportMetric(float64(peakKB)/1024, "peak-MB")
	b.ReportMetric(float64(events)/(float64(written)/1000), "events/1k-records")
	fmt.Printf("\nimport of %d weavy contacts, %d entrants and %d customers: %s, %.0f records/s; %d API calls (weavy %d, Automation %d) for %d records written; worker peak RSS %.1f MB; %d history events (%.1f per 1,000 records)\n",
		contacts, entrants, customers, elapsed.Round(time.Millisecond), float64(records)/elapsed.Seconds(),
		calls, sb.Weavy.Kit().Total(), sb.Mautic.Kit().Total(), written, float64(peakKB)/1024, events, float64(events)/(float64(written)/1000))
	return float64(peakKB) / 1024
}

// checkWeavyArrived fails the benchmark unless Automation holds exactly one contact for each
// seeded weavy contact and entrant, with no other contact, and one company per customer.
func checkWeavyArrived(b *testing.B, sb *sandbox.Sandbox, contacts, entrants, customers int) {
	seen := map[string]int{}
	for _, c := range sb.Mautic.Dump("contacts") {
		fields, _ := c["fields"].(map[string]any)
		all, _ := fields["all"].(map[string]any)
		email, _ := all["email"].(string)
		seen[email]++
	}
	missing, twice := 0, 0
	for i := 0; i < contacts+entrants; i++ {
		switch n := seen[simkit.PersonAt(i).Email]; {
		case n == 0:
			missing++
		case n > 1:
			twice++
		}
		delete(seen, simkit.PersonAt(i).Email)
	}
	if missing > 0 || twice > 0 || len(seen) > 0 {
		b.Fatalf("Automation holds %d contacts for %d weavy contacts and %d entrants: %d missing, %d more than once, %d unknown",
			sb.Mautic.Count("contacts"), contacts, entrants, missing, twice, len(seen))
	}
	if got := sb.Mautic.Count("companies"); got != customers {
		b.Fatalf("Automation holds %d companies for %d weavy customers", got, customers)
	}
}
