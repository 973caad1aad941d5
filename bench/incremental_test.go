package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/workflows"
	"go.temporal.io/sdk/client"
)

// BenchmarkIncrementalSellsyToMautic measures the incremental sync of a two-way connection
// of 50,000 contacts (BENCH_CONTACTS) once imported: how long an idle cycle takes and what it
// calls, how fast a cycle carries 1,000 Sellsy edits (BENCH_CHANGES) to Automation, and the
// freshness of one edit — from the write on Sellsy to the value readable in Automation — when
// Sellsy's webhook announces it: the worker's receiver sends the sync a sync-now at once (the
// connection's events: route; nothing is read back for it).
func BenchmarkIncrementalSellsyToMautic(b *testing.B) {
	contacts, changes := envCount("BENCH_CONTACTS", 50000), envCount("BENCH_CHANGES", 1000)
	for i := 0; i < b.N; i++ {
		incrementalOnce(b, contacts, min(changes, contacts))
	}
}

func incrementalOnce(b *testing.B, contacts, changes int) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	b.StopTimer()
	// A long interval: every cycle here is asked for with sync-now. The overlap re-reads 3 s.
	e := startBench(b, contacts, "both", "{interval: 1h, overlap: 3s}")
	e.runImport(ctx, b)
	if _, err := e.tc.ExecuteWorkflow(ctx, workflowOptions(workflows.SyncWorkflowID(connection)), workflows.IncrementalSync,
		workflows.SyncInput{Connection: connection}); err != nil {
		b.Fatal(err)
	}
	e.waitCycles(ctx, b, 1) // reads the import's own writes back
	time.Sleep(3500 * time.Millisecond)
	e.cycle(ctx, b) // past the overlap: reads nothing new

	// An idle cycle.
	e.sb.Sellsy.Kit().ResetCounts()
	e.sb.Mautic.Kit().ResetCounts()
	idle := e.cycle(ctx, b)
	idleCalls := e.sb.Sellsy.Kit().Total() + e.sb.Mautic.Kit().Total()

	// A cycle that carries changes edits.
	sl, err := sellsy.New(sellsy.Config{APIURL: e.sb.SellsyURL + "/v2", TokenURL: e.sb.SellsyURL + "/oauth2/access-tokens",
		ClientID: "bench", ClientSecret: "bench-secret", RequestsPerSecond: 100000})
	if err != nil {
		b.Fatal(err)
	}
	ids, emails := sellsyContacts(b, e)
	mc, err := mautic.New(mautic.Config{BaseURL: e.sb.MauticURL, Username: "bench", Password: "bench-password", RequestsPerSecond: 100000})
	if err != nil {
		b.Fatal(err)
	}
	marker := "Bench edit " + strconv.FormatInt(time.Now().UnixNano(), 36)
	for _, id := range ids[:changes] {
		res, err := sl.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: map[string]any{"position": marker}}})
		if err == nil {
			err = res[0].Err
		}
		if err != nil {
			b.Fatalf("edit %s: %v", id, err)
		}
	}
	e.sb.Sellsy.Kit().ResetCounts()
	e.sb.Mautic.Kit().ResetCounts()
	b.StartTimer()
	busy := e.cycle(ctx, b)
	b.StopTimer()
	busyCalls := e.sb.Sellsy.Kit().Total() + e.sb.Mautic.Kit().Total()
	busyRoutes := fmt.Sprint(e.sb.Sellsy.Kit().Counts(), e.sb.Mautic.Kit().Counts())
	if got := mauticWithPosition(e, marker); got != changes {
		b.Fatalf("%d of %d edits reached Automation", got, changes)
	}

	// Freshness: one edit, its webhook, and Automation polled until it shows the value.
	e.sb.Sellsy.SetWebhook(e.hookURL(b))
	var fresh []time.Duration
	for i := range 10 {
		value := fmt.Sprintf("%s #%d", marker, i)
		k := changes + i%(len(ids)-changes)
		id := ids[k]
		at := time.Now()
		if _, err := sl.Update(ctx, connectors.ObjectContact, []connectors.Record{{ID: id, Fields: map[string]any{"position": value}}}); err != nil {
			b.Fatal(err)
		}
		testenv.Eventually(b, time.Minute, 5*time.Millisecond, "the edit in Automation", func() bool {
			recs, err := mc.FindByKey(ctx, connectors.ObjectContact, "email", []string{emails[k]})
			return err == nil && len(recs) == 1 && recs[0].Fields["position"] == value
		})
		fresh = append(fresh, time.Since(at))
		e.waitIdle(ctx, b)
	}
	slices.Sort(fresh)

	b.ReportMetric(idle.Seconds(), "idle-cycle-s")
	b.ReportMetric(float64(idleCalls), "idle-cycle-calls")
	b.ReportMetric(float64(changes)/busy.Seconds(), "changes/s")
	b.ReportMetric(float64(busyCalls)/float64(changes), "calls/change")
	b.ReportMetric(float64(fresh[len(fresh)/2].Milliseconds()), "freshness-p50-ms")
	b.ReportMetric(float64(fresh[len(fresh)-1].Milliseconds()), "freshness-max-ms")
	fmt.Printf("\nincremental sync of %d contacts (both ways): idle cycle %s, %d API calls; %d Sellsy edits carried in %s (%.0f changes/s, %.2f calls a change); one edit readable in Automation %s after it was made (median of 10; slowest %s)\n",
		contacts, idle.Round(time.Millisecond), idleCalls, changes, busy.Round(time.Millisecond), float64(changes)/busy.Seconds(),
		float64(busyCalls)/float64(changes), fresh[len(fresh)/2].Round(time.Millisecond), fresh[len(fresh)-1].Round(time.Millisecond))
	fmt.Printf("calls of the cycle that carried the edits, by route: %s\n", busyRoutes)
}

// cycle asks for a cycle with sync-now and returns how long it took to be done.
func (e *benchEnv) cycle(ctx context.Context, b *testing.B) time.Duration {
	p := e.progress(ctx, b)
	start := time.Now()
	if err := e.tc.SignalWorkflow(ctx, workflows.SyncWorkflowID(connection), "", workflows.SignalSyncNow, nil); err != nil {
		b.Fatal(err)
	}
	e.waitCycles(ctx, b, p.Cycles+1)
	return time.Since(start)
}

// waitCycles waits until n cycles are done and the workflow waits for the next.
func (e *benchEnv) waitCycles(ctx context.Context, b *testing.B, n int) {
	testenv.Eventually(b, 5*time.Minute, 10*time.Millisecond, fmt.Sprintf("incremental cycle %d", n), func() bool {
		p := e.progress(ctx, b)
		return p.Cycles >= n && p.Phase == workflows.PhaseWaiting
	})
}

// waitIdle waits until the workflow waits for its next cycle.
func (e *benchEnv) waitIdle(ctx context.Context, b *testing.B) {
	testenv.Eventually(b, 5*time.Minute, 10*time.Millisecond, "the sync waiting", func() bool {
		return e.progress(ctx, b).Phase == workflows.PhaseWaiting
	})
}

func (e *benchEnv) progress(ctx context.Context, b *testing.B) workflows.Progress {
	var p workflows.Progress
	v, err := e.tc.QueryWorkflow(ctx, workflows.SyncWorkflowID(connection), "", workflows.QueryProgress)
	if err == nil {
		err = v.Get(&p)
	}
	if err != nil {
		b.Fatalf("progress: %v", err)
	}
	return p
}

// sellsyContacts returns the ids and e-mail addresses of the seeded Sellsy contacts.
func sellsyContacts(b *testing.B, e *benchEnv) (ids, emails []string) {
	for _, c := range e.sb.Sellsy.Dump("contacts") {
		id, ok := c["id"].(float64)
		if !ok {
			b.Fatalf("a Sellsy contact's id is %T", c["id"])
		}
		ids = append(ids, strconv.FormatFloat(id, 'f', -1, 64))
		emails = append(emails, fmt.Sprint(c["email"]))
	}
	if len(ids) < 11 {
		b.Fatalf("only %d Sellsy contacts", len(ids))
	}
	return ids, emails
}

// mauticWithPosition counts the Automation contacts whose position is value.
func mauticWithPosition(e *benchEnv, value string) int {
	n := 0
	for _, c := range e.sb.Mautic.Dump("contacts") {
		fields, _ := c["fields"].(map[string]any)
		all, _ := fields["all"].(map[string]any)
		if all["position"] == value {
			n++
		}
	}
	return n
}

func workflowOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}
}
