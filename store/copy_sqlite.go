package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

var (
	_ tableSource      = (*sqliteStore)(nil)
	_ tableDestination = (*sqliteStore)(nil)
)

func (s *sqliteStore) countRows(ctx context.Context, t table) (n int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&n)
	return n, err
}

func (s *sqliteStore) dumpTable(ctx context.Context, t table, each func(row []any) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+t.columnList()+` FROM `+t.name)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		dest := make([]any, len(t.cols))
		texts := make([]string, len(t.cols))
		ints := make([]int64, len(t.cols))
		for i, c := range t.cols {
			if c.kind == textColumn {
				dest[i] = &texts[i]
			} else {
				dest[i] = &ints[i]
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		row := make([]any, len(t.cols))
		for i, c := range t.cols {
			switch c.kind {
			case textColumn:
				row[i] = texts[i]
			case timeColumn:
				row[i] = time.UnixMicro(ints[i]).UTC()
			default:
				row[i] = ints[i]
			}
		}
		if err := each(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *sqliteStore) load(ctx context.Context, fill func(put func(t table, rows [][]any) error) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	stmts := map[string]*sql.Stmt{}
	put := func(t table, rows [][]any) error {
		stmt := stmts[t.name]
		if stmt == nil {
			marks := strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ")
			if stmt, err = tx.PrepareContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)`, t.name, t.columnList(), marks)); err != nil {
				return err
			}
			stmts[t.name] = stmt
		}
		args := make([]any, len(t.cols))
		for _, row := range rows {
			for i, c := range t.cols {
				args[i] = sqliteValue(c, row[i])
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return err
			}
		}
		return nil
	}
	if err := fill(put); err != nil {
		return err
	}
	return tx.Commit()
}

// sqliteValue is a row's value as SQLite keeps it.
func sqliteValue(c column, v any) any {
	if t, ok := v.(time.Time); ok && c.kind == timeColumn {
		return t.UnixMicro()
	}
	return v
}
