package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/crmsync/crmsync/activities"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/registry"
	"github.com/crmsync/crmsync/connectors/weavy"
	"github.com/crmsync/crmsync/engine"
	"github.com/crmsync/crmsync/internal/searchattr"
	"github.com/crmsync/crmsync/workflows"
)

// push starts PushRecord for one record and waits for it. With --email, the record is found
// here, through the connector, so that only its id enters the workflow (never the e-mail).
func push(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	id := fs.String("id", "", "id of the record on its side")
	email := fs.String("email", "", "find the record by e-mail instead (needs the connection file and credentials here)")
	object := fs.String("object", "contact", "object of the record")
	side := fs.String("side", "b", "side the record is on: a or b")
	name, err := connectionArg(fs, args)
	var extra *argCountError
	if errors.As(err, &extra) && len(extra.got) == 2 && *id == "" && *email == "" {
		return fmt.Errorf("%w: the record's id goes with --id: `crmsync push %s --id %s`", err, extra.got[0], extra.got[1])
	}
	if err != nil {
		return err
	}
	if *id != "" && *email != "" {
		return errors.New("push: give --id or --email, not both")
	}
	if *id == "" && *email == "" {
		return errors.New("push: give --id or --email")
	}
	if *side != "a" && *side != "b" {
		return fmt.Errorf("push: --side %q is neither a nor b", *side)
	}
	s, err := loadSettings()
	if err != nil {
		return err
	}
	// The connection and --object are checked here: the workflow's failure would bury the
	// reason in Temporal's wrapping. --email needs the file; --id goes on without one.
	conn, err := findConnection(s, name)
	switch {
	case errors.As(err, new(*uncheckedError)) && *email == "":
		fmt.Fprintf(stderr, "crmsync: note: push: connection %q and --object %q not checked: %v\n", name, *object, err)
	case errors.As(err, new(*uncheckedError)):
		return fmt.Errorf("push: --email looks the record up through the connection file: %w", err)
	case err != nil:
		return fmt.Errorf("push: %w", err)
	default:
		if _, ok := conn.Object(*object); !ok {
			return fmt.Errorf("push: --object %q is not an object of connection %s (%s)%s: its objects are %s",
				*object, name, conn.File, config.DidYouMean(*object, conn.ObjectNames()), strings.Join(conn.ObjectNames(), ", "))
		}
	}
	c, err := dialWith(s)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := requireWorker(ctx, c, s.TaskQueue, "push"); err != nil {
		return err
	}
	if *email != "" {
		if *id, err = findByEmail(ctx, conn, *object, *side, *email); err != nil {
			return err
		}
	}
	if err := refuseIfPaused(ctx, c, "push", name); err != nil {
		return err
	}
	in := activities.PushInput{Connection: name, Object: *object, Side: *side, ID: *id}
	var counts activities.Counts
	run, err := runToEnd(ctx, c, s.TaskQueue, workflows.PushWorkflowID(in), workflows.PushRecord, in, &counts,
		fmt.Sprintf("`%s` run again waits for it", pushAgain(in)))
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	fmt.Fprintf(out, "pushed %s %s from side %s (%s): created %d, updated %d, unchanged %d, left out %d, counterpart gone %d, quarantined %d\n",
		*object, *id, *side, run.GetID(), counts.CreatedA+counts.CreatedB, counts.UpdatedA+counts.UpdatedB, counts.Unchanged, counts.Filtered, counts.Missing, counts.Quarantined)
	return pushOutcome(ctx, out, s, conn, in, counts)
}

// pushAgain is the command that pushes in's record again: by --id, the e-mail once looked up.
func pushAgain(in activities.PushInput) string {
	cmd := fmt.Sprintf("crmsync push %s --id %s", in.Connection, in.ID)
	if in.Object != "contact" {
		cmd += " --object " + in.Object
	}
	if in.Side != "b" {
		cmd += " --side " + in.Side
	}
	return cmd
}

// pushOutcome says why a pushed record was not written: left out by the connection's rules
// (what the file says of them, when it is read here), its counterpart gone, or refused — with
// the reason the workers' store keeps, and then an error: a refused push is a failure.
func pushOutcome(ctx context.Context, out io.Writer, s settings, conn *config.Connection, in activities.PushInput, counts activities.Counts) error {
	if counts.Missing > 0 {
		other := string(engine.Side(in.Side).Other())
		gone := "is no longer there (deleted)"
		if why := notSynced(conn, in.Object, other); why != "" {
			gone += ", or " + why
		}
		fmt.Fprintf(out, "the record paired with it on side %s %s: nothing was written for it\n", other, gone)
	}
	if counts.Filtered > 0 {
		var why []string
		if conn != nil {
			if o, ok := conn.Object(in.Object); ok {
				why = activities.LeftOutReasons(conn, o, in.Side)
			}
		}
		switch {
		case conn == nil:
			fmt.Fprintf(out, "left out by the connection's rules, nothing written for it; the connection file, not read here, says which: a filter, a field direction, initial.from_%s false, or a link not paired yet\n", in.Side)
		case len(why) == 0:
			fmt.Fprintln(out, "left out by the connection's rules, nothing written for it")
		default:
			fmt.Fprintf(out, "left out by the connection's rules (%s), nothing written for it; what may leave it out:\n", conn.File)
			for _, w := range why {
				fmt.Fprintf(out, "  - %s\n", w)
			}
		}
	}
	if counts.Quarantined == 0 {
		return nil
	}
	list := fmt.Sprintf("`crmsync quarantine %s` lists the reasons", in.Connection)
	st, err := openWorkersStore(ctx, s.StoreDSN, storeOpenTimeout)
	if err != nil {
		return fmt.Errorf("push: %d record(s) refused and quarantined; %s (the workers' store is not read here: %v)", counts.Quarantined, list, err)
	}
	defer st.Close()
	entries, err := st.ListQuarantine(ctx, in.Connection, 0)
	if err != nil {
		return fmt.Errorf("push: %d record(s) refused and quarantined; %s (%v)", counts.Quarantined, list, err)
	}
	for _, e := range entries {
		if e.Object == in.Object && string(e.Side) == in.Side && e.RecordID == in.ID {
			fmt.Fprintf(out, "quarantined: %s\n", e.Reason)
			return fmt.Errorf("push: %s %s of side %s was refused: %s (once fixed, push it again or run `crmsync quarantine %s --retry`)", in.Object, in.ID, in.Side, e.Reason, in.Connection)
		}
	}
	// Another record of the push: the one it links to, pushed first, or one its key
	// duplicates.
	return fmt.Errorf("push: %d record(s) refused and quarantined on the way (a record it links to, or one sharing its key); %s", counts.Quarantined, list)
}

// findByEmail returns the id of the record of object on side of connection c whose match
// field holds email (push --email).
func findByEmail(ctx context.Context, c *config.Connection, object, side, email string) (string, error) {
	o, _ := c.Object(object) // checked by push
	conn, err := registry.Open(c, side, nil)
	if err != nil {
		return "", err
	}
	field, objName := o.Match.A, o.AObject
	if side == "b" {
		field, objName = o.Match.B, o.BObject
	}
	recs, err := conn.FindByKey(ctx, objName, field, []string{email})
	if err != nil {
		return "", fmt.Errorf("push: looking the record up: %w", err)
	}
	switch len(recs) {
	case 0:
		// The match key, which may be no e-mail (a company's name): say what was looked for.
		return "", fmt.Errorf("push: %s has no %s whose %s (the match key of object %s on side %s) is %q", conn.System(), objName, field, object, side, email)
	case 1:
		return recs[0].ID, nil
	}
	return "", fmt.Errorf("push: %d %s records of %s share this %s; push one with --id", len(recs), objName, conn.System(), field)
}

// refuseIfPaused refuses command on a paused connection: a pause holds every write, those of
// a push and of a quarantine retry too.
func refuseIfPaused(ctx context.Context, c searchattr.Describer, command, name string) error {
	if paused, err := searchattr.Paused(ctx, c, name); err != nil {
		return fmt.Errorf("%s: %w", command, err)
	} else if paused {
		return fmt.Errorf("%s: connection %s is paused (`crmsync status %s` says why): resume it first", command, name, name)
	}
	return nil
}

// notSynced says which records of object on side the connection's settings no longer read,
// so that a counterpart counted gone may be one of those rather than deleted: weavy's
// entrants (or contacts) that contact_tables leaves out. "" when none.
func notSynced(conn *config.Connection, object, side string) string {
	if conn == nil {
		return ""
	}
	o, ok := conn.Object(object)
	if !ok {
		return ""
	}
	s, name := conn.Side(side), o.AObject
	if side == "b" {
		name = o.BObject
	}
	tables, set := s.Settings["contact_tables"]
	if s.System != weavy.System || name != "contact" || !set {
		return ""
	}
	synced, err := weavy.ParseContactTables(tables)
	if err != nil {
		return "" // config.Load refused it
	}
	var left []string
	if !synced.Contacts {
		left = append(left, "contact")
	}
	if !synced.Entrants {
		left = append(left, "entrant")
	}
	if len(left) == 0 {
		return ""
	}
	return fmt.Sprintf("is a weavy %s, which %s.settings.contact_tables (%s) no longer syncs", strings.Join(left, " or "), side, tables)
}
