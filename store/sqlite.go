package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// sqliteChunk bounds the placeholders of one IN (…) list.
const sqliteChunk = 500

var sqliteMigrations = [][]string{
	1: {
		`CREATE TABLE pairs (
			connection TEXT NOT NULL,
			object     TEXT NOT NULL,
			a_id       TEXT NOT NULL,
			b_id       TEXT NOT NULL,
			snapshot   TEXT NOT NULL,
			synced_at  INTEGER NOT NULL,
			PRIMARY KEY (connection, object, a_id),
			UNIQUE (connection, object, b_id)
		)`,
		`CREATE TABLE cursors (
			connection TEXT NOT NULL,
			object     TEXT NOT NULL,
			side       TEXT NOT NULL CHECK (side IN ('a', 'b')),
			value      TEXT NOT NULL,
			updated_at INTEGER NOT NULL,
			PRIMARY KEY (connection, object, side)
		)`,
		`CREATE TABLE quarantine (
			connection TEXT NOT NULL,
			object     TEXT NOT NULL,
			side       TEXT NOT NULL CHECK (side IN ('a', 'b')),
			record_id  TEXT NOT NULL,
			reason     TEXT NOT NULL,
			record     TEXT NOT NULL,
			at         INTEGER NOT NULL,
			PRIMARY KEY (connection, object, side, record_id)
		)`,
		`CREATE INDEX quarantine_newest ON quarantine (connection, at DESC)`,
	},
	2: {
		`CREATE TABLE quota_uses (
			key TEXT NOT NULL,
			at  INTEGER NOT NULL
		)`,
		`CREATE INDEX quota_uses_key ON quota_uses (key, at)`,
	},
	3: {
		`CREATE TABLE link_waits (
			connection  TEXT NOT NULL,
			object      TEXT NOT NULL,
			side        TEXT NOT NULL CHECK (side IN ('a', 'b')),
			record_id   TEXT NOT NULL,
			link_object TEXT NOT NULL,
			link_id     TEXT NOT NULL,
			PRIMARY KEY (connection, object, side, record_id, link_object)
		)`,
	},
	4: {
		`CREATE TABLE record_notes (
			connection TEXT NOT NULL,
			object     TEXT NOT NULL,
			kind       TEXT NOT NULL,
			record_id  TEXT NOT NULL,
			value      TEXT NOT NULL,
			PRIMARY KEY (connection, object, kind, record_id)
		)`,
	},
}

type sqliteStore struct {
	db   *sql.DB
	path string
	// lock is the open <path>.lock file whose flock(2) a worker's store holds (nil opened
	// forReading, or in memory): the object locks are in the process, so a second worker
	// process on the file would create records twice.
	lock *os.File
	keyedLocks
}

// openSQLite opens the database file at path (a query string after '?' is passed to the driver).
// One connection serialises all access, so concurrent activities never see SQLITE_BUSY inside
// this process; busy_timeout and immediate transactions cover other processes (the CLI).
// Errors name the file name (see sqliteName). Opened forReading, it only checks the schema's
// version (see OpenExisting).
func openSQLite(ctx context.Context, path, name string, mode openMode) (Store, error) {
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if path == "" {
		return nil, errors.New("store: sqlite DSN has no file path (want sqlite:/path/to/file.db)")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite DSN %s: bad query: %w", name, err)
	}
	// Ours, unless the DSN sets them. synchronous(FULL): in WAL, NORMAL may lose the last
	// committed transactions on a power loss (a pair saved, the record created again).
	given := map[string]bool{}
	for _, p := range q["_pragma"] {
		given[pragmaName(p)] = true
	}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		if !given[pragmaName(p)] {
			q.Add("_pragma", p)
		}
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	s := &sqliteStore{path: path}
	if mode != forReading && path != ":memory:" && q.Get("mode") != "memory" {
		// The lock sits beside the file itself, whatever symbolic links name it by.
		file := resolveFile(path)
		lock, busy, err := lockFile(file + ".lock")
		switch {
		case busy && mode == forCopy:
			return nil, fmt.Errorf("store: a worker uses this SQLite store (%s): stop it before copying the store (what it writes meanwhile would be lost)", name)
		case busy:
			return nil, fmt.Errorf("store: another worker uses this SQLite store (%s); use PostgreSQL for several workers", name)
		case err != nil:
			return nil, fmt.Errorf("store: open sqlite %s: %w", name, hidePath(hidePath(err, file, name), path, name))
		}
		s.lock = lock
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", name, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s.db = db
	if err := db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", name, hidePath(err, path, name))
	}
	if mode != forWorker {
		if err := s.checkVersion(ctx, name); err != nil {
			s.Close()
			if errors.Is(err, ErrNoStore) {
				return nil, err
			}
			return nil, fmt.Errorf("store: open sqlite %s: %w", name, err)
		}
		return s, nil
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: migrate sqlite %s: %w", name, err)
	}
	return s, nil
}

// resolveFile is path with its symbolic links resolved — of the file, or, when the file does
// not exist yet, of the link (dangling: SQLite creates its target) or of the directory — so that
// every name of one file gives one lock path. A path it cannot resolve is returned cleaned.
func resolveFile(path string) string {
	for range 40 { // as many links as Linux follows
		if real, err := filepath.EvalSymlinks(path); err == nil {
			return real
		}
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			break
		}
		target, err := os.Readlink(path)
		if err != nil {
			break
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		return filepath.Join(dir, filepath.Base(path))
	}
	return filepath.Clean(path)
}

// pragmaName is the name of a _pragma value, "synchronous" for "synchronous(FULL)",
// "synchronous=FULL" or "main.synchronous = FULL".
func pragmaName(p string) string {
	name, _, _ := strings.Cut(p, "(")
	name, _, _ = strings.Cut(name, "=")
	name = strings.ToLower(strings.TrimSpace(name))
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// hidePath is err without path when errors do not show it (name is hiddenSQLitePath).
func hidePath(err error, path, name string) error {
	if name != hiddenSQLitePath || !strings.Contains(err.Error(), path) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), path, "(the path)"))
}

// errOtherSQLiteTables refuses a file that holds another application's schema_version.
var errOtherSQLiteTables = errors.New("this file holds another application's tables (schema_version): give crmsync its own file")

// sqliteVersionTable reports whether the file has crmsync's schema_version table; another
// application's is refused.
func sqliteVersionTable(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) (bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM pragma_table_info('schema_version')`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var columns []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return false, err
		}
		columns = append(columns, c)
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	if len(columns) > 0 && !ownVersionTable(columns) {
		return false, errOtherSQLiteTables
	}
	return len(columns) > 0, nil
}

// checkVersion checks, changing nothing, that the file holds a store of this crmsync's
// schema version.
func (s *sqliteStore) checkVersion(ctx context.Context, name string) error {
	ok, err := sqliteVersionTable(ctx, s.db)
	if err != nil {
		return err
	}
	if !ok {
		return noStoreYet(name)
	}
	var current int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return err
	}
	return versionMismatch(current, len(sqliteMigrations)-1)
}

func (s *sqliteStore) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := sqliteVersionTable(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return err
	}
	err = applyMigrations(current, sqliteMigrations,
		func(stmt string) error { _, err := tx.ExecContext(ctx, stmt); return err },
		func(v int) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, v, time.Now().UnixMicro())
			return err
		})
	if err != nil {
		return err
	}
	return tx.Commit()
}

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: "+format+": %w", append(args, err)...)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func (s *sqliteStore) Pairs(ctx context.Context, connection, object string, side Side, ids []string) (map[string]Pair, error) {
	if err := checkSide(side); err != nil {
		return nil, wrap(err, "pairs for %s/%s", connection, object)
	}
	ids = uniqueIDs(ids)
	out := make(map[string]Pair, len(ids))
	for start := 0; start < len(ids); start += sqliteChunk {
		chunk := ids[start:min(start+sqliteChunk, len(ids))]
		args := make([]any, 0, len(chunk)+2)
		args = append(args, connection, object)
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT a_id, b_id, snapshot, synced_at FROM pairs
			WHERE connection = ? AND object = ? AND `+idColumn(side)+` IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, wrap(err, "pairs for %s/%s", connection, object)
		}
		err = scanSQLitePairs(rows, func(p Pair) {
			if side == SideA {
				out[p.AID] = p
			} else {
				out[p.BID] = p
			}
		})
		if err != nil {
			return nil, wrap(err, "pairs for %s/%s", connection, object)
		}
	}
	return out, nil
}

func scanSQLitePairs(rows *sql.Rows, each func(Pair)) error {
	defer rows.Close()
	for rows.Next() {
		var (
			p    Pair
			snap []byte
			at   int64
		)
		if err := rows.Scan(&p.AID, &p.BID, &snap, &at); err != nil {
			return err
		}
		m, err := decodeSnapshot(snap)
		if err != nil {
			return fmt.Errorf("pair %s/%s: %w", p.AID, p.BID, err)
		}
		p.Snapshot, p.SyncedAt = m, time.UnixMicro(at).UTC()
		each(p)
	}
	return rows.Err()
}

func (s *sqliteStore) SavePairs(ctx context.Context, connection, object string, pairs []Pair) error {
	if len(pairs) == 0 {
		return nil
	}
	pairs, err := normalisePairs(pairs)
	if err != nil {
		return wrap(err, "save pairs for %s/%s", connection, object)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(err, "save pairs for %s/%s", connection, object)
	}
	defer tx.Rollback()
	// OR REPLACE deletes every row conflicting on either unique key before inserting: a record
	// paired again with another id replaces its old pair.
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO pairs (connection, object, a_id, b_id, snapshot, synced_at)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return wrap(err, "save pairs for %s/%s", connection, object)
	}
	defer stmt.Close()
	for _, p := range pairs {
		snap, err := encodeSnapshot(p.Snapshot)
		if err != nil {
			return wrap(err, "save pairs for %s/%s: pair %s/%s", connection, object, p.AID, p.BID)
		}
		if _, err := stmt.ExecContext(ctx, connection, object, p.AID, p.BID, snap, ts(p.SyncedAt).UnixMicro()); err != nil {
			return wrap(err, "save pairs for %s/%s", connection, object)
		}
	}
	return wrap(tx.Commit(), "save pairs for %s/%s", connection, object)
}

func (s *sqliteStore) DeletePairs(ctx context.Context, connection, object string, side Side, ids []string) error {
	if err := checkSide(side); err != nil {
		return wrap(err, "delete pairs for %s/%s", connection, object)
	}
	ids = uniqueIDs(ids)
	if len(ids) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(err, "delete pairs for %s/%s", connection, object)
	}
	defer tx.Rollback()
	for start := 0; start < len(ids); start += sqliteChunk {
		chunk := ids[start:min(start+sqliteChunk, len(ids))]
		args := make([]any, 0, len(chunk)+2)
		args = append(args, connection, object)
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pairs WHERE connection = ? AND object = ? AND `+
			idColumn(side)+` IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
			return wrap(err, "delete pairs for %s/%s", connection, object)
		}
	}
	return wrap(tx.Commit(), "delete pairs for %s/%s", connection, object)
}

func (s *sqliteStore) CountPairs(ctx context.Context, connection, object string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pairs WHERE connection = ? AND object = ?`, connection, object).Scan(&n)
	return n, wrap(err, "count pairs for %s/%s", connection, object)
}

func (s *sqliteStore) ListPairs(ctx context.Context, connection, object, after string, limit int) ([]Pair, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a_id, b_id, snapshot, synced_at FROM pairs
		WHERE connection = ? AND object = ? AND a_id > ? ORDER BY a_id LIMIT ?`,
		connection, object, after, limitOrDefault(limit))
	if err != nil {
		return nil, wrap(err, "list pairs for %s/%s", connection, object)
	}
	var out []Pair
	if err := scanSQLitePairs(rows, func(p Pair) { out = append(out, p) }); err != nil {
		return nil, wrap(err, "list pairs for %s/%s", connection, object)
	}
	return out, nil
}

func (s *sqliteStore) Cursor(ctx context.Context, connection, object string, side Side) (string, bool, error) {
	if err := checkSide(side); err != nil {
		return "", false, wrap(err, "cursor for %s/%s", connection, object)
	}
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM cursors WHERE connection = ? AND object = ? AND side = ?`,
		connection, object, string(side)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap(err, "cursor for %s/%s side %s", connection, object, side)
	}
	return v, true, nil
}

func (s *sqliteStore) SetCursor(ctx context.Context, connection, object string, side Side, value string) error {
	if err := checkSide(side); err != nil {
		return wrap(err, "set cursor for %s/%s", connection, object)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO cursors (connection, object, side, value, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (connection, object, side) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		connection, object, string(side), value, time.Now().UnixMicro())
	return wrap(err, "set cursor for %s/%s side %s", connection, object, side)
}

func (s *sqliteStore) ResetCursors(ctx context.Context, connection string, objects []string) error {
	var err error
	if len(objects) == 0 {
		_, err = s.db.ExecContext(ctx, `DELETE FROM cursors WHERE connection = ?`, connection)
	} else {
		objects = uniqueIDs(objects)
		args := []any{connection}
		for _, o := range objects {
			args = append(args, o)
		}
		_, err = s.db.ExecContext(ctx, `DELETE FROM cursors WHERE connection = ? AND object IN (`+placeholders(len(objects))+`)`, args...)
	}
	return wrap(err, "reset cursors for %s", connection)
}

func (s *sqliteStore) Quarantine(ctx context.Context, e QuarantineEntry) error {
	if err := checkSide(e.Side); err != nil {
		return wrap(err, "quarantine %s/%s record %s", e.Connection, e.Object, e.RecordID)
	}
	rec, err := checkRecord(e.Record)
	if err != nil {
		return wrap(err, "quarantine %s/%s record %s", e.Connection, e.Object, e.RecordID)
	}
	_, err = s.db.ExecContext(ctx, `INSERT OR REPLACE INTO quarantine (connection, object, side, record_id, reason, record, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Connection, e.Object, string(e.Side), quarantineID(e.RecordID), quarantineReason(e.RecordID, e.Reason), string(rec), ts(e.At).UnixMicro())
	return wrap(err, "quarantine %s/%s record %s", e.Connection, e.Object, e.RecordID)
}

func (s *sqliteStore) ListQuarantine(ctx context.Context, connection string, limit int) ([]QuarantineEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT object, side, record_id, reason, record, at FROM quarantine
		WHERE connection = ? ORDER BY at DESC, object, side, record_id LIMIT ?`, connection, limitOrDefault(limit))
	if err != nil {
		return nil, wrap(err, "list quarantine for %s", connection)
	}
	defer rows.Close()
	var out []QuarantineEntry
	for rows.Next() {
		var (
			e    = QuarantineEntry{Connection: connection}
			side string
			rec  []byte
			at   int64
		)
		if err := rows.Scan(&e.Object, &side, &e.RecordID, &e.Reason, &rec, &at); err != nil {
			return nil, wrap(err, "list quarantine for %s", connection)
		}
		e.Side, e.Record, e.At = Side(side), decodeRecord(rec), time.UnixMicro(at).UTC()
		out = append(out, e)
	}
	return out, wrap(rows.Err(), "list quarantine for %s", connection)
}

func (s *sqliteStore) CountQuarantine(ctx context.Context, connection string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM quarantine WHERE connection = ?`, connection).Scan(&n)
	return n, wrap(err, "count quarantine for %s", connection)
}

func (s *sqliteStore) ClearQuarantine(ctx context.Context, connection, object string, side Side, recordID string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM quarantine WHERE connection = ? AND object = ? AND side = ? AND record_id = ?`,
		connection, object, string(side), quarantineID(recordID))
	return wrap(err, "clear quarantine %s/%s record %s", connection, object, recordID)
}

func (s *sqliteStore) QuarantineByObject(ctx context.Context, connection string) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT object, COUNT(*) FROM quarantine WHERE connection = ? GROUP BY object`, connection)
	if err != nil {
		return nil, wrap(err, "count quarantine by object for %s", connection)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var object string
		var n int
		if err := rows.Scan(&object, &n); err != nil {
			return nil, wrap(err, "count quarantine by object for %s", connection)
		}
		out[object] = n
	}
	return out, wrap(rows.Err(), "count quarantine by object for %s", connection)
}

func (s *sqliteStore) ForgetQuarantine(ctx context.Context, connection, object string) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM quarantine WHERE connection = ? AND object = ?`, connection, object)
	if err != nil {
		return 0, wrap(err, "forget quarantine of %s/%s", connection, object)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "forget quarantine of %s/%s", connection, object)
}

// Close closes the database, then frees the file for another worker.
func (s *sqliteStore) Close() error {
	var err error
	if s.db != nil {
		err = s.db.Close()
	}
	if s.lock != nil {
		err = errors.Join(err, s.lock.Close())
		s.lock = nil
	}
	return err
}

func (s *sqliteStore) TakeQuota(ctx context.Context, claims []QuotaClaim, window time.Duration, now time.Time) (time.Duration, error) {
	claims, err := checkClaims(claims)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil) // immediate: one writer at a time, across processes too
	if err != nil {
		return 0, wrap(err, "take quota")
	}
	defer tx.Rollback()
	cutoff, expired := quotaCutoffs(now, window)
	for _, c := range claims {
		if _, err := tx.ExecContext(ctx, `DELETE FROM quota_uses WHERE key = ? AND at <= ?`, c.Key, expired); err != nil {
			return 0, wrap(err, "take quota %s", c.Key)
		}
		var used int
		var oldest int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(at), 0) FROM quota_uses WHERE key = ? AND at > ?`, c.Key, cutoff).Scan(&used, &oldest); err != nil {
			return 0, wrap(err, "take quota %s", c.Key)
		}
		if wait, full := quotaWait(used, c.Limit, time.UnixMicro(oldest), now, window); full {
			return wait, nil
		}
	}
	for _, c := range claims {
		if _, err := tx.ExecContext(ctx, `INSERT INTO quota_uses (key, at) VALUES (?, ?)`, c.Key, now.UnixMicro()); err != nil {
			return 0, wrap(err, "take quota %s", c.Key)
		}
	}
	return 0, wrap(tx.Commit(), "take quota")
}

func (s *sqliteStore) QuotaUsed(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM quota_uses WHERE key = ? AND at > ?`, key, now.Add(-window).UnixMicro()).Scan(&n)
	return n, wrap(err, "quota used %s", key)
}

func (s *sqliteStore) SetWaits(ctx context.Context, connection, object string, side Side, ids []string, waits []Wait) error {
	if err := checkSide(side); err != nil {
		return wrap(err, "set waits for %s/%s", connection, object)
	}
	waits, err := checkWaits(ids, waits)
	if err != nil {
		return wrap(err, "set waits for %s/%s", connection, object)
	}
	ids = uniqueIDs(ids)
	if len(ids) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(err, "set waits for %s/%s", connection, object)
	}
	defer tx.Rollback()
	for start := 0; start < len(ids); start += sqliteChunk {
		chunk := ids[start:min(start+sqliteChunk, len(ids))]
		args := make([]any, 0, len(chunk)+3)
		args = append(args, connection, object, string(side))
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM link_waits WHERE connection = ? AND object = ? AND side = ?
			AND record_id IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
			return wrap(err, "set waits for %s/%s", connection, object)
		}
	}
	for _, w := range waits {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO link_waits (connection, object, side, record_id, link_object, link_id)
			VALUES (?, ?, ?, ?, ?, ?)`, connection, object, string(side), w.RecordID, w.LinkObject, w.LinkID); err != nil {
			return wrap(err, "set waits for %s/%s", connection, object)
		}
	}
	return wrap(tx.Commit(), "set waits for %s/%s", connection, object)
}

func (s *sqliteStore) ReadyWaits(ctx context.Context, connection, object string, side Side, limit int) ([]string, error) {
	if err := checkSide(side); err != nil {
		return nil, wrap(err, "ready waits for %s/%s", connection, object)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT w.record_id FROM link_waits w JOIN pairs p
		ON p.connection = w.connection AND p.object = w.link_object AND p.`+idColumn(side)+` = w.link_id
		WHERE w.connection = ? AND w.object = ? AND w.side = ? ORDER BY w.record_id LIMIT ?`,
		connection, object, string(side), limitOrDefault(limit))
	if err != nil {
		return nil, wrap(err, "ready waits for %s/%s", connection, object)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(err, "ready waits for %s/%s", connection, object)
		}
		out = append(out, id)
	}
	return out, wrap(rows.Err(), "ready waits for %s/%s", connection, object)
}

func (s *sqliteStore) Notes(ctx context.Context, connection, object, kind string, ids []string) (map[string]string, error) {
	ids = uniqueIDs(ids)
	out := map[string]string{}
	for start := 0; start < len(ids); start += sqliteChunk {
		chunk := ids[start:min(start+sqliteChunk, len(ids))]
		args := []any{connection, object, kind}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT record_id, value FROM record_notes
			WHERE connection = ? AND object = ? AND kind = ? AND record_id IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, wrap(err, "notes %s of %s/%s", kind, connection, object)
		}
		for rows.Next() {
			var id, v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return nil, wrap(err, "notes %s of %s/%s", kind, connection, object)
			}
			out[id] = v
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, wrap(err, "notes %s of %s/%s", kind, connection, object)
		}
	}
	return out, nil
}

func (s *sqliteStore) SetNotes(ctx context.Context, connection, object, kind string, values map[string]string) error {
	values, err := checkNotes(values)
	if err != nil {
		return wrap(err, "set notes %s of %s/%s", kind, connection, object)
	}
	if len(values) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(err, "set notes %s of %s/%s", kind, connection, object)
	}
	defer tx.Rollback()
	for id, v := range values {
		if v == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM record_notes WHERE connection = ? AND object = ? AND kind = ? AND record_id = ?`, connection, object, kind, id)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO record_notes (connection, object, kind, record_id, value) VALUES (?, ?, ?, ?, ?)`, connection, object, kind, id, v)
		}
		if err != nil {
			return wrap(err, "set notes %s of %s/%s", kind, connection, object)
		}
	}
	return wrap(tx.Commit(), "set notes %s of %s/%s", kind, connection, object)
}

func (s *sqliteStore) StillQuarantined(ctx context.Context, connection string, keys []QuarantineKey) ([]QuarantineKey, error) {
	var out []QuarantineKey
	// Repeated keys go first: the same key in two chunks would be answered twice.
	keys, given := storedKeys(keys)
	for chunk := range slices.Chunk(keys, sqliteChunk/3) {
		args := make([]any, 0, 1+3*len(chunk))
		args = append(args, connection)
		for _, k := range chunk {
			args = append(args, k.Object, string(k.Side), k.RecordID)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT object, side, record_id FROM quarantine
			WHERE connection = ? AND (object, side, record_id) IN (VALUES `+strings.TrimSuffix(strings.Repeat("(?,?,?),", len(chunk)), ",")+`)`, args...)
		if err != nil {
			return nil, wrap(err, "look up quarantine of %s", connection)
		}
		for rows.Next() {
			var k QuarantineKey
			var side string
			if err := rows.Scan(&k.Object, &side, &k.RecordID); err != nil {
				rows.Close()
				return nil, wrap(err, "look up quarantine of %s", connection)
			}
			k.Side = Side(side)
			out = append(out, k)
		}
		if err := rows.Close(); err != nil {
			return nil, wrap(err, "look up quarantine of %s", connection)
		}
		if err := rows.Err(); err != nil {
			return nil, wrap(err, "look up quarantine of %s", connection)
		}
	}
	return givenKeys(out, given), nil
}

func (s *sqliteStore) QuarantinedBefore(ctx context.Context, connection string, before time.Time, after QuarantineKey, limit int) ([]QuarantineKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT object, side, record_id FROM quarantine
		WHERE connection = ? AND at < ? AND (object, side, record_id) > (?, ?, ?)
		ORDER BY object, side, record_id LIMIT ?`,
		connection, before.UnixMicro(), after.Object, string(after.Side), after.RecordID, limitOrDefault(limit))
	if err != nil {
		return nil, wrap(err, "list quarantine for %s", connection)
	}
	defer rows.Close()
	var out []QuarantineKey
	for rows.Next() {
		var k QuarantineKey
		var side string
		if err := rows.Scan(&k.Object, &side, &k.RecordID); err != nil {
			return nil, wrap(err, "list quarantine for %s", connection)
		}
		k.Side = Side(side)
		out = append(out, k)
	}
	return out, wrap(rows.Err(), "list quarantine for %s", connection)
}
