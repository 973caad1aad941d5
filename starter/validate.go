package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/registry"
	"github.com/crmsync/crmsync/store"
)

func validate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	live := fs.Bool("live", false, "also connect to both systems and check every mapped field exists")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("validate: name at least one connection file")
	}
	var errs []error
	for _, f := range fs.Args() {
		c, err := config.Load(f)
		if err == nil && *live {
			err = checkLive(ctx, c)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(out, "%s: connection %q is valid (%s ⇄ %s; objects %s)\n", f, c.Name, c.A.System, c.B.System, strings.Join(c.ObjectNames(), ", "))
	}
	return errors.Join(errs...)
}

// checkLive reads the fields both systems describe and checks that every mapped and match
// field exists, before anything is written.
func checkLive(ctx context.Context, c *config.Connection) error {
	var errs []error
	conns := map[string]connectors.Connector{}
	for _, side := range []string{"a", "b"} {
		conn, err := registry.Open(c, side, nil)
		if err != nil {
			return err
		}
		conns[side] = conn
	}
	for i, o := range c.Objects {
		for _, side := range []string{"a", "b"} {
			object := o.AObject
			if side == "b" {
				object = o.BObject
			}
			fields, err := conns[side].Describe(ctx, object)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: objects[%d] (%s): %s: %w", c.File, i, o.Name, side, err))
				continue
			}
			known := map[string]bool{}
			var names []string
			for _, f := range fields {
				known[f.Name] = true
				names = append(names, f.Name)
			}
			sort.Strings(names)
			check := func(at, name string) {
				if !known[name] {
					errs = append(errs, fmt.Errorf("%s: objects[%d].%s: %s %s has no field %q (fields: %s)", c.File, i, at, conns[side].System(), object, name, strings.Join(names, ", ")))
				}
			}
			pick := func(p config.FieldPair) string {
				if side == "a" {
					return p.A
				}
				return p.B
			}
			check("match."+side, pick(o.Match))
			for j, f := range o.Fields {
				check(fmt.Sprintf("fields[%d].%s", j, side), pick(config.FieldPair{A: f.A, B: f.B}))
			}
		}
	}
	return errors.Join(errs...)
}

func quarantine(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("quarantine", flag.ContinueOnError)
	limit := fs.Int("limit", 50, "entries to show")
	name, err := connectionArg(fs, args)
	if err != nil {
		return err
	}
	s, err := loadSettings()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, s.StoreDSN)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer st.Close()
	entries, err := st.ListQuarantine(ctx, name, *limit)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		fmt.Fprintf(out, "no record of %s is in quarantine\n", name)
		return nil
	}
	for _, e := range entries {
		fmt.Fprintf(out, "%s  %s side %s record %s: %s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Object, e.Side, e.RecordID, e.Reason)
	}
	return nil
}
