package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/workflows"
)

// overview prints one line per connection of CRMSYNC_CONNECTIONS (`crmsync status` without
// a name): where its import, sync and pipeline sync are, its cycles, its quarantine and what
// needs attention — a pause and its reason, an activity waiting to retry and why — and a
// warning when no worker polls the task queue. asJSON prints the same as JSON, for scripts
// and monitoring.
func overview(ctx context.Context, out io.Writer, asJSON bool) error {
	c, s, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	conns, loadErr := loadConnections(s)
	if len(conns) == 0 {
		if loadErr != nil {
			return loadErr
		}
		return fmt.Errorf("status: no connection file in %s (CRMSYNC_CONNECTIONS)", s.Connections)
	}
	names := make([]string, len(conns))
	for i, conn := range conns {
		names[i] = conn.Name
	}
	all, err := overviewsOf(ctx, c, names)
	if err != nil {
		return err
	}
	workers, err := describeWorkers(ctx, c, s.TaskQueue, time.Now())
	if err != nil {
		return err
	}
	if asJSON {
		if err := printOverviewJSON(out, overviewJSON{TaskQueue: s.TaskQueue, Workers: workers.live, Connections: all}); err != nil {
			return err
		}
	} else {
		if err := printOverview(out, all); err != nil {
			return err
		}
		warnNoWorker(ctx, out, c, s.TaskQueue, workers, names)
	}
	// The connections that load are shown; a file that does not is an error of its own.
	return loadErr
}

// overviewOne prints `crmsync status CONN --json`: the JSON of `status --json` with that
// connection alone. The name need not be in the CLI's connection files, as for `status CONN`.
func overviewOne(ctx context.Context, out io.Writer, name string) error {
	c, s, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	o, err := overviewOf(ctx, c, newQueries(c), name)
	if err != nil {
		return err
	}
	if o.Import == "" && o.Sync == "" && o.Pipelines == "" {
		return fmt.Errorf("status: no workflow for connection %q%s", name, noWorkflowHint(ctx, c, s, name, "start import"))
	}
	workers, err := workersPolling(ctx, c, s.TaskQueue, time.Now())
	if err != nil {
		return err
	}
	return printOverviewJSON(out, overviewJSON{TaskQueue: s.TaskQueue, Workers: workers, Connections: []connectionOverview{o}})
}

func printOverviewJSON(out io.Writer, v overviewJSON) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// overviewJSON is what `crmsync status --json` prints.
type overviewJSON struct {
	TaskQueue string `json:"task_queue"`
	// Workers is how many workers poll the task queue: 0 means nothing runs.
	Workers     int                  `json:"workers"`
	Connections []connectionOverview `json:"connections"`
}

// pollerSilence is how long a worker may go without polling before it counts as gone: an
// idle worker's long polls last about a minute. A variable for the tests.
var pollerSilence = 2 * time.Minute

// queueWorkers is what DescribeTaskQueue says of a task queue's workers.
type queueWorkers struct {
	live int  // those that polled within pollerSilence
	seen bool // one is listed at all: it polled once (in the last minutes), then went silent
}

// describeWorkers describes the workers that poll the task queue for workflow tasks.
func describeWorkers(ctx context.Context, c client.Client, queue string, now time.Time) (queueWorkers, error) {
	resp, err := c.DescribeTaskQueue(ctx, queue, enums.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return queueWorkers{}, fmt.Errorf("describe task queue %s: %w", queue, err)
	}
	w := queueWorkers{seen: len(resp.GetPollers()) > 0}
	for _, p := range resp.GetPollers() {
		if now.Sub(p.GetLastAccessTime().AsTime()) < pollerSilence {
			w.live++
		}
	}
	return w, nil
}

// workersPolling counts the workers that polled the task queue for workflow tasks within
// pollerSilence of now.
func workersPolling(ctx context.Context, c client.Client, queue string, now time.Time) (int, error) {
	w, err := describeWorkers(ctx, c, queue, now)
	return w.live, err
}

// idle says that no worker polls queue, and for how long when one did a while ago: a queue
// no worker ever polled has not gone "2m0s" without one.
func (w queueWorkers) idle(queue string) string {
	if w.seen {
		return fmt.Sprintf("no worker has polled the task queue %q for %s", queue, pollerSilence)
	}
	return fmt.Sprintf("no worker polls the task queue %q", queue)
}

// warnNoWorker says so when no worker polls the command's task queue: every workflow shows
// where it stopped, and nothing runs. When a workflow of the connections named runs on
// another task queue, the command's CRMSYNC_TASK_QUEUE is the mistake, not a worker missing:
// it names the workflows' queue instead.
func warnNoWorker(ctx context.Context, out io.Writer, c client.Client, queue string, w queueWorkers, names []string) {
	if w.live > 0 {
		return
	}
	name, other := workflowsQueue(ctx, c, queue, names)
	if other == "" {
		idle := w.idle(queue)
		fmt.Fprintf(out, "\n%s%s: nothing runs until one does. Start crmsync-worker (with CRMSYNC_TASK_QUEUE=%s) and look at its log.\n",
			strings.ToUpper(idle[:1]), idle[1:], queue)
		return
	}
	fmt.Fprintf(out, "\nWorkflows of connection %s run on the task queue %q, not on %q, this command's (CRMSYNC_TASK_QUEUE), which no worker polls: set CRMSYNC_TASK_QUEUE=%s, the workflows' task queue",
		name, other, queue, other)
	switch n, err := workersPolling(ctx, c, other, time.Now()); {
	case err != nil:
		fmt.Fprintln(out, ".")
	case n == 0:
		fmt.Fprintf(out, " (no worker polls it either: start crmsync-worker with CRMSYNC_TASK_QUEUE=%s and look at its log).\n", other)
	default:
		fmt.Fprintf(out, ", as the workers have it (%d %s %q).\n", n, plural(n, "worker polls", "workers poll"), other)
	}
}

// workflowsQueue finds a running workflow of the connections named on a task queue other than
// queue, and returns its connection and task queue ("" when none).
func workflowsQueue(ctx context.Context, c client.Client, queue string, names []string) (name, other string) {
	for _, name := range names {
		for _, id := range []string{workflows.ImportWorkflowID(name), workflows.SyncWorkflowID(name), workflows.PipelineWorkflowID(name)} {
			d, err := c.DescribeWorkflowExecution(ctx, id, "")
			if err != nil {
				continue // not found, or not to be described: the plain warning stands
			}
			info := d.GetWorkflowExecutionInfo()
			if info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING && info.GetTaskQueue() != "" && info.GetTaskQueue() != queue {
				return name, info.GetTaskQueue()
			}
		}
	}
	return "", ""
}

// connectionOverview is one connection at a glance: a line of `crmsync status`, an object of
// `crmsync status --json`. A workflow's state is its phase while it runs, its status once
// closed (done, failed, terminated, …), "" when there is none.
type connectionOverview struct {
	Connection  string    `json:"connection"`
	Import      string    `json:"import"`
	Sync        string    `json:"sync"`
	Pipelines   string    `json:"pipelines"`
	Cycles      *int      `json:"cycles,omitempty"`
	LastCycleAt time.Time `json:"last_cycle_at,omitzero"`
	NextCycleAt time.Time `json:"next_cycle_at,omitzero"`
	Quarantined *int      `json:"quarantined,omitempty"`
	Attention   []string  `json:"attention"`
	// published: no worker answered, and Quarantined is what the workflow last published.
	published bool
}

func printOverview(out io.Writer, all []connectionOverview) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTION\tIMPORT\tSYNC\tCYCLES\tLAST CYCLE\tNEXT CYCLE\tPIPELINES\tQUARANTINED\tATTENTION")
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	number := func(n *int) string {
		if n == nil {
			return "—"
		}
		return fmt.Sprint(*n)
	}
	for _, o := range all {
		fmt.Fprintln(tw, strings.Join([]string{o.Connection, dash(o.Import), dash(o.Sync), number(o.Cycles),
			clock(o.LastCycleAt), clock(o.NextCycleAt), dash(o.Pipelines), number(o.Quarantined), dash(strings.Join(o.Attention, "; "))}, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if slices.ContainsFunc(all, func(o connectionOverview) bool { return o.published }) {
		fmt.Fprintln(out, "\nWith no worker answering, QUARANTINED is the count each workflow last published (Temporal keeps it without a worker).")
	}
	return nil
}

// overviewConcurrency bounds how many connections overviewsOf asks about at once.
const overviewConcurrency = 8

// overviewsOf is the overview of each connection named, in the same order. The connections
// are asked about side by side, and once a progress query has gone unanswered the others are
// not sent (queries): one after another, a worker gone held the command queryTimeout for
// each workflow.
func overviewsOf(ctx context.Context, c client.Client, names []string) ([]connectionOverview, error) {
	q := newQueries(c)
	all := make([]connectionOverview, len(names))
	errs := make([]error, len(names))
	slots := make(chan struct{}, overviewConcurrency)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			all[i], errs[i] = overviewOf(ctx, c, q, name)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first connection's, as asked one after another
		}
	}
	return all, nil
}

// overviewOf is the overview of one connection.
func overviewOf(ctx context.Context, c client.Client, q *queries, name string) (connectionOverview, error) {
	o := connectionOverview{Connection: name, Attention: []string{}}
	imp, err := stateOf(ctx, c, q, workflows.ImportWorkflowID(name), false, &o.Attention)
	if err != nil {
		return o, err
	}
	sync, err := stateOf(ctx, c, q, workflows.SyncWorkflowID(name), false, &o.Attention)
	if err != nil {
		return o, err
	}
	pipes, err := stateOf(ctx, c, q, workflows.PipelineWorkflowID(name), true, &o.Attention)
	if err != nil {
		return o, err
	}
	o.Import, o.Sync, o.Pipelines = imp.phase, sync.phase, pipes.phase
	shown := imp // the counts and pause of the sync, or of the import before there is one
	if sync.queried {
		shown = sync
		o.Cycles, o.LastCycleAt, o.NextCycleAt = &sync.progress.Cycles, sync.progress.LastCycleAt, sync.progress.NextCycleAt
	}
	paused := ""
	if shown.queried {
		o.Quarantined = &shown.progress.Quarantined
		paused = shown.progress.PauseReason
	}
	for _, n := range pauseNotes(paused, pipes.pauseReason) {
		o.Attention = addNote(o.Attention, n)
	}
	// With no worker to answer, the count the sync (or the import, before there is one)
	// last published: Temporal keeps it without a worker.
	published := imp
	if sync.unanswered {
		published = sync
	}
	if published.unanswered && published.quarantined != nil {
		o.Quarantined, o.published = published.quarantined, true
	}
	return o, nil
}

// addNote adds note to the attention notes unless it is there already: the import, the sync
// and the pipeline sync waiting on the same retry for the same reason say it once.
func addNote(notes []string, note string) []string {
	if slices.Contains(notes, note) {
		return notes
	}
	return append(notes, note)
}

// pauseNotes words the pauses of the sync (or the import) and of the pipeline sync: one note
// when they paused for the same reason (one `crmsync pause`, one file that no longer
// validates), "paused: REASON (sync and pipelines)".
func pauseNotes(paused, pipelinesPaused string) []string {
	var notes []string
	switch {
	case paused != "" && paused == pipelinesPaused:
		return []string{"paused: " + paused + " (sync and pipelines)"}
	case pipelinesPaused != "":
		notes = append(notes, "pipelines paused: "+pipelinesPaused)
	}
	if paused != "" {
		notes = append(notes, "paused: "+paused)
	}
	return notes
}

// workflowState is where one workflow of a connection is.
type workflowState struct {
	phase    string // its progress's phase while it runs, its status once closed, "" if none
	queried  bool
	progress workflows.Progress
	// unanswered: it runs and no worker answered its query; quarantined is then the
	// CrmQuarantined it last published (nil: none).
	unanswered  bool
	quarantined *int
	pauseReason string // a PipelineSync's, as it answered
}

// stateOf describes a workflow and queries its progress (a PipelineSync's when pipeline)
// while it runs; the activities it waits to retry are added to attention.
func stateOf(ctx context.Context, c client.Client, q *queries, id string, pipeline bool, attention *[]string) (workflowState, error) {
	var st workflowState
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("describe %s: %w", id, err)
	}
	status := d.GetWorkflowExecutionInfo().GetStatus()
	if status != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		st.phase = closedName(status) // failed, terminated, canceled, timed out
		if status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			st.phase = workflows.PhaseDone
		}
		return st, nil
	}
	for _, r := range retriesIn(d) {
		note := "retrying " + r.activity
		if r.class != "" {
			note += " (" + r.class + ")"
		}
		if !r.next.IsZero() {
			note += " until " + clock(r.next)
		}
		*attention = addNote(*attention, note)
	}
	// With no worker to answer the query, the phase the workflow last published.
	unanswered := func(err error) (workflowState, error) {
		if !errors.Is(err, errNoAnswer) {
			return st, err
		}
		attrs := d.GetWorkflowExecutionInfo().GetSearchAttributes()
		st.phase, st.unanswered = searchattr.Keyword(attrs, workflows.AttrPhase), true
		if st.phase == "" {
			st.phase = "running"
		}
		if n, ok := publishedInt(attrs, workflows.AttrQuarantined); ok {
			q := int(n)
			st.quarantined = &q
		}
		*attention = addNote(*attention, errNoAnswer.Error())
		return st, nil
	}
	if pipeline {
		pp, ok, err := q.pipelineProgress(ctx, id)
		if err != nil {
			return unanswered(err)
		}
		if !ok {
			return st, nil
		}
		st.phase = pp.Phase
		st.pauseReason = pp.PauseReason // overviewOf words it beside the sync's
		return st, nil
	}
	p, ok, err := q.progress(ctx, id)
	if err != nil {
		return unanswered(err)
	}
	if !ok {
		return st, nil
	}
	st.phase, st.queried, st.progress = p.Phase, true, p
	return st, nil
}

// clock prints a time of day, or "—".
func clock(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format(time.TimeOnly)
}
