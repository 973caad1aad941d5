// Package e2e runs crmsync end to end: a real Temporal dev server, the simulated Sellsy and
// Webmecanik Automation of the sandbox, and the worker built from source as its own process.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	querypb "go.temporal.io/api/query/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/internal/testenv"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/workflows"
)

// Credentials of the run. The test fails if any of them shows up in a workflow history.
const (
	sellsyClientID     = "e2e-client-7f3a"
	sellsyClientSecret = "e2e-secret-91c0d2"
	mauticUser         = "e2e-admin-55b1"
	mauticPassword     = "e2e-password-0a9e7c"
	connection         = "e2e-sellsy-mautic"
)

// Seeded people: Sellsy holds people 0–4999, Automation people 4000–5999; people 4000–4999
// (and their companies 800–999) exist on both sides with the same e-mail and name.
const (
	sellsyPeople = 5000
	mauticFirst  = 4000
	mauticPeople = 2000
	allPeople    = mauticFirst + mauticPeople
)

type run struct {
	t      *testing.T
	ctx    context.Context
	sb     *sandbox.Sandbox
	tc     client.Client
	env    []string
	sellsy connectors.Connector
	mautic connectors.Connector
	// connection is the one cycle and waitCycles drive; the main test's when empty.
	connection string
}

func (r *run) syncID() string {
	if r.connection != "" {
		return workflows.SyncWorkflowID(r.connection)
	}
	return workflows.SyncWorkflowID(connection)
}

func TestSellsyMauticEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	r := newSellsyMauticRun(t, ctx, testenv.DevServer(t), "CRMSYNC_MAX_CONCURRENT_ACTIVITIES=4")
	var err error
	r.sellsy, err = sellsy.New(sellsy.Config{
		APIURL: r.sb.SellsyURL + "/v2", TokenURL: r.sb.SellsyURL + "/oauth2/access-tokens",
		ClientID: sellsyClientID, ClientSecret: sellsyClientSecret, RequestsPerSecond: 200,
	})
	require.NoError(t, err)

	r.importSurvivesSIGKILL()
	r.everyoneOnceWithCompany(r.sellsy, "sellsy")
	r.everyoneOnceWithCompany(r.mautic, "mautic")

	r.startSync()
	r.editsTravelBothWays()
	r.conflictsAndMerges()
	r.idleCycleOnlyLists()
	r.noSecretsInHistories(sellsyClientID, sellsyClientSecret, mauticUser, mauticPassword)
	r.recordHistory(workflows.SyncWorkflowID(connection), "incremental-sync")
}

// newSellsyMauticRun starts the sandbox with the seeded people, writes the connection file
// and returns the run's environment for workers (env added), with an Automation client.
func newSellsyMauticRun(t *testing.T, ctx context.Context, srv *testsuite.DevServer, env ...string) *run {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: sellsyPeople, MauticFirst: mauticFirst, MauticContacts: mauticPeople,
		SellsyClientID: sellsyClientID, SellsyClientSecret: sellsyClientSecret,
		// The real quota (5 a second) is exercised by the connector tests; here it would only
		// make the test slow.
		SellsyRequestsPerSecond: -1,
		MauticUsername:          mauticUser, MauticPassword: mauticPassword,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	dir := t.TempDir()
	connFile := filepath.Join(dir, "connection.yaml")
	require.NoError(t, os.WriteFile(connFile, []byte(connectionFile(sb)), 0o600))
	r := &run{t: t, ctx: ctx, sb: sb, tc: srv.Client(), env: append([]string{
		"CRMSYNC_TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"CRMSYNC_CONNECTIONS=" + connFile,
		"CRMSYNC_DATA_DIR=" + dir,
		"E2E_SELLSY_ID=" + sellsyClientID, "E2E_SELLSY_SECRET=" + sellsyClientSecret,
		"E2E_MAUTIC_USER=" + mauticUser, "E2E_MAUTIC_PASSWORD=" + mauticPassword,
	}, env...)}
	r.mautic, err = mautic.New(mautic.Config{BaseURL: sb.MauticURL, Username: mauticUser, Password: mauticPassword, RequestsPerSecond: 200})
	require.NoError(t, err)
	return r
}

func connectionFile(sb *sandbox.Sandbox) string {
	return fmt.Sprintf(`name: %s
a:
  system: sellsy
  settings:
    api_url: %s/v2
    token_url: %s/oauth2/access-tokens
    requests_per_second: "500"
  credentials: {client_id: E2E_SELLSY_ID, client_secret: E2E_SELLSY_SECRET}
b:
  system: mautic
  settings:
    base_url: %s
    requests_per_second: "500"
  credentials: {username: E2E_MAUTIC_USER, password: E2E_MAUTIC_PASSWORD}
schedule: {interval: 1h, overlap: 3s}
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
`, connection, sb.SellsyURL, sb.SellsyURL, sb.MauticURL)
}

// tuning makes activities short so that the import spans several of them and a killed
// worker's activity is retried within seconds.
var tuning = workflows.Tuning{Stretch: 3 * time.Second, HeartbeatTimeout: 5 * time.Second, MaxActivitiesPerRun: 3}

// importSurvivesSIGKILL starts the import, kills the worker with SIGKILL in the middle of the
// contacts, starts a new one and waits for the import to finish. Both APIs fail meanwhile as
// real ones do now and then: 1% of the requests answered with a server error, 1% with 429.
func (r *run) importSurvivesSIGKILL() {
	t := r.t
	flaky := simkit.Faults{ErrorRate: 0.01, RateLimitRate: 0.01}
	r.sb.Sellsy.Kit().SetFaults(flaky)
	r.sb.Mautic.Kit().SetFaults(flaky)
	defer func() {
		r.sb.Sellsy.Kit().SetFaults(simkit.Faults{})
		r.sb.Mautic.Kit().SetFaults(simkit.Faults{})
	}()
	w := testenv.StartWorker(t, r.env)
	run, err := r.tc.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{
		ID: workflows.ImportWorkflowID(connection), TaskQueue: workflows.TaskQueue,
	}, workflows.InitialImport, workflows.ImportInput{Connection: connection, Tuning: tuning})
	require.NoError(t, err)

	r.importReadContacts(1000)
	w.Kill()
	t.Logf("worker killed with SIGKILL mid-import; output so far:\n%s", tail(w.Output(), 5))
	testenv.StartWorker(t, r.env)

	var p workflows.Progress
	require.NoError(t, run.Get(r.ctx, &p), "the import must finish after the restart")
	assert.Equal(t, workflows.PhaseDone, p.Phase)
	assert.GreaterOrEqual(t, p.Runs, 1, "the import continues as new to keep its history bounded")
	total := p.Total()
	assert.GreaterOrEqual(t, total.CreatedA+total.CreatedB, 5000, "at least 5,000 records imported")
	t.Logf("import: %+v; requests answered with a fault: Sellsy %d, Automation %d", total, r.sb.Sellsy.Kit().Faulted(), r.sb.Mautic.Kit().Faulted())
	r.recordHistory(workflows.ImportWorkflowID(connection), "initial-import")
}

// importReadContacts waits until the import has read n contacts.
func (r *run) importReadContacts(n int) {
	r.t.Helper()
	testenv.Eventually(r.t, 3*time.Minute, 100*time.Millisecond, fmt.Sprintf("the import to read %d contacts", n), func() bool {
		p, err := r.progress(workflows.ImportWorkflowID(connection))
		if err != nil {
			return false
		}
		for _, o := range p.Objects {
			if o.Object == "contact" && o.Counts.Read >= n {
				return true
			}
		}
		return false
	})
}

// everyoneOnceWithCompany checks that every seeded person is on the system exactly once,
// linked to their own company.
func (r *run) everyoneOnceWithCompany(c connectors.Connector, system string) {
	t := r.t
	emailField, nameField := "email", "name"
	if system == "mautic" {
		nameField = "companyname"
	}
	companies := map[string]string{} // id → name
	byName := map[string]int{}
	for _, rec := range r.listAll(c, connectors.ObjectCompany) {
		name, _ := rec.Fields[nameField].(string)
		companies[rec.ID] = name
		byName[name]++
	}
	for i := 0; i < simkit.CompanyOf(allPeople-1)+1; i++ {
		assert.Equal(t, 1, byName[simkit.CompanyAt(i).Name], "%s: company %d present once", system, i)
	}
	emails := map[string]int{}
	wrongCompany := 0
	for _, rec := range r.listAll(c, connectors.ObjectContact) {
		email, _ := rec.Fields[emailField].(string)
		emails[strings.ToLower(email)]++
		var i int
		if _, err := fmt.Sscanf(email, "person%06d@example.com", &i); err != nil {
			continue
		}
		if companies[rec.Links["company"]] != simkit.CompanyAt(simkit.CompanyOf(i)).Name {
			wrongCompany++
		}
	}
	missing, twice := 0, 0
	for i := 0; i < allPeople; i++ {
		switch emails[simkit.PersonAt(i).Email] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	assert.Zero(t, missing, "%s: people missing", system)
	assert.Zero(t, twice, "%s: people present more than once", system)
	assert.Zero(t, wrongCompany, "%s: contacts without their company link", system)
	assert.Len(t, emails, allPeople, "%s: no contact beyond the seeded people", system)
}

func (r *run) listAll(c connectors.Connector, object string) []connectors.Record {
	var all []connectors.Record
	q := connectors.ListQuery{Limit: 100}
	for {
		p, err := c.List(r.ctx, object, q)
		require.NoError(r.t, err)
		all = append(all, p.Records...)
		if !p.More {
			return all
		}
		q.Cursor = p.Cursor
	}
}

func (r *run) startSync() {
	_, err := r.tc.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{
		ID: workflows.SyncWorkflowID(connection), TaskQueue: workflows.TaskQueue,
	}, workflows.IncrementalSync, workflows.SyncInput{Connection: connection, Tuning: tuning})
	require.NoError(r.t, err)
	r.waitCycles(1)
	r.visibleInTheWebUI()
}

// visibleInTheWebUI checks what the web UI shows without opening anything: the search
// attributes the workflow list filters on, and the current details of the workflow page.
func (r *run) visibleInTheWebUI() {
	t := r.t
	testenv.Eventually(t, 30*time.Second, 200*time.Millisecond, "the search attributes", func() bool {
		resp, err := r.tc.ListWorkflow(r.ctx, &workflowservice.ListWorkflowExecutionsRequest{
			// The running run: runs closed by continue-as-new keep the phase they published.
			Query: fmt.Sprintf("CrmConnection = '%s' AND CrmPhase = 'waiting' AND CrmRecordsRead > 0 AND ExecutionStatus = 'Running'", connection)})
		return err == nil && len(resp.Executions) == 1 && resp.Executions[0].Execution.WorkflowId == workflows.SyncWorkflowID(connection)
	})
	v, err := r.tc.QueryWorkflow(r.ctx, workflows.SyncWorkflowID(connection), "", "__temporal_workflow_metadata")
	require.NoError(t, err)
	var meta sdkpb.WorkflowMetadata
	require.NoError(t, v.Get(&meta))
	details := meta.GetCurrentDetails()
	assert.Contains(t, details, "**waiting** — connection `"+connection+"`")
	assert.Contains(t, details, "| contact |")
}

// cycle runs one incremental cycle now and waits for it to end.
func (r *run) cycle() {
	p, err := r.progress(r.syncID())
	require.NoError(r.t, err)
	require.NoError(r.t, r.tc.SignalWorkflow(r.ctx, r.syncID(), "", workflows.SignalSyncNow, nil))
	r.waitCycles(p.Cycles + 1)
}

func (r *run) waitCycles(n int) {
	testenv.Eventually(r.t, 2*time.Minute, 100*time.Millisecond, fmt.Sprintf("incremental cycle %d", n), func() bool {
		p, err := r.progress(r.syncID())
		return err == nil && p.Cycles >= n && p.Phase == workflows.PhaseWaiting
	})
}

func (r *run) progress(id string) (workflows.Progress, error) {
	var p workflows.Progress
	v, err := r.tc.QueryWorkflow(r.ctx, id, "", workflows.QueryProgress)
	if err != nil {
		return p, err
	}
	return p, v.Get(&p)
}

// person finds a seeded person's record on one system by e-mail.
func (r *run) person(c connectors.Connector, i int) connectors.Record {
	recs, err := c.FindByKey(r.ctx, connectors.ObjectContact, "email", []string{simkit.PersonAt(i).Email})
	require.NoError(r.t, err)
	require.Len(r.t, recs, 1, "%s: person %d", c.System(), i)
	return recs[0]
}

func (r *run) edit(c connectors.Connector, i int, fields map[string]any) {
	rec := r.person(c, i)
	res, err := c.Update(r.ctx, connectors.ObjectContact, []connectors.Record{{ID: rec.ID, Fields: fields}})
	require.NoError(r.t, err)
	require.NoError(r.t, res[0].Err)
}

// editsTravelBothWays: an edit on Sellsy reaches Automation, an edit on Automation reaches
// Sellsy.
func (r *run) editsTravelBothWays() {
	r.edit(r.sellsy, 10, map[string]any{"position": "Directrice financière"})
	r.edit(r.mautic, 5500, map[string]any{"lastname": "Nouveau-Nom"})
	r.cycle()
	assert.Equal(r.t, "Directrice financière", r.person(r.mautic, 10).Fields["position"], "Sellsy → Automation")
	assert.Equal(r.t, "Nouveau-Nom", r.person(r.sellsy, 5500).Fields["last_name"], "Automation → Sellsy")
}

// conflictsAndMerges: one field changed on both sides takes the most recent value; different
// fields changed on each side are both kept.
func (r *run) conflictsAndMerges() {
	r.edit(r.mautic, 4200, map[string]any{"firstname": "Older"})
	time.Sleep(1100 * time.Millisecond) // timestamps have a resolution of one second
	r.edit(r.sellsy, 4200, map[string]any{"first_name": "Newer"})

	r.edit(r.sellsy, 30, map[string]any{"position": "Responsable achats"})
	r.edit(r.mautic, 30, map[string]any{"phone": "+33 9 99 99 99 99"})
	r.cycle()

	for _, c := range []connectors.Connector{r.sellsy, r.mautic} {
		first, position, phone := "first_name", "position", "phone_number"
		if c.System() == "mautic" {
			first, phone = "firstname", "phone"
		}
		assert.Equal(r.t, "Newer", r.person(c, 4200).Fields[first], "%s: the most recent change wins", c.System())
		p30 := r.person(c, 30)
		assert.Equal(r.t, "Responsable achats", p30.Fields[position], "%s: Sellsy's field kept", c.System())
		assert.Equal(r.t, "+33 9 99 99 99 99", p30.Fields[phone], "%s: Automation's field kept", c.System())
	}
	p, err := r.progress(workflows.SyncWorkflowID(connection))
	require.NoError(r.t, err)
	assert.Positive(r.t, p.Total().Conflicts, "the conflict is counted: %+v", p)
}

// listRoute matches the requests an idle cycle may make: token, list and search.
var listRoute = regexp.MustCompile(`^(POST /oauth2/access-tokens|GET /v2/(companies|contacts)|POST /v2/(companies|contacts)/search|GET /api/(contacts|companies))$`)

// idleCycleOnlyLists: the cycle after the edits reads our own writes back and recognises
// them (no echo: nothing is written); once the overlap window has passed, a cycle with
// nothing changed makes list calls only.
func (r *run) idleCycleOnlyLists() {
	// Our writes of the last cycle are now older than the overlap window, so the cycle after
	// next no longer reads them.
	time.Sleep(4 * time.Second)
	r.resetCounts()
	r.cycle()
	for route, n := range r.counts() {
		read := strings.HasPrefix(route, "GET ") || strings.HasSuffix(route, "/search") || strings.HasSuffix(route, "/access-tokens")
		assert.True(r.t, read, "our own writes came back as changes: %s called %d times", route, n)
	}

	r.resetCounts()
	r.cycle()
	calls := 0
	for route, n := range r.counts() {
		calls += n
		assert.Regexp(r.t, listRoute, route, "an idle cycle called %s %d times", route, n)
	}
	assert.Positive(r.t, calls, "the idle cycle did read the lists")
}

func (r *run) resetCounts() {
	r.sb.Sellsy.Kit().ResetCounts()
	r.sb.Mautic.Kit().ResetCounts()
}

// counts returns the requests both simulators served since resetCounts, by route.
func (r *run) counts() map[string]int {
	out := map[string]int{}
	for _, m := range []map[string]int{r.sb.Sellsy.Kit().Counts(), r.sb.Mautic.Kit().Counts()} {
		for route, n := range m {
			out[route] += n
		}
	}
	return out
}

// noSecretsInHistories reads every workflow history of the run, and each execution's
// description (memo, search attributes, pending activities' heartbeat details), and looks for
// credentials and e-mail addresses with every payload decoded: protojson shows payload data as
// base64, which no search sees through.
func (r *run) noSecretsInHistories(secrets ...string) {
	t := r.t
	var token []byte
	checked := 0
	for {
		resp, err := r.tc.ListWorkflow(r.ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 1000, NextPageToken: token})
		require.NoError(t, err)
		for _, e := range resp.Executions {
			id, runID := e.Execution.WorkflowId, e.Execution.RunId
			h, err := testenv.History(r.ctx, r.tc, id, runID)
			require.NoError(t, err)
			leaks, err := testenv.FindLeaks(h, secrets...)
			require.NoError(t, err, "history of %s run %s", id, runID)
			desc, err := r.tc.DescribeWorkflowExecution(r.ctx, id, runID)
			require.NoError(t, err)
			descLeaks, err := testenv.FindLeaksIn(desc, secrets...)
			require.NoError(t, err, "description of %s run %s", id, runID)
			leaks = append(leaks, descLeaks...)
			if e.Status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
				leaks = append(leaks, r.queryLeaks(id, runID, secrets)...)
			}
			for i, l := range leaks {
				if i == 5 {
					t.Errorf("… and %d more in %s run %s", len(leaks)-i, id, runID)
					break
				}
				t.Errorf("credential or e-mail address in workflow %s run %s: %s", id, runID, l)
			}
			checked++
		}
		if token = resp.NextPageToken; len(token) == 0 {
			break
		}
	}
	require.Positive(t, checked, "no workflow to check")
}

// queryLeaks runs a running workflow's queries, which no history holds yet: the SDK's metadata
// query (the web UI's current details) and each query the workflow defines (progress).
func (r *run) queryLeaks(id, runID string, secrets []string) []testenv.Leak {
	t := r.t
	query := func(name string) *workflowservice.QueryWorkflowResponse {
		resp, err := r.tc.WorkflowService().QueryWorkflow(r.ctx, &workflowservice.QueryWorkflowRequest{
			Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: runID},
			Query: &querypb.WorkflowQuery{QueryType: name},
		})
		require.NoError(t, err, "query %s of %s run %s", name, id, runID)
		return resp
	}
	meta := query("__temporal_workflow_metadata")
	leaks, err := testenv.FindLeaksIn(meta, secrets...)
	require.NoError(t, err, "metadata of %s run %s", id, runID)
	var m sdkpb.WorkflowMetadata
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(meta.QueryResult, &m))
	for _, q := range m.GetDefinition().GetQueryDefinitions() {
		if strings.HasPrefix(q.GetName(), "__") {
			continue // the SDK's own: the stack trace holds code, not data
		}
		l, err := testenv.FindLeaksIn(query(q.GetName()), secrets...)
		require.NoError(t, err, "query %s of %s run %s", q.GetName(), id, runID)
		leaks = append(leaks, l...)
	}
	return leaks
}

// recordHistory saves a workflow's latest run for the replay test when
// CRMSYNC_RECORD_HISTORY=1.
func (r *run) recordHistory(id, name string) {
	if os.Getenv("CRMSYNC_RECORD_HISTORY") != "1" {
		return
	}
	path := filepath.Join("..", "workflows", "testdata", name+".json")
	require.NoError(r.t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(r.t, testenv.WriteHistory(r.ctx, r.tc, id, "", path))
	r.t.Logf("recorded %s", path)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
