package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/workflows"
)

// overview prints one line per connection of CRMSYNC_CONNECTIONS (`crmsync status` without
// a name): where its import, sync and pipeline sync are, its cycles, its quarantine and what
// needs attention — a pause and its reason, an activity waiting to retry and why.
func overview(ctx context.Context, out io.Writer) error {
	c, s, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	conns, loadErr := config.LoadAll(s.Connections)
	if len(conns) == 0 {
		if loadErr != nil {
			return loadErr
		}
		return fmt.Errorf("status: no connection file in %s (CRMSYNC_CONNECTIONS)", s.Connections)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONNECTION\tIMPORT\tSYNC\tCYCLES\tLAST CYCLE\tNEXT CYCLE\tPIPELINES\tQUARANTINED\tATTENTION")
	for _, conn := range conns {
		line, err := overviewLine(ctx, c, conn.Name)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// The connections that load are shown; a file that does not is an error of its own.
	return loadErr
}

// overviewLine is the overview of one connection.
func overviewLine(ctx context.Context, c client.Client, name string) (string, error) {
	var attention []string
	imp, err := stateOf(ctx, c, workflows.ImportWorkflowID(name), false, &attention)
	if err != nil {
		return "", err
	}
	sync, err := stateOf(ctx, c, workflows.SyncWorkflowID(name), false, &attention)
	if err != nil {
		return "", err
	}
	pipes, err := stateOf(ctx, c, workflows.PipelineWorkflowID(name), true, &attention)
	if err != nil {
		return "", err
	}
	cycles, last, next, quarantined := "—", "—", "—", "—"
	shown := imp // the counts and pause of the sync, or of the import before there is one
	if sync.queried {
		shown = sync
		cycles, last, next = fmt.Sprint(sync.progress.Cycles), clock(sync.progress.LastCycleAt), clock(sync.progress.NextCycleAt)
	}
	if shown.queried {
		quarantined = fmt.Sprint(shown.progress.Quarantined)
		if shown.progress.PauseReason != "" {
			attention = append(attention, "paused: "+shown.progress.PauseReason)
		}
	}
	if len(attention) == 0 {
		attention = []string{"—"}
	}
	return strings.Join([]string{name, imp.phase, sync.phase, cycles, last, next, pipes.phase, quarantined, strings.Join(attention, "; ")}, "\t"), nil
}

// workflowState is where one workflow of a connection is.
type workflowState struct {
	phase    string // its progress's phase while it runs, its status once closed, "—" if none
	queried  bool
	progress workflows.Progress
}

// stateOf describes a workflow and queries its progress (a PipelineSync's when pipeline)
// while it runs; the activities it waits to retry are added to attention.
func stateOf(ctx context.Context, c client.Client, id string, pipeline bool, attention *[]string) (workflowState, error) {
	st := workflowState{phase: "—"}
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
		st.phase = strings.ToLower(status.String()) // failed, terminated, canceled, timed out
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
		*attention = append(*attention, note)
	}
	if pipeline {
		pp, ok, err := pipelineProgressOf(ctx, c, id)
		if err != nil || !ok {
			return st, err
		}
		st.phase = pp.Phase
		if pp.PauseReason != "" {
			*attention = append(*attention, "pipelines paused: "+pp.PauseReason)
		}
		return st, nil
	}
	p, ok, err := progressOf(ctx, c, id)
	if err != nil || !ok {
		return st, err
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
