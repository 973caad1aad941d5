package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	_ tableSource      = (*pgStore)(nil)
	_ tableDestination = (*pgStore)(nil)
)

func (s *pgStore) countRows(ctx context.Context, t table) (n int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&n)
	return n, err
}

func (s *pgStore) dumpTable(ctx context.Context, t table, each func(row []any) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+t.columnList()+` FROM `+t.name)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		dest := make([]any, len(t.cols))
		for i, c := range t.cols {
			switch c.kind {
			case textColumn:
				dest[i] = new(string)
			case timeColumn:
				dest[i] = new(time.Time)
			default:
				dest[i] = new(int64)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		row := make([]any, len(t.cols))
		for i, d := range dest {
			switch v := d.(type) {
			case *string:
				row[i] = *v
			case *time.Time:
				row[i] = v.UTC()
			case *int64:
				row[i] = *v
			}
		}
		if err := each(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

// load writes with COPY, and analyses the tables once committed: a pairs table filled at
// once has no statistics until autovacuum comes, and the planner would scan it for each
// lookup of the first cycles.
func (s *pgStore) load(ctx context.Context, fill func(put func(t table, rows [][]any) error) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	put := func(t table, rows [][]any) error {
		cols := make([]string, len(t.cols))
		for i, c := range t.cols {
			cols[i] = c.name
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, cols, pgx.CopyFromRows(rows))
		return err
	}
	if err := fill(put); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	for _, t := range copiedTables {
		if _, err := s.pool.Exec(ctx, `ANALYZE `+t.name); err != nil {
			return err
		}
	}
	return nil
}
