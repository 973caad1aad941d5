package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
)

const fieldsUsage = `usage: crmsync fields FILE|CONNECTION [OBJECT]

Lists the fields both systems describe for each object of a connection (or the one named),
custom ones included: name, type, required or read-only, options, and what the connection
file maps each to (⇄ both ways, → towards side b, ← towards side a; match; filter). It is the
mapping screen of a connector, read live with the credentials the file names: write the
fields: list from it, then check it with crmsync validate --live. A field the file maps that
the system does not describe is listed last, as an error.`

// maxOptions is how many options of a list field are printed before "…".
const maxOptions = 8

// fieldsCommand implements `crmsync fields`.
func fieldsCommand(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fields", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pos, err := parseAnywhere(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("%w\n%s", err, fieldsUsage)
	}
	if err != nil {
		return fmt.Errorf("fields: %w\n%s", err, fieldsUsage)
	}
	if len(pos) < 1 || len(pos) > 2 {
		return fmt.Errorf("fields: a connection file or name, and optionally an object, expected\n%s", fieldsUsage)
	}
	s, err := loadSettings()
	if err != nil {
		return err
	}
	c, err := connectionOf(s, pos[0])
	if err != nil {
		return fmt.Errorf("fields: %w", err)
	}
	objects := c.Objects
	if len(pos) == 2 {
		o, ok := c.Object(pos[1])
		if !ok {
			names := make([]string, len(c.Objects))
			for i, o := range c.Objects {
				names[i] = o.Name
			}
			return fmt.Errorf("fields: %q is not an object of connection %s (%s)%s: its objects are %s",
				pos[1], c.Name, c.File, config.DidYouMean(pos[1], names), strings.Join(names, ", "))
		}
		objects = []config.Object{*o}
	}
	accounts, closeStore := sharedBudget(ctx, s, c, os.Stderr)
	defer closeStore()
	conns, err := openSides(c, accounts)
	if err != nil {
		return fmt.Errorf("fields: %w", err) // it names the file and the side
	}
	var errs []error
	for _, o := range objects {
		for i, side := range []string{"a", "b"} {
			if err := printFields(ctx, out, c, conns[i], o, side); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// connectionOf reads a connection file, or finds a connection by name in CRMSYNC_CONNECTIONS.
func connectionOf(s settings, arg string) (*config.Connection, error) {
	if fi, err := os.Stat(arg); err == nil && !fi.IsDir() {
		return config.Load(arg)
	}
	c, err := findConnection(s, arg)
	var unchecked *uncheckedError
	if errors.As(err, &unchecked) {
		return nil, fmt.Errorf("%q is no file, and %w", arg, err)
	}
	return c, err
}

// printFields prints one side's fields of one object pair, with what the file maps each to.
func printFields(ctx context.Context, out io.Writer, c *config.Connection, conn connectors.Connector, o config.Object, side string) error {
	system, object := c.A.System, o.AObject
	if side == "b" {
		system, object = c.B.System, o.BObject
	}
	fields, err := conn.Describe(ctx, object)
	if err != nil {
		return fmt.Errorf("%s: %s %s (side %s): %w", c.File, system, object, side, err)
	}
	roles := fieldRoles(c, o, side)
	fmt.Fprintf(out, "%s: %s %s (side %s), %d fields\n", o.Name, system, object, side, len(fields))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  FIELD\tTYPE\tFLAGS\tMAPPED\tLABEL")
	described := map[string]bool{}
	for _, f := range fields {
		described[f.Name] = true
		var flags []string
		if f.Required {
			flags = append(flags, "required")
		}
		if f.ReadOnly {
			flags = append(flags, "read-only")
		}
		if f.CreateOnly {
			flags = append(flags, "create-only")
		}
		mapped := strings.Join(roles[f.Name], "; ")
		if mapped == "" {
			mapped = "-"
			if f.Required && !f.ReadOnly {
				mapped = "- (required: map it)"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", f.Name, f.Type, strings.Join(flags, ","), mapped, labelOf(f))
	}
	var missing []string
	for name := range roles {
		switch {
		case described[name]:
		case name == config.RecordID:
			// The record's own id, which no system describes: a match or one-way source.
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", name, "id", "read-only", strings.Join(roles[name], "; "), "the record's own id")
		default:
			missing = append(missing, name)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	sort.Strings(missing)
	fmt.Fprintln(out)
	if len(missing) > 0 {
		return fmt.Errorf("%s: %s %s (side %s) has no field %s, which the file names (fields it has are listed above)",
			c.File, system, object, side, strings.Join(missing, ", "))
	}
	return nil
}

// labelOf is a field's label, with its options when it has some.
func labelOf(f connectors.Field) string {
	if len(f.Options) == 0 {
		return f.Label
	}
	opts := make([]string, 0, maxOptions+1)
	for i, op := range f.Options {
		if i == maxOptions {
			opts = append(opts, fmt.Sprintf("… %d more", len(f.Options)-maxOptions))
			break
		}
		if op.Label == "" || op.Label == op.Value {
			opts = append(opts, op.Value)
		} else {
			opts = append(opts, op.Value+"="+op.Label)
		}
	}
	return f.Label + " [" + strings.Join(opts, ", ") + "]"
}

// fieldRoles says, by field name of one side, what the object pair does with it: mapped to
// which field of the other side and which way, matched on, filtered on.
func fieldRoles(c *config.Connection, o config.Object, side string) map[string][]string {
	roles := map[string][]string{}
	add := func(name, role string) {
		if name != "" {
			roles[name] = append(roles[name], role)
		}
	}
	for _, f := range o.Fields {
		mine, other := f.A, f.B
		if side == "b" {
			mine, other = f.B, f.A
		}
		add(mine, arrow(f.Direction, side)+" "+other)
	}
	match := o.Match.A
	if side == "b" {
		match = o.Match.B
	}
	add(match, "match")
	for name, v := range o.Filter.Of(side) {
		add(name, fmt.Sprintf("filter %v", v))
	}
	// PipelineSync reads side A's pipeline and stage and writes side B's targets.
	for i, p := range c.Pipelines {
		if p.Object != o.Name {
			continue
		}
		if side == "a" {
			add(p.PipelineField, fmt.Sprintf("pipelines[%d] pipeline", i))
			add(p.StageField, fmt.Sprintf("pipelines[%d] stage", i))
			continue
		}
		if p.PipelineTarget != config.NoTarget {
			add(p.PipelineTarget, fmt.Sprintf("← pipelines[%d] pipeline name", i))
		}
		if p.StageTarget != config.NoTarget {
			add(p.StageTarget, fmt.Sprintf("← pipelines[%d] stage name", i))
		}
	}
	return roles
}

// arrow shows a field's direction from one side: ⇄ both ways, → sent from this side to the
// other, ← received from it.
func arrow(d config.Direction, side string) string {
	switch {
	case d == config.Both:
		return "⇄"
	case (d == config.AToB) == (side == "a"):
		return "→"
	default:
		return "←"
	}
}
