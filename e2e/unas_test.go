package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

const unasConnection = "unas-minicrm"

// TestUNASMiniCRMEndToEnd runs the example UNAS → MiniCRM connection through the worker: only
// orders placed since the start date (in shop time; an older order changed since is left
// out), a card per order with the owner, the Link field and the UNAS
// status name, the status through the guide's status map, a status change, a reused key that
// leaves the old order's card alone, and a start date that cannot move (the sync and PipelineSync
// both pause).
func TestUNASMiniCRMEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv := testenv.DevServer(t)
	sb, err := sandbox.Start(sandbox.Options{
		MauticUsername: "unused", MauticPassword: "unused", SellsyClientID: "unused", SellsyClientSecret: "unused",
		UNASAddr: "127.0.0.1:0", UNASAPIKey: "unas-e2e-key", UNASOrders: 40,
		MiniCRMAddr: "127.0.0.1:0", MiniCRMSystemID: "4242", MiniCRMAPIKey: "minicrm-e2e-key",
		MiniCRMRequestsPerMinute: -1, // MiniCRM's 60 a minute is tested with the connector
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	start := time.Now().UTC().AddDate(0, 0, -15).Format(time.DateOnly)
	example, err := os.ReadFile("../config/examples/unas-minicrm.yaml")
	require.NoError(t, err)
	file := strings.NewReplacer("http://127.0.0.1:18085", sb.UNASURL, "http://127.0.0.1:18086", sb.MiniCRMURL,
		"    api_key: UNAS_API_KEY\n", "    api_key: UNAS_API_KEY\n    webhook_secret: UNAS_HOOK\n",
		`start_date: "2026-01-01"`, `start_date: "`+start+`"`, `requests_per_second: "1"`, `requests_per_second: "100"`).Replace(string(example)) +
		"schedule: {interval: 1h, overlap: 3s}\n"
	dir := t.TempDir()
	connFile := filepath.Join(dir, "unas-minicrm.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(file), 0o600))
	w := testenv.StartWorker(t, []string{
		"CRMSYNC_METRICS_ADDR=127.0.0.1:0",
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_DATA_DIR=" + dir,
		"CRMSYNC_WEBHOOK_ADDR=127.0.0.1:0",
		"UNAS_API_KEY=unas-e2e-key", "MINICRM_SYSTEM_ID=4242", "MINICRM_API_KEY=minicrm-e2e-key", "UNAS_HOOK=hook-e2e",
	})
	hookAddr, metricsAddr := w.ListenAddr(t, "webhook receiver"), w.ListenAddr(t, "metrics")
	tc := srv.Client()
	// The worker's health check answers on the webhook address while it reaches Temporal.
	testenv.Eventually(t, 30*time.Second, 100*time.Millisecond, "the worker's /healthz", func() bool {
		resp, err := http.Get("http://" + hookAddr + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && string(body) == "ok\n"
	})

	// The start date begins at midnight in the shop's time (Budapest), and what counts is when
	// an order was placed: an older order whose status changed since is not imported.
	since, err := time.ParseInLocation(time.DateOnly, start, sb.UNAS.Location())
	require.NoError(t, err)
	var oldKey string
	for _, o := range sb.UNAS.Dump() {
		if o.Created.Before(since) {
			oldKey = o.Key
		}
	}
	require.NotEmpty(t, oldKey, "some orders are older than the start date")
	sb.UNAS.SetStatus(oldKey, "Törölve")
	recent := 0
	var oneKey string
	// companies: the buyers who order for a company; businesses: the companies, one per tax
	// number however it is written (two buyers of one company are one Business).
	customers, companies, businesses := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, o := range sb.UNAS.Dump() {
		if !o.Created.Before(since) {
			recent++
			if o.Invoice.URL != "" || oneKey == "" {
				oneKey = o.Key // an invoiced one, whose Link holds its PDF
			}
			email := strings.ToLower(string(o.Customer.Email))
			customers[email] = true
			if inv := o.Customer.Addresses.Invoice; inv.CustomerType == "company" {
				companies[email] = true
				tax := strings.Map(func(r rune) rune {
					if unicode.IsLetter(r) || unicode.IsDigit(r) {
						return unicode.ToUpper(r)
					}
					return -1
				}, string(inv.TaxNumber))
				require.NotEmpty(t, tax, "order %s: the simulator gives companies a tax number", o.Key)
				businesses[tax] = true
			}
		}
	}
	require.NotEmpty(t, companies, "some recent orders are companies'")
	require.Positive(t, recent)
	require.Less(t, recent, 40, "some orders are older than the start date")

	listsBefore := sb.UNAS.Spent(unassim.LimitGetOrder)
	imp, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ImportWorkflowID(unasConnection), TaskQueue: workflows.TaskQueue},
		workflows.InitialImport, workflows.ImportInput{Connection: unasConnection})
	require.NoError(t, err)
	var p workflows.Progress
	require.NoError(t, imp.Get(ctx, &p))
	assert.Equal(t, recent, sb.MiniCRM.Count("Orders"), "a card per order since the start date, and no other")
	assert.Equal(t, 1, sb.UNAS.Spent(unassim.LimitGetOrder)-listsBefore, "the import's four objects share one multi-order read")

	// The worker's Prometheus metrics: the SDK's, and the records per connection and outcome.
	metrics := testenv.Scrape(t, metricsAddr)
	assert.Regexp(t, `crmsync_records_total\{[^}]*connection="unas-minicrm"[^}]*object="order"[^}]*outcome="created_b"[^}]*\} `+strconv.Itoa(recent)+`\n`, metrics)
	assert.Contains(t, metrics, "# TYPE crmsync_records_total counter")
	// The older order whose status changed was not even read: the listing asks for orders
	// placed since the start date (TimeStart), so none is filtered out after reading.
	assert.NotRegexp(t, `crmsync_records_total\{[^}]*connection="unas-minicrm"[^}]*object="order"[^}]*outcome="filtered"[^}]*\} [1-9]`, metrics)
	// every request to each system, by status, and how long they took
	assert.Regexp(t, `crmsync_api_requests_total\{[^}]*status="200"[^}]*system="unas"[^}]*\} [1-9]`, metrics)
	assert.Regexp(t, `crmsync_api_requests_total\{[^}]*status="200"[^}]*system="minicrm"[^}]*\} [1-9]`, metrics)
	assert.Regexp(t, `crmsync_api_request_latency_seconds_bucket\{[^}]*system="minicrm"[^}]*le="0.25"\} [1-9]`, metrics, "seconds buckets")
	assert.Contains(t, metrics, "temporal_activity_execution_latency")

	findCard := func(key string) map[string]any {
		for _, c := range sb.MiniCRM.Dump("Orders") {
			if ref, _ := c["Text1203"].(string); strings.HasPrefix(ref, key+"@") {
				return c
			}
		}
		return nil
	}
	card := func(key string) map[string]any {
		t.Helper()
		c := findCard(key)
		if c == nil {
			t.Fatalf("no card for order %s", key)
		}
		return c
	}
	assert.Nil(t, findCard(oldKey), "order %s was placed before the start date: changed since, still not read", oldKey)
	c := card(oneKey)
	assert.EqualValues(t, "101", toString(c["UserId"]), "the connection's owner")
	assert.Contains(t, toString(c["Url1201"]), "key="+oneKey, "the Link field holds the invoiced order's PDF")

	// Webshop data: a Person per customer, a Business per company customer, a Webshop card
	// per customer on their Person; each order card on its customer's Person (and Business).
	assert.Equal(t, len(customers), sb.MiniCRM.Count("person"))
	assert.Equal(t, len(businesses), sb.MiniCRM.Count("business"))
	assert.Equal(t, len(customers), sb.MiniCRM.Count("Webshop"))
	personOf, businessOf := map[string]string{}, map[string]string{}
	for _, p := range sb.MiniCRM.Dump("person") {
		email := strings.ToLower(toString(p["Email"]))
		personOf[email] = toString(p["Id"])
		if companies[email] {
			assert.NotEmpty(t, toString(p["BusinessId"]), "the Person of company customer %s is in its Business", email)
		}
		businessOf[email] = toString(p["BusinessId"])
	}
	for _, w := range sb.MiniCRM.Dump("Webshop") {
		assert.Equal(t, personOf[toString(w["Text1303"])], toString(w["ContactId"]), "the Webshop card of %s", w["Text1303"])
		assert.EqualValues(t, "101", toString(w["UserId"]))
	}
	for _, o := range sb.UNAS.Dump() {
		if o.Created.Before(since) {
			continue
		}
		email := strings.ToLower(string(o.Customer.Email))
		oc := card(o.Key)
		assert.Equal(t, personOf[email], toString(oc["ContactId"]), "order %s is on its customer's Person", o.Key)
		if companies[email] {
			assert.Equal(t, businessOf[email], toString(oc["BusinessId"]), "company order %s is on its Business", o.Key)
		}
	}

	// Statuses travel through PipelineSync: cards were created at their mapped status with
	// the UNAS Status field filled, so its first scan finds them in step; a status change
	// moves the card once.
	_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.PipelineWorkflowID(unasConnection), TaskQueue: workflows.TaskQueue},
		workflows.PipelineSync, workflows.PipelineInput{Connection: unasConnection})
	require.NoError(t, err)
	mapped := map[string]string{"Beérkezett": "2001", "Feldolgozás alatt": "2002", "Szállítás alatt": "2003", "Teljesítve": "2004", "Törölve": "2005"}
	var order map[string]any
	for _, o := range sb.UNAS.Dump() {
		if o.Key == oneKey {
			order = map[string]any{"status": string(o.Status)}
		}
	}
	testenv.Eventually(t, time.Minute, 200*time.Millisecond, "the card at its status", func() bool {
		c = card(oneKey)
		return c["Text1202"] == order["status"]
	})
	assert.EqualValues(t, mapped[order["status"].(string)], toString(c["StatusId"]), "%s through the status map", order["status"])

	_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SyncWorkflowID(unasConnection), TaskQueue: workflows.TaskQueue},
		workflows.IncrementalSync, workflows.SyncInput{Connection: unasConnection})
	require.NoError(t, err)
	r := &run{t: t, ctx: ctx, tc: tc, connection: unasConnection}
	r.waitCycles(1)
	// The shop's automatism announces the change (a signed webhook): the scan runs at once.
	sb.UNAS.SetWebhook("http://"+hookAddr+"/webhooks/"+unasConnection+"/unas", "hook-e2e")
	time.Sleep(1100 * time.Millisecond) // UNAS's DateMod is to the second
	sb.UNAS.SetStatus(oneKey, "Teljesítve")
	testenv.Eventually(t, time.Minute, 200*time.Millisecond, "the status change", func() bool {
		c = card(oneKey)
		return c["Text1202"] == "Teljesítve"
	})
	assert.EqualValues(t, "2004", toString(c["StatusId"]), "Teljesítve → Closed (2004) through the map")
	// The receiver answers once it has signalled the workflows, which may move the card before
	// the simulator has read that answer: the delivery is counted when it does.
	testenv.Eventually(t, 30*time.Second, 20*time.Millisecond, "the webhook answered 200", func() bool { return sb.UNAS.Deliveries() >= 1 })
	assert.Equal(t, 1, sb.UNAS.Deliveries(), "the webhook was answered 200, once")

	// A deleted order's key reused by a new order: a new card; the old one is left alone. The
	// cycle the webhook asked for finishes first: it read the orders before the change.
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the webhook's cycle", func() bool {
		p, err := r.progress(workflows.SyncWorkflowID(unasConnection))
		return err == nil && p.Phase == workflows.PhaseWaiting
	})
	before := sb.MiniCRM.Count("Orders")
	sb.UNAS.DeleteOrder(oneKey)
	sb.UNAS.ReuseKey(oneKey)
	lists, scans := sb.UNAS.Spent(unassim.LimitGetOrder), r.pipelineScans()
	r.cycle()
	assert.Equal(t, before+1, sb.MiniCRM.Count("Orders"))
	// The cycle's four objects (business, customer, webshop, order) share one multi-order
	// read; a status scan that ran meanwhile may take one more.
	assert.LessOrEqual(t, sb.UNAS.Spent(unassim.LimitGetOrder)-lists, 1+r.pipelineScans()-scans, "multi-order getOrder calls of one cycle")
	assert.Zero(t, sb.UNAS.Bans())

	// The start date cannot move once the connection has run.
	moved := strings.Replace(file, `start_date: "`+start+`"`, `start_date: "2020-01-01"`, 1)
	require.NoError(t, os.WriteFile(connFile, []byte(moved), 0o600))
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(connFile, later, later))
	require.NoError(t, tc.SignalWorkflow(ctx, workflows.SyncWorkflowID(unasConnection), "", workflows.SignalSyncNow, nil))
	var paused workflows.Progress
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "the pause", func() bool {
		paused, err = r.progress(workflows.SyncWorkflowID(unasConnection))
		return err == nil && paused.Phase == workflows.PhasePaused
	})
	assert.Contains(t, paused.PauseReason, "start_date: the connection first ran with "+start)
	// PipelineSync refuses it too: its next scan would read from the new date.
	require.NoError(t, tc.SignalWorkflow(ctx, workflows.PipelineWorkflowID(unasConnection), "", workflows.SignalSyncNow, nil))
	var pipelinePaused workflows.PipelineProgress
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "PipelineSync's pause", func() bool {
		v, err := tc.QueryWorkflow(ctx, workflows.PipelineWorkflowID(unasConnection), "", workflows.QueryProgress)
		return err == nil && v.Get(&pipelinePaused) == nil && pipelinePaused.Phase == workflows.PhasePaused
	})
	assert.Contains(t, pipelinePaused.PauseReason, "start_date: the connection first ran with "+start)
	// the gauges alerts watch: the sync and the pipelines paused (read from visibility, at
	// most every 15 seconds, each read given up after 4: a minute leaves room for a read a
	// moment before visibility had the pauses and one a busy server did not answer in time)
	syncPaused := regexp.MustCompile(`crmsync_paused\{connection="unas-minicrm",workflow="IncrementalSync"\} 1\n`)
	pipelinesPaused := regexp.MustCompile(`crmsync_paused\{connection="unas-minicrm",workflow="PipelineSync"\} 1\n`)
	testenv.Eventually(t, time.Minute, 500*time.Millisecond, "crmsync_paused", func() bool {
		metrics = testenv.Scrape(t, metricsAddr)
		return syncPaused.MatchString(metrics) && pipelinesPaused.MatchString(metrics)
	})
	assert.Regexp(t, `crmsync_stages_total\{[^}]*connection="unas-minicrm"[^}]*outcome="moved"[^}]*\} [1-9]`, metrics, "PipelineSync's moves")
	assert.Regexp(t, `crmsync_last_cycle_timestamp_seconds\{[^}]*connection="unas-minicrm"[^}]*\} \d`, metrics)
	r.noSecretsInHistories("unas-e2e-key", "minicrm-e2e-key")
}

// pipelineScans is how many scans the connection's PipelineSync has finished.
func (r *run) pipelineScans() int {
	r.t.Helper()
	v, err := r.tc.QueryWorkflow(r.ctx, workflows.PipelineWorkflowID(r.connection), "", workflows.QueryProgress)
	require.NoError(r.t, err)
	var p workflows.PipelineProgress
	require.NoError(r.t, v.Get(&p))
	return p.Scans
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
