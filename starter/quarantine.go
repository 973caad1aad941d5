package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/workflows"
)

// quarantine lists a connection's refused records with their reasons; with --retry it first
// runs them through the sync again (the RetryQuarantine workflow), once their cause is fixed.
func quarantine(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("quarantine", flag.ContinueOnError)
	limit := fs.Int("limit", 50, "entries to show")
	retry := fs.Bool("retry", false, "run the quarantined records through the sync again first")
	name, err := connectionArg(fs, args)
	if err != nil {
		return err
	}
	if *limit <= 0 {
		return fmt.Errorf("quarantine: --limit %d: give a positive number of entries to show, such as 50", *limit)
	}
	s, err := loadSettings()
	if err != nil {
		return err
	}
	if *retry {
		if _, err := checkConnection(s, "quarantine --retry", name); err != nil {
			return err
		}
		if err := retryQuarantine(ctx, name, out); err != nil {
			return err
		}
	}
	st, err := openWorkersStore(ctx, s.StoreDSN, storeOpenTimeout)
	if err != nil {
		return err
	}
	defer st.Close()
	entries, err := st.ListQuarantine(ctx, name, *limit)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		// A misspelt name has nothing in quarantine either: not the all-clear it would read as.
		if err := missingConnection(s, name); err != nil {
			return fmt.Errorf("quarantine: %w", err)
		}
		fmt.Fprintf(out, "no record of %s is in quarantine\n", name)
		return nil
	}
	for _, e := range entries {
		fmt.Fprintf(out, "%s  %s side %s record %s: %s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Object, e.Side, e.RecordID, e.Reason)
	}
	if len(entries) == *limit {
		if n, err := st.CountQuarantine(ctx, name); err == nil && n > len(entries) {
			fmt.Fprintf(out, "the newest %d of %d shown: `crmsync quarantine %s --limit %d` shows them all\n", len(entries), n, name, n)
		}
	}
	return nil
}

// retryQuarantine runs RetryQuarantine for a connection (or joins the one running) and
// prints what became of the records.
func retryQuarantine(ctx context.Context, name string, out io.Writer) error {
	c, s, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := refuseIfPaused(ctx, c, "quarantine --retry", name); err != nil {
		return err
	}
	if err := requireWorker(ctx, c, s.TaskQueue, "quarantine --retry"); err != nil {
		return err
	}
	var res activities.RetryResult
	if _, err := runToEnd(ctx, c, s.TaskQueue, workflows.RetryQuarantineWorkflowID(name), workflows.RetryQuarantine, activities.RetryInput{Connection: name}, &res); err != nil {
		return fmt.Errorf("quarantine --retry: %w", err)
	}
	fmt.Fprintf(out, "retried %d records of %s: %d synced and out of quarantine, %d refused again, %d no longer on their system\n",
		res.Retried, name, res.Resolved, res.Quarantined, res.Gone)
	return nil
}
