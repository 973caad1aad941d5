package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// column is a column of a table the copy carries, with the kind of its value: text (a Go
// string), a time (time.Time: SQLite keeps Unix microseconds, PostgreSQL a timestamptz), or
// a whole number (int64).
type column struct {
	name string
	kind columnKind
}

type columnKind int

const (
	textColumn columnKind = iota
	timeColumn
	intColumn
)

// table is one of the store's tables, its columns in the order both backends hold them.
type table struct {
	name string
	cols []column
}

func texts(names ...string) []column {
	out := make([]column, len(names))
	for i, n := range names {
		out[i] = column{name: n}
	}
	return out
}

// copiedTables are every table of the store but schema_version (each store has its own):
// the id maps with their snapshots, the cursors, the quarantine, the quota uses (a UNAS
// shop's hour, MiniCRM's minute), the links records wait for, and the records' notes.
var copiedTables = []table{
	{name: "pairs", cols: append(texts("connection", "object", "a_id", "b_id", "snapshot"), column{"synced_at", timeColumn})},
	{name: "cursors", cols: append(texts("connection", "object", "side", "value"), column{"updated_at", timeColumn})},
	{name: "quarantine", cols: append(texts("connection", "object", "side", "record_id", "reason", "record"), column{"at", timeColumn})},
	{name: "quota_uses", cols: append(texts("key"), column{"at", intColumn})},
	{name: "link_waits", cols: texts("connection", "object", "side", "record_id", "link_object", "link_id")},
	{name: "record_notes", cols: texts("connection", "object", "kind", "record_id", "value")},
}

// columnList is the table's columns, comma-separated.
func (t table) columnList() string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// tableSource is what both backends do as Copy's source.
type tableSource interface {
	// dumpTable calls each with every row of t, its values of the kinds its columns say.
	dumpTable(ctx context.Context, t table, each func(row []any) error) error
}

// tableDestination is what both backends do as Copy's destination.
type tableDestination interface {
	// countRows counts a table's rows.
	countRows(ctx context.Context, t table) (int, error)
	// load runs fill in one transaction, committed when it returns nil: put adds rows to t.
	load(ctx context.Context, fill func(put func(t table, rows [][]any) error) error) error
}

// copyBatch is how many rows Copy hands the destination at once: memory stays flat however
// many pairs the store holds.
const copyBatch = 1000

// Copied counts the rows Copy carried, per table, in copiedTables' order.
type Copied []TableCount

// TableCount is the rows of one table.
type TableCount struct {
	Table string
	Rows  int
}

// String reads "60000 pairs, 4 cursors, …".
func (c Copied) String() string {
	parts := make([]string, len(c))
	for i, t := range c {
		parts[i] = fmt.Sprintf("%d %s", t.Rows, strings.ReplaceAll(t.Table, "_", " "))
	}
	return strings.Join(parts, ", ")
}

// ErrNotEmpty is Copy's answer when the destination already holds rows.
var ErrNotEmpty = errors.New("store: the destination is not empty")

// Copy copies every row of from into to — the move from one worker's SQLite file to the
// PostgreSQL store of several workers, or from one server to another: the id maps with their
// snapshots (without which the first sync would take every pair for a conflict, and an import
// would have to pair every record again), the cursors, the quarantine, the quota uses, the
// links records wait for and the records' notes. to must hold none of them (ErrNotEmpty,
// naming what it holds): the copy never merges two stores. It is one transaction on to, so a
// copy that fails leaves to empty, to be run again. No worker may write to from meanwhile
// (OpenToCopy refuses a SQLite store a worker holds).
func Copy(ctx context.Context, from, to Store) (Copied, error) {
	src, ok := from.(tableSource)
	dst, ok2 := to.(tableDestination)
	if !ok || !ok2 {
		return nil, errors.New("store: copy needs two stores of this package")
	}
	var held Copied
	for _, t := range copiedTables {
		n, err := dst.countRows(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("store: copy: destination's %s: %w", t.name, err)
		}
		if n > 0 {
			held = append(held, TableCount{Table: t.name, Rows: n})
		}
	}
	if len(held) > 0 {
		return nil, fmt.Errorf("%w: it holds %s; copy into a new database (or file), never over a store in use", ErrNotEmpty, held)
	}
	var copied Copied
	err := dst.load(ctx, func(put func(t table, rows [][]any) error) error {
		for _, t := range copiedTables {
			n := 0
			batch := make([][]any, 0, copyBatch)
			flush := func() error {
				if len(batch) == 0 {
					return nil
				}
				if err := put(t, batch); err != nil {
					return fmt.Errorf("store: copy: writing %s: %w", t.name, err)
				}
				n += len(batch)
				batch = make([][]any, 0, copyBatch)
				return nil
			}
			err := src.dumpTable(ctx, t, func(row []any) error {
				batch = append(batch, row)
				if len(batch) == copyBatch {
					return flush()
				}
				return nil
			})
			if err == nil {
				err = flush()
			}
			if err != nil {
				return err
			}
			copied = append(copied, TableCount{Table: t.name, Rows: n})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return copied, nil
}
