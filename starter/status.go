package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/minicrm"
	"github.com/crmsync/crmsync/connectors/registry"
	"github.com/crmsync/crmsync/connectors/unas"
	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/workflows"
)

// errNoAnswer is a progress query no worker answered: only a worker answers queries, and none
// runs, or none serves the task queue.
var errNoAnswer = errors.New("no worker answered (is crmsync-worker running, on the same task queue?)")

// queryTimeout bounds a progress query, so that with no worker the command says so instead
// of waiting for the server's own timeout on each workflow.
var queryTimeout = 5 * time.Second

// progressOf queries an import's or a sync's progress; ok is false when it does not exist.
func progressOf(ctx context.Context, c client.Client, id string) (workflows.Progress, bool, error) {
	return newQueries(c).progress(ctx, id)
}

// queries asks workflows for the progress one command shows. Once a question has gone
// unanswered (a worker gone a moment ago, which the server still waits for until the
// question's deadline), the next are not sent: no worker answers them either, and status,
// which asks every workflow of every connection, waited queryTimeout for each, a minute and
// more. Questions already asked side by side (status's connections) wait together.
type queries struct {
	c          client.Client
	unanswered atomic.Bool
}

func newQueries(c client.Client) *queries { return &queries{c: c} }

// progress queries an import's or a sync's progress; ok is false when it does not exist.
func (q *queries) progress(ctx context.Context, id string) (workflows.Progress, bool, error) {
	var p workflows.Progress
	ok, err := q.query(ctx, id, &p)
	return p, ok, err
}

// pipelineProgress queries a PipelineSync's progress; ok is false when it does not exist.
func (q *queries) pipelineProgress(ctx context.Context, id string) (workflows.PipelineProgress, bool, error) {
	var pp workflows.PipelineProgress
	ok, err := q.query(ctx, id, &pp)
	return pp, ok, err
}

func (q *queries) query(ctx context.Context, id string, into any) (bool, error) {
	if q.unanswered.Load() && ctx.Err() == nil {
		return false, fmt.Errorf("query %s: %w", id, errNoAnswer)
	}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	v, err := q.c.QueryWorkflow(qctx, id, "", workflows.QueryProgress)
	var notFound *serviceerror.NotFound
	var deadline *serviceerror.DeadlineExceeded
	switch {
	case errors.As(err, &notFound):
		return false, nil
	case err != nil && ctx.Err() == nil && (errors.As(err, &deadline) || qctx.Err() != nil || noRecentPoller(err)):
		q.unanswered.Store(true)
		return false, fmt.Errorf("query %s: %w", id, errNoAnswer)
	case err != nil:
		return false, fmt.Errorf("query %s: %w", id, err)
	}
	return true, v.Get(into)
}

// noRecentPoller reports the server's answer to a query once no worker has polled the task
// queue for a while (matching.queryPollerUnavailableWindow, 20 s by default): it stops waiting
// for one and rejects the query at once, with FailedPrecondition and this message.
func noRecentPoller(err error) bool {
	var failed *serviceerror.FailedPrecondition
	return errors.As(err, &failed) && strings.Contains(failed.Error(), "no poller seen")
}

// runState is where a workflow stands, as its description says.
type runState struct {
	exists    bool
	status    enums.WorkflowExecutionStatus
	closeTime time.Time
}

// describeRun describes a workflow's latest run: exists is false when there is none. Temporal
// answers queries on a closed workflow with its last state, so a command checks this first.
func describeRun(ctx context.Context, c searchattr.Describer, id string) (runState, error) {
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return runState{}, nil
	}
	if err != nil {
		if endedByCaller(ctx, err) {
			// The caller's deadline or cancel (watch's end), not the server's: the gRPC
			// error would hide it.
			err = ctx.Err()
		}
		return runState{}, fmt.Errorf("describe %s: %w", id, err)
	}
	info := d.GetWorkflowExecutionInfo()
	r := runState{exists: true, status: info.GetStatus()}
	if ct := info.GetCloseTime(); ct != nil {
		r.closeTime = ct.AsTime()
	}
	return r, nil
}

// running reports whether the workflow runs (a run continued as new goes on in the next).
func (r runState) running() bool {
	return r.status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING || r.status == enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
}

func (r runState) completed() bool { return r.status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED }

// closed says how and when the workflow closed: "terminated at 2026-01-31 10:41:02".
func (r runState) closed() string {
	name := closedName(r.status)
	if r.closeTime.IsZero() {
		return name
	}
	return name + " at " + r.closeTime.Local().Format(time.DateTime)
}

// closedName is how status, watch and the overview name a closed workflow's status: failed,
// terminated, canceled, timed out.
func closedName(status enums.WorkflowExecutionStatus) string {
	if status == enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT {
		return "timed out"
	}
	return strings.ToLower(status.String())
}

// stopped is what status and watch say of a workflow closed otherwise than completed, in
// place of the last progress it answers with: how and when it closed, and the command that
// starts it again (what: import, sync or pipelines).
func (r runState) stopped(id, name, what string) string {
	again := fmt.Sprintf("crmsync start %s %s", what, name)
	if what == "import" {
		again += " --wait"
	}
	msg := fmt.Sprintf("%s: it no longer runs; start it again with `%s`", r.closed(), again)
	if r.status == enums.WORKFLOW_EXECUTION_STATUS_FAILED || r.status == enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT {
		msg += fmt.Sprintf(" (`temporal workflow show --workflow-id %s` gives the failure)", id)
	}
	return msg
}

const statusUsage = `usage: crmsync status [CONNECTION] [--json]

Without a name: one line per connection of CRMSYNC_CONNECTIONS (its import, sync and pipeline
sync, cycles, quarantine, and what needs attention). With one: its progress per object, the
activities waiting to retry, and for a UNAS shop the calls of the last hour (read from the
workers' store, CRMSYNC_STORE_DSN or CRMSYNC_DATA_DIR, when it is there). With no worker
answering, a workflow shows the phase and quarantine count it last published (Temporal keeps
them without a worker).
  --json  the at-a-glance line(s) as JSON, for scripts: every connection, or the one named
Flags may come before or after the name.`

func status(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print as JSON")
	names, err := parseAnywhere(fs, args)
	if err != nil {
		return fmt.Errorf("status: %w\n%s", err, statusUsage)
	}
	switch {
	case len(names) == 0:
		return overview(ctx, out, *asJSON)
	case len(names) > 1:
		return fmt.Errorf("status: one connection name expected, got %d", len(names))
	case *asJSON:
		return overviewOne(ctx, out, names[0])
	}
	return progressStatus(ctx, out, names[0])
}

// progressStatus prints one connection's progress per object, what waits to retry, and its
// UNAS budget.
func progressStatus(ctx context.Context, out io.Writer, name string) error {
	c, s, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	q := newQueries(c)
	found := 0
	for _, w := range []struct{ id, what string }{{workflows.ImportWorkflowID(name), "import"}, {workflows.SyncWorkflowID(name), "sync"}} {
		id := w.id
		r, err := describeRun(ctx, c, id)
		if err != nil {
			return err
		}
		if !r.exists {
			continue
		}
		found++
		if !r.running() && !r.completed() {
			// Its last progress would read as if it still ran.
			fmt.Fprintf(out, "%s\n%s\n\n", id, r.stopped(id, name, w.what))
			continue
		}
		fmt.Fprintf(out, "%s\n", id)
		if r.completed() {
			fmt.Fprintf(out, "%s\n", r.closed())
		}
		p, ok, err := q.progress(ctx, id)
		if errors.Is(err, errNoAnswer) {
			fmt.Fprintf(out, "%v\n", err)
			if err := printLastPublished(ctx, out, c, id); err != nil {
				return err
			}
			fmt.Fprintln(out)
			continue
		}
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		printProgress(out, p)
		if err := printRetries(ctx, out, c, id); err != nil {
			return err
		}
		fmt.Fprintln(out)
	}
	pid := workflows.PipelineWorkflowID(name)
	pr, err := describeRun(ctx, c, pid)
	if err != nil {
		return err
	}
	switch {
	case !pr.exists:
	case !pr.running():
		found++
		fmt.Fprintf(out, "%s\n%s\n", pid, pr.stopped(pid, name, "pipelines"))
	default:
		found++
		if err := printPipelineProgress(ctx, out, c, q, pid); err != nil {
			return err
		}
	}
	if found == 0 {
		return fmt.Errorf("status: no workflow for connection %q%s", name, noWorkflowHint(ctx, c, s, name, "start import"))
	}
	statusBudget(ctx, out, s, name)
	workers, err := describeWorkers(ctx, c, s.TaskQueue, time.Now())
	if err != nil {
		return err
	}
	warnNoWorker(ctx, out, c, s.TaskQueue, workers, []string{name})
	return nil
}

// printPipelineProgress prints a running PipelineSync's progress and what waits to retry.
func printPipelineProgress(ctx context.Context, out io.Writer, c client.Client, q *queries, id string) error {
	pp, ok, err := q.pipelineProgress(ctx, id)
	if errors.Is(err, errNoAnswer) {
		fmt.Fprintf(out, "%s\n%v\n", id, err)
		return printLastPublished(ctx, out, c, id)
	}
	if err != nil || !ok {
		return err
	}
	waiting := ""
	if pp.Waiting > 0 {
		waiting = fmt.Sprintf(" (%d more waiting)", pp.Waiting)
	}
	fmt.Fprintf(out, "%s\nPipelineSync: %s, %d scans, %d records announced%s; %d stage moves (%d back), %d events emitted, %d not paired yet\n",
		id, pp.Phase, pp.Scans, pp.Announced, waiting, pp.Totals.Moved, pp.Totals.Backward, pp.Totals.Emitted, pp.Totals.Pending)
	if pp.PauseReason != "" {
		fmt.Fprintf(out, "paused: %s\n", pp.PauseReason)
	}
	return printRetries(ctx, out, c, id)
}

// printLastPublished prints, for a workflow no worker answered for, what its description
// holds without one: the phase and counts it last published (its search attributes) and the
// activities waiting to retry.
func printLastPublished(ctx context.Context, out io.Writer, c client.Client, id string) error {
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return fmt.Errorf("describe %s: %w", id, err)
	}
	attrs := d.GetWorkflowExecutionInfo().GetSearchAttributes()
	phase := searchattr.Keyword(attrs, workflows.AttrPhase)
	if phase == "" {
		phase = "no phase yet"
	}
	line := "last published: " + phase
	if n, ok := publishedInt(attrs, workflows.AttrRecords); ok {
		line += fmt.Sprintf(", %d records read", n)
	}
	if n, ok := publishedInt(attrs, workflows.AttrQuarantined); ok {
		line += fmt.Sprintf(", %d in quarantine", n)
	}
	fmt.Fprintln(out, line)
	for _, r := range retriesIn(d) {
		fmt.Fprintln(out, r.line())
	}
	return nil
}

// publishedInt reads an integer search attribute from a workflow's description; ok is false
// when the workflow has not published it.
func publishedInt(attrs *commonpb.SearchAttributes, key temporal.SearchAttributeKeyInt64) (int64, bool) {
	p, ok := attrs.GetIndexedFields()[key.GetName()]
	if !ok {
		return 0, false
	}
	var n int64
	if err := converter.GetDefaultDataConverter().FromPayload(p, &n); err != nil {
		return 0, false
	}
	return n, true
}

// statusBudget prints the UNAS calls of the last hour when the connection has a UNAS side and
// its API key is in the environment, and the MiniCRM requests of the last minute when it has
// a MiniCRM side; it says nothing otherwise (status works without credentials). The
// connection is looked for in the files that load: another file's mistake is not this
// connection's.
func statusBudget(ctx context.Context, out io.Writer, s settings, name string) {
	c, err := findConnection(s, name)
	if err != nil || !slices.ContainsFunc([]string{unas.System, minicrm.System}, func(sys string) bool { return c.A.System == sys || c.B.System == sys }) {
		return
	}
	st, err := openWorkersStore(ctx, s.StoreDSN, storeOpenTimeout)
	if err != nil {
		return
	}
	defer st.Close()
	now := time.Now()
	_ = printUNASBudget(ctx, out, c, st, now)
	_ = printMiniCRMMinute(ctx, out, c, st, now)
}

// printMiniCRMMinute prints how many requests crmsync's processes made to the connection's
// MiniCRM system in the last minute, against what the connection lets them send together.
func printMiniCRMMinute(ctx context.Context, out io.Writer, c *config.Connection, q store.Quotas, now time.Time) error {
	for _, sys := range []config.System{c.A, c.B} {
		if sys.System != minicrm.System {
			continue
		}
		id, err := sys.Secret("system_id")
		if err != nil {
			return err
		}
		used, err := q.QuotaUsed(ctx, registry.MiniCRMSystem(sys.Settings["base_url"], id), registry.MiniCRMCountedFor, now)
		if err != nil {
			return err
		}
		rps, _ := strconv.ParseFloat(sys.Settings["requests_per_second"], 64) // validated; "" → the default
		fmt.Fprintf(out, "MiniCRM requests in the last minute: %d (crmsync's workers and commands together may send %d)\n", used, minicrm.QuotaLimit(rps*60))
	}
	return nil
}

// printUNASBudget prints how many calls of each class crmsync's workers made to the
// connection's UNAS shop in the last hour, against the limits of its package.
func printUNASBudget(ctx context.Context, out io.Writer, c *config.Connection, q store.Quotas, now time.Time) error {
	for _, sys := range []config.System{c.A, c.B} {
		if sys.System != unas.System {
			continue
		}
		key, err := sys.Secret("api_key")
		if err != nil {
			return err
		}
		shop := registry.UNASShop(sys.Settings["base_url"], key)
		used := map[string]int{}
		for _, class := range []string{unas.ClassOrderList, unas.ClassOrderByKey, unas.ClassOrderStatus, unas.ClassTotal} {
			if used[class], err = q.QuotaUsed(ctx, shop+"/"+class, unas.CountedFor, now); err != nil {
				return err
			}
		}
		premium, vip := unas.HourlyLimits["PREMIUM"], unas.HourlyLimits["VIP"]
		share := ""
		if n := sys.Settings["order_lists_per_hour"]; n != "" {
			share = ", at most " + n + " for this connection"
		}
		fmt.Fprintf(out, "UNAS calls in the last hour: %d multi-order getOrder (the shop allows %d on PREMIUM, %d on VIP%s), %d getOrder by key, %d getOrderStatus, %d in all (logins included)\n",
			used[unas.ClassOrderList], premium[unas.ClassOrderList], vip[unas.ClassOrderList], share, used[unas.ClassOrderByKey], used[unas.ClassOrderStatus], used[unas.ClassTotal])
	}
	return nil
}

// printRetries prints the activities of a workflow that failed and wait for their next
// attempt — a system's quota spent, a ban, a server down — with the failure and when the next
// attempt is due, so that a connection that seems stuck says why.
func printRetries(ctx context.Context, out io.Writer, c client.Client, id string) error {
	rs, err := retries(ctx, c, id)
	if err != nil {
		return err
	}
	for _, r := range rs {
		fmt.Fprintln(out, r.line())
	}
	return nil
}

// line is how status CONN shows an activity waiting to retry: `retrying SyncPass (attempt 2):
// … [RateLimited]; next attempt at 05:39:43`.
func (r retry) line() string {
	line := fmt.Sprintf("retrying %s (attempt %d): %s", r.activity, r.attempt, r.message)
	if r.class != "" {
		line += " [" + r.class + "]"
	}
	if !r.next.IsZero() {
		line += "; next attempt at " + r.next.Local().Format(time.TimeOnly)
	}
	return line
}

// retry is an activity of a workflow that failed and waits for its next attempt.
type retry struct {
	activity, message, class string
	attempt                  int32
	next                     time.Time
}

// retries lists the activities of a workflow waiting to retry.
func retries(ctx context.Context, c client.Client, id string) ([]retry, error) {
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", id, err)
	}
	return retriesIn(d), nil
}

// retriesIn lists the activities waiting to retry in a workflow's description.
func retriesIn(d *workflowservice.DescribeWorkflowExecutionResponse) []retry {
	var out []retry
	for _, a := range d.GetPendingActivities() {
		f := a.GetLastFailure()
		if f == nil {
			continue
		}
		r := retry{activity: a.GetActivityType().GetName(), message: f.GetMessage(), class: f.GetApplicationFailureInfo().GetType(), attempt: a.GetAttempt()}
		if next := a.GetNextAttemptScheduleTime(); next != nil {
			r.next = next.AsTime()
		}
		out = append(out, r)
	}
	return out
}

// printProgress prints a progress as a table, one line per object.
func printProgress(out io.Writer, p workflows.Progress) {
	head := fmt.Sprintf("%s: %s", p.Workflow, p.Phase)
	if p.Cycles > 0 {
		head += fmt.Sprintf(", %d cycles", p.Cycles)
	}
	if p.FullReads > 0 {
		head += fmt.Sprintf(" (%d reading everything again)", p.FullReads)
	}
	if !p.NextCycleAt.IsZero() {
		head += ", next cycle at " + p.NextCycleAt.Local().Format(time.TimeOnly)
	}
	if p.Object != "" && p.Phase != workflows.PhaseWaiting {
		head += fmt.Sprintf(", now %s side %s", p.Object, p.Side)
	}
	fmt.Fprintln(out, head)
	if p.PauseReason != "" {
		fmt.Fprintf(out, "paused: %s\n", p.PauseReason)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	// LEFT OUT: records read that the connection's rules (a filter, a gate) leave out, which
	// no other column counts.
	fmt.Fprintln(tw, "OBJECT\tREAD\tUNCHANGED\tCREATED A\tCREATED B\tUPDATED A\tUPDATED B\tCONFLICTS\tQUARANTINED\tLEFT OUT\tPAIRS\tDONE\t")
	for _, o := range p.Objects {
		c := o.Counts
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%v\t\n", o.Object, c.Read, c.Unchanged, c.CreatedA, c.CreatedB, c.UpdatedA, c.UpdatedB, c.Conflicts, c.Quarantined, c.Filtered, o.Pairs, o.Done)
	}
	_ = tw.Flush()
	if p.Quarantined > 0 {
		fmt.Fprintf(out, "%d records in quarantine: `crmsync quarantine %s`\n", p.Quarantined, p.Connection)
	}
}

// printPlan prints what a dry run of the import found, one line per object.
func printPlan(out io.Writer, p workflows.Progress) {
	fmt.Fprintf(out, "%s: nothing was written; the import would:\n", p.Workflow)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "OBJECT\tREAD\tUNCHANGED\tCREATE ON A\tCREATE ON B\tUPDATE ON A\tUPDATE ON B\tREFUSE\tLEAVE OUT\t")
	for _, o := range p.Objects {
		c := o.Counts
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", o.Object, c.Read, c.Unchanged, c.CreatedA, c.CreatedB, c.UpdatedA, c.UpdatedB, c.Quarantined, c.Filtered)
	}
	_ = tw.Flush()
	if q := p.Total().Quarantined; q > 0 {
		fmt.Fprintf(out, "%d records would be refused: the worker's log gives each reason (\"dry run: would quarantine\")\n", q)
	}
}

func watch(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	every := fs.Duration("interval", time.Second, "refresh interval")
	name, err := connectionArg(fs, args)
	if err != nil {
		return err
	}
	if *every <= 0 {
		return fmt.Errorf("watch: --interval %v: give a positive refresh interval, such as 1s", *every)
	}
	c, s, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	var meter readRate
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		p, id, stopped, err := current(ctx, c, name)
		if errors.Is(err, errNoWorkflow) {
			return fmt.Errorf("watch: no workflow for connection %q%s", name, noWorkflowHint(ctx, c, s, name, "start import"))
		}
		if errors.Is(err, errNoAnswer) && ctx.Err() == nil {
			// A worker restarting (a rolling deploy) answers no query for a while; the
			// workflow runs on, and so does the watch.
			fmt.Fprintf(out, "\r\033[K%s %v; waiting", id, err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
			continue
		}
		if err != nil {
			if endedByCaller(ctx, err) {
				return ctx.Err() // the watch's own end, met during a call to the server
			}
			if meter.shown {
				fmt.Fprintln(out) // the error on a line of its own
			}
			var unavailable *serviceerror.Unavailable
			var deadline *serviceerror.DeadlineExceeded
			if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded) {
				// The server went away (a restart): the SDK's words do not say which.
				return fmt.Errorf("watch: temporal at %s (CRMSYNC_TEMPORAL_ADDRESS) no longer answers: %w", s.TemporalAddress, err)
			}
			return err
		}
		if stopped != "" {
			// Closed otherwise than completed: its last progress would read as if it ran.
			if meter.shown {
				fmt.Fprintln(out)
			}
			return fmt.Errorf("watch: %s %s", id, stopped)
		}
		read := p.Total().Read
		rate := meter.next(id, read, time.Now())
		fmt.Fprintf(out, "\r\033[K%s %s %s  %d read, %d written, %d quarantined, %.0f records/s", id, bar(p, 24), p.Phase, read, p.Total().Written(), p.Quarantined, rate)
		// A connection held back says why: a quota, a ban, a server down.
		fmt.Fprint(out, waitingToRetry(ctx, c, id))
		if p.Phase == workflows.PhaseDone {
			fmt.Fprintln(out)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// waitingToRetry says why a workflow is held back (a quota, a ban, a server down): ",
// waiting to retry (CLASS) until TIME" when its activity waits to retry, else "".
func waitingToRetry(ctx context.Context, c client.Client, id string) string {
	rs, err := retries(ctx, c, id)
	if err != nil || len(rs) == 0 {
		return ""
	}
	w := ", waiting to retry"
	if rs[0].class != "" {
		w += " (" + rs[0].class + ")"
	}
	if !rs[0].next.IsZero() {
		w += " until " + rs[0].next.Local().Format(time.TimeOnly)
	}
	return w
}

// readRate is watch's records per second, from one refresh to the next.
type readRate struct {
	shown bool // a progress line is on screen
	id    string
	read  int
	at    time.Time
}

// next is the rate since the last refresh, 0 on the first. It starts afresh when the workflow
// shown changes (the import completed, the sync shown next) or its count goes back (a new
// run): the difference would be another workflow's count, not a rate.
func (r *readRate) next(id string, read int, now time.Time) float64 {
	rate := 0.0
	if r.shown && id == r.id && read >= r.read && now.After(r.at) {
		rate = float64(read-r.read) / now.Sub(r.at).Seconds()
	}
	*r = readRate{shown: true, id: id, read: read, at: now}
	return rate
}

// current returns the progress of the import while it runs, else of the incremental sync,
// else of the import once completed. When the workflow it settles on has closed otherwise than
// completed (terminated, failed…), stopped says so, with no progress: Temporal would answer
// with its last state, as if it still ran.
func current(ctx context.Context, c client.Client, name string) (p workflows.Progress, id, stopped string, err error) {
	id = workflows.ImportWorkflowID(name)
	imp, err := describeRun(ctx, c, id)
	if err != nil {
		return p, id, "", err
	}
	if imp.running() {
		p, _, err = progressOf(ctx, c, id)
		return p, id, "", err
	}
	sid := workflows.SyncWorkflowID(name)
	sync, err := describeRun(ctx, c, sid)
	switch {
	case err != nil:
		return p, sid, "", err
	case sync.running() || sync.completed():
		p, _, err = progressOf(ctx, c, sid)
		return p, sid, "", err
	case sync.exists:
		return p, sid, sync.stopped(sid, name, "sync"), nil
	case imp.completed():
		p, _, err = progressOf(ctx, c, id)
		return p, id, "", err
	case imp.exists:
		return p, id, imp.stopped(id, name, "import"), nil
	}
	return p, id, "", errNoWorkflow
}

// errNoWorkflow is a connection with neither import nor sync.
var errNoWorkflow = errors.New("no workflow")

// bar draws the share of passes done (each object is read on both sides).
func bar(p workflows.Progress, width int) string {
	total := 2 * len(p.Objects)
	if total == 0 {
		return "[" + strings.Repeat(" ", width) + "]"
	}
	done := 0
	for _, o := range p.Objects {
		switch {
		case o.Done:
			done += 2
		case o.Object == p.Object && p.Side == "b":
			done++
		}
	}
	if p.Phase == workflows.PhaseDone || p.Phase == workflows.PhaseWaiting {
		done = total
	}
	n := width * done / total
	return "[" + strings.Repeat("█", n) + strings.Repeat("·", width-n) + "]"
}

// endedByCaller reports whether err is the caller's own deadline or cancel rather than the
// server's failure. Temporal's frontend answers DeadlineExceeded a little before the deadline
// the client sent it, while ctx has not yet expired here; when the error is such an answer and
// ctx's deadline is that close, it waits for ctx to end so that the caller sees its own end.
func endedByCaller(ctx context.Context, err error) bool {
	if err == nil {
		return false
	}
	if ctx.Err() != nil {
		return true
	}
	var deadline *serviceerror.DeadlineExceeded
	if !errors.As(err, &deadline) && !errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	end, ok := ctx.Deadline()
	if !ok || time.Until(end) > serverDeadlineMargin {
		return false
	}
	<-ctx.Done()
	return true
}

// serverDeadlineMargin bounds how early before the client's deadline the server may give up.
const serverDeadlineMargin = 2 * time.Second
