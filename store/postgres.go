package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// defaultPGConns is the connection bound of a PostgreSQL store unless the DSN sets pool_max_conns.
const defaultPGConns = 8

// maxLockConns bounds the connections advisory locks hold at once (held and awaited), per
// worker process: past it, a lock waits for a connection as it would for the lock.
const maxLockConns = 64

// pgMigrationLock is the advisory lock key serialising migrations of workers starting together.
const pgMigrationLock = 0x63726d73796e63 // "crmsync"

var pgMigrations = [][]string{
	1: {
		`CREATE TABLE pairs (
			connection text COLLATE "C" NOT NULL,
			object     text COLLATE "C" NOT NULL,
			a_id       text COLLATE "C" NOT NULL,
			b_id       text COLLATE "C" NOT NULL,
			snapshot   jsonb NOT NULL,
			synced_at  timestamptz NOT NULL,
			PRIMARY KEY (connection, object, a_id),
			UNIQUE (connection, object, b_id)
		)`,
		`CREATE TABLE cursors (
			connection text COLLATE "C" NOT NULL,
			object     text COLLATE "C" NOT NULL,
			side       text NOT NULL CHECK (side IN ('a', 'b')),
			value      text NOT NULL,
			updated_at timestamptz NOT NULL DEFAULT now(),
			PRIMARY KEY (connection, object, side)
		)`,
		`CREATE TABLE quarantine (
			connection text COLLATE "C" NOT NULL,
			object     text COLLATE "C" NOT NULL,
			side       text NOT NULL CHECK (side IN ('a', 'b')),
			record_id  text COLLATE "C" NOT NULL,
			reason     text NOT NULL,
			record     jsonb NOT NULL,
			at         timestamptz NOT NULL,
			PRIMARY KEY (connection, object, side, record_id)
		)`,
		`CREATE INDEX quarantine_newest ON quarantine (connection, at DESC)`,
	},
	2: {
		`CREATE TABLE quota_uses (
			key text COLLATE "C" NOT NULL,
			at  bigint NOT NULL
		)`,
		`CREATE INDEX quota_uses_key ON quota_uses (key, at)`,
	},
	3: {
		`CREATE TABLE link_waits (
			connection  text COLLATE "C" NOT NULL,
			object      text COLLATE "C" NOT NULL,
			side        text NOT NULL CHECK (side IN ('a', 'b')),
			record_id   text COLLATE "C" NOT NULL,
			link_object text COLLATE "C" NOT NULL,
			link_id     text COLLATE "C" NOT NULL,
			PRIMARY KEY (connection, object, side, record_id, link_object)
		)`,
	},
	4: {
		`CREATE TABLE record_notes (
			connection text COLLATE "C" NOT NULL,
			object     text COLLATE "C" NOT NULL,
			kind       text COLLATE "C" NOT NULL,
			record_id  text COLLATE "C" NOT NULL,
			value      text NOT NULL,
			PRIMARY KEY (connection, object, kind, record_id)
		)`,
	},
	// jsonb refuses the character NUL (\u0000), which a CRM field may hold (a pasted export):
	// a snapshot or a quarantined record holding one failed the whole page, again at every
	// retry. Nothing queries inside them, so they are kept as the JSON text they are.
	5: {
		`ALTER TABLE pairs ALTER COLUMN snapshot TYPE text USING snapshot::text`,
		`ALTER TABLE quarantine ALTER COLUMN record TYPE text USING record::text`,
	},
}

type pgStore struct {
	pool *pgxpool.Pool
	// locks holds the connections of advisory locks (see Lock), apart from pool: a holder
	// needs pool connections for its work, and waiters holding those would starve it.
	cfg      *pgxpool.Config
	lockOnce sync.Once
	locks    *pgxpool.Pool
	lockErr  error
	// lockMu guards closed and lockConns, the lock connections given out (held or waiting),
	// which Close ends: pgxpool's Close would wait for them as long as the locks are held.
	lockMu    sync.Mutex
	closed    bool
	lockConns map[*lockConn]struct{}

	// A fresh pairs table has no statistics until autovacuum analyses it (a minute or more):
	// the planner then takes (connection, object) for a single row and may scan every pair of
	// the object for each lookup. Until autovacuum catches up, this store analyses the table
	// itself each time the pairs it saved double (1,000, 2,000, 4,000, …): a handful of runs.
	mu           sync.Mutex
	saved        int
	analyseAfter int
}

// openPostgres opens the database of dsn; forReading, it only checks the schema's version
// (see OpenExisting).
func openPostgres(ctx context.Context, dsn string, mode openMode) (Store, error) {
	name := redact(dsn)
	cfg, err := pgPoolConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres %s: %w", name, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres %s: %w", name, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: open postgres %s: %w", name, err)
	}
	s := &pgStore{pool: pool, cfg: cfg, analyseAfter: 1000}
	if mode != forWorker {
		if err := s.checkVersion(ctx, name); err != nil {
			pool.Close()
			if errors.Is(err, ErrNoStore) {
				return nil, err
			}
			return nil, fmt.Errorf("store: open postgres %s: %w", name, err)
		}
		return s, nil
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: migrate postgres %s: %w", name, err)
	}
	return s, nil
}

// pgEncodeHint is what a DSN whose user or password is not URL-encoded needs.
const pgEncodeHint = "the user and password must be URL-encoded (%40 for @, %25 for %, %2F for /, %20 for a space)"

// pgQuoteHint is what a keyword/value DSN whose password holds a space or a quote needs.
const pgQuoteHint = `a value holding a space must be quoted (password='…'), a quote or a backslash in it escaped (\' and \\)`

// pgPoolConfig parses a postgres:// or keyword/value DSN for pgxpool. The pool_max_conns
// parameter bounds the pool (defaultPGConns when absent); pgxpool's other pool_* parameters
// apply too. A DSN that does not parse gets the reason, never the password.
func pgPoolConfig(dsn string) (*pgxpool.Config, error) {
	keywords := isKeywordDSN(dsn)
	if !keywords {
		// pgx, like libpq, ends the user part at the first "@": a second one before the path
		// would put the rest of the password in the host name, and in errors.
		_, rest, _ := strings.Cut(dsn, "://")
		authority, _, _ := strings.Cut(rest, "/")
		if strings.Count(authority, "@") > 1 {
			return nil, errors.New("invalid DSN: more than one @ before the host: " + pgEncodeHint)
		}
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("invalid DSN: " + pgParseReason(dsn, err))
	}
	// A "/" ends the user part too, when it comes first: "user:2024/Winter@db" parses, as the
	// host "user", port 2024 and the database "Winter@db…", which connection errors show.
	if _, rest, _ := strings.Cut(dsn, "://"); !keywords && dbNameHasAt(rest) {
		return nil, errors.New("invalid DSN: a / in the user or password, or an @ in the database name (not shown): percent-encode the password: " + pgEncodeHint + "; an @ in a database name is written %40")
	}
	// pgxpool checked pool_max_conns and dropped it from the parameters: the DSN says
	// whether it was given (not parsed a second time, which reads the passfile again).
	given := false
	if keywords {
		kv, err := parseKeywordDSN(dsn)
		given = err == nil && kv["pool_max_conns"] != ""
	} else {
		_, query, _ := strings.Cut(dsn, "?")
		params, err := url.ParseQuery(query)
		given = err == nil && params.Get("pool_max_conns") != ""
	}
	if !given {
		cfg.MaxConns = defaultPGConns
	}
	setKeepalives(cfg)
	setClientTimeouts(cfg)
	return cfg, nil
}

// dbNameHasAt reports whether rest, a postgres:// URL after its scheme, has an unencoded "@"
// in its database name as libpq and pgx read it: after the user part (to the first "@" when
// no "/" comes first) and the hosts (to the first "/" or "?"), from the "/" to the query.
func dbNameHasAt(rest string) bool {
	if i := strings.IndexAny(rest, "@/"); i >= 0 && rest[i] == '@' {
		rest = rest[i+1:]
	}
	i := strings.IndexAny(rest, "/?")
	if i < 0 || rest[i] != '/' {
		return false
	}
	path, _, _ := strings.Cut(rest[i+1:], "?")
	return strings.Contains(path, "@")
}

// pgKeepalives are the server settings each session of the store asks for, unless the DSN
// sets them: a worker host that vanishes (no FIN, no RST: a crash of the machine, a network
// cut) is noticed in about 25 seconds instead of the ~2h11 of Linux's default keepalives, and
// the session ends, freeing its advisory locks (an object lock held in Lock, a quota's in a
// transaction) and its row locks. tcp_user_timeout (milliseconds) exists from PostgreSQL 12
// and is left out before it.
var pgKeepalives = [][2]string{
	{"tcp_keepalives_idle", "10"},
	{"tcp_keepalives_interval", "5"},
	{"tcp_keepalives_count", "3"},
	{"tcp_user_timeout", "25000"},
}

// setKeepalives makes each new connection of cfg set pgKeepalives, with set_config once it
// is open rather than as startup parameters, which PgBouncer refuses ("unsupported startup
// parameter"). The settings only apply to a TCP connection (not to a Unix socket) to the
// server itself: through a pooler, the pooler's own keepalives govern.
func setKeepalives(cfg *pgxpool.Config) {
	var names, values []string
	for _, kv := range pgKeepalives {
		if _, own := cfg.ConnConfig.RuntimeParams[kv[0]]; !own {
			names, values = append(names, kv[0]), append(values, kv[1])
		}
	}
	if len(names) == 0 {
		return
	}
	setOnConnect(cfg, names, values, "set TCP keepalives")
}

// pgClientKeepalive and pgClientUserTimeout are pgKeepalives for the store's own end of each
// connection: a query in flight when the server's host vanishes (a failover that moves the DNS
// name, as managed databases do) fails in about 25 seconds instead of the kernel's ~15 minutes
// of retransmissions, its activity hanging meanwhile (heartbeating, so never retried), and a
// dead idle connection is found in as long rather than Go's default 2.5 minutes.
var (
	pgClientKeepalive   = net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3}
	pgClientUserTimeout = 25 * time.Second
)

// setClientTimeouts makes cfg dial with pgClientKeepalive and pgClientUserTimeout (Linux).
func setClientTimeouts(cfg *pgxpool.Config) {
	d := &net.Dialer{KeepAliveConfig: pgClientKeepalive, Control: controlUserTimeout(pgClientUserTimeout)}
	cfg.ConnConfig.DialFunc = d.DialContext
}

// setOnConnect makes each new connection of cfg set the settings names to values (those the
// server has) with set_config once it is open, after cfg's own AfterConnect; what names the
// step in its error.
func setOnConnect(cfg *pgxpool.Config, names, values []string, what string) {
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		if after != nil {
			if err := after(ctx, conn); err != nil {
				return err
			}
		}
		_, err := conn.Exec(ctx, `SELECT set_config(k.name, k.value, false) FROM unnest($1::text[], $2::text[]) AS k(name, value)
			WHERE k.name IN (SELECT name FROM pg_settings)`, names, values)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
}

// quotedRE matches the quoted values of pgx's parse errors.
var quotedRE = regexp.MustCompile(`"[^"]*"`)

// pgParseReason is the reason of pgx's parse error without the DSN it quotes (pgx masks the
// password there on a best-effort basis only) and without a quoted value from where a password
// may be: before the DSN's last "@" (an unencoded "/" in a password leaves its end in the
// host, port or database name pgx quotes), or, in a keyword/value DSN, in a password's span
// (a space left unquoted makes the rest of the password a keyword).
func pgParseReason(dsn string, err error) string {
	msg := err.Error()
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		// "cannot parse `<DSN>`: <reason>[ (<cause>)]"
		if i := strings.LastIndex(msg, "`: "); i >= 0 {
			msg = msg[i+3:]
		}
		var num *strconv.NumError
		if cause := pe.Unwrap(); cause != nil && errors.As(cause, &num) {
			what := "is not a whole number"
			if errors.Is(num.Err, strconv.ErrRange) {
				what = "is out of range"
			}
			msg = strings.TrimSuffix(msg, " ("+cause.Error()+")") + fmt.Sprintf(": %q %s", num.Num, what)
		}
	}
	keywords := isKeywordDSN(dsn)
	mayHoldPassword := func(v string) bool {
		if keywords {
			for _, span := range pgPasswordSpans(dsn) {
				if strings.Contains(dsn[span[0]:span[1]], v) {
					return true
				}
			}
			return false
		}
		i := strings.Index(dsn, v)
		return i >= 0 && i < strings.LastIndexByte(dsn, '@')
	}
	hidden := false
	msg = quotedRE.ReplaceAllStringFunc(msg, func(q string) string {
		if v := q[1 : len(q)-1]; v != "" && mayHoldPassword(v) {
			hidden = true
			return "(a value hidden: it may hold the password)"
		}
		return q
	})
	for _, pw := range pgPasswords(dsn) {
		if len(pw) >= 3 && strings.Contains(msg, pw) {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
			hidden = true
		}
	}
	if keywords {
		if hidden || strings.Contains(msg, "password") || strings.Contains(msg, "quoted") || strings.Contains(msg, "keyword") {
			msg += "; " + pgQuoteHint
		}
		return msg
	}
	// An "@" past the first "/" did not end the user part: a "/" in the user or password.
	_, rest, _ := strings.Cut(dsn, "://")
	_, path, slash := strings.Cut(rest, "/")
	if hidden || (slash && strings.Contains(path, "@")) || strings.Contains(msg, "password") {
		msg += "; " + pgEncodeHint
	}
	return msg
}

// pgPasswords are the raw texts a DSN's password may be: up to the first "@" (pgx's reading)
// or the last (Go's), and the password and sslpassword query values; in a keyword/value DSN,
// the password and sslpassword values, as libpq reads them and as written.
func pgPasswords(dsn string) []string {
	var out []string
	if isKeywordDSN(dsn) {
		for _, span := range pgPasswordSpans(dsn) {
			out = append(out, dsn[span[0]:span[1]])
		}
		if kv, err := parseKeywordDSN(dsn); err == nil {
			out = append(out, kv["password"], kv["sslpassword"])
		}
		return out
	}
	_, rest, _ := strings.Cut(dsn, "://")
	for _, end := range []int{strings.IndexAny(rest, "@/"), strings.LastIndexByte(rest, '@')} {
		if end >= 0 && rest[end] == '@' {
			if _, pw, ok := strings.Cut(rest[:end], ":"); ok && pw != "" {
				out = append(out, pw)
			}
		}
	}
	if _, query, ok := strings.Cut(rest, "?"); ok {
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if (strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword")) && v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// tx runs f in a transaction on a pooled connection.
func (s *pgStore) tx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, f)
}

func (s *pgStore) exec(ctx context.Context, sql string, args ...any) error {
	_, err := s.pool.Exec(ctx, sql, args...)
	return err
}

func (s *pgStore) queryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	return s.pool.QueryRow(ctx, sql, args...).Scan(dest...)
}

// query runs sql and hands the rows to f, which must consume them; they are closed afterwards
// (which returns the connection to the pool).
func (s *pgStore) query(ctx context.Context, sql string, args []any, f func(pgx.Rows) error) error {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := f(rows); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// errOtherPGTables refuses a database that holds another application's schema_version:
// Temporal's, when CRMSYNC_STORE_DSN names Temporal's database.
var errOtherPGTables = errors.New("this database holds another application's tables (schema_version): give crmsync its own database (CREATE DATABASE crmsync)")

// pgVersionTable reports whether the database has crmsync's schema_version table (the one
// the search path finds); another application's is refused.
func pgVersionTable(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (bool, error) {
	var exists bool
	var columns []string
	err := q.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL, ARRAY(SELECT attname::text FROM pg_attribute
		WHERE attrelid = to_regclass('schema_version') AND attnum > 0 AND NOT attisdropped)`).Scan(&exists, &columns)
	if err != nil {
		return false, err
	}
	if exists && !ownVersionTable(columns) {
		return false, errOtherPGTables
	}
	return exists, nil
}

// checkVersion checks, changing nothing (no DDL, no lock), that the database holds a store
// of this crmsync's schema version.
func (s *pgStore) checkVersion(ctx context.Context, name string) error {
	ok, err := pgVersionTable(ctx, s.pool)
	if err != nil {
		return err
	}
	if !ok {
		return noStoreYet(name)
	}
	var current int
	if err := s.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`, nil, &current); err != nil {
		return err
	}
	return versionMismatch(current, len(pgMigrations)-1)
}

func (s *pgStore) migrate(ctx context.Context) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgMigrationLock)); err != nil {
			return err
		}
		if _, err := pgVersionTable(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return err
		}
		return applyMigrations(current, pgMigrations,
			func(stmt string) error { _, err := tx.Exec(ctx, stmt); return err },
			func(v int) error {
				_, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v)
				return err
			})
	})
}

func (s *pgStore) Pairs(ctx context.Context, connection, object string, side Side, ids []string) (map[string]Pair, error) {
	if err := checkSide(side); err != nil {
		return nil, wrap(err, "pairs for %s/%s", connection, object)
	}
	ids = storableIDs(uniqueIDs(ids))
	out := make(map[string]Pair, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := s.query(ctx, `SELECT a_id, b_id, snapshot::text, synced_at FROM pairs
		WHERE connection = $1 AND object = $2 AND `+idColumn(side)+` = ANY($3)`, []any{connection, object, ids},
		func(rows pgx.Rows) error {
			return scanPGPairs(rows, func(p Pair) {
				if side == SideA {
					out[p.AID] = p
				} else {
					out[p.BID] = p
				}
			})
		})
	if err != nil {
		return nil, wrap(err, "pairs for %s/%s", connection, object)
	}
	return out, nil
}

func scanPGPairs(rows pgx.Rows, each func(Pair)) error {
	for rows.Next() {
		var (
			p    Pair
			snap string
		)
		if err := rows.Scan(&p.AID, &p.BID, &snap, &p.SyncedAt); err != nil {
			return err
		}
		m, err := decodeSnapshot([]byte(snap))
		if err != nil {
			return fmt.Errorf("pair %s/%s: %w", p.AID, p.BID, err)
		}
		p.Snapshot, p.SyncedAt = m, p.SyncedAt.UTC()
		each(p)
	}
	return rows.Err()
}

// retryable reports the errors another transaction can cause on concurrent re-pairing; the
// whole SavePairs transaction is then run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505", "40001", "40P01": // unique_violation, serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}

func (s *pgStore) SavePairs(ctx context.Context, connection, object string, pairs []Pair) error {
	if len(pairs) == 0 {
		return nil
	}
	pairs, err := normalisePairs(pairs)
	if err != nil {
		return wrap(err, "save pairs for %s/%s", connection, object)
	}
	as := make([]string, len(pairs))
	bs := make([]string, len(pairs))
	snaps := make([]string, len(pairs))
	ats := make([]time.Time, len(pairs))
	for i, p := range pairs {
		snap, err := encodeSnapshot(p.Snapshot)
		if err != nil {
			return wrap(err, "save pairs for %s/%s: pair %s/%s", connection, object, p.AID, p.BID)
		}
		as[i], bs[i], snaps[i], ats[i] = p.AID, p.BID, snap, ts(p.SyncedAt)
	}
	for attempt := 1; ; attempt++ {
		err = s.tx(ctx, func(tx pgx.Tx) error {
			// Rows holding one of our b ids with another a id would block the upsert on a_id:
			// the record was paired again, so its old pair goes.
			if _, err := tx.Exec(ctx, `DELETE FROM pairs p USING unnest($3::text[], $4::text[]) AS i(a_id, b_id)
				WHERE p.connection = $1 AND p.object = $2 AND p.b_id = i.b_id AND p.a_id <> i.a_id`,
				connection, object, as, bs); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO pairs (connection, object, a_id, b_id, snapshot, synced_at)
				SELECT $1, $2, i.a_id, i.b_id, i.snapshot, i.synced_at
				FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS i(a_id, b_id, snapshot, synced_at)
				ON CONFLICT (connection, object, a_id) DO UPDATE
				SET b_id = excluded.b_id, snapshot = excluded.snapshot, synced_at = excluded.synced_at`,
				connection, object, as, bs, snaps, ats)
			return err
		})
		if err == nil {
			s.maybeAnalyse(ctx, len(pairs))
			return nil
		}
		if attempt >= 5 || !retryable(err) || ctx.Err() != nil {
			return wrap(err, "save pairs for %s/%s", connection, object)
		}
		time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
	}
}

// maybeAnalyse refreshes the planner statistics of pairs while it grows fast; see pgStore.
func (s *pgStore) maybeAnalyse(ctx context.Context, n int) {
	s.mu.Lock()
	s.saved += n
	due := s.saved >= s.analyseAfter
	if due {
		s.analyseAfter = 2 * s.saved
	}
	s.mu.Unlock()
	if due {
		// Best effort: statistics only steer plans; autovacuum will do it anyway.
		_ = s.exec(ctx, `ANALYZE pairs`)
	}
}

func (s *pgStore) DeletePairs(ctx context.Context, connection, object string, side Side, ids []string) error {
	if err := checkSide(side); err != nil {
		return wrap(err, "delete pairs for %s/%s", connection, object)
	}
	ids = storableIDs(uniqueIDs(ids))
	if len(ids) == 0 {
		return nil
	}
	err := s.exec(ctx, `DELETE FROM pairs WHERE connection = $1 AND object = $2 AND `+idColumn(side)+` = ANY($3)`,
		connection, object, ids)
	return wrap(err, "delete pairs for %s/%s", connection, object)
}

func (s *pgStore) CountPairs(ctx context.Context, connection, object string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM pairs WHERE connection = $1 AND object = $2`, []any{connection, object}, &n)
	return n, wrap(err, "count pairs for %s/%s", connection, object)
}

func (s *pgStore) ListPairs(ctx context.Context, connection, object, after string, limit int) ([]Pair, error) {
	var out []Pair
	err := s.query(ctx, `SELECT a_id, b_id, snapshot::text, synced_at FROM pairs
		WHERE connection = $1 AND object = $2 AND a_id > $3 ORDER BY a_id LIMIT $4`,
		[]any{connection, object, after, limitOrDefault(limit)},
		func(rows pgx.Rows) error { return scanPGPairs(rows, func(p Pair) { out = append(out, p) }) })
	if err != nil {
		return nil, wrap(err, "list pairs for %s/%s", connection, object)
	}
	return out, nil
}

func (s *pgStore) Cursor(ctx context.Context, connection, object string, side Side) (string, bool, error) {
	if err := checkSide(side); err != nil {
		return "", false, wrap(err, "cursor for %s/%s", connection, object)
	}
	var v string
	err := s.queryRow(ctx, `SELECT value FROM cursors WHERE connection = $1 AND object = $2 AND side = $3`,
		[]any{connection, object, string(side)}, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap(err, "cursor for %s/%s side %s", connection, object, side)
	}
	return v, true, nil
}

func (s *pgStore) SetCursor(ctx context.Context, connection, object string, side Side, value string) error {
	if err := checkSide(side); err != nil {
		return wrap(err, "set cursor for %s/%s", connection, object)
	}
	err := s.exec(ctx, `INSERT INTO cursors (connection, object, side, value, updated_at) VALUES ($1, $2, $3, $4, now())
		ON CONFLICT (connection, object, side) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		connection, object, string(side), value)
	return wrap(err, "set cursor for %s/%s side %s", connection, object, side)
}

func (s *pgStore) ResetCursors(ctx context.Context, connection string, objects []string) error {
	var err error
	if len(objects) == 0 {
		err = s.exec(ctx, `DELETE FROM cursors WHERE connection = $1`, connection)
	} else {
		err = s.exec(ctx, `DELETE FROM cursors WHERE connection = $1 AND object = ANY($2)`, connection, objects)
	}
	return wrap(err, "reset cursors for %s", connection)
}

func (s *pgStore) Quarantine(ctx context.Context, e QuarantineEntry) error {
	if err := checkSide(e.Side); err != nil {
		return wrap(err, "quarantine %s/%s record %s", e.Connection, e.Object, e.RecordID)
	}
	rec, err := checkRecord(e.Record)
	if err != nil {
		return wrap(err, "quarantine %s/%s record %s", e.Connection, e.Object, e.RecordID)
	}
	err = s.exec(ctx, `INSERT INTO quarantine (connection, object, side, record_id, reason, record, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (connection, object, side, record_id) DO UPDATE
		SET reason = excluded.reason, record = excluded.record, at = excluded.at`,
		e.Connection, e.Object, string(e.Side), quarantineID(e.RecordID), quarantineReason(e.RecordID, e.Reason), string(rec), ts(e.At))
	return wrap(err, "quarantine %s/%s record %s", e.Connection, e.Object, e.RecordID)
}

func (s *pgStore) ListQuarantine(ctx context.Context, connection string, limit int) ([]QuarantineEntry, error) {
	var out []QuarantineEntry
	err := s.query(ctx, `SELECT object, side, record_id, reason, record::text, at FROM quarantine
		WHERE connection = $1 ORDER BY at DESC, object, side, record_id LIMIT $2`, []any{connection, limitOrDefault(limit)},
		func(rows pgx.Rows) error {
			for rows.Next() {
				var (
					e    = QuarantineEntry{Connection: connection}
					side string
					rec  string
				)
				if err := rows.Scan(&e.Object, &side, &e.RecordID, &e.Reason, &rec, &e.At); err != nil {
					return err
				}
				e.Side, e.Record, e.At = Side(side), decodeRecord([]byte(rec)), e.At.UTC()
				out = append(out, e)
			}
			return nil
		})
	if err != nil {
		return nil, wrap(err, "list quarantine for %s", connection)
	}
	return out, nil
}

func (s *pgStore) CountQuarantine(ctx context.Context, connection string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM quarantine WHERE connection = $1`, []any{connection}, &n)
	return n, wrap(err, "count quarantine for %s", connection)
}

func (s *pgStore) ClearQuarantine(ctx context.Context, connection, object string, side Side, recordID string) error {
	err := s.exec(ctx, `DELETE FROM quarantine WHERE connection = $1 AND object = $2 AND side = $3 AND record_id = $4`,
		connection, object, string(side), quarantineID(recordID))
	return wrap(err, "clear quarantine %s/%s record %s", connection, object, recordID)
}

func (s *pgStore) QuarantineByObject(ctx context.Context, connection string) (map[string]int, error) {
	out := map[string]int{}
	err := s.query(ctx, `SELECT object, COUNT(*) FROM quarantine WHERE connection = $1 GROUP BY object`, []any{connection},
		func(rows pgx.Rows) error {
			for rows.Next() {
				var object string
				var n int
				if err := rows.Scan(&object, &n); err != nil {
					return err
				}
				out[object] = n
			}
			return nil
		})
	if err != nil {
		return nil, wrap(err, "count quarantine by object for %s", connection)
	}
	return out, nil
}

func (s *pgStore) ForgetQuarantine(ctx context.Context, connection, object string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM quarantine WHERE connection = $1 AND object = $2`, connection, object)
	if err != nil {
		return 0, wrap(err, "forget quarantine of %s/%s", connection, object)
	}
	return int(tag.RowsAffected()), nil
}

// errClosed is the answer of a closed store's Lock.
var errClosed = errors.New("the store is closed")

// Close ends the sessions of the locks held or awaited first (which frees them for the
// other workers at once): pgxpool's Close waits for every connection given out, and would
// wait as long as a lock is held. Their unlock does nothing afterwards.
func (s *pgStore) Close() error {
	s.lockOnce.Do(func() { s.lockErr = errClosed }) // no lock pool made from now on
	s.lockMu.Lock()
	s.closed = true
	var held []*lockConn
	for lc := range s.lockConns {
		_ = lc.socket.Close() // a wait in progress fails at once and gives its connection back
		if lc.held {
			held = append(held, lc)
		}
	}
	s.lockMu.Unlock()
	for _, lc := range held {
		s.endLock(lc, false)
	}
	if s.locks != nil {
		s.locks.Close()
	}
	s.pool.Close()
	return nil
}

func (s *pgStore) TakeQuota(ctx context.Context, claims []QuotaClaim, window time.Duration, now time.Time) (time.Duration, error) {
	claims, err := checkClaims(claims)
	if err != nil {
		return 0, err
	}
	var wait time.Duration
	err = s.tx(ctx, func(tx pgx.Tx) error {
		cutoff, expired := quotaCutoffs(now, window)
		for _, c := range claims {
			// Workers taking the same key queue here, in key order.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, advisoryKey("quota/"+c.Key)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM quota_uses WHERE key = $1 AND at <= $2`, c.Key, expired); err != nil {
				return err
			}
			var used int
			var oldest int64
			if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(at), 0) FROM quota_uses WHERE key = $1 AND at > $2`, c.Key, cutoff).Scan(&used, &oldest); err != nil {
				return err
			}
			if w, full := quotaWait(used, c.Limit, time.UnixMicro(oldest), now, window); full {
				wait = w
				return nil
			}
		}
		for _, c := range claims {
			if _, err := tx.Exec(ctx, `INSERT INTO quota_uses (key, at) VALUES ($1, $2)`, c.Key, now.UnixMicro()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, wrap(err, "take quota")
	}
	return wait, nil
}

func (s *pgStore) QuotaUsed(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM quota_uses WHERE key = $1 AND at > $2`, []any{key, now.Add(-window).UnixMicro()}, &n)
	return n, wrap(err, "quota used %s", key)
}

// pgLockSessionSettings are the settings of the lock connections' sessions, whatever the DSN
// or the server's configuration say: a session that ends frees its advisory lock, and a
// DBA's idle_session_timeout (PostgreSQL 14+; a lock connection is idle while its lock is
// held) would end it while the holder goes on, another worker taking the lock. Waiting for a
// lock is a statement, which only the caller's context bounds (statement_timeout and
// lock_timeout would fail a wait that is fine).
var pgLockSessionSettings = [][2]string{
	{"idle_session_timeout", "0"},
	{"statement_timeout", "0"},
	{"lock_timeout", "0"},
}

// setLockTimeouts makes each new connection of cfg, a lock connection, set
// pgLockSessionSettings (those the server has) once it is open, after cfg's own AfterConnect.
func setLockTimeouts(cfg *pgxpool.Config) {
	names, values := make([]string, len(pgLockSessionSettings)), make([]string, len(pgLockSessionSettings))
	for i, kv := range pgLockSessionSettings {
		names[i], values[i] = kv[0], kv[1]
	}
	setOnConnect(cfg, names, values, "set the lock session's timeouts")
}

// lockConn is a lock connection given out by Lock, waiting for its lock or holding it.
type lockConn struct {
	conn   *pgxpool.Conn
	socket net.Conn // closed by Close whoever uses the connection
	id     int64    // the advisory lock's key
	held   bool     // under pgStore.lockMu
	once   sync.Once
	// use serialises the uses of conn once the lock is held: the watchdog's checks (see
	// LockHeld) and endLock; stop, closed by endLock, ends the watchdog.
	use  sync.Mutex
	stop chan struct{}
	// holder is the holder's context (LockHeld), ended by lost: with ErrLockLost when a
	// check fails or Close ends the session, errUnlocked at unlock.
	holder context.Context
	lost   context.CancelCauseFunc
}

// How often LockHeld checks that the session holding a lock is still there, and how long a
// check may take before the lock counts as lost (the network cut, the session may already be
// gone, or go before the holder is told: it stops at once).
var (
	lockCheckEvery   = time.Second
	lockCheckTimeout = 5 * time.Second
)

// LockHeld is Lock, with a context (from ctx) that ends with a cause wrapping ErrLockLost as
// soon as a check of the lock's session (every lockCheckEvery) fails: the session ended (a
// failover, the server restarted, the DBA ended it, a network cut past the TCP timeouts)
// and with it the lock, which another worker may hold now. It ends at unlock too.
func (s *pgStore) LockHeld(ctx context.Context, key string) (context.Context, func(), error) {
	lc, err := s.lock(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	go s.watchLock(lc, key)
	return lc.holder, func() { s.endLock(lc, true) }, nil
}

// watchLock checks the session of lc every lockCheckEvery until endLock stops it, and ends
// lc.holder with ErrLockLost (and the session, to be sure) when a check fails.
func (s *pgStore) watchLock(lc *lockConn, key string) {
	tick := time.NewTicker(lockCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-lc.stop:
			return
		case <-tick.C:
		}
		lc.use.Lock()
		select {
		case <-lc.stop:
			lc.use.Unlock()
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), lockCheckTimeout)
		_, err := lc.conn.Exec(ctx, "SELECT 1")
		cancel()
		if err != nil {
			_ = lc.socket.Close()
		}
		lc.use.Unlock()
		if err != nil {
			lc.lost(fmt.Errorf("%w: %s: its session is gone (%v)", ErrLockLost, key, err))
			return
		}
	}
}

// Lock takes the advisory lock of key on a connection of its own, held until unlock. A lock
// whose taking or freeing fails ends that connection's session, which frees it in any case.
func (s *pgStore) Lock(ctx context.Context, key string) (func(), error) {
	lc, err := s.lock(ctx, key)
	if err != nil {
		return nil, err
	}
	return func() { s.endLock(lc, true) }, nil
}

// lock takes the advisory lock of key on a lock connection, given back by endLock.
func (s *pgStore) lock(ctx context.Context, key string) (*lockConn, error) {
	s.lockOnce.Do(func() {
		cfg := s.cfg.Copy()
		cfg.MaxConns, cfg.MinConns = maxLockConns, 0
		setLockTimeouts(cfg)
		s.locks, s.lockErr = pgxpool.NewWithConfig(context.Background(), cfg)
	})
	if s.lockErr != nil {
		return nil, wrap(s.lockErr, "lock %s", key)
	}
	conn, err := s.locks.Acquire(ctx)
	if err != nil {
		return nil, wrap(err, "lock %s", key)
	}
	lc := &lockConn{conn: conn, socket: conn.Conn().PgConn().Conn(), id: advisoryKey(key), stop: make(chan struct{})}
	s.lockMu.Lock()
	if s.closed {
		s.lockMu.Unlock()
		conn.Release()
		return nil, wrap(errClosed, "lock %s", key)
	}
	lc.holder, lc.lost = context.WithCancelCause(ctx) // ended by endLock
	if s.lockConns == nil {
		s.lockConns = map[*lockConn]struct{}{}
	}
	s.lockConns[lc] = struct{}{}
	s.lockMu.Unlock()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lc.id); err != nil {
		s.endLock(lc, false) // a cancelled wait may have taken it nonetheless
		return nil, wrap(err, "lock %s", key)
	}
	s.lockMu.Lock()
	if s.closed { // Close ended the session as the lock came
		s.lockMu.Unlock()
		s.endLock(lc, false)
		return nil, wrap(errClosed, "lock %s", key)
	}
	lc.held = true
	s.lockMu.Unlock()
	return lc, nil
}

// endLock gives a lock connection back, once: unlocked, or (unlock false, or the unlock
// failing) with its session ended, which frees its lock in any case.
func (s *pgStore) endLock(lc *lockConn, unlock bool) {
	lc.once.Do(func() {
		close(lc.stop)
		if unlock {
			defer lc.lost(errUnlocked)
		} else {
			defer lc.lost(fmt.Errorf("%w: the store closed, or taking it failed", ErrLockLost))
		}
		lc.use.Lock() // a check in progress ends first
		defer lc.use.Unlock()
		if unlock {
			// Bounded as a check is: on a silent network the unlock would wait as long as the
			// cut lasts, and its holder (an activity ending) with it. Ending the session
			// frees the lock as well.
			ctx, cancel := context.WithTimeout(context.Background(), lockCheckTimeout)
			_, err := lc.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", lc.id)
			cancel()
			if err == nil {
				lc.conn.Release()
				return
			}
		}
		_ = lc.conn.Conn().Close(context.Background())
		lc.conn.Release()
	})
	s.lockMu.Lock()
	delete(s.lockConns, lc)
	s.lockMu.Unlock()
}
func (s *pgStore) SetWaits(ctx context.Context, connection, object string, side Side, ids []string, waits []Wait) error {
	if err := checkSide(side); err != nil {
		return wrap(err, "set waits for %s/%s", connection, object)
	}
	waits, err := checkWaits(ids, waits)
	if err != nil {
		return wrap(err, "set waits for %s/%s", connection, object)
	}
	ids = storableIDs(uniqueIDs(ids))
	if len(ids) == 0 {
		return nil
	}
	recs, objs, links := make([]string, len(waits)), make([]string, len(waits)), make([]string, len(waits))
	for i, w := range waits {
		recs[i], objs[i], links[i] = w.RecordID, w.LinkObject, w.LinkID
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM link_waits WHERE connection = $1 AND object = $2 AND side = $3 AND record_id = ANY($4)`,
			connection, object, string(side), ids); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO link_waits (connection, object, side, record_id, link_object, link_id)
			SELECT $1, $2, $3, i.record_id, i.link_object, i.link_id
			FROM unnest($4::text[], $5::text[], $6::text[]) AS i(record_id, link_object, link_id)
			ON CONFLICT (connection, object, side, record_id, link_object) DO UPDATE SET link_id = excluded.link_id`,
			connection, object, string(side), recs, objs, links)
		return err
	})
	return wrap(err, "set waits for %s/%s", connection, object)
}

func (s *pgStore) ReadyWaits(ctx context.Context, connection, object string, side Side, limit int) ([]string, error) {
	if err := checkSide(side); err != nil {
		return nil, wrap(err, "ready waits for %s/%s", connection, object)
	}
	var out []string
	err := s.query(ctx, `SELECT DISTINCT w.record_id FROM link_waits w JOIN pairs p
		ON p.connection = w.connection AND p.object = w.link_object AND p.`+idColumn(side)+` = w.link_id
		WHERE w.connection = $1 AND w.object = $2 AND w.side = $3 ORDER BY w.record_id LIMIT $4`,
		[]any{connection, object, string(side), limitOrDefault(limit)},
		func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				out = append(out, id)
			}
			return nil
		})
	return out, wrap(err, "ready waits for %s/%s", connection, object)
}

func (s *pgStore) Notes(ctx context.Context, connection, object, kind string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := s.query(ctx, `SELECT record_id, value FROM record_notes WHERE connection = $1 AND object = $2 AND kind = $3 AND record_id = ANY($4)`,
		[]any{connection, object, kind, storableIDs(uniqueIDs(ids))},
		func(rows pgx.Rows) error {
			for rows.Next() {
				var id, v string
				if err := rows.Scan(&id, &v); err != nil {
					return err
				}
				out[id] = v
			}
			return nil
		})
	return out, wrap(err, "notes %s of %s/%s", kind, connection, object)
}

func (s *pgStore) SetNotes(ctx context.Context, connection, object, kind string, values map[string]string) error {
	values, err := checkNotes(values)
	if err != nil {
		return wrap(err, "set notes %s of %s/%s", kind, connection, object)
	}
	if len(values) == 0 {
		return nil
	}
	var gone, ids, vals []string
	for id, v := range values {
		if v == "" {
			gone = append(gone, id)
		} else {
			ids, vals = append(ids, id), append(vals, v)
		}
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM record_notes WHERE connection = $1 AND object = $2 AND kind = $3 AND record_id = ANY($4)`,
			connection, object, kind, gone); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO record_notes (connection, object, kind, record_id, value)
			SELECT $1, $2, $3, i.record_id, i.value FROM unnest($4::text[], $5::text[]) AS i(record_id, value)
			ON CONFLICT (connection, object, kind, record_id) DO UPDATE SET value = excluded.value`,
			connection, object, kind, ids, vals)
		return err
	})
	return wrap(err, "set notes %s of %s/%s", kind, connection, object)
}

func (s *pgStore) StillQuarantined(ctx context.Context, connection string, keys []QuarantineKey) ([]QuarantineKey, error) {
	keys, given := storedKeys(keys)
	objects, sides, ids := make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		objects[i], sides[i], ids[i] = k.Object, string(k.Side), k.RecordID
	}
	var out []QuarantineKey
	// storedKeys gave each key once: each entry is answered once.
	err := s.query(ctx, `SELECT q.object, q.side, q.record_id FROM quarantine q
		WHERE q.connection = $1 AND (q.object, q.side, q.record_id) IN
			(SELECT * FROM unnest($2::text[], $3::text[], $4::text[]))`,
		[]any{connection, objects, sides, ids},
		scanQuarantineKeys(&out))
	if err != nil {
		return nil, wrap(err, "look up quarantine of %s", connection)
	}
	return givenKeys(out, given), nil
}

// scanQuarantineKeys reads rows of (object, side, record_id) into out.
func scanQuarantineKeys(out *[]QuarantineKey) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		for rows.Next() {
			var k QuarantineKey
			var side string
			if err := rows.Scan(&k.Object, &side, &k.RecordID); err != nil {
				return err
			}
			k.Side = Side(side)
			*out = append(*out, k)
		}
		return nil
	}
}

func (s *pgStore) QuarantinedBefore(ctx context.Context, connection string, before time.Time, after QuarantineKey, limit int) ([]QuarantineKey, error) {
	var out []QuarantineKey
	err := s.query(ctx, `SELECT object, side, record_id FROM quarantine
		WHERE connection = $1 AND at < $2 AND (object, side, record_id) > ($3, $4, $5)
		ORDER BY object, side, record_id LIMIT $6`,
		[]any{connection, before, after.Object, string(after.Side), after.RecordID, limitOrDefault(limit)},
		scanQuarantineKeys(&out))
	return out, wrap(err, "list quarantine for %s", connection)
}
