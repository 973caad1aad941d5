package activities

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// tableSelector is a connector whose object is read from several tables, of which the
// connection selects some (weavy's contact: its contacts and entrants, chosen by
// a.settings.contact_tables). Tables returns the tables synced now and all of them, none for
// an object of one table.
type tableSelector interface {
	Tables(object string) (synced, all []string)
}

// tableKey is where the store keeps, for each side, the cursor the side of object was given
// by the last pass that ended with table synced: when the table was last read, or, for the
// other side, when its records were last read while that table could take them (an
// Automation contact without a weavy contact becomes an entrant only while entrants are
// synced).
func tableKey(object, table string) string { return object + "@table:" + table }

// startTablesKey is where the store keeps, for each side, the tables synced when the side's
// last pass of object began (comma-separated), which are the only ones its end may take as
// read: a table switched on between two stretches after the listing passed its place was not.
func startTablesKey(object string) string { return object + "@tables-at-start" }

// noteTables records the tables synced as a pass begins (a dry run, which moves no cursor,
// records nothing).
func (p *pass) noteTables(ctx context.Context) error {
	synced, all := p.passTables()
	if len(all) == 0 || p.in.Plan {
		return nil
	}
	return p.a.Store.SetCursor(ctx, p.in.Connection, startTablesKey(p.in.Object), store.Side(p.in.Side), strings.Join(synced, ","))
}

// passTables returns the tables that select the pass's records (objectTables).
func (p *pass) passTables() (synced, all []string) {
	return objectTables(p.x, p.objX, p.y, p.objY)
}

// objectTables returns the tables that select an object's records, read as objA by a and as
// objB by b, of either side's connector: those synced now and all of them.
func objectTables(a connectors.Connector, objA string, b connectors.Connector, objB string) (synced, all []string) {
	for _, c := range []struct {
		conn   connectors.Connector
		object string
	}{{a, objA}, {b, objB}} {
		if ts, ok := c.conn.(tableSelector); ok {
			s, t := ts.Tables(c.object)
			synced, all = append(synced, s...), append(all, t...)
		}
	}
	return synced, all
}

// tableCursors returns the side's cursor of each of the object's tables that has one.
func (p *pass) tableCursors(ctx context.Context, all []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, t := range all {
		v, ok, err := p.a.Store.Cursor(ctx, p.in.Connection, tableKey(p.in.Object, t), store.Side(p.in.Side))
		if err != nil {
			return nil, err
		}
		if !ok || v == "" {
			continue
		}
		at, err := p.cursorTime(v, t)
		if err != nil {
			return nil, err
		}
		out[t] = at
	}
	return out, nil
}

// tableSince returns where the side's reading of table starts, given the object's cursor
// (read from the store): the table's own cursor; the object's when no table of the object
// has one yet (a connection that ran before tables had cursors: every table synced then is
// taken as read with the object); zero, everything, for a table never synced since (a table
// switched on for the first time).
func tableSince(table string, cursors map[string]time.Time, object time.Time) time.Time {
	if at, ok := cursors[table]; ok {
		return at
	}
	if len(cursors) == 0 {
		return object
	}
	return time.Time{}
}

// earliestTable returns where an incremental pass whose object's cursor is object starts
// reading, so that a table switched off and back on reads what changed meanwhile: the
// earliest of the object's cursor and the cursors of the tables synced now. The tables read
// together are read from there, the others' records of that time again (unchanged, the merge
// finds them so).
func (p *pass) earliestTable(ctx context.Context, object time.Time) (time.Time, error) {
	synced, all := p.passTables()
	if len(all) == 0 {
		return object, nil
	}
	cursors, err := p.tableCursors(ctx, all)
	if err != nil {
		return time.Time{}, err
	}
	for _, t := range synced {
		if at := tableSince(t, cursors, object); at.Before(object) {
			object = at
		}
	}
	return object, nil
}

// setCursor ends a pass that read its side from since (zero: everything) by setting the
// side's cursor to at, and the cursor of each table synced now and when the pass began whose
// own reading started no earlier than since. A table switched on in the middle of the pass (a
// connection file saved between two stretches) keeps its cursor for the next pass: it was
// read from the pass's since, not from its own cursor, or not at all when the listing had
// passed its place.
func (p *pass) setCursor(ctx context.Context, at string, since time.Time) error {
	side := store.Side(p.in.Side)
	if synced, all := p.passTables(); len(synced) > 0 {
		cursors, err := p.tableCursors(ctx, all)
		if err != nil {
			return err
		}
		var object time.Time // the object's cursor as the pass found it
		if v, ok, err := p.sideCursor(ctx); err != nil {
			return err
		} else if ok && v != "" {
			object, _ = time.Parse(time.RFC3339Nano, v) // since() refused one that is not a time
		}
		started, noted, err := p.a.Store.Cursor(ctx, p.in.Connection, startTablesKey(p.in.Object), side)
		if err != nil {
			return err
		}
		for _, t := range synced {
			if noted && !slices.Contains(strings.Split(started, ","), t) {
				continue // switched on since the pass began: maybe not read
			}
			if !since.IsZero() {
				from := tableSince(t, cursors, object)
				if from.IsZero() || from.Add(-p.conn.Schedule.Overlap.Std()).Before(since) {
					continue
				}
			}
			if err := p.a.Store.SetCursor(ctx, p.in.Connection, tableKey(p.in.Object, t), side, at); err != nil {
				return err
			}
		}
	}
	return p.a.Store.SetCursor(ctx, p.in.Connection, p.in.Object, side, at)
}
