package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/store"
	"github.com/crmsync/crmsync/workflows"
)

// quarantine lists a connection's refused records with their reasons; with --retry it first
// runs them through the sync again (the RetryQuarantine workflow), once their cause is fixed;
// with --forget it first drops the entries of an object the connection no longer has.
func quarantine(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("quarantine", flag.ContinueOnError)
	limit := fs.Int("limit", 50, "entries to show")
	retry := fs.Bool("retry", false, "run the quarantined records through the sync again first")
	forget := fs.String("forget", "", "drop the entries of `OBJECT` first, an object the connection file no longer has (the file is read to check it)")
	name, err := connectionArg(fs, args)
	if err != nil {
		return err
	}
	if *limit <= 0 {
		return fmt.Errorf("quarantine: --limit %d: give a positive number of entries to show, such as 50", *limit)
	}
	forgetting := false
	fs.Visit(func(f *flag.Flag) { forgetting = forgetting || f.Name == "forget" })
	switch {
	case forgetting && *forget == "":
		return errors.New("quarantine: --forget is empty: name the object whose entries to drop")
	case forgetting && *retry:
		return errors.New("quarantine: --forget and --retry go one at a time: retry the connection's objects, or drop a removed object's entries")
	}
	s, err := loadSettings()
	if err != nil {
		return err
	}
	// The connection files are read once: --forget checks the object against them, the
	// listing names the objects they no longer have, and an empty one a misspelt name.
	conn, connErr := findConnection(s, name)
	if forgetting {
		if err := forgettable(conn, connErr, name, *forget); err != nil {
			return err
		}
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
	if forgetting {
		if err := forgetObject(ctx, st, conn, *forget, out); err != nil {
			return err
		}
	}
	entries, err := st.ListQuarantine(ctx, name, *limit)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		// A misspelt name has nothing in quarantine either: not the all-clear it would read as.
		if err := missingConnection(connErr); err != nil {
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
	if conn != nil {
		printRemovedObjects(ctx, out, conn, st)
	}
	return nil
}

// forgettable says whether --forget may drop the entries of object of conn (findConnection's
// answer, err): only an object its file no longer has, whose entries nothing retries. Those of
// an object it has are the sync's, and without the file to say which objects it has, none are
// dropped.
func forgettable(conn *config.Connection, err error, name, object string) error {
	if errors.As(err, new(*uncheckedError)) {
		return fmt.Errorf("quarantine --forget: the object is checked against the connection file, to keep the entries of an object the connection still has: %w; run it where the worker runs", err)
	}
	if err != nil {
		return fmt.Errorf("quarantine --forget: %w", err)
	}
	if _, ok := conn.Object(object); ok {
		return fmt.Errorf("quarantine --forget: object %s is still in connection %s (%s): its entries are the sync's, for `crmsync quarantine %s --retry` once their cause is fixed; remove the object from the file first to drop them",
			object, name, conn.File, name)
	}
	return nil
}

// forgetObject drops the quarantine entries of object, which conn no longer has, and says how
// many. An object with none (a misspelling) is refused, naming the objects that have some.
func forgetObject(ctx context.Context, st store.Store, conn *config.Connection, object string, out io.Writer) error {
	counts, err := st.QuarantineByObject(ctx, conn.Name)
	if err != nil {
		return fmt.Errorf("quarantine --forget: %w", err)
	}
	if counts[object] == 0 {
		objects := slices.Sorted(maps.Keys(counts))
		in := make([]string, len(objects))
		for i, o := range objects {
			in[i] = fmt.Sprintf("%s (%d)", o, counts[o])
		}
		return fmt.Errorf("quarantine --forget: no entry of object %q is in connection %s's quarantine%s (objects in it: %s)",
			object, conn.Name, config.DidYouMean(object, objects), cmp.Or(strings.Join(in, ", "), "none"))
	}
	n, err := st.ForgetQuarantine(ctx, conn.Name, object)
	if err != nil {
		return fmt.Errorf("quarantine --forget: %w", err)
	}
	fmt.Fprintf(out, "dropped %d %s of object %s from connection %s's quarantine (%s no longer has the object)\n",
		n, plural(n, "entry", "entries"), object, conn.Name, conn.File)
	return nil
}

// printRemovedObjects names, under the listing, the objects with entries that the connection
// file no longer has: nothing retries them, and --forget drops them. Without the counts, it
// says nothing: the listing stands on its own.
func printRemovedObjects(ctx context.Context, out io.Writer, conn *config.Connection, st store.Store) {
	name := conn.Name
	counts, err := st.QuarantineByObject(ctx, name)
	if err != nil {
		return
	}
	for _, object := range slices.Sorted(maps.Keys(counts)) {
		if _, ok := conn.Object(object); ok {
			continue
		}
		n := counts[object]
		fmt.Fprintf(out, "%d %s of object %s, which connection %s (%s) no longer has: nothing retries them; `crmsync quarantine %s --forget %s` drops them\n",
			n, plural(n, "entry", "entries"), object, name, conn.File, name, object)
	}
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
	if _, err := runToEnd(ctx, c, s.TaskQueue, workflows.RetryQuarantineWorkflowID(name), workflows.RetryQuarantine, activities.RetryInput{Connection: name}, &res,
		fmt.Sprintf("`crmsync quarantine %s --retry` run again waits for it", name)); err != nil {
		return fmt.Errorf("quarantine --retry: %w", err)
	}
	fmt.Fprintf(out, "retried %d records of %s: %d synced and out of quarantine, %d refused again, %d no longer on their system\n",
		res.Retried, name, res.Resolved, res.Quarantined, res.Gone)
	return nil
}
