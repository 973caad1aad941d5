// Package store keeps what crmsync remembers between passes, per connection and object: the id
// map (A id ⇄ B id) with the last-synced snapshot of the mapped fields, a cursor per side, and
// the quarantined records that a system refused.
//
// Two backends implement the same Store: SQLite (pure Go, modernc.org/sqlite, the default for a
// single worker) and PostgreSQL (pgx, for production and for several workers sharing one
// connection). Open picks the backend from the DSN and creates or upgrades the schema.
//
// Values read back are normalised the same way on both backends: times are UTC with microsecond
// precision, snapshots are decoded from JSON (numbers as float64, lists as []any).
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/utf8text"
)

// Side names one of the two systems of a connection.
type Side string

// The two sides of a connection.
const (
	SideA Side = "a"
	SideB Side = "b"
)

// Pair links a record of side A to a record of side B.
type Pair struct {
	AID, BID string
	// Snapshot holds the last-synced values of the mapped fields. Values must be
	// JSON-serialisable; they come back as JSON decodes them (float64, []any, …).
	Snapshot map[string]any
	SyncedAt time.Time
}

// QuarantineEntry is a record a system refused, kept with the reason so it stays visible.
type QuarantineEntry struct {
	Connection, Object string
	Side               Side
	RecordID           string
	Reason             string
	Record             json.RawMessage
	At                 time.Time
}

// QuarantineKey names a quarantine entry.
type QuarantineKey struct {
	Object   string `json:"object"`
	Side     Side   `json:"side"`
	RecordID string `json:"record_id"`
}

// Store is the persistence used by activities. All methods are safe for concurrent use.
type Store interface {
	// Pairs returns the pairs whose id on `side` is in ids, keyed by that side's id. Missing
	// ids are absent (so are ids PostgreSQL cannot hold: with a NUL, or not UTF-8).
	Pairs(ctx context.Context, connection, object string, side Side, ids []string) (map[string]Pair, error)
	// SavePairs upserts pairs (unique on (connection, object, a_id) and on (connection, object,
	// b_id)) in one transaction. A pair whose a_id or b_id is already paired with another id
	// replaces the conflicting rows; within one call, a later pair wins over an earlier one.
	// Pairs holding an id the store cannot keep (see CheckID) are refused, none saved: the
	// error is ErrBadID (errors.Is), a *BadIDError per id refused (errors.Join).
	SavePairs(ctx context.Context, connection, object string, pairs []Pair) error
	// DeletePairs removes the pairs whose id on `side` is in ids.
	DeletePairs(ctx context.Context, connection, object string, side Side, ids []string) error
	CountPairs(ctx context.Context, connection, object string) (int, error)
	// ListPairs pages through pairs ordered by a_id (byte order; after = last a_id seen, "" to
	// start). A limit <= 0 means DefaultLimit.
	ListPairs(ctx context.Context, connection, object, after string, limit int) ([]Pair, error)
	// Cursor returns the cursor of one side, and false when none was set.
	Cursor(ctx context.Context, connection, object string, side Side) (string, bool, error)
	SetCursor(ctx context.Context, connection, object string, side Side, value string) error
	// ResetCursors deletes the cursors of these objects (all objects of the connection when empty).
	ResetCursors(ctx context.Context, connection string, objects []string) error
	// Quarantine records (or replaces, keyed by connection/object/side/record id) a refused
	// record. A record id the store cannot keep (see CheckID) is kept shortened (its start and
	// a hash), its reason saying so; ClearQuarantine and StillQuarantined take the whole id.
	Quarantine(ctx context.Context, e QuarantineEntry) error
	// ListQuarantine returns the entries of a connection, newest first. A limit <= 0 means DefaultLimit.
	ListQuarantine(ctx context.Context, connection string, limit int) ([]QuarantineEntry, error)
	CountQuarantine(ctx context.Context, connection string) (int, error)
	// QuarantinedBefore pages through the entries of a connection quarantined before a time,
	// in key order after the key given (the zero key to start), limit at a time (<= 0:
	// DefaultLimit). An entry quarantined again since that time is left out: a retry visits
	// each entry once.
	QuarantinedBefore(ctx context.Context, connection string, before time.Time, after QuarantineKey, limit int) ([]QuarantineKey, error)
	// StillQuarantined returns those of keys that have an entry, each once (however often it
	// is given), in no particular order.
	StillQuarantined(ctx context.Context, connection string, keys []QuarantineKey) ([]QuarantineKey, error)
	// ClearQuarantine removes one record's entry once it synced fine.
	ClearQuarantine(ctx context.Context, connection, object string, side Side, recordID string) error
	// QuarantineByObject counts a connection's entries per object (objects with none absent).
	QuarantineByObject(ctx context.Context, connection string) (map[string]int, error)
	// ForgetQuarantine removes every entry of one object of a connection, both sides, and
	// says how many: those of an object the connection no longer has, which nothing retries.
	ForgetQuarantine(ctx context.Context, connection, object string) (int, error)
	Waits
	Notes
	Quotas
	Locker
	Close() error
}

// DefaultLimit bounds ListPairs and ListQuarantine when they are given no limit.
const DefaultLimit = 1000

// Open opens "sqlite:/path/to/file.db" (also "sqlite:///path", "file:/path" or a bare path →
// SQLite), or "postgres://…" / "postgresql://…" or a keyword/value DSN ("host=db dbname=crmsync
// user=crmsync password=…", libpq's other form) → PostgreSQL, and creates or upgrades the schema
// (idempotent migrations recorded in a schema_version table). Errors never show a password.
func Open(ctx context.Context, dsn string) (Store, error) {
	return openStore(ctx, dsn, forWorker)
}

// openMode is what a store is opened for.
type openMode int

const (
	// forWorker creates or upgrades the schema.
	forWorker openMode = iota
	// forReading uses the schema a worker made, and refuses one of another version.
	forReading
	// forCopy is forReading that also takes a SQLite file's worker lock: a copy reads a store
	// no worker writes meanwhile.
	forCopy
)

func openStore(ctx context.Context, dsn string, mode openMode) (Store, error) {
	dsn = strings.TrimSpace(dsn)
	switch {
	case dsn == "":
		return nil, errors.New("store: empty DSN (want sqlite:/path/to/file.db or postgres://user@host:5432/db)")
	case isPostgresDSN(dsn):
		return openPostgres(ctx, dsn, mode)
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	return openSQLite(ctx, path, sqliteName(dsn, path), mode)
}

// ErrNoStore is OpenExisting's answer when the SQLite file is not there, or the database
// (or file) has no crmsync tables.
var ErrNoStore = errors.New("store: no store yet")

// OpenExisting is Open for a process that only uses a store a worker made (the CLI): it does
// not create a SQLite file where there is none, and changes no schema: it only reads the
// schema's version, and refuses a store of another version than this crmsync's, saying
// which to upgrade (a store with no crmsync tables yet is ErrNoStore).
func OpenExisting(ctx context.Context, dsn string) (Store, error) {
	return openExisting(ctx, dsn, forReading)
}

// openExisting opens dsn in mode without creating a SQLite file where there is none.
func openExisting(ctx context.Context, dsn string, mode openMode) (Store, error) {
	dsn = strings.TrimSpace(dsn)
	if dsn != "" && !isPostgresDSN(dsn) {
		path, err := sqlitePath(dsn)
		if err != nil {
			return nil, err
		}
		file, _, _ := strings.Cut(path, "?")
		if _, err := os.Stat(file); err != nil {
			return nil, fmt.Errorf("%w at %s", ErrNoStore, sqliteName(dsn, path))
		}
	}
	return openStore(ctx, dsn, mode)
}

// OpenToCopy is OpenExisting for the source of Copy: a SQLite store is also refused while a
// worker uses it (its lock beside the file), as the rows it writes during the copy would be
// lost. (Nothing tells a PostgreSQL store's workers apart from the command: stop them first.)
func OpenToCopy(ctx context.Context, dsn string) (Store, error) {
	return openExisting(ctx, dsn, forCopy)
}

// pgKeywordRE finds a keyword of libpq's keyword/value form: such a DSN is PostgreSQL's.
var pgKeywordRE = regexp.MustCompile(`(^|\s)(host|hostaddr|dbname|user|password|port|sslmode|service)\s*=`)

// sqlitePrefixes are the schemes of a SQLite DSN.
var sqlitePrefixes = []string{"sqlite://", "sqlite:", "file://", "file:"}

// isPostgresDSN reports whether dsn names a PostgreSQL database: a postgres:// or
// postgresql:// URL, or a keyword/value DSN. A DSN with a SQLite scheme is SQLite's whatever
// its path holds.
func isPostgresDSN(dsn string) bool {
	for _, prefix := range sqlitePrefixes {
		if strings.HasPrefix(dsn, prefix) {
			return false
		}
	}
	return isPostgresURL(dsn) || pgKeywordRE.MatchString(dsn)
}

func isPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// isKeywordDSN reports whether dsn is a PostgreSQL DSN of the keyword/value form.
func isKeywordDSN(dsn string) bool { return !isPostgresURL(dsn) && isPostgresDSN(dsn) }

// sqlitePath returns the file path (with its query) of a SQLite DSN.
func sqlitePath(dsn string) (string, error) {
	for _, prefix := range sqlitePrefixes {
		if rest, ok := strings.CutPrefix(dsn, prefix); ok {
			return rest, nil
		}
	}
	if i := strings.Index(dsn, "://"); i > 0 {
		return "", fmt.Errorf("store: unsupported DSN scheme %q (want sqlite:, file:, postgres:// or postgresql://)", dsn[:i])
	}
	// "hots=db passwrd=…": a keyword/value DSN with a keyword mistyped, not a file to create.
	if strings.Contains(dsn, "=") && strings.ContainsAny(dsn, asciiSpaces) {
		return "", errors.New("store: the DSN looks like a PostgreSQL keyword/value DSN, but names none of host, hostaddr, dbname, user, password, port, sslmode or service (it is not shown: it may hold a password); for a SQLite file of that name, write sqlite:PATH")
	}
	return dsn, nil
}

// asciiSpaces are the white space characters libpq separates keyword/value pairs with.
const asciiSpaces = " \t\n\r\v\f"

// hiddenSQLitePath names in errors a SQLite path that is not shown.
const hiddenSQLitePath = `the SQLite path in CRMSYNC_STORE_DSN (not shown: it holds "=" or white space, as a mistyped PostgreSQL DSN with its password would)`

// sqliteName is how errors name the SQLite file of dsn, whose path (and query) is path: the
// path without its query, unless dsn is a bare path (no sqlite: or file: scheme) holding "="
// or white space — a PostgreSQL DSN mistyped, whose password must not be echoed.
func sqliteName(dsn, path string) string {
	file, _, _ := strings.Cut(path, "?")
	if dsn == path && strings.ContainsAny(file, "="+asciiSpaces) {
		return hiddenSQLitePath
	}
	return file
}

// Name is a DSN as crmsync shows it: a PostgreSQL DSN without its password, a SQLite DSN as
// its file.
func Name(dsn string) string {
	dsn = strings.TrimSpace(dsn)
	if isPostgresDSN(dsn) {
		return redact(dsn)
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return dsn
	}
	return sqliteName(dsn, path)
}

// redact is a DSN as errors show it, its password hidden, in its user part or its query
// string (pgx takes ?password= and ?sslpassword= too), or as password= and sslpassword= of the
// keyword/value form. A DSN Go's URL parser refuses (pgx takes some, "?" in a password), whose
// query it cannot read (a password there would be missed), or that it reads otherwise than
// pgx and libpq do (an unencoded "/", "#" or "?" in a password whose part before it is empty
// or digits: "user:2024/Winter@db" reads as the host "user" and port 2024, the rest of the
// password in the path) is shown with everything before its last "@" hidden and without its
// query and fragment, which still names the host and database.
func redact(dsn string) string {
	if isKeywordDSN(dsn) {
		return redactKeywords(dsn)
	}
	u, err := url.Parse(dsn)
	q, qerr := url.Values(nil), error(nil)
	if err == nil {
		q, qerr = url.ParseQuery(u.RawQuery)
	}
	if err != nil || qerr != nil || misreadUserInfo(dsn, u) {
		scheme, rest, _ := strings.Cut(dsn, "://")
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			rest = "xxxxx@" + rest[i+1:]
		}
		rest, _, _ = strings.Cut(rest, "?")
		rest, _, _ = strings.Cut(rest, "#")
		return scheme + "://" + rest
	}
	hidden := false
	for k := range q {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
			q.Set(k, "xxxxx")
			hidden = true
		}
	}
	if hidden {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// misreadUserInfo reports whether Go's URL parser, which read dsn as u, may have left a part
// of the user's password outside the user part: an "@" in the path or the fragment, or in the
// query when Go found no user part where libpq and pgx find one (before the first "@" when
// no "/" comes earlier).
func misreadUserInfo(dsn string, u *url.URL) bool {
	if strings.Contains(u.EscapedPath(), "@") || strings.Contains(u.EscapedFragment(), "@") {
		return true
	}
	if !strings.Contains(u.RawQuery, "@") || u.User != nil {
		return false
	}
	_, rest, _ := strings.Cut(dsn, "://")
	i := strings.IndexAny(rest, "@/")
	return i >= 0 && rest[i] == '@'
}

// redactKeywords hides the passwords of a keyword/value DSN (password= and sslpassword=),
// each to where libpq ends its value or, when the DSN does not parse as libpq reads it (a
// space left unquoted), to the next keyword=, whichever is later.
func redactKeywords(dsn string) string {
	var b strings.Builder
	last := 0
	for _, span := range pgPasswordSpans(dsn) {
		if span[0] < last {
			continue
		}
		b.WriteString(dsn[last:span[0]])
		b.WriteString("xxxxx")
		last = span[1]
	}
	b.WriteString(dsn[last:])
	return b.String()
}

// pgKeywordPasswordRE matches a password keyword of the keyword/value form (also inside
// another value, "application_name=password=x": more hidden than needed, never less) and
// its value as libpq reads it: quoted (to its closing quote, or to the end when there is
// none) or plain (to white space not escaped with a backslash).
var pgKeywordPasswordRE = regexp.MustCompile(`(?is)(?:ssl)?password\s*=\s*('(?:[^'\\]|\\.)*'?|(?:\\.|[^\s\\])*\\?)`)

// pgNextKeywordRE finds the start of the next keyword=value pair.
var pgNextKeywordRE = regexp.MustCompile(`\s+[A-Za-z_]+\s*=`)

// pgPasswordSpans returns the [start, end) of each password value of a keyword/value DSN,
// in order: to where libpq ends it, or to the next keyword= when that is later (the DSN does
// not parse, and where the password ends is a guess).
func pgPasswordSpans(dsn string) [][2]int {
	var out [][2]int
	for _, m := range pgKeywordPasswordRE.FindAllStringSubmatchIndex(dsn, -1) {
		start, end := m[2], m[3]
		loose := len(dsn)
		if next := pgNextKeywordRE.FindStringIndex(dsn[start:]); next != nil {
			loose = start + next[0]
		}
		out = append(out, [2]int{start, max(end, loose)})
	}
	return out
}

// parseKeywordDSN reads a keyword/value DSN as libpq (and pgx) do: key=value pairs apart by
// white space, a value quoted in '…' to hold spaces, a backslash escaping the next character.
func parseKeywordDSN(s string) (map[string]string, error) {
	out := map[string]string{}
	s = strings.TrimLeft(s, asciiSpaces)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, errors.New("invalid keyword/value")
		}
		key := strings.Trim(s[:eq], asciiSpaces)
		if key == "" || strings.ContainsAny(key, asciiSpaces) {
			return nil, errors.New("invalid keyword/value")
		}
		s = strings.TrimLeft(s[eq+1:], asciiSpaces)
		var raw []byte
		quoted := strings.HasPrefix(s, "'")
		if quoted {
			s = s[1:]
		}
		i := 0
		for ; i < len(s); i++ {
			c := s[i]
			if quoted && c == '\'' || !quoted && strings.IndexByte(asciiSpaces, c) >= 0 {
				break
			}
			if c == '\\' {
				if i++; i == len(s) {
					break
				}
			}
			raw = append(raw, s[i])
		}
		if quoted {
			if i >= len(s) {
				return nil, errors.New("unterminated quoted string")
			}
			i++
		}
		out[key] = string(raw)
		s = strings.TrimLeft(s[min(i, len(s)):], asciiSpaces)
	}
	return out, nil
}

func checkSide(side Side) error {
	if side != SideA && side != SideB {
		return fmt.Errorf("invalid side %q (want %q or %q)", side, SideA, SideB)
	}
	return nil
}

// idColumn is the pairs column holding the id of one side.
func idColumn(side Side) string {
	if side == SideB {
		return "b_id"
	}
	return "a_id"
}

func limitOrDefault(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return limit
}

// uniqueIDs drops empty and repeated ids, keeping the order.
func uniqueIDs(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}

// uniqueKeys drops repeated quarantine keys, keeping the order.
func uniqueKeys(keys []QuarantineKey) []QuarantineKey {
	seen := make(map[QuarantineKey]struct{}, len(keys))
	out := make([]QuarantineKey, 0, len(keys))
	for _, k := range keys {
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, k)
	}
	return out
}

// normalisePairs checks the pairs (an id the store cannot keep is a *BadIDError, all of
// them joined) and resolves conflicts inside one batch: a later pair
// replaces any earlier one sharing its a_id or its b_id, as sequential upserts would.
func normalisePairs(pairs []Pair) ([]Pair, error) {
	if err := checkPairIDs(pairs); err != nil {
		return nil, err
	}
	keep := make([]bool, len(pairs))
	byA := make(map[string]int, len(pairs))
	byB := make(map[string]int, len(pairs))
	for i, p := range pairs {
		if p.AID == "" || p.BID == "" {
			return nil, fmt.Errorf("pair %d has an empty id (a %q, b %q)", i, p.AID, p.BID)
		}
		if j, ok := byA[p.AID]; ok {
			keep[j] = false
			delete(byB, pairs[j].BID)
		}
		if j, ok := byB[p.BID]; ok {
			keep[j] = false
			delete(byA, pairs[j].AID)
		}
		byA[p.AID], byB[p.BID] = i, i
		keep[i] = true
	}
	out := make([]Pair, 0, len(byA))
	for i, p := range pairs {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out, nil
}

func encodeSnapshot(s map[string]any) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode snapshot: %w", err)
	}
	return string(b), nil
}

func decodeSnapshot(b []byte) (map[string]any, error) {
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	return m, nil
}

// checkRecord validates a quarantined record; an empty one is stored as JSON null.
func checkRecord(r json.RawMessage) ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	if !json.Valid(r) {
		return nil, errors.New("record is not valid JSON")
	}
	return []byte(plainText(string(r))), nil
}

// plainText makes a reason storable as text by both backends: a NUL or bytes that are not
// UTF-8 (a system's answer quoted in an error) become U+FFFD, where PostgreSQL would refuse
// the entry and the record would stay out of the quarantine.
func plainText(s string) string {
	return utf8text.Valid(strings.ReplaceAll(s, "\x00", "\uFFFD"))
}

func decodeRecord(b []byte) json.RawMessage {
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	return json.RawMessage(b)
}

// ts normalises a time to what both backends keep: UTC, microseconds.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// applyMigrations runs, in the caller's transaction, the migrations after version current
// (migrations[v] holds the statements of version v; index 0 is unused) and records each
// version applied. A database newer than this crmsync is refused rather than used.
func applyMigrations(current int, migrations [][]string, exec func(stmt string) error, record func(version int) error) error {
	latest := len(migrations) - 1
	if current > latest {
		return versionMismatch(current, latest)
	}
	for v := current + 1; v <= latest; v++ {
		for _, stmt := range migrations[v] {
			if err := exec(stmt); err != nil {
				return fmt.Errorf("version %d: %w", v, err)
			}
		}
		if err := record(v); err != nil {
			return err
		}
	}
	return nil
}

// versionMismatch says what to upgrade when a store at schema version current is used by a
// crmsync that knows version latest without migrating it (OpenExisting), or nil when they
// are the same.
func versionMismatch(current, latest int) error {
	switch {
	case current < latest:
		return fmt.Errorf("the store is at version %d, this crmsync needs %d: upgrade the workers first (a worker upgrades the store as it starts)", current, latest)
	case current > latest:
		return fmt.Errorf("the store is at version %d, newer than this crmsync knows (%d): upgrade crmsync", current, latest)
	}
	return nil
}

// noStoreYet is OpenExisting's answer for a database (or SQLite file) with no crmsync tables.
func noStoreYet(name string) error {
	return fmt.Errorf("%w in %s: it has no crmsync tables (a worker creates its tables when it first starts)", ErrNoStore, name)
}

// ownVersionTable reports whether the columns of a schema_version table are crmsync's
// (version, applied_at): Temporal, among others, has a schema_version table of its own.
func ownVersionTable(columns []string) bool {
	for _, c := range columns {
		if c != "version" && c != "applied_at" {
			return false
		}
	}
	return slices.Contains(columns, "version")
}
