package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/workflows"
)

// connectionArg parses "CONNECTION [flags]" (flags may also come first). A mistake in the
// flags, and -h, come with the command's usage.
func connectionArg(fs *flag.FlagSet, args []string) (string, error) {
	fs.SetOutput(io.Discard) // the usage goes with the error, to run's out for -h
	positional, err := parseAnywhere(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return "", fmt.Errorf("%w\n%s", err, flagUsage(fs, "CONNECTION"))
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w\n%s", fs.Name(), err, flagUsage(fs, "CONNECTION"))
	}
	if len(positional) != 1 {
		return "", &argCountError{command: fs.Name(), got: positional}
	}
	return positional[0], nil
}

// argCountError is a command given other than one connection name: the arguments are named,
// for the command to say what one of them was meant as (push's id).
type argCountError struct {
	command string
	got     []string
}

func (e *argCountError) Error() string {
	msg := fmt.Sprintf("%s: one connection name expected, got %d", e.command, len(e.got))
	if len(e.got) > 0 {
		msg += " (" + strings.Join(e.got, " ") + ")"
	}
	return msg
}

// flagUsage is a command's usage made from its flag set: "usage: crmsync NAME ARGS [flags]"
// and the flags with their defaults.
func flagUsage(fs *flag.FlagSet, args string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: crmsync %s %s", fs.Name(), args)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		b.WriteString(" [flags]\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return strings.TrimRight(b.String(), "\n")
}

// parseAnywhere parses fs's flags wherever they stand among args, before, between or after
// the positional arguments, which it returns in order. "--" ends the flags.
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) > 0 {
			positional = append(positional, rest[0])
			rest = rest[1:]
		}
		args = rest
	}
	return positional, nil
}

const startUsage = `usage: crmsync start import|sync|pipelines CONNECTION [--wait] [--dry-run] [--no-import]

Starts the connection's InitialImport (import), IncrementalSync (sync) or PipelineSync
(pipelines) on CRMSYNC_TASK_QUEUE. A CONNECTION the files of CRMSYNC_CONNECTIONS do not have is
refused; with no file to read here, it goes unchecked (a note on stderr says so). The sync
starts only once the connection's import has completed (crmsync start import CONNECTION
--wait): the import applies the initialisation choices the sync relies on. The import is
refused while the connection's sync runs unpaused: both would write the same records
(crmsync resync CONNECTION reads everything again through the sync).
  --wait       wait for the workflow to end and print its counts (an import ends; a sync or
               pipelines run until stopped)
  --dry-run    import only: print what the import would create, update and refuse on each
               side, writing nothing
  --no-import  sync only: start without an initial import, on purpose (every record a cycle
               reads is matched or created); refused for a connection whose file keeps a
               side's existing records out (initial.from_a or from_b false)`

func start(ctx context.Context, args []string, out io.Writer) error {
	what, rest := commandWord(args) // start's flags take no value
	if isHelp(what) || (what == "" && slices.ContainsFunc(args, isHelp)) {
		return fmt.Errorf("%w\n%s", flag.ErrHelp, startUsage)
	}
	if what == "" {
		return errors.New("start: say what to start: `crmsync start import|sync|pipelines CONNECTION`")
	}
	if words := []string{"import", "sync", "pipelines"}; !slices.Contains(words, what) {
		return fmt.Errorf("start: %q is not import, sync or pipelines%s: crmsync start import|sync|pipelines CONNECTION", what, config.DidYouMean(what, words))
	}
	fs := flag.NewFlagSet("start "+what, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	wait := fs.Bool("wait", false, "wait for the workflow to end (an import ends; a sync or pipelines run until cancelled)")
	dryRun := fs.Bool("dry-run", false, "import: count what the import would do, write nothing (waits for the result)")
	noImport := fs.Bool("no-import", false, "sync: start without a completed initial import, on purpose")
	name, err := connectionArg(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("%w\n%s", flag.ErrHelp, startUsage)
	}
	if err != nil {
		return err
	}
	if *dryRun && what != "import" {
		return fmt.Errorf("start %s: --dry-run is for the import only", what)
	}
	if *noImport && what != "sync" {
		return fmt.Errorf("start %s: --no-import is for the sync only", what)
	}
	s, err := loadSettings()
	if err != nil {
		return err
	}
	conn, err := checkConnection(s, "start "+what, name)
	if err != nil {
		return err
	}
	if what == "pipelines" && conn != nil && len(conn.Pipelines) == 0 {
		return fmt.Errorf("start pipelines: connection %s (%s) has no pipelines: section: PipelineSync would propagate nothing; add one to the file first", name, conn.File)
	}
	if *noImport && conn != nil {
		// Refused only when no import ran before: the store is read only then.
		if err := refuseNoImport(conn); err != nil {
			if ran, _ := ranBefore(ctx, s, conn); !ran {
				return err
			}
		}
	}
	c, err := dialWith(s)
	if err != nil {
		return err
	}
	defer c.Close()
	if what == "sync" && !*noImport {
		if err := requireImport(ctx, c, name, func() (bool, string) { return ranBefore(ctx, s, conn) }); err != nil {
			return err
		}
	}
	if what == "import" && !*dryRun {
		if err := refuseImportBesideSync(ctx, c, name); err != nil {
			return err
		}
	}
	if err := registerSearchAttributes(ctx, c, s.Namespace); err != nil {
		return fmt.Errorf("start %s: registering search attributes: %w", what, err)
	}
	opts := client.StartWorkflowOptions{
		TaskQueue:             s.TaskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// A second start of a running workflow is a mistake to report, not a handle to return.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(workflows.AttrConnection.ValueSet(name)),
	}
	// A dry run is waited for: with no worker it would wait for ever, holding its id. Once
	// requireWorker returns, a worker polls: no need to ask again.
	idle := ""
	if *dryRun {
		if err := requireWorker(ctx, c, s.TaskQueue, "start "+what); err != nil {
			return err
		}
	} else {
		idle = noWorkerPolls(ctx, c, s.TaskQueue)
	}
	var run client.WorkflowRun
	if what == "import" && *dryRun {
		opts.ID = workflows.ImportDryRunWorkflowID(name)
		opts.StaticSummary = "Dry run of the initial import of connection " + name
		// A dry run writes nothing: one still running (its command interrupted, or run on
		// the file before its fix) is replaced, so that the plan is the file's as it is now.
		opts.WorkflowIDConflictPolicy = enums.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
		if r, err := describeRun(ctx, c, opts.ID); err == nil && r.running() {
			fmt.Fprintf(stderr, "crmsync: note: start import --dry-run: the dry run %s running already is replaced by a new one\n", opts.ID)
		}
		run, err = c.ExecuteWorkflow(ctx, opts, workflows.InitialImport, workflows.ImportInput{Connection: name, DryRun: true})
	} else if what == "import" {
		opts.ID = workflows.ImportWorkflowID(name)
		opts.StaticSummary = "Initial import of connection " + name
		run, err = c.ExecuteWorkflow(ctx, opts, workflows.InitialImport, workflows.ImportInput{Connection: name})
	} else if what == "pipelines" {
		opts.ID = workflows.PipelineWorkflowID(name)
		opts.StaticSummary = "Pipeline stages of connection " + name
		run, err = c.ExecuteWorkflow(ctx, opts, workflows.PipelineSync, workflows.PipelineInput{Connection: name})
	} else {
		opts.ID = workflows.SyncWorkflowID(name)
		opts.StaticSummary = "Incremental sync of connection " + name
		run, err = c.ExecuteWorkflow(ctx, opts, workflows.IncrementalSync, workflows.SyncInput{Connection: name})
	}
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return fmt.Errorf("start %s: %s is already running (see `crmsync status %s`)", what, opts.ID, name)
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", what, err)
	}
	fmt.Fprintf(out, "started %s (run %s)\n", run.GetID(), run.GetRunID())
	if idle != "" {
		fmt.Fprintf(stderr, "crmsync: note: start %s: %s: %s waits until one does\n", what, idle, run.GetID())
	}
	if *dryRun {
		var p workflows.Progress
		if err := awaitResult(ctx, c, s.TaskQueue, run, &p, fmt.Sprintf("the next `crmsync start import %s --dry-run` replaces it", name), dryRunWords); err != nil {
			return err
		}
		printPlan(out, p)
		return nil
	}
	if *wait {
		var p workflows.Progress
		follow := fmt.Sprintf("`crmsync watch %s` follows it", name)
		if what == "pipelines" {
			follow = fmt.Sprintf("`crmsync status %s` shows it", name)
		}
		words := importWords
		if what != "import" {
			words = nil // a sync's and a pipeline sync's progress: `crmsync status`
		}
		if err := awaitResult(ctx, c, s.TaskQueue, run, &p, follow, words); err != nil {
			return err
		}
		printProgress(out, p)
	}
	return nil
}

// commandWord takes a command's word (start's import, sync or pipelines; sellsy's call or
// webhooks) out of its arguments: the first that is neither a flag nor the value of one of
// valued (flags that take their value as the next argument), as flags may come before the
// word too (start --wait import CONN, sellsy --connection C call …). "" when there is none
// before "--".
func commandWord(args []string, valued ...string) (string, []string) {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			return "", args
		case slices.ContainsFunc(valued, func(v string) bool { return a == "-"+v || a == "--"+v }):
			i++ // its value
		case !strings.HasPrefix(a, "-"):
			return a, append(slices.Clone(args[:i]), args[i+1:]...)
		}
	}
	return "", args
}

// requireImport refuses to start the sync of a connection whose initial import has not
// completed: the import's mark is what keeps the existing records of a side with
// initial.from_a (from_b) false on their side, and the sync must not read them first. An
// import Temporal no longer knows is accepted when the workers' store shows the connection
// ran before (ranEarlier): its history is gone with the namespace's retention, and running
// it again would mark its sides anew, holding back the records created since. A sync already
// running is left for the start to report.
func requireImport(ctx context.Context, c searchattr.Describer, name string, ranEarlier func() (bool, string)) error {
	if sync, err := describeRun(ctx, c, workflows.SyncWorkflowID(name)); err == nil && sync.running() {
		return nil // the start says it is already running
	}
	id := workflows.ImportWorkflowID(name)
	run := fmt.Sprintf("run `crmsync start import %s --wait` first", name)
	skip := "(or, to sync without an import on purpose, `crmsync start sync " + name + " --no-import`)"
	r, err := describeRun(ctx, c, id)
	if err != nil {
		return fmt.Errorf("start sync: %w", err)
	}
	if !r.exists {
		ran, unknown := ranEarlier()
		switch {
		case ran:
			fmt.Fprintf(stderr, "crmsync: note: Temporal no longer knows %s (the namespace's retention removes a closed workflow's history), but the workers' store holds connection %s's cursors: it ran before, so the sync starts from them\n", id, name)
			return nil
		case unknown != "":
			return fmt.Errorf("start sync: Temporal knows no initial import of connection %s (%s), and this command cannot tell whether one ran before its history was removed (%s): run it where the worker runs (its connection files and store), or, if the import did complete, `crmsync start sync %s --no-import`; if it never ran, %s",
				name, id, unknown, name, strings.TrimSuffix(run, " first"))
		}
	}
	switch {
	case !r.exists:
		return fmt.Errorf("start sync: connection %s has had no initial import (%s): %s %s", name, id, run, skip)
	case r.running():
		return fmt.Errorf("start sync: the initial import %s is still running: start the sync once it has completed (`crmsync watch %s` follows it; `crmsync start import %s --wait` waits for the import it starts)", id, name, name)
	case !r.completed():
		return fmt.Errorf("start sync: the initial import %s did not complete (%s): %s %s", id, r.closed(), run, skip)
	}
	return nil
}

// refuseImportBesideSync refuses to start the import of a connection whose IncrementalSync
// runs unpaused: both would write the same records, the import would move the sync's cursors
// back to its own start, and it would mark anew a side whose existing records stay out
// (initial.from_a/from_b false), holding back for good the records created there since the
// first import that the sync has not sent yet. A paused sync writes nothing: the import its
// pause may ask for ("no import has marked them yet") goes on, with a note to resume the sync
// only once the import has completed. A dry run writes nothing, and is not asked about.
func refuseImportBesideSync(ctx context.Context, c searchattr.Describer, name string) error {
	id := workflows.SyncWorkflowID(name)
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start import: describe %s: %w", id, err)
	}
	info := d.GetWorkflowExecutionInfo()
	if info.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return nil
	}
	phase := searchattr.Keyword(info.GetSearchAttributes(), workflows.AttrPhase)
	if phase == workflows.PhasePaused {
		fmt.Fprintf(stderr, "crmsync: note: start import: the sync %s is paused: leave it paused until the import has completed, then `crmsync resume %s` (resumed before, both would write the same records)\n", id, name)
		return nil
	}
	if phase != "" {
		phase = " (" + phase + ")"
	}
	return fmt.Errorf("start import: connection %s's sync %s is running%s: an import now would write the same records beside it, read every record again, move the sync's cursors back, and mark anew the sides whose existing records stay out (initial.from_a/from_b false), holding back the records created there since the first import that the sync has not sent yet. "+
		"To read every record again, `crmsync resync %s` (the running sync does it at its next cycle; `crmsync sync-now %s` starts that cycle now); to run the import all the same, `crmsync pause %s` first (start the import once `crmsync status %s` shows the sync paused), and `crmsync resume %s` once the import has completed",
		name, id, phase, name, name, name, name, name)
}

// ranBefore reports whether the workers' store holds a cursor of one of the connection's
// objects: its import (or a sync) ran before. Where it cannot tell (no connection file, no
// store within reach), unknown says why.
func ranBefore(ctx context.Context, s settings, conn *config.Connection) (ran bool, unknown string) {
	if conn == nil {
		return false, "no connection file here names its objects"
	}
	st, err := openWorkersStore(ctx, s.StoreDSN, storeOpenTimeout)
	if errors.Is(err, store.ErrNoStore) {
		return false, "" // no store: nothing ran with it
	}
	if err != nil {
		return false, "the workers' store cannot be read here: " + err.Error()
	}
	defer func() { _ = st.Close() }()
	octx, cancel := context.WithTimeout(ctx, storeOpenTimeout) // the reads too: an unreachable database is no reason to hang
	defer cancel()
	for _, object := range conn.ObjectNames() {
		for _, side := range []store.Side{store.SideA, store.SideB} {
			_, ok, err := st.Cursor(octx, conn.Name, object, side)
			if err != nil {
				return false, "the workers' store cannot be read here: " + err.Error()
			}
			if ok {
				return true, ""
			}
		}
	}
	return false, ""
}

// refuseNoImport refuses --no-import for a connection whose file keeps a side's existing
// records out (initial.from_a or from_b false): only the import's mark does that, and without
// it the sync pauses at that side.
func refuseNoImport(conn *config.Connection) error {
	for _, name := range conn.ObjectNames() {
		o, _ := conn.Object(name)
		for _, side := range []string{"a", "b"} {
			if activities.NeedsMark(conn, o, side) {
				return fmt.Errorf("start sync: --no-import: object %s has initial.from_%s false (%s): only the import keeps side %s's existing records out of the sync, and without it the sync would pause there: run `crmsync start import %s --wait`, then `crmsync start sync %s`",
					name, side, conn.File, side, conn.Name, conn.Name)
			}
		}
	}
	return nil
}

func pause(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("pause", flag.ContinueOnError)
	reason := fs.String("reason", "", "why, shown in status and the web UI")
	name, err := connectionArg(fs, args)
	if err != nil {
		return err
	}
	return signal(ctx, out, name, workflows.SignalPause, *reason)
}

// resume resumes the connection's workflows; with --allow-deletes, the incremental sync
// first hears that the deletions schedule.max_deletes held may go.
func resume(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("resume", flag.ContinueOnError)
	allow := fs.Bool("allow-deletes", false, "let the deletions held by schedule.max_deletes go")
	name, err := connectionArg(fs, args)
	if err != nil {
		return err
	}
	if beside, err := syncBesideImport(ctx, name); err != nil || beside {
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		return resumeBesideImport(ctx, out, name, *allow)
	}
	if *allow {
		c, _, err := dial()
		if err != nil {
			return err
		}
		sent, err := sendTo(ctx, c, out, workflows.SignalAllowDeletes, nil, workflows.SyncWorkflowID(name))
		c.Close()
		if err != nil {
			return err
		}
		if sent == 0 {
			// Only IncrementalSync holds deletions: with none running there is nothing to
			// let go, and the import or the pipelines are resumed all the same.
			fmt.Fprintf(out, "allow-deletes: no IncrementalSync runs for %s: it alone holds deletions, none is held\n", name)
		}
	}
	return signal(ctx, out, name, workflows.SignalResume, nil)
}

// syncBesideImport reports whether the connection's InitialImport and IncrementalSync both
// run (the sync paused for the import, as start import asks). The dry run is no import: it
// writes nothing, and resume does not reach it.
func syncBesideImport(ctx context.Context, name string) (bool, error) {
	c, _, err := dial()
	if err != nil {
		return false, err
	}
	defer c.Close()
	for _, id := range []string{workflows.ImportWorkflowID(name), workflows.SyncWorkflowID(name)} {
		r, err := describeRun(ctx, c, id)
		if err != nil || !r.running() {
			return false, err
		}
	}
	return true, nil
}

// resumeBesideImport resumes the import and the pipelines of a connection whose import runs,
// and refuses the sync: resumed beside the import, both would write the same records.
// --allow-deletes is for the sync alone: it is not sent either, and is named for the resume
// to come.
func resumeBesideImport(ctx context.Context, out io.Writer, name string, allowDeletes bool) error {
	if err := signalTo(ctx, out, name, workflows.SignalResume, nil, workflows.ImportWorkflowID(name), workflows.PipelineWorkflowID(name)); err != nil {
		return err
	}
	again := "crmsync resume " + name
	if allowDeletes {
		again += " --allow-deletes"
	}
	return fmt.Errorf("resume: not sent to %s: connection %s's initial import %s is running: the sync resumed now would write the same records beside it; resume the sync once the import has completed (`crmsync watch %s` follows it; `crmsync start import %s --wait` waits for an import it starts), with `%s`",
		workflows.SyncWorkflowID(name), name, workflows.ImportWorkflowID(name), name, name, again)
}

// signal sends a signal to every running workflow of the connection.
func signal(ctx context.Context, out io.Writer, name, sig string, arg any) error {
	return signalTo(ctx, out, name, sig, arg, workflows.ImportWorkflowID(name), workflows.SyncWorkflowID(name), workflows.PipelineWorkflowID(name))
}

// signalTo sends a signal to those of the connection's workflows ids that run.
func signalTo(ctx context.Context, out io.Writer, name, sig string, arg any, ids ...string) error {
	c, s, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	sent, err := sendTo(ctx, c, out, sig, arg, ids...)
	if err != nil {
		return err
	}
	if sent == 0 {
		return fmt.Errorf("%s: no running workflow for connection %q%s", sig, name, noWorkflowHint(ctx, c, s, name, "start sync"))
	}
	return nil
}

// sendTo sends a signal to those of ids that run, and says how many did.
func sendTo(ctx context.Context, c client.Client, out io.Writer, sig string, arg any, ids ...string) (int, error) {
	sent := 0
	for _, id := range ids {
		err := c.SignalWorkflow(ctx, id, "", sig, arg)
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			continue
		}
		if err != nil {
			return sent, fmt.Errorf("%s %s: %w", sig, id, err)
		}
		fmt.Fprintf(out, "%s sent to %s\n", sig, id)
		sent++
	}
	return sent, nil
}

func resync(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("resync", flag.ContinueOnError)
	objects := fs.String("objects", "", "comma-separated objects (default: all)")
	since := fs.String("since", "", "read records changed since this date (2026-01-31 or RFC 3339, not in the future; a side already reading from earlier keeps its place); default: everything")
	name, err := connectionArg(fs, args)
	if err != nil {
		return err
	}
	// An empty --objects (an empty shell variable) is a mistake, not a request for every object.
	objectsGiven := false
	fs.Visit(func(f *flag.Flag) { objectsGiven = objectsGiven || f.Name == "objects" })
	if objectsGiven && *objects == "" {
		return errors.New("resync: --objects is empty: leave it out to resync every object")
	}
	var req workflows.ResyncRequest
	if *since != "" {
		if req.Since, err = parseDate(*since); err != nil {
			return fmt.Errorf("resync: --since: %w", err)
		}
		// A cursor only moves back (ResetCursors): a date to come would read nothing again.
		// A bare date is midnight UTC, which east of UTC is still to come in the first hours
		// of that day: today, wherever it is today, is taken.
		now := time.Now()
		limit := now
		if _, err := time.Parse("2006-01-02", *since); err == nil {
			limit = limit.Add(14 * time.Hour) // UTC+14, the earliest today there is
		}
		if req.Since.After(limit) {
			return fmt.Errorf("resync: --since %s is in the future (it is %s): give the date from which to read the records again, today or earlier",
				*since, now.UTC().Format(time.RFC3339))
		}
	}
	if *objects != "" {
		s, err := loadSettings()
		if err != nil {
			return err
		}
		if req.Objects, err = resyncObjects(s, name, *objects); err != nil {
			return err
		}
	}
	c, s, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	err = c.SignalWorkflow(ctx, workflows.SyncWorkflowID(name), "", workflows.SignalResync, req)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		if hint := importRunsHint(ctx, c, name); hint != "" {
			return fmt.Errorf("resync: no running %s (the sync of connection %q): %s; the import reads every record already", workflows.SyncWorkflowID(name), name, hint)
		}
		return fmt.Errorf("resync: no running %s (the sync of connection %q)%s", workflows.SyncWorkflowID(name), name, noWorkflowHint(ctx, c, s, name, "start sync"))
	}
	if err != nil {
		return fmt.Errorf("resync %s: %w", workflows.SyncWorkflowID(name), err)
	}
	fmt.Fprintf(out, "resync sent to %s\n", workflows.SyncWorkflowID(name))
	return nil
}

// resyncObjects checks the objects of --objects against the connection's file
// (CRMSYNC_CONNECTIONS) and returns them: the worker refuses an unknown one only in its log,
// after the command has said "sent".
func resyncObjects(s settings, name, list string) ([]string, error) {
	conn, err := findConnection(s, name)
	if errors.As(err, new(*uncheckedError)) {
		return nil, fmt.Errorf("resync: --objects is checked against the connection file: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("resync: %w", err)
	}
	var objects []string
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" || slices.Contains(objects, o) {
			continue
		}
		if _, ok := conn.Object(o); !ok {
			return nil, fmt.Errorf("resync: --objects: %q is not an object of connection %s (%s)%s: its objects are %s", o, name, conn.File, config.DidYouMean(o, conn.ObjectNames()), strings.Join(conn.ObjectNames(), ", "))
		}
		objects = append(objects, o)
	}
	if len(objects) == 0 {
		return nil, fmt.Errorf("resync: --objects names no object: give some of %s, or leave it out for all", strings.Join(conn.ObjectNames(), ", "))
	}
	return objects, nil
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return t, fmt.Errorf("%q is neither a date (2026-01-31) nor an RFC 3339 time", s)
	}
	return t, nil
}

func syncNow(ctx context.Context, args []string, out io.Writer) error {
	name, err := connectionArg(flag.NewFlagSet("sync-now", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	c, s, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	// The sync's cycle and the pipeline scan, not the import (which runs already).
	sent, err := sendTo(ctx, c, out, workflows.SignalSyncNow, nil, workflows.SyncWorkflowID(name), workflows.PipelineWorkflowID(name))
	if err != nil || sent > 0 {
		return err
	}
	if hint := importRunsHint(ctx, c, name); hint != "" {
		return fmt.Errorf("%s: no running sync or pipeline sync for connection %q: %s", workflows.SignalSyncNow, name, hint)
	}
	return fmt.Errorf("%s: no running workflow for connection %q%s", workflows.SignalSyncNow, name, noWorkflowHint(ctx, c, s, name, "start sync"))
}

// runToEnd starts workflow with input under id, or joins the run already going under that
// id, and waits for its result: one push or one retry of the quarantine at a time, whoever
// asks for it.
// then says how to come back to it when no worker is left to run it (awaitResult).
func runToEnd(ctx context.Context, c client.Client, queue, id string, workflow, input, into any, then string) (client.WorkflowRun, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                queue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflow, input)
	if err != nil {
		return nil, err
	}
	return run, awaitResult(ctx, c, queue, run, into, then, nil)
}

// awaitResult waits for run's result as result does, asking every workerCheckEvery whether a
// worker still polls queue: a worker stopped a moment before the command still counted as
// polling when it started the workflow, whose result no one would then send. Once no worker
// has polled for pollerSilence it stops waiting, naming the workflow left running and what
// becomes of it; then says how to come back to it. With words, it says every progressEvery on
// stderr where the import it waits for is.
func awaitResult(ctx context.Context, c client.Client, queue string, run client.WorkflowRun, into any, then string, words *progressWords) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- result(wctx, run, into) }()
	tick := time.NewTicker(workerCheckEvery)
	defer tick.Stop()
	var reports <-chan time.Time
	if words != nil {
		every := time.NewTicker(progressEvery)
		defer every.Stop()
		reports = every.C
	}
	for {
		select {
		case err := <-done:
			return err
		case <-reports:
			// A query left unanswered says nothing here: the worker check below speaks
			// for a worker gone, and a busy one answers the next (asked afresh).
			if p, ok, err := newQueries(c).progress(ctx, run.GetID()); err == nil && ok {
				fmt.Fprintln(stderr, "crmsync: "+run.GetID()+": "+words.report(p)+waitingToRetry(ctx, c, run.GetID()))
			}
		case <-tick.C:
			idle := noWorkerPolls(ctx, c, queue)
			if idle == "" {
				continue
			}
			cancel()
			// The client's error for the wait cut short need not wrap context.Canceled.
			if err := <-done; err == nil || errors.As(err, new(*workflowFailure)) || ctx.Err() != nil {
				return err // it ended as the worker went, or the command was interrupted
			}
			id := run.GetID()
			return fmt.Errorf("stopped waiting for %s: %s (the worker stopped, or serves another task queue): it stays started and runs once a worker polls the task queue again (start crmsync-worker); %s; `temporal workflow terminate --workflow-id %s` drops it",
				id, idle, then, id)
		}
	}
}

// result waits for run's result, into into. A failure names the workflow and gives its
// reason and class first: Temporal's wrapping (workflow execution error (type, workflowID,
// runID): activity error (type, scheduledEventID, startedEventID, identity): …) buries them at
// the end. The error keeps the whole chain.
func result(ctx context.Context, run client.WorkflowRun, into any) error {
	err := run.Get(ctx, into)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		if err != nil {
			return fmt.Errorf("%s: %w", run.GetID(), err)
		}
		return nil
	}
	reason := app.Message()
	if app.Type() != "" {
		reason += " [" + app.Type() + "]"
	}
	return &workflowFailure{msg: run.GetID() + " failed: " + reason, err: err}
}

// workflowFailure is a workflow's failure as result words it, wrapping the client's error.
type workflowFailure struct {
	msg string
	err error
}

func (e *workflowFailure) Error() string { return e.msg }
func (e *workflowFailure) Unwrap() error { return e.err }

// noWorkerPolls says so when no worker has polled queue lately (none runs, or it serves
// another task queue or namespace); "" when one has, or when the task queue cannot be
// described (a role that may not): the command goes on then.
func noWorkerPolls(ctx context.Context, c client.Client, queue string) string {
	w, err := describeWorkers(ctx, c, queue, time.Now())
	if err != nil || w.live > 0 {
		return ""
	}
	return w.idle(queue)
}

// progressEvery is how often a command waiting for an import (start import --wait, its dry
// run) says on stderr where it is: a large import, or one at MiniCRM's 60 requests a minute,
// otherwise says nothing for many minutes.
var progressEvery = 30 * time.Second

// progressWords name, in the report of a command waiting for an import, what it wrote and
// what it quarantined: a dry run writes nothing, it counts what it would write and refuse.
type progressWords struct{ written, quarantined string }

var (
	importWords = &progressWords{written: "written", quarantined: "quarantined"}
	dryRunWords = &progressWords{written: "would be written", quarantined: "refused"}
)

// report says where an import is: its phase, the object it reads and its counts so far.
func (w *progressWords) report(p workflows.Progress) string {
	t := p.Total()
	object := ""
	if p.Object != "" {
		object = " " + p.Object
	}
	return fmt.Sprintf("%s%s, %d records read, %d %s, %d %s so far", p.Phase, object, t.Read, t.Written(), w.written, p.Quarantined, w.quarantined)
}

// workerCheckEvery is how often a command waiting for its workflow's result asks whether a
// worker still polls the task queue.
var workerCheckEvery = 5 * time.Second

// workerGrace is how long requireWorker waits for a worker to poll: one starting as the
// command runs (a deploy; the worker says it started before it polls) does within seconds.
var workerGrace = 5 * time.Second

// requireWorker refuses a command that waits for its workflow's result when no worker polls
// the task queue, after workerGrace: it would wait for ever, and leave a workflow no worker
// serves holding its id, which the same command, run again with the worker's settings, would
// join and wait for too.
func requireWorker(ctx context.Context, c client.Client, queue, command string) error {
	deadline := time.Now().Add(workerGrace)
	for {
		idle := noWorkerPolls(ctx, c, queue)
		if idle == "" {
			return nil
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%s: %s: nothing would run the workflow, and this command would wait for ever; start crmsync-worker, or set CRMSYNC_TASK_QUEUE and CRMSYNC_NAMESPACE to the worker's", command, idle)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// registerSearchAttributes adds crmsync's search attributes where they are missing and refuses
// one registered by hand with another type, on which every workflow would stall. A role that
// may not list or add them (Temporal Cloud) goes on with a note, as the worker does: they may
// well exist.
func registerSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	err := searchattr.Ensure(ctx, c, namespace)
	var denied *serviceerror.PermissionDenied
	if errors.As(err, &denied) {
		fmt.Fprintf(stderr, "crmsync: note: this role may not register crmsync's search attributes (%v); if they are missing, the workflow stalls: register them once with %s\n", err, strings.Join(searchattr.Commands(namespace), "; "))
		return nil
	}
	return err
}
